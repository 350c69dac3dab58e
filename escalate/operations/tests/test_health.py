"""The load balancer's probes: answered over plain HTTP, for any host, with what is reachable."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


@override_settings(SECURE_SSL_REDIRECT=True, ALLOWED_HOSTS=["escalate.example.org"])
@pytest.mark.parametrize("path", ["/health/live/", "/health/ready/"])
def test_probe_over_plain_http_by_machine_address_is_answered(path: str) -> None:
    # A probe arrives as http://10.0.0.5/… : not HTTPS, and not an allowed host.
    response = Client().get(path, HTTP_HOST="10.0.0.5")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@override_settings(SECURE_SSL_REDIRECT=True, ALLOWED_HOSTS=["escalate.example.org"])
def test_other_pages_still_check_host_and_redirect() -> None:
    refused = Client(raise_request_exception=False).get("/sign-in/", HTTP_HOST="10.0.0.5")
    assert refused.status_code >= 400  # DisallowedHost: never served
    response = Client().get("/sign-in/", HTTP_HOST="escalate.example.org")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


def test_ready_reports_each_check() -> None:
    body = Client().get("/health/ready/").json()
    assert set(body["checks"]) == {"database", "cache", "storage"}
    assert all(check["ok"] for check in body["checks"].values())
    assert body["background"]["alive"] == {"worker": 0, "scheduler": 0}


def test_ready_is_unavailable_when_the_cache_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ConnectionError("redis://secret-host:6379 refused")

    monkeypatch.setattr(cache, "set", broken)
    response = Client().get("/health/ready/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["cache"] == {
        "ok": False,
        "ms": body["checks"]["cache"]["ms"],
        "error": "ConnectionError",
    }
    assert "secret-host" not in json.dumps(body)  # no addresses in a public answer


def test_live_does_not_touch_the_database(django_assert_num_queries) -> None:
    with django_assert_num_queries(0):
        assert Client().get("/health/live/").status_code == 200


def test_probes_refuse_writes() -> None:
    assert Client().post("/health/ready/").status_code == 405
