"""Logs are JSON lines with timestamp, level and request id; refusals log no traceback."""

from __future__ import annotations

import io
import json
import logging
import sys

import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import path

from escalate.config import logging_config
from escalate.directory.tests.factories import PersonFactory
from escalate.operations.logs import ClientErrorWithoutTraceback, JsonFormatter, RequestIdFilter
from escalate.urls import urlpatterns as project_urls
from escalate.web.testing import sign_in

pytestmark = pytest.mark.django_db


def _forbidden(request):
    raise PermissionDenied


def _explode(request):
    logging.getLogger("escalate.test").info("about to fail")
    raise RuntimeError("boom")


def _logs(request):
    logging.getLogger("escalate.test").warning("hello %s", "there", extra={"attempt": 3})
    return HttpResponse("ok")


urlpatterns = [
    *project_urls,
    path("test-only/forbidden/", _forbidden),
    path("test-only/explode/", _explode),
    path("test-only/logs/", _logs),
]
handler500 = "escalate.operations.views.server_error"


@pytest.fixture
def captured():
    """Every log record, formatted as production formats it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    handler.addFilter(ClientErrorWithoutTraceback())
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(old_level)


@override_settings(ROOT_URLCONF=__name__)
def test_a_log_line_has_timestamp_level_request_id_and_extras(captured) -> None:
    client = Client()
    sign_in(client, PersonFactory())
    response = client.get("/test-only/logs/")
    [line] = [entry for entry in captured() if entry["logger"] == "escalate.test"]
    assert line["level"] == "WARNING"
    assert line["message"] == "hello there"
    assert line["attempt"] == 3
    assert line["timestamp"].endswith("+00:00")
    assert line["request_id"] == response["X-Request-ID"]
    assert len(line["request_id"]) == 32


@override_settings(ROOT_URLCONF=__name__)
def test_a_refusal_is_one_line_without_traceback(captured) -> None:
    client = Client()
    sign_in(client, PersonFactory())
    assert client.get("/test-only/forbidden/").status_code == 403
    refusals = [entry for entry in captured() if entry["logger"] == "django.request"]
    assert refusals, "the refusal is still logged"
    assert all("exception" not in entry for entry in refusals)


@override_settings(ROOT_URLCONF=__name__)
def test_the_error_page_shows_the_request_id_that_the_log_has(captured) -> None:
    client = Client(raise_request_exception=False)
    sign_in(client, PersonFactory())
    response = client.get("/test-only/explode/")
    assert response.status_code == 500
    request_id = response["X-Request-ID"]
    assert request_id in response.content.decode()
    errors = [entry for entry in captured() if entry["logger"] == "django.request"]
    assert errors[0]["request_id"] == request_id
    assert "RuntimeError" in errors[0]["exception"]  # a real error keeps its traceback


def test_not_found_is_logged_with_the_request_id(captured) -> None:
    client = Client()
    sign_in(client, PersonFactory())
    response = client.get("/escalations/NOPE-2026-0001/")
    assert response.status_code == 404
    [line] = [entry for entry in captured() if entry["message"].startswith("Not Found")]
    assert line["request_id"] == response["X-Request-ID"]
    assert "exception" not in line


def test_logging_config_formats_json_lines() -> None:
    config = logging_config(log_format="json", level="INFO")
    assert config["handlers"]["console"]["formatter"] == "json"  # type: ignore[index]
    record = logging.makeLogRecord({"msg": "x", "levelname": "INFO", "name": "n"})
    record.exc_info = None
    assert json.loads(JsonFormatter().format(record))["message"] == "x"


def test_a_real_traceback_is_kept_in_json() -> None:
    try:
        raise ValueError("bad")
    except ValueError:
        record = logging.makeLogRecord(
            {"msg": "failed", "levelname": "ERROR", "name": "n", "exc_info": sys.exc_info()}
        )
    assert "ValueError" in json.loads(JsonFormatter().format(record))["exception"]
