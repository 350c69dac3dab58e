"""Text the database cannot store is refused as a 400 before any view runs (no 500)."""

from __future__ import annotations

import pytest
from django.http import HttpRequest

from escalate.api.parser import StorableTextParser


def _request(body: bytes) -> HttpRequest:
    request = HttpRequest()
    request._body = body
    return request


@pytest.mark.parametrize(
    "body",
    [
        b'{"decision": "a\\ud90a b"}',  # a lone surrogate in a value
        b'{"k\\ud800": 1}',  # in a key
        b'{"actions": [{"description": "\\udb98"}]}',  # nested in a list
        b'{"decision": "a\\u0000b"}',  # NUL
    ],
)
def test_unstorable_text_is_refused(body: bytes) -> None:
    with pytest.raises(ValueError):
        StorableTextParser().parse_body(_request(body))


def test_ordinary_text_and_control_characters_other_than_nul_pass() -> None:
    data = StorableTextParser().parse_body(
        _request(b'{"decision": "Agreed \\u001b \\ud83d\\ude00"}')
    )
    assert data["decision"].startswith("Agreed")
