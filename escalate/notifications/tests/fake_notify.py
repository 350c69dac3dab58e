"""A local stand-in for GOV.UK Notify's HTTP API (POST /v2/notifications/email), for tests.

It checks what the real service checks that matters to us: the JWT signed with the API key's
secret and issued by its service id, a known template, an email address and the template's
personalisation, and answers in Notify's shapes (201 with an id; errors as {"errors": [...]}).
"""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from notifications_python_client.authentication import decode_jwt_token, get_token_issuer
from notifications_python_client.errors import TokenError

SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"
API_KEY = f"escalate_test-{SERVICE_ID}-{SECRET}"
TEMPLATE_ID = "f33517ff-2a88-4f6e-b855-c550268ce08a"


class FakeNotify:
    def __init__(self) -> None:
        self.api_key = API_KEY
        self.template_id = TEMPLATE_ID
        # Each known template's id and the placeholders it needs (the generic one's, by default).
        self.templates: dict[str, list[str]] = {TEMPLATE_ID: ["subject", "body"]}
        self.sent: list[dict[str, Any]] = []
        self.fail_with: int | None = None  # answer every request with this status
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _error(self, status: int, error: str, message: str) -> None:
                self._answer(
                    status,
                    {"errors": [{"error": error, "message": message}], "status_code": status},
                )

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                payload = self.rfile.read(length)
                if fake.fail_with is not None:
                    self._error(fake.fail_with, "Exception", "Internal server error")
                    return
                if self.path != "/v2/notifications/email":
                    self._error(404, "NotFound", "Not found")
                    return
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                try:
                    if get_token_issuer(token) != SERVICE_ID:
                        raise TokenError("Invalid token: service id")
                    decode_jwt_token(token, SECRET)
                except TokenError as error:
                    self._error(403, "AuthError", error.message)
                    return
                body = json.loads(payload or b"{}")
                required = fake.templates.get(str(body.get("template_id")))
                if required is None:
                    self._error(400, "BadRequestError", "Template not found")
                    return
                if "@" not in str(body.get("email_address", "")):
                    self._error(400, "ValidationError", "email_address Not a valid email address")
                    return
                personalisation = body.get("personalisation") or {}
                missing = [key for key in required if key not in personalisation]
                if missing:
                    self._error(
                        400, "BadRequestError", f"Missing personalisation: {', '.join(missing)}"
                    )
                    return
                notification_id = str(uuid.uuid4())
                fake.sent.append({"id": notification_id, **body})
                self._answer(
                    201,
                    {
                        "id": notification_id,
                        "reference": body.get("reference"),
                        "content": {
                            "subject": personalisation.get("subject", ""),
                            "body": personalisation.get("body", ""),
                            "from_email": "escalate@notifications.service.gov.uk",
                        },
                        "uri": f"{fake.base_url}/v2/notifications/{notification_id}",
                        "template": {"id": TEMPLATE_ID, "version": 1, "uri": ""},
                    },
                )

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
