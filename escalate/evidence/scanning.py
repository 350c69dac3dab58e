"""Malware scanning of uploaded evidence, before anyone can download it.

`scanner()` is the configured `Scanner` (EVIDENCE_SCANNER): "clamd" talks to ClamAV's daemon
through its Unix socket (INSTREAM, so the daemon needs no access to our files); a dotted path
names another class with the same `scan` method (a cloud scanner); empty means no scanning
(the demo): files are stored as "not scanned" and docs/security.md says so.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass
from typing import IO, Protocol

from django.conf import settings
from django.utils.module_loading import import_string


class ScannerUnavailable(Exception):
    """The scanner could not give an answer now; the file stays quarantined."""


@dataclass(frozen=True)
class Verdict:
    clean: bool
    signature: str = ""  # what was found, when not clean


class Scanner(Protocol):
    name: str

    def scan(self, stream: IO[bytes]) -> Verdict: ...


class ClamdScanner:
    """ClamAV's clamd over its local socket, with the INSTREAM command."""

    name = "clamd"
    CHUNK = 64 * 1024

    def __init__(self, socket_path: str | None = None, timeout: float = 30.0) -> None:
        self.socket_path = socket_path or str(settings.EVIDENCE_CLAMD_SOCKET)
        self.timeout = timeout

    def scan(self, stream: IO[bytes]) -> Verdict:
        stream.seek(0)
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.settimeout(self.timeout)
                conn.connect(self.socket_path)
                conn.sendall(b"zINSTREAM\0")
                while chunk := stream.read(self.CHUNK):
                    conn.sendall(struct.pack("!L", len(chunk)) + chunk)
                conn.sendall(struct.pack("!L", 0))
                reply = b""
                while not reply.endswith(b"\0"):
                    part = conn.recv(4096)
                    if not part:
                        break
                    reply += part
        except OSError as error:
            raise ScannerUnavailable(f"clamd at {self.socket_path}: {error}") from None
        finally:
            stream.seek(0)
        answer = reply.rstrip(b"\0").decode("utf-8", "replace").strip()
        # "stream: OK", "stream: Eicar-Test-Signature FOUND", "... ERROR"
        if answer.endswith(" OK"):
            return Verdict(clean=True)
        if answer.endswith(" FOUND"):
            found = answer.removeprefix("stream:").removesuffix("FOUND").strip()
            return Verdict(clean=False, signature=found)
        raise ScannerUnavailable(f"clamd answered {answer!r}")


def scanner() -> Scanner | None:
    """The configured scanner, or None when evidence is not scanned (EVIDENCE_SCANNER empty)."""
    configured = str(getattr(settings, "EVIDENCE_SCANNER", "") or "")
    if not configured:
        return None
    if configured == "clamd":
        return ClamdScanner()
    found: Scanner = import_string(configured)()
    return found
