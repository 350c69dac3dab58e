"""The API's JSON parser: text the database can store, or a 400 before any view runs.

A lone surrogate ("\\ud90a") is valid JSON but cannot be encoded as UTF-8, and PostgreSQL refuses
NUL in text; either would otherwise reach the database and end in a 500.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.parser import Parser
from ninja.types import DictStrAny


def _check(value: Any) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text must not contain NUL characters")
        value.encode("utf-8")  # UnicodeEncodeError (a ValueError) on lone surrogates
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(key)
            _check(item)
    elif isinstance(value, list):
        for item in value:
            _check(item)


class StorableTextParser(Parser):
    def parse_body(self, request: HttpRequest) -> DictStrAny:
        data = super().parse_body(request)
        _check(data)
        return data
