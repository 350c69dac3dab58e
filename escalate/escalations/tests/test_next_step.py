"""The next step of each part of an escalation, from the core's answers (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.conf import settings

from escalate.escalations import workflow
from escalate.escalations.next_step import next_step
from escalate.policies.loader import parse_policy_file

HAVERING = parse_policy_file(settings.BASE_DIR / "policies" / "havering.yaml")
AT = datetime(2026, 11, 23, 10, tzinfo=UTC)  # a Monday
TODAY = date(2026, 11, 23)
DUE = datetime(2026, 11, 30, 23, 59, tzinfo=UTC)


def state(stage: int, **changes: object) -> workflow.EscalationState:
    facts: dict[str, object] = {
        "status": workflow.OPEN,
        "stage_key": HAVERING.stages[stage - 1].key,
        "stage_index": stage - 1,
        "version": 3,
        "stage_started_at": AT,
        "due_at": DUE,
    }
    facts.update(changes)
    return workflow.EscalationState(**facts)  # type: ignore[arg-type]


def step_for(current: workflow.EscalationState, actor: workflow.Actor):  # type: ignore[no-untyped-def]
    allowed = workflow.allowed_actions(HAVERING, current, actor, AT)
    return next_step(HAVERING, current, actor, allowed=allowed, today=TODAY)


def test_a_manager_is_given_their_stages_task_from_the_policy() -> None:
    manager = workflow.Actor(parts=frozenset({"respondent_manager"}))
    step = step_for(state(2), manager)
    task = HAVERING.stages[1].manager_task.strip()
    assert task
    assert [t.what for t in step.tasks] == [task]
    assert step.tasks[0].action == "record_discussion"
    assert step.tasks[0].working_days_left == 5
    assert step.guidance[0].text == task


def test_the_chair_is_asked_to_decide_at_the_boards_stage() -> None:
    chair = workflow.Actor(roles=frozenset({"partnership_chair"}))
    step = step_for(state(4), chair)
    assert step.part == "partnership_chair"
    assert step.tasks[0].action == "resolve_escalation"
    assert "convene a Resolution Panel" in step.tasks[0].what


def test_the_raiser_is_not_given_the_chairs_task() -> None:
    raiser = workflow.Actor(parts=frozenset({"raiser"}))
    step = step_for(state(4), raiser)
    assert step.tasks == ()
    assert any("Board Chair" in item.why or "decides" in item.why for item in step.not_offered)


def test_an_overdue_task_counts_negative_working_days() -> None:
    raiser = workflow.Actor(parts=frozenset({"raiser"}))
    current = state(1, due_at=datetime(2026, 11, 20, 23, 59, tzinfo=UTC))
    step = step_for(current, raiser)
    assert step.tasks[0].working_days_left is not None
    assert step.tasks[0].working_days_left < 0


def test_past_the_first_stage_the_task_is_the_managers_not_the_practitioners() -> None:
    """004 2.3-2.8: Stage 2 is the line managers'; the practitioner is kept informed."""
    raiser = workflow.Actor(parts=frozenset({"raiser"}))
    current = state(2)
    allowed = workflow.allowed_actions(HAVERING, current, raiser, AT)
    as_practitioner = next_step(
        HAVERING, current, raiser, allowed=allowed, today=TODAY, person_level=1
    )
    assert as_practitioner.tasks == ()
    # A raiser who is at Stage 2's level themselves (a DSL who raised it) acts there.
    as_dsl = next_step(HAVERING, current, raiser, allowed=allowed, today=TODAY, person_level=2)
    assert [task.action for task in as_dsl.tasks] == ["record_discussion"]


def test_escalating_is_not_asked_while_the_core_does_not_offer_it() -> None:
    raiser = workflow.Actor(parts=frozenset({"raiser"}))
    discussed = state(1, records=frozenset({"discussion"}))
    offered = step_for(discussed, raiser)
    assert offered.tasks[0].what == "Agree a resolution, or escalate it to the next stage"
    allowed = workflow.allowed_actions(HAVERING, discussed, raiser, AT) - {"escalate_to_next_stage"}
    step = next_step(HAVERING, discussed, raiser, allowed=allowed, today=TODAY)
    assert step.tasks[0].what == "Agree a resolution"
