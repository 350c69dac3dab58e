"""Urgent and paused (issue 15, item 7) and nobody stranded by people leaving (item 8)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from escalate.api.tests.support import api_as, error_of
from escalate.audit.models import AuditEvent
from escalate.directory.models import Level, Person
from escalate.directory.tests.factories import AgencyFactory, PersonFactory
from escalate.escalations import selectors, services
from escalate.escalations.deadlines import sweep_deadlines
from escalate.escalations.models import ChronologyEntry, EntryKind, Participant
from escalate.escalations.tests.test_views_stage import action_url
from escalate.escalations.tests.views_support import Cast, cast, raise_one, signed_in
from escalate.notifications.models import Notification
from escalate.policies import calendar

pytestmark = pytest.mark.django_db

URGENT = {
    "immediate_harm": True,
    "urgent_guidance_shown": True,
    "protective_actions": ["dsl_told"],
    "protective_action": "Our DSL was told at 9am.",
}


def new_person(**fields: Any) -> Person:
    person: Person = PersonFactory(**fields)  # type: ignore[assignment]
    return person


def business_manager(people: Cast) -> Person:
    unit = AgencyFactory(partnership=people.raiser.partnership, name="Business unit")
    return new_person(agency=unit, level=Level.STRATEGIC, roles=["business_manager"])


def told(person: Person, key_prefix: str) -> bool:
    return Notification.objects.filter(recipient=person, event_key__startswith=key_prefix).exists()


# --- urgent and paused ------------------------------------------------------------------------


def test_the_sweep_reminds_the_pauser_and_the_raiser_on_the_review_date() -> None:
    people = cast()
    escalation = raise_one(people)
    review_on = calendar.local_date(timezone.now()) + timedelta(days=1)
    services.pause_escalation(
        escalation=escalation,
        by=people.respondent,
        expected_version=escalation.version,
        reason="Waiting for the strategy meeting.",
        review_on=review_on,
    )
    assert sweep_deadlines(now=timezone.now()).pause_reviews == 0
    on_the_day = calendar.end_of_day(review_on) - timedelta(hours=8)
    report = sweep_deadlines(now=on_the_day)
    assert report.pause_reviews == 1
    assert told(people.respondent, "pause_review:") and told(people.raiser, "pause_review:")
    assert sweep_deadlines(now=on_the_day).pause_reviews == 0  # once per pause


def test_an_urgent_escalation_is_paused_only_with_a_raiser_side_managers_agreement() -> None:
    people = cast()
    escalation = raise_one(people, **URGENT)
    # The side being challenged never pauses it alone: not even offered.
    assert "pause_escalation" not in selectors.allowed_actions(escalation, people.respondent)
    with pytest.raises(services.ActionRefused, match="side being challenged cannot pause"):
        services.pause_escalation(
            escalation=escalation,
            by=people.respondent,
            expected_version=escalation.version,
            reason="Busy",
            agreed_by=people.raiser_manager,
        )
    with pytest.raises(services.ActionRefused, match="must agree") as refused:
        services.pause_escalation(
            escalation=escalation,
            by=people.raiser,
            expected_version=escalation.version,
            reason="Waiting for the strategy meeting.",
        )
    assert refused.value.field == "agreed_by"
    # Someone who is not a manager on the raiser's side cannot be named as agreeing.
    with pytest.raises(services.ActionRefused, match="manager on the raiser's side") as refused:
        services.pause_escalation(
            escalation=escalation,
            by=people.raiser,
            expected_version=escalation.version,
            reason="Waiting for the strategy meeting.",
            agreed_by=people.respondent_manager,
        )
    assert refused.value.field == "agreed_by"
    paused = services.pause_escalation(
        escalation=escalation,
        by=people.raiser,
        expected_version=escalation.version,
        reason="Waiting for the strategy meeting.",
        agreed_by=people.raiser_manager,
    )
    entry = ChronologyEntry.objects.get(escalation=paused, kind=EntryKind.PAUSED)
    assert entry.data["agreed_by"] == people.raiser_manager.full_name
    assert entry.data["raiser_manager_agrees"] is True


def test_the_pause_page_names_the_agreeing_manager_and_the_api_refuses_without_one() -> None:
    people = cast()
    escalation = raise_one(people, **URGENT)
    raiser = signed_in(people.raiser)
    refused = raiser.post(
        action_url(escalation, "pause"),
        {"expected_version": escalation.version, "reason": "Waiting."},
    )
    assert refused.status_code == 200
    assert "must agree to pausing it" in refused.content.decode()
    api_refused = api_as(people.raiser).post(
        f"/escalations/{escalation.reference}/pause",
        {"expected_version": escalation.version, "reason": "Waiting."},
    )
    assert api_refused.status_code == 422
    assert error_of(api_refused)["field"] == "agreed_by_id"
    done = raiser.post(
        action_url(escalation, "pause"),
        {
            "expected_version": escalation.version,
            "reason": "Waiting.",
            "agreed_by": people.raiser_manager.pk,
        },
    )
    assert done.status_code == 302
    page = raiser.get(reverse("escalations:detail", args=[escalation.reference])).content.decode()
    assert "Agreed by (a manager on the raiser&#x27;s side)" in page
    assert "Our DSL was told at 9am." in page  # the protective action, on the timeline


# --- nobody stranded ----------------------------------------------------------------------------


def test_the_business_unit_reassigns_the_part_of_someone_deactivated() -> None:
    people = cast()
    unit = business_manager(people)
    escalation = raise_one(people)
    successor = new_person(agency=people.respondent.agency, line_manager=people.respondent_manager)
    Person.objects.filter(pk=people.respondent.pk).update(is_active=False)
    assert "reassign_part" in selectors.allowed_actions(escalation, unit)
    assert "reassign_part" not in selectors.allowed_actions(escalation, people.raiser)
    with pytest.raises(services.ActionRefused) as refused:
        services.reassign_part(
            escalation=escalation,
            by=unit,
            expected_version=escalation.version,
            part="respondent",
            person=successor,
            reason="",
        )
    assert refused.value.field == "reason"
    entry = services.reassign_part(
        escalation=escalation,
        by=unit,
        expected_version=escalation.version,
        part="respondent",
        person=successor,
        reason="Left the service; Sam takes the case.",
    )
    assert entry.kind == EntryKind.REASSIGNED and entry.data["part"] == "respondent"
    escalation.refresh_from_db()
    assert escalation.respondent_person == successor
    assert Participant.objects.filter(escalation=escalation, person=successor, part="respondent")
    assert not Participant.objects.filter(escalation=escalation, person=people.respondent)
    assert told(successor, f"chronology:{entry.pk}:reassigned_to")
    assert AuditEvent.objects.filter(action="escalation_part_reassigned").count() == 1
    # The new respondent can act now.
    assert "give_rationale" in selectors.allowed_actions(escalation, successor)


def test_a_line_manager_reassigns_only_for_someone_away_whom_they_manage() -> None:
    people = cast()
    escalation = raise_one(people)
    successor = new_person(agency=people.raiser.agency, line_manager=people.raiser_manager)
    # Nobody is away yet: nothing to reassign.
    with pytest.raises(services.ActionRefused, match="deactivated or marked away"):
        services.reassign_part(
            escalation=escalation,
            by=people.raiser_manager,
            expected_version=escalation.version,
            part="raiser",
            person=successor,
            reason="Cover",
        )
    Person.objects.filter(pk=people.raiser.pk).update(is_away=True)
    with pytest.raises(services.ActionRefused, match="line manager"):
        services.reassign_part(
            escalation=escalation,
            by=people.respondent_manager,
            expected_version=escalation.version,
            part="raiser",
            person=successor,
            reason="Cover",
        )
    services.reassign_part(
        escalation=escalation,
        by=people.raiser_manager,
        expected_version=escalation.version,
        part="raiser",
        person=successor,
        reason="On long leave; covering the case.",
    )
    assert "withdraw_escalation" in selectors.allowed_actions(escalation, successor)


def test_the_raisers_part_passes_within_their_agency_and_their_notices_follow_it() -> None:
    people = cast()
    unit = business_manager(people)
    escalation = raise_one(people)
    Person.objects.filter(pk=people.raiser.pk).update(is_active=False)
    # A side's part never passes to the other agency.
    with pytest.raises(services.ActionRefused, match="same agency") as refused:
        services.reassign_part(
            escalation=escalation,
            by=unit,
            expected_version=escalation.version,
            part="raiser",
            person=new_person(agency=people.respondent.agency),
            reason="Left the school.",
        )
    assert refused.value.field == "person"
    successor = new_person(agency=people.raiser.agency, line_manager=people.raiser_manager)
    services.reassign_part(
        escalation=escalation,
        by=unit,
        expected_version=escalation.version,
        part="raiser",
        person=successor,
        reason="Left the school; the new teacher takes it on.",
    )
    escalation.refresh_from_db()
    # The raiser now is the successor: their lists, notices and managers follow...
    assert escalation.raised_by == successor
    assert escalation in selectors.raised_by(successor)
    # ...while who first raised it stays on the timeline.
    raised = escalation.chronology.get(kind=EntryKind.RAISED)
    assert raised.actor == people.raiser
    reassigned = escalation.chronology.get(kind=EntryKind.REASSIGNED)
    assert reassigned.data["from_person"] == people.raiser.full_name


def test_the_sweep_flags_an_escalation_nobody_active_can_move_to_the_business_unit() -> None:
    people = cast()
    unit = business_manager(people)
    escalation = raise_one(people)
    assert sweep_deadlines(now=timezone.now()).stranded == 0
    Person.objects.filter(pk=people.respondent.pk).update(is_away=True)
    report = sweep_deadlines(now=timezone.now())
    assert report.stranded == 1
    # To the business unit: its mailbox, or else its business managers.
    notice = Notification.objects.filter(event="stranded").first()
    assert notice is not None and "the respondent's side" in notice.subject
    partnership = people.raiser.partnership
    assert partnership is not None
    if partnership.business_team_email:
        assert notice.recipient_email == partnership.business_team_email.lower()
    else:
        assert notice.recipient == unit
    assert sweep_deadlines(now=timezone.now()).stranded == 0  # told once
    # Reassigned: nobody is stranded any more.
    successor = new_person(agency=people.respondent.agency)
    services.reassign_part(
        escalation=escalation,
        by=unit,
        expected_version=escalation.version,
        part="respondent",
        person=successor,
        reason="Away for a month.",
    )
    assert sweep_deadlines(now=timezone.now()).stranded == 0


def test_the_reassign_page_and_api() -> None:
    people = cast()
    unit = business_manager(people)
    escalation = raise_one(people)
    successor = new_person(agency=people.respondent.agency)
    Person.objects.filter(pk=people.respondent.pk).update(is_active=False)
    page = signed_in(unit)
    detail = reverse("escalations:detail", args=[escalation.reference])
    assert action_url(escalation, "reassign") in page.get(detail).content.decode()
    empty = page.post(action_url(escalation, "reassign"), {"expected_version": escalation.version})
    assert "Select the part to reassign" in empty.content.decode()
    refused = api_as(people.raiser).post(
        f"/escalations/{escalation.reference}/reassign",
        {
            "expected_version": escalation.version,
            "part": "respondent",
            "person_id": successor.pk,
            "reason": "Left.",
        },
    )
    assert refused.status_code == 422 and "business unit" in error_of(refused)["message"]
    done = page.post(
        action_url(escalation, "reassign"),
        {
            "expected_version": escalation.version,
            "part": "respondent",
            "person": successor.pk,
            "reason": "Left the service.",
        },
    )
    assert done.status_code == 302
    timeline = page.get(detail).content.decode()
    assert "Part reassigned" in timeline and successor.full_name in timeline


# --- what was already done, from the policy ------------------------------------------------------


def test_the_protective_actions_offered_are_the_policys_own() -> None:
    from escalate.escalations.tests.factories import make_world, policy_document
    from escalate.policies.schema import PolicySpec

    document = policy_document()
    document["urgent"]["protective_actions"] = [
        {"key": "mash", "label": "Rang the MASH duty line"},
        {"key": "dsl_told", "label": "Told our designated safeguarding lead"},
    ]
    world = make_world(document)
    urgent = {"immediate_harm": True, "urgent_guidance_shown": True, "protective_action": "At 9am."}
    # A choice the policy does not offer is refused, even one the shipped default has.
    with pytest.raises(services.ActionRefused, match="from the list"):
        services.raise_escalation(
            by=world.teacher,
            details=world.details(**urgent, protective_actions=["emergency_services"]),
        )
    escalation = services.raise_escalation(
        by=world.teacher, details=world.details(**urgent, protective_actions=["mash"])
    )
    # The timeline shows the policy's words for it.
    page = signed_in(world.teacher).get(reverse("escalations:detail", args=[escalation.reference]))
    assert "Rang the MASH duty line" in page.content.decode()
    # A policy without its own list offers the shipped default; the same key twice is refused.
    assert PolicySpec.model_validate(policy_document()).urgent.protective_action_choices[0] == (
        "emergency_services",
        "Called 999 (police or ambulance)",
    )
    document["urgent"]["protective_actions"].append({"key": "mash", "label": "Again"})
    with pytest.raises(ValueError, match="same key twice"):
        PolicySpec.model_validate(document)


def test_the_emergency_page_offers_the_policys_protective_actions() -> None:
    from escalate.escalations.tests.factories import make_world, policy_document

    document = policy_document()
    document["urgent"]["protective_actions"] = [{"key": "mash", "label": "Rang the MASH duty line"}]
    world = make_world(document)
    client = signed_in(world.teacher)
    client.post(
        reverse("escalations:raise_step", args=["immediate-danger"]), {"immediate_harm": "yes"}
    )
    page = client.get(reverse("escalations:raise_emergency")).content.decode()
    assert "Rang the MASH duty line" in page
    assert "Called 999 (police or ambulance)" not in page


def _paused_and_stranded(people: Cast, count: int) -> None:
    """`count` escalations paused for review next week whose respondent has gone away."""
    Person.objects.filter(pk=people.respondent.pk).update(is_away=False)
    review_on = calendar.local_date(timezone.now()) + timedelta(days=7)
    for _ in range(count):
        escalation = raise_one(people)
        services.pause_escalation(
            escalation=escalation,
            by=people.respondent,
            expected_version=escalation.version,
            reason="Waiting for the strategy meeting.",
            review_on=review_on,
        )
    Person.objects.filter(pk=people.respondent.pk).update(is_away=True)


def test_a_steady_sweep_reads_the_same_queries_however_many_are_paused_or_stranded() -> None:
    """Issue 15's checks select their candidates in SQL: a pause not yet due for review and a
    stranded escalation whose business unit is already told load nothing per escalation."""
    people = cast()
    business_manager(people)
    _paused_and_stranded(people, 1)
    assert sweep_deadlines(now=timezone.now()).stranded == 1
    with CaptureQueriesContext(connection) as few:
        report = sweep_deadlines(now=timezone.now())
    assert (report.stranded, report.pause_reviews, report.notifications_written) == (0, 0, 0)
    _paused_and_stranded(people, 4)
    assert sweep_deadlines(now=timezone.now()).stranded == 4
    with CaptureQueriesContext(connection) as many:
        report = sweep_deadlines(now=timezone.now())
    assert (report.stranded, report.pause_reviews, report.notifications_written) == (0, 0, 0)
    assert len(many.captured_queries) == len(few.captured_queries) <= 5
