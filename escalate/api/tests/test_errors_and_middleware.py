"""Every 4xx under /api/v1/ is the same JSON shape; the site's middleware behaves for the API."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from escalate.api.tests.support import Api, api_as, error_of
from escalate.directory.tests.factories import PersonFactory
from escalate.escalations.tests.views_support import cast, raise_one

pytestmark = pytest.mark.django_db


def test_each_4xx_has_the_stable_shape(settings) -> None:
    settings.API_RATE_LIMIT = "100/minute"
    person = PersonFactory()
    api = api_as(person)
    answers = {
        400: api.client.post(
            "/api/v1/escalations",
            "{not json",
            content_type="application/json",
            headers=api.headers,
        ),
        401: Api(None).get("/escalations"),
        403: api_as(person, ["directory:read"]).get("/escalations"),
        404: api.get("/escalations/RIV-2026-0001"),
        405: api.client.delete("/api/v1/escalations", headers=api.headers),
        422: api.post("/escalations", {"respondent_agency_id": "not a number"}),
    }
    for status, response in answers.items():
        assert response.status_code == status, (status, response.content)
        error_of(response)
    assert answers[405]["Allow"]
    assert error_of(answers[422])["field"] == "respondent_agency_id"
    settings.API_RATE_LIMIT = "1/minute"
    limited = api_as(person)
    limited.get("/escalations")
    too_many = limited.get("/escalations")
    assert too_many.status_code == 429 and error_of(too_many)["code"] == "rate_limited"


def test_a_body_over_the_size_limit_is_a_json_413() -> None:
    api = api_as(PersonFactory())
    response = api.client.post(
        "/api/v1/escalations",
        '{"disputed": "' + "x" * 3_000_000 + '"}',
        content_type="application/json",
        headers=api.headers,
    )
    assert response.status_code == 413
    assert error_of(response)["code"] == "too_large"


def test_unknown_addresses_under_the_api_are_json_404s() -> None:
    for client, path in (
        (Client(), "/api/v1/nothing-here"),
        (Client(), "/api/v1/escalations/a/b/c"),
    ):
        response = client.get(path)
        assert response.status_code == 404
        error_of(response)


def test_a_token_request_needs_no_csrf_token() -> None:
    people = cast()
    escalation = raise_one(people)
    api = api_as(people.raiser)
    api.client = Client(enforce_csrf_checks=True)
    response = api.post(
        f"/escalations/{escalation.reference}/pause",
        {"expected_version": escalation.version, "reason": "Waiting for the meeting."},
    )
    assert response.status_code == 200, response.content


def test_a_session_alone_does_not_reach_the_api(settings) -> None:
    settings.ESCALATE_REQUIRE_MFA = True
    client = Client()
    client.force_login(PersonFactory())  # signed in, no code given
    response = client.get("/api/v1/escalations")
    assert response.status_code == 401
    error_of(response)


def test_api_answers_carry_the_security_headers() -> None:
    for response in (Api(None).get("/escalations"), api_as(PersonFactory()).get("/escalations")):
        assert "no-store" in response["Cache-Control"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "default-src 'self'" in response["Content-Security-Policy"]


def test_validation_errors_name_nested_fields() -> None:
    people = cast()
    escalation = raise_one(people)
    response = api_as(people.raiser).post(
        f"/escalations/{escalation.reference}/resolve",
        {
            "expected_version": 1,
            "decision": "x",
            "decided_by": "x",
            "learning": "x",
            "actions": [{"owner_id": people.respondent.pk, "description": "x", "due_on": "soon"}],
        },
    )
    assert response.status_code == 422
    assert error_of(response)["field"] == "actions.0.due_on"
    assert json.loads(response.content)["error"]["message"].startswith("actions.0.due_on")
