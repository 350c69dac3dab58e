"""Who sees which escalation, the person's lists, and the escalation page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from escalate.directory.models import Person
from escalate.escalations import selectors, services, workflow
from escalate.escalations.models import Action, Escalation, Panel
from escalate.escalations.state import state_from_loaded, state_of
from escalate.escalations.tests.factories import World, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    # The business manager's role is granted access by the policy (access_roles).
    return make_world(notifications=[], access_roles=["business_manager"])


def raise_one(world: World) -> Escalation:
    return services.raise_escalation(by=world.teacher, details=world.details())


def to_stage_2(world: World, escalation: Escalation) -> Escalation:
    services.record_discussion(
        escalation=escalation,
        by=world.teacher,
        expected_version=escalation.version,
        held_on=timezone.localdate(),
        with_whom="Social worker",
        method="Phone",
        summary="Talked",
        outcome="Disagree",
    )
    escalation.refresh_from_db()
    return services.escalate_to_next_stage(
        escalation=escalation, by=world.teacher, expected_version=escalation.version, reason="x"
    )


def sees(person: Person, escalation: Escalation) -> bool:
    try:
        selectors.access_escalation(person, escalation.reference)
    except Http404:
        return False
    return True


def test_the_raiser_and_the_named_respondent_see_it(world: World) -> None:
    escalation = raise_one(world)
    assert sees(world.teacher, escalation)
    assert sees(world.social_worker, escalation)


def test_managers_see_it_only_once_their_stage_is_reached(world: World) -> None:
    escalation = raise_one(world)
    assert not sees(world.dsl, escalation)
    assert not sees(world.team_manager, escalation)
    to_stage_2(world, escalation)
    assert sees(world.dsl, escalation)
    assert sees(world.team_manager, escalation)
    assert not sees(world.head, escalation)  # stage 3 not reached


def test_roles_the_policy_grants_see_every_escalation_and_others_do_not(world: World) -> None:
    escalation = raise_one(world)
    assert sees(world.business_manager, escalation)
    assert not sees(world.outsider, escalation)
    assert not sees(world.chair, escalation)  # not in this policy's access_roles
    assert not sees(world.iro, escalation)  # not told about this one


def test_someone_from_another_partnership_gets_the_same_404_as_a_missing_reference(
    world: World,
) -> None:
    escalation = raise_one(world)
    other = make_world(access_roles=["business_manager"])
    with pytest.raises(Http404) as hidden:
        selectors.access_escalation(other.business_manager, escalation.reference)
    with pytest.raises(Http404) as missing:
        selectors.access_escalation(world.teacher, "NOPE-2026-9999")
    assert str(hidden.value) == str(missing.value)


def test_an_iro_told_about_an_escalation_can_see_it() -> None:
    world = make_world(
        notifications=[
            {"on": "raised", "when_any": ["cp_plan"], "notify": ["iro"]},
        ]
    )
    plain = services.raise_escalation(
        by=world.teacher, details=world.details(allocated_iro=world.iro)
    )
    with_plan = services.raise_escalation(
        by=world.teacher, details=world.details(cp_plan=True, allocated_iro=world.iro)
    )
    assert not sees(world.iro, plain)
    assert sees(world.iro, with_plan)


def test_panel_members_see_the_escalation_they_sit_on(world: World) -> None:
    escalation = raise_one(world)
    assert not sees(world.nurse, escalation)
    escalation = to_stage_2(world, escalation)
    for _ in range(2):
        escalation = services.escalate_to_next_stage(
            escalation=escalation,
            by=world.teacher,
            expected_version=escalation.version,
            reason="x",
        )
    services.convene_panel(
        escalation=escalation,
        by=world.chair,
        expected_version=escalation.version,
        members=[world.nurse, world.head, world.service_manager],
        handled_reason="They managed it at an earlier stage and know the case.",
    )
    assert sees(world.nurse, escalation)


def test_actions_are_reached_only_through_a_visible_escalation(world: World) -> None:
    escalation = raise_one(world)
    action = services.add_action(
        escalation=escalation,
        by=world.teacher,
        owner=world.teacher,
        description="Send the referral",
        due_on=timezone.localdate(),
    )
    assert selectors.access_action(world.teacher, action.pk) == action
    with pytest.raises(Http404):
        selectors.access_action(world.outsider, action.pk)


def test_the_lists_show_the_right_escalations(world: World) -> None:
    mine = raise_one(world)
    assert list(selectors.raised_by(world.teacher)) == [mine]
    assert list(selectors.waiting_for(world.social_worker)) == [mine]
    assert list(selectors.waiting_for(world.teacher)) == []
    assert list(selectors.agency_escalations(world.social_worker)) == [mine]
    assert list(selectors.manager_queue(world.team_manager)) == []
    to_stage_2(world, mine)
    assert list(selectors.manager_queue(world.team_manager)) == [mine]
    assert list(selectors.team_escalations(world.dsl)) == [mine]
    assert list(selectors.waiting_for(world.social_worker)) == []  # stage 2 is for managers


def test_the_owners_actions_come_overdue_first(world: World) -> None:
    escalation = raise_one(world)
    today = timezone.localdate()
    later = services.add_action(
        escalation=escalation,
        by=world.teacher,
        owner=world.teacher,
        description="Later",
        due_on=today + timedelta(days=5),
    )
    overdue = services.add_action(
        escalation=escalation,
        by=world.teacher,
        owner=world.teacher,
        description="Overdue",
        due_on=today,
    )
    Action.objects.filter(pk=overdue.pk).update(due_on=today - timedelta(days=3))
    assert [a.description for a in selectors.actions_for(world.teacher)] == ["Overdue", "Later"]
    assert selectors.actions_for(world.teacher)[0].is_overdue()
    assert not later.is_overdue()


def test_an_action_agreed_in_a_closed_escalation_waits_for_its_owner_whatever_their_part() -> None:
    # The respondent proposes an action they own; once accepted the escalation is closed, and
    # their home page must still ask them to do it (they hold the respondent's part already).
    world = make_world(policy_file="practitioner-guide.yaml")
    escalation = services.raise_escalation(
        by=world.teacher,
        details=world.details(categories=[world.policy.spec.categories[0].key]),
    )
    services.record_discussion(
        escalation=escalation,
        by=world.teacher,
        expected_version=escalation.version,
        held_on=timezone.localdate(),
        with_whom="Social worker",
        method="Phone",
        summary="Talked",
        outcome="Agreed a visit",
    )
    escalation.refresh_from_db()
    services.propose_resolution(
        escalation=escalation,
        by=world.social_worker,
        expected_version=escalation.version,
        decision="A home visit.",
        actions=[
            services.ActionSpec(
                owner=world.social_worker,
                description="Visit the family",
                due_on=timezone.localdate() + timedelta(days=3),
            )
        ],
    )
    escalation.refresh_from_db()
    services.accept_resolution(
        escalation=escalation, by=world.teacher, expected_version=escalation.version
    )
    waiting = selectors.needs_action_for(world.social_worker)
    assert [(row.escalation.pk, row.what) for row in waiting] == [
        (escalation.pk, "Do the action agreed: Visit the family")
    ]
    assert selectors.needs_action_for(world.teacher) == []
    action = Action.objects.get(escalation=escalation)
    services.complete_action(action=action, by=world.social_worker, note="Visited on Tuesday.")
    assert selectors.needs_action_for(world.social_worker) == []


def test_list_selectors_use_a_constant_number_of_queries(world: World) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            for escalation in selectors.escalations_visible_to(world.business_manager):
                str(escalation.raised_by)
                str(escalation.respondent_agency)
                str(escalation.raiser_agency)
        return len(queries)

    raise_one(world)
    world.business_manager.role_set  # noqa: B018  (the roles are read once per request)
    selectors.policy_versions_granting(world.business_manager)  # likewise, once per request
    one = count()
    raise_one(world)
    raise_one(world)
    assert count() == one


def test_the_escalation_page_says_what_this_person_may_do(world: World) -> None:
    escalation = raise_one(world)
    raiser_page = selectors.escalation_page(escalation, world.teacher)
    respondent_page = selectors.escalation_page(escalation, world.social_worker)
    viewer_page = selectors.escalation_page(escalation, world.business_manager)
    assert raiser_page.can("request_rationale") and raiser_page.can("withdraw_escalation")
    assert not raiser_page.can("give_rationale")
    assert respondent_page.can("give_rationale")
    assert not respondent_page.can("withdraw_escalation")
    # Stage 1 needs a discussion before anyone can escalate.
    assert not raiser_page.can("escalate_to_next_stage")
    # The business unit takes no part in the disagreement; it may only hand over the part of
    # someone who has left or is away (issue 15, item 8: the handler checks they have).
    assert viewer_page.allowed_actions == frozenset({"reassign_part"})
    assert raiser_page.stage_number == 1 and raiser_page.stage_count == 4
    assert raiser_page.working_days_left == 5 or raiser_page.working_days_left == 6
    assert raiser_page.timeline[0].kind == "raised"
    assert {p.person for p in raiser_page.participants} == {world.teacher, world.social_worker}


def _loaded_state(escalation: Escalation) -> workflow.EscalationState:
    return state_from_loaded(
        escalation,
        list(escalation.chronology.order_by("recorded_at", "pk")),
        list(escalation.stages.all()),
        Panel.objects.filter(escalation=escalation).first(),
    )


def test_the_page_builds_the_same_state_from_what_it_loaded_as_state_of(world: World) -> None:
    """The escalation page reads the state from its own timeline, stages and panel (no extra
    query); at Stage 2, after Stage 1's discussion and a rationale request there, the answer
    must be Stage 2's alone, as `state_of` reads it."""
    escalation = raise_one(world)
    services.request_rationale(
        escalation=escalation,
        by=world.teacher,
        expected_version=escalation.version,
        message="Why was the referral closed?",
    )
    escalation.refresh_from_db()
    assert _loaded_state(escalation) == state_of(escalation)
    assert state_of(escalation).rationale_requested
    escalation = to_stage_2(world, escalation)
    escalation.refresh_from_db()
    services.pause_escalation(
        escalation=escalation, by=world.dsl, expected_version=escalation.version, reason="Leave"
    )
    escalation.refresh_from_db()
    stage_2 = state_of(escalation)
    assert not stage_2.rationale_requested and stage_2.records == frozenset()
    assert stage_2.paused_at is not None
    assert _loaded_state(escalation) == stage_2


def test_a_row_is_overdue_once_its_moment_has_passed_even_with_no_working_day_between() -> None:
    """Due on Friday at 11:59pm, looked at on Saturday: no working day has passed, but the
    deadline has, as the escalation page says."""
    passed = selectors.NeedsAction(
        escalation=Escalation(),
        what="Record the discussion",
        due_at=timezone.now() - timedelta(hours=20),
        working_days_left=0,
    )
    coming = selectors.NeedsAction(
        escalation=Escalation(),
        what="Record the discussion",
        due_at=timezone.now() + timedelta(hours=4),
        working_days_left=0,
    )
    assert passed.is_overdue and not coming.is_overdue
