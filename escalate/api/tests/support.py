"""Helpers for the API tests: a token for a person and a client that sends it."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from escalate.api import services
from escalate.api.models import Scope
from escalate.directory.models import Person

ALL_SCOPES = list(Scope.values)


def token_for(person: Person, scopes: list[str] | None = None) -> str:
    return services.create_token(by=person, name="Test link", scopes=scopes or ALL_SCOPES).secret


class Api:
    """A client for /api/v1/ that sends `token` as a Bearer token."""

    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params, headers=self.headers)

    def post(self, path: str, body: Any = None) -> Any:
        return self.client.post(
            f"/api/v1{path}",
            json.dumps(body if body is not None else {}),
            content_type="application/json",
            headers=self.headers,
        )


def api_as(person: Person, scopes: list[str] | None = None) -> Api:
    return Api(token_for(person, scopes))


def error_of(response: Any) -> dict[str, Any]:
    """The error object of a JSON error answer, checking the shape is the stable one."""
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "field"}, body
    assert body["error"]["code"] and body["error"]["message"]
    return body["error"]
