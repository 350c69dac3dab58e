"""The record for the child's file as JSON: the same content as the files, audited with a reason."""

from __future__ import annotations

from typing import Any

import pytest

from escalate.api.tests.support import api_as, error_of
from escalate.audit.models import AuditEvent
from escalate.directory.tests.factories import PersonFactory
from escalate.escalations.tests.views_support import cast, raise_one
from escalate.reports.record import build_record

pytestmark = pytest.mark.django_db


def test_the_record_as_json_is_the_records_content_and_is_audited_with_the_reason() -> None:
    people = cast()
    escalation = raise_one(people)
    api = api_as(people.raiser, ["escalations:read"])
    response = api.post(f"/escalations/{escalation.reference}/record", {"reason": "For our CMS"})
    assert response.status_code == 200
    body = response.json()
    expected = build_record(escalation).model_dump(mode="json")
    for key in ("reference", "partnership", "policy", "concern", "people", "stages", "outcome"):
        assert _without_instants(body[key]) == _without_instants(expected[key]), key
    assert body["partnership"] == people.raiser.partnership.name
    assert {"label": "Child's name", "value": "Alex Example"}.items() <= next(
        fact for fact in body["concern"] if fact["key"] == "subject_name"
    ).items()
    event = AuditEvent.objects.get(action="export_escalation_record_json")
    assert (event.reason, event.object_reference, event.actor) == (
        "For our CMS",
        escalation.reference,
        people.raiser,
    )


def _without_instants(value: Any) -> Any:
    """The API writes instants to the millisecond; the facts' wording is what must match."""
    if isinstance(value, dict):
        return {k: _without_instants(v) for k, v in value.items() if k != "occurred_at"}
    if isinstance(value, list):
        return [_without_instants(v) for v in value]
    return value


def test_no_reason_or_a_short_one_is_refused_and_nothing_is_audited() -> None:
    people = cast()
    escalation = raise_one(people)
    api = api_as(people.raiser, ["escalations:read"])
    path = f"/escalations/{escalation.reference}/record"
    missing = api.post(path, {})
    assert missing.status_code == 422
    assert error_of(missing)["field"] == "reason"
    short = api.post(path, {"reason": "  ab "})
    assert short.status_code == 422
    assert error_of(short)["message"] == "Reason must be at least 5 characters."
    assert api.post(path, {"reason": 12345}).status_code == 422
    assert not AuditEvent.objects.filter(action__startswith="export_").exists()


def test_someone_who_may_not_see_the_escalation_gets_404_as_for_no_escalation() -> None:
    people = cast()
    escalation = raise_one(people)
    outsider = api_as(PersonFactory(agency=people.raiser.agency), ["escalations:read"])
    hidden = outsider.post(f"/escalations/{escalation.reference}/record", {"reason": "Curious"})
    missing = outsider.post("/escalations/NOPE-2026-0001/record", {"reason": "Curious"})
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    elsewhere = api_as(cast().raiser, ["escalations:read"])
    other = elsewhere.post(f"/escalations/{escalation.reference}/record", {"reason": "Curious"})
    assert other.status_code == 404
    assert api_as(people.raiser, ["reports:read"]).post(
        f"/escalations/{escalation.reference}/record", {"reason": "Wrong scope"}
    ).status_code in (401, 403)
    assert not AuditEvent.objects.filter(action__startswith="export_").exists()
