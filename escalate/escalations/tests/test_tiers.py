"""Tiers of management within a stage (issue 15, item 4; Havering 004 2.8: escalation continues
"through the appropriate tiers of management in each organisation until the matter is
resolved"): each side's next manager up joins the stage, is told, and the stage has a new due
date; the API and the page follow the same rule."""

from __future__ import annotations

import pytest
from django.urls import reverse

from escalate.api.tests.support import api_as, error_of
from escalate.audit.models import AuditEvent
from escalate.directory.models import Level
from escalate.directory.tests.factories import PersonFactory
from escalate.escalations import selectors, services
from escalate.escalations.models import EntryKind, Escalation, Participant
from escalate.escalations.tests.test_timescales import at_stage_2
from escalate.escalations.tests.test_views_stage import action_url
from escalate.escalations.tests.views_support import Cast, cast, signed_in
from escalate.notifications.models import Notification

pytestmark = pytest.mark.django_db


def senior_managers(people: Cast) -> tuple[object, object]:
    """Each line manager's own manager: the second tier of Stage 2."""
    above = []
    for manager in (people.raiser_manager, people.respondent_manager):
        senior = PersonFactory(agency=manager.agency, level=Level.SENIOR_MANAGER)
        manager.line_manager = senior
        manager.save(update_fields=["line_manager"])
        above.append(senior)
    return above[0], above[1]


def test_a_stage_with_one_tier_offers_no_next_tier() -> None:
    people = cast()
    escalation = at_stage_2(people)
    assert "move_up_tier" not in selectors.allowed_actions(escalation, people.raiser_manager)
    with pytest.raises(services.ActionRefused, match="one tier of management"):
        services.move_up_tier(
            escalation=escalation,
            by=people.raiser_manager,
            expected_version=escalation.version,
            reason="Directors",
        )


def test_each_side_moves_up_its_own_line_and_the_new_managers_are_told() -> None:
    people = cast(tiers={"stage_2": 2})
    school_head, care_head = senior_managers(people)
    escalation = at_stage_2(people)
    first_due = escalation.stage_due_at
    # Only the people at the stage may take it up; a reason is needed.
    assert "move_up_tier" in selectors.allowed_actions(escalation, people.respondent_manager)
    assert "move_up_tier" not in selectors.allowed_actions(escalation, school_head)
    with pytest.raises(services.ActionRefused) as refused:
        services.move_up_tier(
            escalation=escalation,
            by=people.respondent_manager,
            expected_version=escalation.version,
            reason=" ",
        )
    assert refused.value.field == "reason"
    moved = services.move_up_tier(
        escalation=escalation,
        by=people.respondent_manager,
        expected_version=escalation.version,
        reason="We could not agree; our heads of service must meet.",
    )
    entry = moved.chronology.get(kind=EntryKind.TIER_UP)
    assert entry.data["tier"] == 2 and entry.actor == people.respondent_manager
    # Each side's next manager up joins the stage, on their own side, and can act now.
    parts = dict(
        Participant.objects.filter(escalation=moved, stage_key="stage_2").values_list(
            "person", "part"
        )
    )
    assert parts[school_head.pk] == "raiser_manager"  # type: ignore[attr-defined]
    assert parts[care_head.pk] == "respondent_manager"  # type: ignore[attr-defined]
    assert "propose_resolution" in selectors.allowed_actions(moved, care_head)
    assert "escalate_to_next_stage" in selectors.allowed_actions(moved, school_head)
    # They are told, in words for them; the raiser and respondent hear it too.
    told = Notification.objects.filter(escalation=moved, event="tier_up")
    assert {n.recipient_id for n in told} >= {
        school_head.pk,  # type: ignore[attr-defined]
        care_head.pk,  # type: ignore[attr-defined]
        people.raiser.pk,
        people.respondent.pk,
    }
    to_head = told.filter(recipient=care_head).first()
    assert to_head is not None
    assert "It now needs you" in to_head.body
    assert moved.stage_due_at is not None and first_due is not None
    assert moved.stage_due_at >= first_due
    assert AuditEvent.objects.filter(action="escalation_tier_up").count() == 1
    # Both tiers used: the next step is the next stage.
    assert "move_up_tier" not in selectors.allowed_actions(moved, care_head)
    with pytest.raises(services.ActionRefused, match="all used"):
        services.move_up_tier(
            escalation=moved, by=care_head, expected_version=moved.version, reason="Again"
        )


def test_the_page_and_the_api_take_it_up_a_tier() -> None:
    people = cast(tiers={"stage_2": 3})
    for senior in senior_managers(people):  # and a director above each: a third tier
        director = PersonFactory(agency=senior.agency, level=Level.STRATEGIC)  # type: ignore[attr-defined]
        senior.line_manager = director  # type: ignore[attr-defined]
        senior.save(update_fields=["line_manager"])  # type: ignore[attr-defined]
    escalation: Escalation = at_stage_2(people)
    manager = signed_in(people.raiser_manager)
    detail = reverse("escalations:detail", args=[escalation.reference])
    assert action_url(escalation, "next-tier") in manager.get(detail).content.decode()
    empty = manager.post(
        action_url(escalation, "next-tier"), {"expected_version": escalation.version}
    )
    assert empty.status_code == 200
    assert "Enter why it goes to the next tier of management" in empty.content.decode()
    done = manager.post(
        action_url(escalation, "next-tier"),
        {"expected_version": escalation.version, "reason": "Heads of service to meet."},
    )
    assert done.status_code == 302
    escalation.refresh_from_db()
    ref = escalation.reference
    refused = api_as(people.raiser).post(
        f"/escalations/{ref}/tier", {"expected_version": escalation.version, "reason": "Up"}
    )
    assert refused.status_code == 422 and error_of(refused)["code"] == "refused"
    assert "Only the people involved at this stage" in error_of(refused)["message"]
    ok = api_as(people.respondent_manager).post(
        f"/escalations/{ref}/tier", {"expected_version": escalation.version, "reason": "Up"}
    )
    assert ok.status_code == 200, ok.content
    assert escalation.chronology.filter(kind=EntryKind.TIER_UP).count() == 2


def test_no_next_tier_when_nobody_is_above_the_managers_in_either_agency() -> None:
    # The managers have no line manager and their agencies no contact above them: moving "up"
    # would tell the same two people it now needs them. It is refused, naming the next step.
    people = cast(tiers={"stage_2": 2})
    escalation = at_stage_2(people)
    with pytest.raises(services.ActionRefused, match="escalate it to the next stage instead"):
        services.move_up_tier(
            escalation=escalation,
            by=people.raiser_manager,
            expected_version=escalation.version,
            reason="Heads of service to meet.",
        )
    assert not escalation.chronology.filter(kind=EntryKind.TIER_UP).exists()
