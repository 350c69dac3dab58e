"""The main scenario of each kind of shipped policy (issue 15, Deliver 10), walked in a real
browser at phone size by each person in it: what their home page asks of them first and by when,
what the escalation page offers them, and what it does not. The rules behind each step, and the
people who must hear nothing, are walked for every policy in
escalate/escalations/tests/test_journeys_by_person.py (Django's test client, much faster)."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from django.urls import reverse
from playwright.sync_api import Locator, Page, expect

from escalate.escalations import services
from escalate.escalations.deadlines import sweep_deadlines
from escalate.escalations.models import Escalation, Status
from escalate.escalations.tests.factories import World, board_senior_officers, make_world
from escalate.escalations.tests.test_journeys_by_person import pass_due
from escalate.escalations.tests.test_views_stage4 import havering_at_stage_4
from escalate.notifications.models import Notification
from escalate.policies.calendar import govuk_date
from escalate.web.tests.browser.conftest import Journey
from escalate.web.tests.browser.test_escalation_journeys import (
    add_actions,
    click_through,
    continue_to,
    current_stage,
    go,
    open_action,
    success,
)

pytestmark = pytest.mark.browser


def waiting_row(page: Page, reference: str) -> Locator:
    """On the home page (where signing in lands): the "Needs your action" row of `reference`."""
    expect(page.get_by_role("heading", name="Needs your action")).to_be_visible()
    return page.locator("table.app-needs-action tbody tr", has_text=reference)


def asked(page: Page, reference: str, what: str, by: datetime | None) -> None:
    row = waiting_row(page, reference)
    expect(row).to_contain_text(what)
    if by is not None:
        expect(row).to_contain_text(govuk_date(by))


def raised(world: World) -> Escalation:
    category = world.policy.spec.categories[0].key
    return services.raise_escalation(
        by=world.teacher, details=world.details(categories=[category], subject_name="Robin Example")
    )


def discussed(world: World, escalation: Escalation, outcome: str) -> Escalation:
    services.record_discussion(
        escalation=escalation,
        by=world.teacher,
        expected_version=escalation.version,
        held_on=escalation.raised_at.date(),
        with_whom=world.social_worker.full_name,
        method="phone",
        summary="We went through the referral.",
        outcome=outcome,
    )
    return Escalation.objects.get(pk=escalation.pk)


def test_guide_referral_rejected_the_raiser_declines_the_respondents_nfa_and_escalates(
    phone_journey: Journey, transactional_db: None
) -> None:
    # 001 "Referral Rejected": "Don't just accept 'NFA' if you're worried"; "Escalate if you
    # still believe it should be accepted"; Step 2: "Your manager contacts their counterpart".
    world = make_world(policy_file="practitioner-guide.yaml")
    escalation = discussed(world, raised(world), "We disagree: the referral stays closed.")
    reference = escalation.reference

    # The respondent is asked to agree a resolution, and is offered no way to close it alone.
    respondent = phone_journey.page_for(world.social_worker)
    asked(respondent, reference, "Agree a resolution, or escalate it", escalation.stage_due_at)
    go(respondent, f"/escalations/{reference}/", "escalation page, respondent")
    expect(respondent.get_by_role("link", name="Resolve the escalation")).to_have_count(0)
    click_through(
        respondent,
        respondent.get_by_role("link", name="Propose a resolution", exact=True),
        "What do you propose?",
        "propose a resolution",
    )
    respondent.get_by_label("What do you propose?").fill("No further action stands.")
    continue_to(respondent, "Learning for the partnership", "propose: learning")
    continue_to(respondent, "Agreed actions", "propose: agreed actions")
    add_actions(respondent, [], "propose")
    click_through(
        respondent,
        respondent.get_by_role("button", name="Send the proposal"),
        re.compile(reference),
        "escalation page, proposal sent",
    )
    success(respondent, "It takes effect when the other side accepts it.")

    # The raiser is asked to answer it, by the policy's window, and declines and escalates.
    raiser = phone_journey.page_for(world.teacher)
    escalation.refresh_from_db()
    answer_by = escalation.chronology.get(kind="resolution_proposed").data["answer_due_at"]
    asked(raiser, reference, "Accept or decline the proposed resolution", None)
    expect(waiting_row(raiser, reference)).to_contain_text(
        govuk_date(datetime.fromisoformat(answer_by))
    )
    go(raiser, f"/escalations/{reference}/", "escalation page, proposal waiting")
    expect(raiser.locator("main")).to_contain_text("No further action stands.")
    open_action(raiser, "Decline the proposed resolution", "decline the proposal")
    raiser.get_by_label("Why do you decline it?").fill(
        "Still worried: she arrives hungry every day and the threshold was misread."
    )
    raiser.get_by_label("Escalate it to the next stage now").check()
    click_through(
        raiser,
        raiser.get_by_role("button", name="Decline"),
        re.compile(reference),
        "escalation page, declined and escalated",
    )
    success(raiser, "You declined the proposed resolution.")
    expect(current_stage(raiser)).to_contain_text("Step 2")

    # The respondent's manager now finds it first on their home page, with Step 2's task.
    escalation.refresh_from_db()
    manager = phone_journey.page_for(world.team_manager)
    asked(manager, reference, "set a timescale for resolution", escalation.stage_due_at)
    # The senior managers and the chair are not told of a Step 2 escalation.
    told = Notification.objects.filter(escalation=escalation).values_list("recipient", flat=True)
    assert not {world.head.pk, world.service_manager.pk, world.chair.pk} & set(told)


def test_pan_berkshire_a_silent_respondent_leaves_the_raiser_free_to_escalate(
    phone_journey: Journey, transactional_db: None
) -> None:
    # 002: "first seek to understand the rationale"; nobody blocks it by never answering.
    world = make_world(policy_file="pan-berkshire.yaml")
    escalation = raised(world)
    request = services.request_rationale(
        escalation=escalation,
        by=world.teacher,
        expected_version=escalation.version,
        message="Why was the referral closed?",
    )
    escalation.refresh_from_db()
    escalation = discussed(world, escalation, "No answer: a message was left.")
    reference = escalation.reference

    # The respondent is asked for the rationale first, by its date; the raiser cannot escalate.
    respondent = phone_journey.page_for(world.social_worker)
    asked(respondent, reference, "Give your rationale in writing", escalation.stage_due_at)
    raiser = phone_journey.page_for(world.teacher)
    go(raiser, f"/escalations/{reference}/", "escalation page, rationale awaited")
    expect(raiser.get_by_role("link", name="Escalate to the next stage")).to_have_count(0)

    pass_due(request, "due_at")  # the date passes unanswered; the nightly sweep runs
    assert sweep_deadlines().silences_recorded == 1
    go(raiser, "/", "home after the silence")
    asked(raiser, reference, "Agree a resolution, or escalate it", escalation.stage_due_at)
    go(raiser, f"/escalations/{reference}/", "escalation page, no rationale given")
    expect(raiser.locator("main")).to_contain_text("No rationale given by")
    open_action(raiser, "Escalate to the next stage", "escalate")
    raiser.get_by_label("Reason").fill("No rationale was given by its date.")
    click_through(
        raiser,
        raiser.get_by_role("button", name="Escalate"),
        re.compile(reference),
        "escalation page, escalated",
    )
    success(raiser, "The escalation has moved to the next stage.")
    expect(current_stage(raiser)).to_contain_text("Stage 2")


def test_havering_stage_4_the_chair_sees_it_waiting_and_resolves_it_directly(
    phone_journey: Journey, transactional_db: None
) -> None:
    # 004 2.10: the Chair "may either seek to resolve the issue direct with the relevant senior
    # managers, or convene a Resolution Panel"; issue 15: the Chair and the business unit see
    # everything at Stage 4.
    world, escalation = havering_at_stage_4()
    reference = escalation.reference

    chair = phone_journey.page_for(world.chair)
    asked(
        chair,
        reference,
        "Decide: resolve it directly with the senior managers, or convene a Resolution Panel",
        escalation.stage_due_at,
    )
    business = phone_journey.page_for(world.business_manager)
    go(business, reverse("escalations:queue"), "the business unit's queue")
    waiting = business.locator("table", has_text="Waiting for the partnership chair")
    expect(waiting).to_contain_text(reference)

    # The Stage 3 senior manager of the side challenged is asked nothing and offered no decision.
    senior = phone_journey.page_for(world.service_manager)
    expect(waiting_row(senior, reference)).to_have_count(0)
    go(senior, f"/escalations/{reference}/", "escalation page, Stage 3 manager")
    expect(senior.get_by_role("link", name="Resolve the escalation")).to_have_count(0)

    go(chair, f"/escalations/{reference}/", "escalation page, the Chair")
    expect(current_stage(chair)).to_contain_text("Stage 4")
    expect(chair.get_by_role("link", name="Convene a Resolution Panel")).to_be_visible()
    open_action(chair, "Resolve the escalation", "the Chair resolves it")
    chair.get_by_label("What was decided?").fill(
        "Children's social care reopens the assessment this week."
    )
    chair.get_by_label("Who made the decision?").fill("The Board Chair with both directors")
    continue_to(chair, "Learning for the partnership", "the Chair resolves it: learning")
    chair.get_by_label("Learning for the partnership").fill("Refer to senior managers sooner.")
    continue_to(chair, "Agreed actions", "the Chair resolves it: agreed actions")
    add_actions(chair, [], "the Chair resolves it")
    click_through(
        chair,
        chair.get_by_role("button", name="Resolve"),
        re.compile(reference),
        "escalation page, resolved by the Chair",
    )
    success(chair, "The escalation has been resolved.")
    escalation.refresh_from_db()
    assert escalation.status == Status.RESOLVED

    # The raiser sees the decision; nobody is asked anything more.
    raiser = phone_journey.page_for(world.teacher)
    expect(waiting_row(raiser, reference)).to_have_count(0)
    go(raiser, f"/escalations/{reference}/", "escalation page, raiser, resolved")
    expect(raiser.locator("main")).to_contain_text("reopens the assessment this week")


def test_havering_stage_4_the_panel_lead_records_the_collective_decision_and_the_chair_is_told(
    phone_journey: Journey, transactional_db: None
) -> None:
    # 004 2.12: "senior officers from three agencies who are members of the full Board"; 2.13:
    # the panel "will collectively resolve"; issue 15: recorded by the Chair or the lead the
    # Chair names, with who took part, and the Chair is told.
    world, escalation = havering_at_stage_4()
    school, csc, health = board_senior_officers(world)
    services.convene_panel(
        escalation=escalation,
        by=world.chair,
        expected_version=escalation.version,
        members=[school, csc, health],
        lead=health,
    )
    escalation.refresh_from_db()
    reference = escalation.reference

    # A member who is not the lead is told, not asked, and cannot record the decision alone.
    member = phone_journey.page_for(school)
    expect(waiting_row(member, reference)).to_have_count(0)
    go(member, f"/escalations/{reference}/", "escalation page, panel member")
    expect(member.get_by_role("link", name="Record the panel's decision")).to_have_count(0)

    lead = phone_journey.page_for(health)
    asked(lead, reference, "Record the Resolution Panel's decision", escalation.stage_due_at)
    go(lead, f"/escalations/{reference}/", "escalation page, panel lead")
    open_action(lead, "Record the panel's decision", "the lead records the panel's decision")
    lead.get_by_label("The panel's decision").fill("A multi-agency assessment starts this week.")
    for person in (school, health):
        lead.get_by_label(re.compile(f"^{person.full_name}")).check()
    continue_to(lead, "Learning for the partnership", "the panel's decision: learning")
    lead.get_by_label("Learning for the partnership").fill("Bring disputes to the Board sooner.")
    continue_to(lead, "Agreed actions", "the panel's decision: agreed actions")
    add_actions(lead, [], "the panel's decision")
    click_through(
        lead,
        lead.get_by_role("button", name="Save the decision"),
        re.compile(reference),
        "escalation page, the panel decided",
    )
    success(lead, "The panel's decision has been recorded.")
    took_part = lead.locator(".govuk-summary-list__row", has_text="Members who took part")
    expect(took_part).to_contain_text(school.full_name)
    expect(took_part).not_to_contain_text(csc.full_name)

    # The Chair is told, in Escalate as by email.
    told = Notification.objects.filter(
        escalation=escalation, event="panel_decided", recipient=world.chair
    ).first()
    assert told is not None
    chair = phone_journey.page_for(world.chair)
    expect(waiting_row(chair, reference)).to_have_count(0)
    go(chair, "/notifications/", "the Chair's notifications")
    expect(chair.locator("main")).to_contain_text(told.subject)
