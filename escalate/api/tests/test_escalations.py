"""Every escalation operation of the API goes through the same selectors and services."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from escalate.api.tests.support import api_as, error_of
from escalate.audit.models import AuditEvent
from escalate.directory.tests.factories import AgencyFactory, PersonFactory
from escalate.escalations.models import Action, ChronologyEntry, EntryKind, Escalation, Status
from escalate.escalations.tests.views_support import cast, raise_one

pytestmark = pytest.mark.django_db


def _discussion(version: int, **changes: Any) -> dict[str, Any]:
    body = {
        "expected_version": version,
        "held_on": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "with_whom": "Sam and the class teacher",
        "method": "phone",
        "summary": "We went through the referral together.",
        "outcome": "Agreed to review the decision.",
    }
    body.update(changes)
    return body


def _raise_body(people: Any, **changes: Any) -> dict[str, Any]:
    body = {
        "respondent_agency_id": people.respondent.agency_id,
        "respondent_person_id": people.respondent.pk,
        "subject_name": "Alex Example",
        "categories": ["threshold"],
        "disputed": "The referral was closed.",
        "risk": "Neglect continues.",
        "outcome_wanted": "A strategy discussion.",
    }
    body.update(changes)
    return body


def test_raising_through_the_api_is_the_services_raise() -> None:
    people = cast()
    response = api_as(people.raiser).post("/escalations", _raise_body(people))
    assert response.status_code == 201, response.content
    body = response.json()
    escalation = Escalation.objects.get(reference=body["reference"])
    assert escalation.raised_by == people.raiser
    assert escalation.respondent_person == people.respondent
    assert body["status"] == "open" and body["stage_key"] == "stage_1"
    assert ChronologyEntry.objects.filter(escalation=escalation, kind=EntryKind.RAISED).exists()


def test_a_raise_refused_by_the_rules_names_the_field() -> None:
    people = cast()
    response = api_as(people.raiser).post(
        "/escalations", _raise_body(people, categories=["not-a-category"])
    )
    assert response.status_code == 422
    assert error_of(response) == {
        "code": "refused",
        "message": "Choose categories from the list.",
        "field": "categories",
    }
    assert not Escalation.objects.exists()


def test_ids_outside_the_partnership_are_refused_like_ids_that_do_not_exist() -> None:
    people = cast()
    elsewhere = PersonFactory()  # another partnership
    api = api_as(people.raiser)
    other_agency = api.post(
        "/escalations", _raise_body(people, respondent_agency_id=elsewhere.agency_id)
    )
    missing_agency = api.post("/escalations", _raise_body(people, respondent_agency_id=999999))
    assert other_agency.status_code == missing_agency.status_code == 422
    assert error_of(other_agency) == error_of(missing_agency)
    assert error_of(other_agency)["field"] == "respondent_agency_id"
    other_person = api.post("/escalations", _raise_body(people, respondent_person_id=elsewhere.pk))
    assert other_person.status_code == 422
    assert error_of(other_person)["field"] == "respondent_person_id"
    escalation = raise_one(people)
    owner_elsewhere = api.post(
        f"/escalations/{escalation.reference}/actions",
        {
            "owner_id": elsewhere.pk,
            "description": "Share the plan",
            "due_on": (timezone.localdate() + timedelta(days=3)).isoformat(),
        },
    )
    assert owner_elsewhere.status_code == 422
    assert error_of(owner_elsewhere)["field"] == "owner_id"
    assert Escalation.objects.count() == 1
    assert not Action.objects.exists()


def test_reading_an_escalation_is_audited_like_the_page() -> None:
    people = cast()
    escalation = raise_one(people)
    response = api_as(people.respondent).get(f"/escalations/{escalation.reference}")
    assert response.status_code == 200
    body = response.json()
    assert body["reference"] == escalation.reference
    assert body["subject_name"] == "Alex Example"
    assert "give_rationale" in body["allowed_actions"]
    assert next(entry["kind"] for entry in body["timeline"]) == "raised"
    viewed = AuditEvent.objects.get(action="escalation_viewed")
    assert viewed.actor == people.respondent
    assert viewed.object_id == str(escalation.pk)


def test_another_partnerships_escalation_is_the_same_404_as_a_missing_one() -> None:
    people = cast()
    escalation = raise_one(people)
    outsider = PersonFactory()
    unrelated_colleague = PersonFactory(agency=AgencyFactory(partnership=people.raiser.partnership))
    for person in (outsider, unrelated_colleague):
        api = api_as(person)
        hidden = api.get(f"/escalations/{escalation.reference}")
        missing = api.get("/escalations/NOPE-2026-9999")
        assert hidden.status_code == missing.status_code == 404
        assert hidden.content == missing.content
        assert error_of(hidden)["code"] == "not_found"
        acting = api.post(
            f"/escalations/{escalation.reference}/pause",
            {"expected_version": escalation.version, "reason": "Waiting."},
        )
        assert acting.status_code == 404 and acting.content == missing.content
        assert api.get(f"/escalations/{escalation.reference}/actions").status_code == 404
        assert api.get("/escalations").json()["count"] == 0
    escalation.refresh_from_db()
    assert escalation.status == Status.OPEN
    refused = AuditEvent.objects.filter(action="access_refused", actor=outsider)
    assert refused.exists()


def test_list_filters_and_pages() -> None:
    people = cast()
    first = raise_one(people)
    second = raise_one(people, subject_name="Billie Example")
    third = raise_one(people, subject_name="Charlie Example")
    api_as(people.raiser).post(
        f"/escalations/{second.reference}/withdraw",
        {"expected_version": second.version, "reason": "Sorted out informally."},
    )
    api = api_as(people.raiser)
    everything = api.get("/escalations").json()
    assert everything["count"] == 3
    assert [row["reference"] for row in everything["results"]] == [
        third.reference,
        second.reference,
        first.reference,
    ]
    page_two = api.get("/escalations", page=2, page_size=2).json()
    assert page_two["count"] == 3 and [r["reference"] for r in page_two["results"]] == [
        first.reference
    ]
    withdrawn = api.get("/escalations", status="withdrawn").json()
    assert [row["reference"] for row in withdrawn["results"]] == [second.reference]
    waiting = api_as(people.respondent).get("/escalations", view="waiting").json()
    assert {row["reference"] for row in waiting["results"]} == {first.reference, third.reference}
    bad = api.get("/escalations", status="lost")
    assert bad.status_code == 422 and error_of(bad)["field"] == "status"
    too_big = api.get("/escalations", page_size=1000)
    assert too_big.status_code == 422 and error_of(too_big)["field"] == "page_size"


def test_discussion_rationale_request_and_answer() -> None:
    people = cast()
    escalation = raise_one(people)
    raiser = api_as(people.raiser)
    done = raiser.post(f"/escalations/{escalation.reference}/discussions", _discussion(1))
    assert done.status_code == 200, done.content
    assert done.json()["version"] == 2
    asked = raiser.post(
        f"/escalations/{escalation.reference}/rationale-requests",
        {"expected_version": 2, "message": "Please explain the threshold decision."},
    )
    assert asked.status_code == 200, asked.content
    answered = api_as(people.respondent).post(
        f"/escalations/{escalation.reference}/rationale",
        {"expected_version": 3, "rationale": "Threshold not met."},
    )
    assert answered.status_code == 200, answered.content
    kinds = list(
        ChronologyEntry.objects.filter(escalation=escalation).values_list("kind", flat=True)
    )
    for kind in (EntryKind.DISCUSSION, EntryKind.RATIONALE_REQUESTED, EntryKind.RATIONALE):
        assert kind in kinds


def test_a_future_discussion_is_refused_by_the_rules_with_its_field() -> None:
    people = cast()
    escalation = raise_one(people)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = api_as(people.raiser).post(
        f"/escalations/{escalation.reference}/discussions", _discussion(1, held_on=tomorrow)
    )
    assert response.status_code == 422
    assert error_of(response)["field"] == "held_on"
    assert "today or in the past" in error_of(response)["message"]


def test_a_stale_version_is_a_409() -> None:
    people = cast()
    escalation = raise_one(people)
    api = api_as(people.raiser)
    assert (
        api.post(f"/escalations/{escalation.reference}/discussions", _discussion(1)).status_code
        == 200
    )
    stale = api.post(f"/escalations/{escalation.reference}/discussions", _discussion(1))
    assert stale.status_code == 409
    assert error_of(stale)["code"] == "stale"


def test_pause_resume_escalate_and_resolve_with_an_action() -> None:
    people = cast()
    escalation = raise_one(people)
    api = api_as(people.raiser)
    ref = escalation.reference
    paused = api.post(
        f"/escalations/{ref}/pause", {"expected_version": 1, "reason": "Strategy meeting."}
    )
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    resumed = api.post(f"/escalations/{ref}/resume", {"expected_version": 2, "reason": "Met."})
    assert resumed.status_code == 200 and resumed.json()["status"] == "open"
    refused = api.post(f"/escalations/{ref}/escalate", {"expected_version": 3, "reason": "No."})
    assert refused.status_code == 422  # stage 1 needs a discussion first
    assert "discussion" in error_of(refused)["message"]
    api.post(f"/escalations/{ref}/discussions", _discussion(3))
    moved = api.post(f"/escalations/{ref}/escalate", {"expected_version": 4, "reason": "Stuck."})
    assert moved.status_code == 200, moved.content
    assert moved.json()["stage_key"] == "stage_2"
    due = (timezone.localdate() + timedelta(days=5)).isoformat()
    resolved = api_as(people.raiser_manager).post(
        f"/escalations/{ref}/resolve",
        {
            "expected_version": moved.json()["version"],
            "decision": "A strategy discussion will be held.",
            "decided_by": "Both team managers",
            "learning": "Share the threshold document.",
            "learning_themes": ["thresholds"],
            "actions": [
                {"owner_id": people.respondent.pk, "description": "Hold it", "due_on": due}
            ],
        },
    )
    assert resolved.status_code == 200, resolved.content
    body = resolved.json()
    assert body["status"] == "resolved"
    assert body["learning_themes"] == ["thresholds"]
    assert [action["description"] for action in body["actions"]] == ["Hold it"]


def test_an_action_owner_outside_the_partnership_is_bad_input_naming_the_row() -> None:
    people = cast()
    escalation = raise_one(people)
    stranger = PersonFactory()  # another partnership
    due = (timezone.localdate() + timedelta(days=5)).isoformat()
    for owner_id in (stranger.pk, 15815362):
        response = api_as(people.raiser).post(
            f"/escalations/{escalation.reference}/resolve",
            {
                "expected_version": 1,
                "decision": "Agreed.",
                "decided_by": "Both of us",
                "learning": "Talk sooner.",
                "actions": [{"owner_id": owner_id, "description": "Do it", "due_on": due}],
            },
        )
        assert response.status_code == 422, response.content
        error = error_of(response)
        assert error["field"] == "actions.0.owner_id"
        assert "works in your partnership" in error["message"]


def test_withdraw() -> None:
    people = cast()
    escalation = raise_one(people)
    response = api_as(people.raiser).post(
        f"/escalations/{escalation.reference}/withdraw",
        {"expected_version": 1, "reason": "Resolved informally."},
    )
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    not_allowed = api_as(people.respondent).post(
        f"/escalations/{escalation.reference}/withdraw",
        {"expected_version": 2, "reason": "Mine now."},
    )
    assert not_allowed.status_code == 422
    assert error_of(not_allowed)["code"] == "refused"


def test_actions_are_added_listed_and_marked_done() -> None:
    people = cast()
    escalation = raise_one(people)
    due = (timezone.localdate() + timedelta(days=2)).isoformat()
    added = api_as(people.raiser).post(
        f"/escalations/{escalation.reference}/actions",
        {"owner_id": people.respondent.pk, "description": "Send the plan", "due_on": due},
    )
    assert added.status_code == 201, added.content
    action_id = added.json()["id"]
    owner = api_as(people.respondent)
    mine = owner.get("/actions").json()
    assert [row["id"] for row in mine["results"]] == [action_id]
    listed = owner.get(f"/escalations/{escalation.reference}/actions").json()
    assert [row["id"] for row in listed] == [action_id]
    done = owner.post(f"/actions/{action_id}/done", {"note": "Sent on Monday."})
    assert done.status_code == 200, done.content
    assert done.json()["done_at"] is not None
    again = owner.post(f"/actions/{action_id}/done", {"note": "Again."})
    assert again.status_code == 422
    assert (
        api_as(PersonFactory()).post(f"/actions/{action_id}/done", {"note": "x"}).status_code == 404
    )
    assert Action.objects.get(pk=action_id).done_note == "Sent on Monday."


def test_an_action_through_the_api_is_audited_by_the_service_with_where_it_came_from() -> None:
    people = cast()
    escalation = raise_one(people)
    api = api_as(people.raiser)
    api.client.defaults["REMOTE_ADDR"] = "192.0.2.10"
    response = api.post(
        f"/escalations/{escalation.reference}/pause",
        {"expected_version": escalation.version, "reason": "Waiting for the meeting."},
    )
    assert response.status_code == 200
    paused = AuditEvent.objects.get(action="escalation_paused")
    assert paused.actor == people.raiser
    assert paused.object_id == str(escalation.pk)
    assert paused.ip_address == "192.0.2.10"
