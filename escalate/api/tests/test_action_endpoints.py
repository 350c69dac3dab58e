"""Every action the pages offer is an API endpoint made from the same declaration: the panel,
views and corrections included, each with its refusals and bad input."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from escalate.api.tests.support import api_as, error_of
from escalate.directory.models import Level
from escalate.directory.tests.factories import AgencyFactory, PersonFactory
from escalate.escalations import workflow
from escalate.escalations.actions import DECLARATIONS
from escalate.escalations.models import ChronologyEntry, EntryKind, Panel, Status
from escalate.escalations.tests.views_support import Cast, cast, raise_one

pytestmark = pytest.mark.django_db


def test_every_action_of_the_core_is_declared_once_and_is_an_api_operation() -> None:
    names = [declaration.name for declaration in DECLARATIONS]
    assert sorted(names) == sorted(workflow.ACTION_NAMES)
    schema = Client().get("/api/v1/openapi.json").json()
    operations = {
        operation["operationId"]
        for methods in schema["paths"].values()
        for operation in methods.values()
    }
    assert set(names) <= operations


def _panel_cast() -> tuple[Cast, Any]:
    """A one-stage policy (its only stage is the panel stage) and the partnership chair."""
    people = cast(stage_count=1, access_roles=["business_manager", "partnership_chair"])
    unit = AgencyFactory(partnership=people.raiser.partnership, name="Business unit")
    chair = PersonFactory(agency=unit, level=Level.STRATEGIC, roles=["partnership_chair"])
    return people, chair


def test_the_panel_is_convened_hears_representations_and_decides() -> None:
    people, chair = _panel_cast()
    escalation = raise_one(people)
    ref = escalation.reference
    members = [people.raiser_manager.pk, people.respondent_manager.pk]
    # Only the chair convenes.
    refused = api_as(people.raiser).post(
        f"/escalations/{ref}/panel", {"expected_version": 1, "member_ids": members}
    )
    assert refused.status_code == 422 and error_of(refused)["code"] == "refused"
    assert "partnership chair" in error_of(refused)["message"]
    convened = api_as(chair).post(
        f"/escalations/{ref}/panel", {"expected_version": 1, "member_ids": members}
    )
    assert convened.status_code == 200, convened.content
    assert Panel.objects.get(escalation=escalation).members.count() == 2
    assert "record_panel_decision" in convened.json()["allowed_actions"]
    version = convened.json()["version"]
    # Convening twice is refused by the core; a stale version first of all.
    again = api_as(chair).post(
        f"/escalations/{ref}/panel", {"expected_version": version, "member_ids": members}
    )
    assert again.status_code == 422 and "already been convened" in error_of(again)["message"]
    stale = api_as(chair).post(
        f"/escalations/{ref}/panel/representations",
        {"expected_version": 1, "agency_id": people.respondent.agency_id, "summary": "Ours"},
    )
    assert stale.status_code == 409 and error_of(stale)["code"] == "stale"

    heard = api_as(people.respondent_manager).post(
        f"/escalations/{ref}/panel/representations",
        {
            "expected_version": version,
            "agency_id": people.respondent.agency_id,
            "summary": "Our threshold decision was sound.",
        },
    )
    assert heard.status_code == 200, heard.content
    version = heard.json()["version"]
    entry = ChronologyEntry.objects.get(escalation=escalation, kind=EntryKind.REPRESENTATION)
    assert entry.data["agency_id"] == people.respondent.agency_id

    due = (timezone.localdate() + timedelta(days=10)).isoformat()
    # The panel decides together: a member who is not its lead does not record it alone.
    alone = api_as(people.raiser_manager).post(
        f"/escalations/{ref}/panel/decision",
        {
            "expected_version": version,
            "decision": "Ours",
            "learning": "None",
            "members_present_ids": members,
        },
    )
    assert alone.status_code == 422 and "panel decides together" in error_of(alone)["message"]
    decided = api_as(chair).post(
        f"/escalations/{ref}/panel/decision",
        {
            "expected_version": version,
            "members_present_ids": members,
            "decision": "A strategy discussion is held.",
            "learning": "Talk sooner.",
            "learning_themes": ["thresholds", " "],
            "actions": [
                {"owner_id": people.respondent.pk, "description": "Hold it", "due_on": due}
            ],
        },
    )
    assert decided.status_code == 200, decided.content
    body = decided.json()
    assert body["status"] == Status.RESOLVED
    assert body["learning_themes"] == ["thresholds"]
    assert [action["description"] for action in body["actions"]] == ["Hold it"]


def test_a_panel_of_practitioners_or_strangers_is_bad_input_naming_the_field() -> None:
    people, chair = _panel_cast()
    escalation = raise_one(people)
    ref = escalation.reference
    api = api_as(chair)
    elsewhere = PersonFactory(level=Level.SENIOR_MANAGER)  # another partnership
    for member_ids in (
        [people.raiser.pk, people.respondent_manager.pk],  # a practitioner
        [elsewhere.pk, people.respondent_manager.pk],
        [9_000_000, people.respondent_manager.pk],
    ):
        response = api.post(
            f"/escalations/{ref}/panel", {"expected_version": 1, "member_ids": member_ids}
        )
        assert response.status_code == 422
        assert error_of(response)["field"] == "member_ids"
    for body in (
        {"expected_version": 1, "member_ids": []},
        {"expected_version": 1, "member_ids": ["x"]},
        {"expected_version": 1},
        {"member_ids": [people.raiser_manager.pk]},
    ):
        response = api.post(f"/escalations/{ref}/panel", body)
        assert response.status_code == 422, body
        assert error_of(response)["code"] == "invalid"
    assert not Panel.objects.filter(escalation=escalation).exists()


def test_representations_and_decisions_need_a_panel_and_a_partnership_agency() -> None:
    people, chair = _panel_cast()
    escalation = raise_one(people)
    ref = escalation.reference
    none_yet = api_as(people.raiser).post(
        f"/escalations/{ref}/panel/representations",
        {"expected_version": 1, "agency_id": people.raiser.agency_id, "summary": "Ours"},
    )
    assert none_yet.status_code == 422 and error_of(none_yet)["code"] == "refused"
    other_agency = AgencyFactory()
    wrong = api_as(people.raiser).post(
        f"/escalations/{ref}/panel/representations",
        {"expected_version": 1, "agency_id": other_agency.pk, "summary": "Ours"},
    )
    assert wrong.status_code == 422 and error_of(wrong)["field"] == "agency_id"
    no_panel = api_as(chair).post(
        f"/escalations/{ref}/panel/decision",
        {
            "expected_version": 1,
            "decision": "x",
            "learning": "y",
            "members_present_ids": [people.raiser_manager.pk],
        },
    )
    assert no_panel.status_code == 422 and error_of(no_panel)["code"] == "refused"


def test_an_iro_adds_a_view_and_others_are_refused() -> None:
    people = cast(access_roles=["business_manager", "iro"])
    escalation = raise_one(people)
    iro = PersonFactory(agency=people.respondent.agency, level=Level.LINE_MANAGER, roles=["iro"])
    ref = escalation.reference
    added = api_as(iro).post(f"/escalations/{ref}/views", {"view": "The plan is not working."})
    assert added.status_code == 200, added.content
    assert added.json()["timeline"][-1]["text"] == "The plan is not working."
    refused = api_as(people.raiser).post(f"/escalations/{ref}/views", {"view": "Mine"})
    assert refused.status_code == 422 and error_of(refused)["code"] == "refused"
    empty = api_as(iro).post(f"/escalations/{ref}/views", {"view": ""})
    assert empty.status_code == 422 and error_of(empty)["field"] == "view"
    outsider = api_as(PersonFactory(roles=["iro"])).post(f"/escalations/{ref}/views", {"view": "x"})
    assert outsider.status_code == 404


def test_only_the_author_corrects_an_entry_and_the_original_is_kept() -> None:
    people = cast()
    escalation = raise_one(people)
    ref = escalation.reference
    raised = ChronologyEntry.objects.get(escalation=escalation, kind=EntryKind.RAISED)
    path = f"/escalations/{ref}/timeline/{raised.pk}/corrections"
    corrected = api_as(people.raiser).post(path, {"correction": "The referral was in May."})
    assert corrected.status_code == 200, corrected.content
    correction = ChronologyEntry.objects.get(escalation=escalation, kind=EntryKind.CORRECTION)
    assert correction.corrects_id == raised.pk
    assert [e["corrects_id"] for e in corrected.json()["timeline"]][-1] == raised.pk
    not_author = api_as(people.respondent).post(path, {"correction": "No."})
    assert not_author.status_code == 422 and error_of(not_author)["code"] == "refused"
    assert api_as(people.raiser).post(path, {"correction": ""}).status_code == 422
    assert api_as(people.raiser).post(path, {}).status_code == 422
    other = raise_one(people)
    wrong_escalation = api_as(people.raiser).post(
        f"/escalations/{other.reference}/timeline/{raised.pk}/corrections", {"correction": "x"}
    )
    assert wrong_escalation.status_code == 404
    stranger = api_as(PersonFactory()).post(path, {"correction": "x"})
    assert stranger.status_code == 404
    assert ChronologyEntry.objects.filter(kind=EntryKind.CORRECTION).count() == 1
