"""Each shipped policy file, end to end: raise, every stage the policy has, an outcome."""

from __future__ import annotations

import pytest
from django.utils import timezone

from escalate.directory.models import Person
from escalate.escalations import selectors, services
from escalate.escalations.models import EntryKind, Escalation, StageRecord, Status
from escalate.escalations.services import ActionSpec
from escalate.escalations.tests.factories import World, board_senior_officers, make_world
from escalate.notifications.models import Notification
from escalate.policies.schema import DecisionMaker, Record

pytestmark = pytest.mark.django_db

SHIPPED = [
    "havering.yaml",
    "pan-berkshire.yaml",
    "practitioner-guide.yaml",
    "practitioner-guide-scotland.yaml",
    "waltham-forest.yaml",
    "west-sussex.yaml",
]


BOARD_ENGAGED = "Both agencies' Board members were engaged and could not agree."


def raiser_side(world: World, level: int) -> Person:
    return [world.teacher, world.dsl, world.head, world.school_director][level - 1]


def respondent_side(world: World, level: int) -> Person:
    return [world.social_worker, world.team_manager, world.service_manager, world.csc_director][
        level - 1
    ]


def work_the_stage(world: World, escalation: Escalation) -> Escalation:
    """Make every record the current stage asks for, as the stage's own people."""
    stage = escalation.policy_version.spec.stage(escalation.current_stage_key)
    ours = raiser_side(world, stage.raiser_level)
    theirs = respondent_side(world, stage.respondent_level)
    if Record.RATIONALE in stage.must_record:
        services.request_rationale(
            escalation=escalation,
            by=ours,
            expected_version=escalation.version,
            message="Please explain the decision in writing.",
        )
        escalation.refresh_from_db()
        services.give_rationale(
            escalation=escalation,
            by=theirs,
            expected_version=escalation.version,
            rationale="The threshold was applied as the guidance says.",
        )
        escalation.refresh_from_db()
    if Record.DISCUSSION in stage.must_record:
        services.record_discussion(
            escalation=escalation,
            by=ours,
            expected_version=escalation.version,
            held_on=timezone.localdate(),
            with_whom=theirs.full_name,
            method="Telephone",
            summary=f"Discussed at {stage.name}.",
            outcome="Not resolved.",
        )
        escalation.refresh_from_db()
    return escalation


def finish(world: World, escalation: Escalation) -> Escalation:
    spec = escalation.policy_version.spec
    stage = spec.stage(escalation.current_stage_key)
    action = ActionSpec(
        owner=world.team_manager,
        description="Review the plan with both agencies",
        due_on=timezone.localdate(),
    )
    if spec.panel is not None and spec.panel.stage == stage.key:
        panel = board_senior_officers(world)
        services.convene_panel(
            escalation=escalation,
            by=world.chair,
            expected_version=escalation.version,
            members=panel,
        )
        escalation.refresh_from_db()
        services.record_representation(
            escalation=escalation,
            by=respondent_side(world, stage.respondent_level),
            expected_version=escalation.version,
            agency=world.csc,
            summary="The agency's position, put to the panel.",
        )
        escalation.refresh_from_db()
        return services.record_panel_decision(
            escalation=escalation,
            by=world.chair,
            expected_version=escalation.version,
            decision="The panel agreed a multi-agency review.",
            learning="Bring disputes to managers sooner.",
            learning_themes=["timeliness"],
            actions=[action],
            members_present=panel,
        )
    chair_decides = stage.decision_maker == DecisionMaker.PARTNERSHIP_CHAIR
    return services.resolve_escalation(
        escalation=escalation,
        by=world.chair if chair_decides else raiser_side(world, stage.raiser_level),
        expected_version=escalation.version,
        decision="Agreed at the final stage.",
        decided_by="Both agencies' strategic leads",
        learning="Share decisions in writing.",
        learning_themes=["communication"],
        actions=[action],
    )


@pytest.mark.parametrize("policy_file", SHIPPED)
def test_an_escalation_goes_from_raise_to_outcome_through_every_stage(policy_file: str) -> None:
    world = make_world(policy_file=policy_file)
    spec = world.policy.spec
    escalation = services.raise_escalation(
        by=world.teacher,
        details=world.details(categories=[spec.categories[0].key], cp_plan=True),
    )
    visited = [escalation.current_stage_key]
    while True:
        escalation = work_the_stage(world, escalation)
        if spec.next_stage(escalation.current_stage_key) is None:
            break
        stage = spec.stage(escalation.current_stage_key)
        escalation = services.escalate_to_next_stage(
            escalation=escalation,
            by=raiser_side(world, stage.raiser_level),
            expected_version=escalation.version,
            reason="Still not resolved.",
            board_engagement=BOARD_ENGAGED,
        )
        visited.append(escalation.current_stage_key)
    escalation = finish(world, escalation)

    assert visited == [stage.key for stage in spec.stages]
    assert escalation.status == Status.RESOLVED
    outcomes = list(
        StageRecord.objects.filter(escalation=escalation)
        .order_by("index")
        .values_list("outcome", flat=True)
    )
    assert outcomes == ["escalated"] * (len(spec.stages) - 1) + ["resolved"]
    page = selectors.escalation_page(escalation, world.teacher)
    kinds = [entry.kind for entry in page.timeline]
    assert kinds[0] == EntryKind.RAISED
    assert kinds.count(EntryKind.ESCALATED) == len(spec.stages) - 1
    if spec.panel is not None:
        for kind in (EntryKind.PANEL_CONVENED, EntryKind.REPRESENTATION, EntryKind.PANEL_DECISION):
            assert kind in kinds
    else:
        assert EntryKind.RESOLVED in kinds
    assert EntryKind.ACTION_ADDED in kinds
    # The raiser's side may only reopen it now (within the policy's window).
    assert page.allowed_actions == frozenset({"reopen_escalation"})
    # Everyone who acted at a stage can still open it afterwards.
    for level in range(1, 5):
        selectors.access_escalation(raiser_side(world, level), escalation.reference)


@pytest.mark.parametrize("flag", ["cp_plan", "looked_after"])
def test_havering_tells_the_iro_at_stage_2_for_a_cp_plan_or_looked_after_child(flag: str) -> None:
    world = make_world(policy_file="havering.yaml")
    escalation = services.raise_escalation(
        by=world.teacher,
        details=world.details(
            categories=["levels_of_need"], allocated_iro=world.iro, **{flag: True}
        ),
    )
    assert not Notification.objects.filter(escalation=escalation, recipient=world.iro).exists()
    escalation = work_the_stage(world, escalation)
    escalation = services.escalate_to_next_stage(
        escalation=escalation, by=world.teacher, expected_version=escalation.version, reason="x"
    )
    told = Notification.objects.filter(
        escalation=escalation, recipient=world.iro, event="stage_entered"
    )
    assert told.exists()
    assert all("Alex" not in n.body for n in told)
    entry = escalation.chronology.filter(kind=EntryKind.NOTIFICATION, stage_key="stage_2").last()
    assert entry is not None
    assert any(r["key"] == f"person:{world.iro.pk}" for r in entry.data["recipients"])
    # Being told, the IRO can open the escalation and add their view.
    selectors.access_escalation(world.iro, escalation.reference)
    services.add_view(escalation=escalation, by=world.iro, view="The plan needs a review.")


def test_havering_does_not_tell_the_iro_without_a_cp_plan_or_looked_after() -> None:
    world = make_world(policy_file="havering.yaml")
    escalation = services.raise_escalation(
        by=world.teacher, details=world.details(categories=["levels_of_need"])
    )
    escalation = work_the_stage(world, escalation)
    services.escalate_to_next_stage(
        escalation=escalation, by=world.teacher, expected_version=escalation.version, reason="x"
    )
    assert not Notification.objects.filter(recipient=world.iro).exists()


def test_havering_tells_the_chair_and_business_team_at_stage_4() -> None:
    world = make_world(policy_file="havering.yaml")
    escalation = services.raise_escalation(
        by=world.teacher, details=world.details(categories=["levels_of_need"])
    )
    while escalation.current_stage_key != "stage_4":
        escalation = work_the_stage(world, escalation)
        escalation = services.escalate_to_next_stage(
            escalation=escalation,
            by=world.teacher,
            expected_version=escalation.version,
            reason="x",
            board_engagement=BOARD_ENGAGED,
        )
    assert Notification.objects.filter(
        escalation=escalation, recipient=world.chair, event="stage_entered"
    ).exists()
    assert Notification.objects.filter(
        escalation=escalation,
        recipient_email=world.partnership.business_team_email,
        recipient__isnull=True,
    ).exists()
