"""A real SMTP server on loopback (aiosmtpd) that a test can start, stop and start again."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class _Collect:
    messages: list[Message] = field(default_factory=list)
    delay: float = 0.0  # seconds to take over each message, to make concurrent senders overlap
    # Replies to give to the next recipients instead of accepting them, e.g. "451 4.3.0 …".
    recipient_replies: list[str] = field(default_factory=list)
    # Replies to give at the end of the next messages' DATA instead of accepting them.
    data_replies: list[str] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if self.recipient_replies:
            return self.recipient_replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.data_replies:
            return self.data_replies.pop(0)
        message = message_from_bytes(envelope.original_content or envelope.content)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"


class LocalSMTPServer:
    """Listens on 127.0.0.1:<port>; the port stays the same across stop() and start()."""

    def __init__(self, *, delay: float = 0.0) -> None:
        self.host = "127.0.0.1"
        self.port = free_port()
        self._handler = _Collect(delay=delay)
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[Message]:
        return self._handler.messages

    def refuse_next_recipients(self, *replies: str) -> None:
        """Answer the next RCPT TO commands with these replies (then accept again)."""
        self._handler.recipient_replies.extend(replies)

    def refuse_next_messages(self, *replies: str) -> None:
        """Answer the next messages' DATA with these replies (then accept again)."""
        self._handler.data_replies.extend(replies)

    @property
    def delay(self) -> float:
        return self._handler.delay

    @delay.setter
    def delay(self, seconds: float) -> None:
        self._handler.delay = seconds

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        if self._controller is None:
            controller = Controller(self._handler, hostname=self.host, port=self.port)
            controller.start()
            self._controller = controller

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
