"""The plain-Python escalation rules: examples, then properties over any sequence of actions."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from escalate.escalations import workflow as wf
from escalate.escalations.tests.factories import policy_document
from escalate.policies.calendar import LONDON
from escalate.policies.schema import PolicySpec

# A Monday in term time, well away from bank holidays.
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=LONDON)

RAISER = wf.Actor(parts=frozenset({"raiser"}))
RESPONDENT = wf.Actor(parts=frozenset({"respondent"}))
CHAIR = wf.Actor(roles=frozenset({"partnership_chair"}))
PANEL_MEMBER = wf.Actor(parts=frozenset({"panel_member"}))
PANEL_LEAD = wf.Actor(parts=frozenset({"panel_member", "panel_lead"}))
IRO = wf.Actor(roles=frozenset({"iro"}))
STRANGER = wf.Actor()


def spec(**kwargs: Any) -> PolicySpec:
    return PolicySpec.model_validate(policy_document(**kwargs))


def started(policy: PolicySpec, **kwargs: Any) -> wf.EscalationState:
    return wf.start(policy, at=MONDAY, flags=frozenset({"child"}), **kwargs).state


def test_raising_starts_at_the_first_stage_with_a_working_day_deadline() -> None:
    transition = wf.start(spec(), at=MONDAY, flags=frozenset({"child"}))
    assert transition.state.stage_key == "stage_1"
    # Five working days after Monday 2 March 2026 is Monday 9 March, end of day.
    assert transition.state.due_at == datetime(2026, 3, 9, 23, 59, 59, tzinfo=LONDON)
    kinds = [event.kind for event in transition.of_type(wf.ChronologyEvent)]
    assert kinds == ["raised"]
    assert [n.event for n in transition.of_type(wf.NotificationEvent)] == [
        "raised",
        "stage_entered",
    ]


def test_immediate_harm_may_start_at_a_stage_the_policy_allows_with_a_reason() -> None:
    policy = spec(may_start_at=["stage_2"])
    flags = frozenset({"child", "immediate_harm"})
    with pytest.raises(wf.ActionRefused) as refused:
        wf.start(policy, at=MONDAY, flags=flags, start_stage_key="stage_2")
    assert refused.value.field == "later_stage_reason"
    with pytest.raises(wf.ActionRefused, match="does not allow"):
        wf.start(policy, at=MONDAY, flags=flags, start_stage_key="stage_3", later_stage_reason="x")
    with pytest.raises(wf.ActionRefused, match="immediate risk"):
        wf.start(
            policy,
            at=MONDAY,
            flags=frozenset({"child"}),
            start_stage_key="stage_2",
            later_stage_reason="x",
        )
    transition = wf.start(
        policy, at=MONDAY, flags=flags, start_stage_key="stage_2", later_stage_reason="Unsafe"
    )
    assert transition.state.stage_key == "stage_2"
    kinds = [event.kind for event in transition.of_type(wf.ChronologyEvent)]
    assert kinds == ["urgent_guidance", "raised"]


def test_escalating_needs_the_stage_records_and_moves_the_deadline() -> None:
    policy = spec()
    state = started(policy)
    escalate = wf.EscalateToNextStage(at=MONDAY + timedelta(days=1), reason="No agreement")
    with pytest.raises(wf.ActionRefused, match="record a discussion"):
        wf.apply(policy, state, escalate, RAISER)
    discussed = wf.apply(
        policy,
        state,
        wf.RecordDiscussion(
            at=MONDAY,
            held_on=MONDAY.date(),
            with_whom="The social worker",
            method="Phone",
            summary="We disagreed.",
            outcome="No agreement",
        ),
        RAISER,
    ).state
    moved = wf.apply(policy, discussed, escalate, RAISER)
    assert moved.state.stage_key == "stage_2"
    assert moved.state.version == state.version + 2
    # Tuesday 3 March + 5 working days = Tuesday 10 March.
    assert moved.state.due_at == datetime(2026, 3, 10, 23, 59, 59, tzinfo=LONDON)
    assert moved.of_type(wf.StageEntered)[0].index == 1


def test_a_discussion_in_the_future_is_refused() -> None:
    policy = spec()
    with pytest.raises(wf.ActionRefused) as refused:
        wf.apply(
            policy,
            started(policy),
            wf.RecordDiscussion(
                at=MONDAY,
                held_on=MONDAY.date() + timedelta(days=1),
                with_whom="x",
                method="x",
                summary="x",
                outcome="x",
            ),
            RAISER,
        )
    assert refused.value.field == "held_on"


def test_only_the_respondent_side_gives_a_rationale_and_it_cannot_be_empty() -> None:
    policy = spec()
    state = started(policy)
    with pytest.raises(wf.ActionRefused, match="respondent"):
        wf.apply(policy, state, wf.GiveRationale(at=MONDAY, rationale="Because"), RAISER)
    with pytest.raises(wf.ActionRefused) as refused:
        wf.apply(policy, state, wf.GiveRationale(at=MONDAY, rationale="  "), RESPONDENT)
    assert refused.value.field == "rationale"


def test_pausing_stops_the_clock_for_the_working_days_paused() -> None:
    policy = spec()
    state = started(policy)  # due Monday 9 March
    paused = wf.apply(
        policy,
        state,
        wf.Pause(at=MONDAY, reason="Awaiting a strategy", review_on=date(2026, 3, 6)),
        RAISER,
    )
    # Paused Monday, resumed Thursday: three working days (Tue, Wed, Thu) are given back.
    resumed = wf.apply(
        policy, paused.state, wf.Resume(at=MONDAY + timedelta(days=3), reason="Done"), RESPONDENT
    )
    assert resumed.state.due_at == datetime(2026, 3, 12, 23, 59, 59, tzinfo=LONDON)
    assert resumed.of_type(wf.DeadlineSet)[0].due_at == resumed.state.due_at


def test_pausing_an_hours_stage_moves_the_deadline_by_the_clock_time() -> None:
    document = policy_document()
    document["stages"][0]["timescale"] = {"hours": 48}
    policy = PolicySpec.model_validate(document)
    state = started(policy)
    assert state.due_at == MONDAY + timedelta(hours=48)
    paused = wf.apply(
        policy,
        state,
        wf.Pause(at=MONDAY + timedelta(hours=1), reason="x", review_on=date(2026, 3, 3)),
        RAISER,
    )
    resumed = wf.apply(
        policy, paused.state, wf.Resume(at=MONDAY + timedelta(hours=6), reason="y"), RAISER
    )
    assert resumed.state.due_at == MONDAY + timedelta(hours=53)


def test_a_panel_needs_the_chair_the_panel_stage_and_both_disputing_agencies() -> None:
    policy = spec(stage_count=2)
    state = started(policy, start_stage_key=None)
    convene = wf.ConvenePanel(
        at=MONDAY,
        member_count=3,
        agency_ids=frozenset({1, 2, 3}),
        disputing_agency_ids=frozenset({1, 2}),
    )
    with pytest.raises(wf.ActionRefused, match="panel stage"):
        wf.apply(policy, state, convene, CHAIR)
    at_panel_stage = wf.replace(state, stage_key="stage_2", stage_index=1)
    with pytest.raises(wf.ActionRefused, match="partnership chair"):
        wf.apply(policy, at_panel_stage, convene, RAISER)
    with pytest.raises(wf.ActionRefused, match="each agency"):
        wf.apply(
            policy,
            at_panel_stage,
            wf.replace(convene, agency_ids=frozenset({1, 3})),
            CHAIR,
        )
    convened = wf.apply(policy, at_panel_stage, convene, CHAIR).state
    with pytest.raises(wf.ActionRefused, match="panel's decision"):
        wf.apply(policy, convened, wf.Resolve(at=MONDAY, decision="x", decided_by="y"), CHAIR)
    with pytest.raises(wf.ActionRefused, match="only the partnership chair decides"):
        wf.apply(policy, convened, wf.Resolve(at=MONDAY, decision="x", decided_by="y"), RAISER)
    decision = wf.RecordPanelDecision(at=MONDAY, decision="Agreed plan", members_present=(1, 2))
    with pytest.raises(wf.ActionRefused, match="panel decides together"):
        wf.apply(policy, convened, decision, PANEL_MEMBER)
    with pytest.raises(wf.ActionRefused) as refused:
        wf.apply(policy, convened, wf.replace(decision, members_present=()), CHAIR)
    assert refused.value.field == "members_present"
    decided = wf.apply(policy, convened, decision, PANEL_LEAD)
    assert decided.state.status == wf.RESOLVED


# --- properties --------------------------------------------------------------------------

ACTORS = [RAISER, RESPONDENT, CHAIR, PANEL_LEAD, IRO, STRANGER]


def make_action(kind: int, at: datetime, text: str, day_offset: int) -> wf.WorkflowAction:
    day = at.astimezone(LONDON).date() + timedelta(days=day_offset)
    choices: list[wf.WorkflowAction] = [
        wf.RecordDiscussion(
            at=at, held_on=day, with_whom=text, method=text, summary=text, outcome=text
        ),
        wf.RequestRationale(at=at, message=text),
        wf.GiveRationale(at=at, rationale=text),
        wf.EscalateToNextStage(at=at, reason=text),
        wf.Pause(at=at, reason=text, review_on=day + timedelta(days=3)),
        wf.Resume(at=at, reason=text),
        wf.Resolve(at=at, decision=text, decided_by=text),
        wf.Withdraw(at=at, reason=text),
        wf.ConvenePanel(
            at=at,
            member_count=3,
            agency_ids=frozenset({1, 2, 3}) if day_offset <= 0 else frozenset({1}),
            disputing_agency_ids=frozenset({1, 2}),
        ),
        wf.RecordRepresentation(at=at, summary=text),
        wf.RecordPanelDecision(at=at, decision=text, members_present=(1,)),
        wf.AddAction(at=at, description=text, due_on=day),
        wf.CompleteAction(at=at),
        wf.AddView(at=at, view=text),
        wf.CorrectEntry(at=at, correction=text),
    ]
    return choices[kind % len(choices)]


steps = st.lists(
    st.tuples(
        # which action: stage work (discussion, rationale, escalate) comes up more often
        st.one_of(st.sampled_from([0, 0, 2, 3, 3, 3, 5]), st.integers(min_value=0, max_value=14)),
        st.sampled_from([0, 0, 1, 1, 2, 3, 4, 5]),  # who acts (mostly the two sides)
        st.sampled_from(["A reason", "A reason", "A reason", "", "  "]),  # text typed
        st.sampled_from([0, 0, -2, 1]),  # dates relative to today
        st.integers(min_value=0, max_value=60 * 60 * 80),  # seconds since the last step
    ),
    min_size=5,
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(
    steps=steps,
    stage_count=st.integers(min_value=1, max_value=5),
    hours=st.booleans(),
    flags=st.frozensets(st.sampled_from(["cp_plan", "looked_after", "immediate_harm", "child"])),
    advance=st.integers(min_value=0, max_value=4),
)
def test_no_sequence_of_actions_breaks_the_rules(
    steps: list[tuple[int, int, str, int, int]],
    advance: int,
    stage_count: int,
    hours: bool,
    flags: frozenset[str],
) -> None:
    document = policy_document(stage_count=stage_count, panel=stage_count > 1)
    if hours:
        document["stages"][0]["timescale"] = {"hours": 48}
    policy = PolicySpec.model_validate(document)
    transition = wf.start(policy, at=MONDAY, flags=flags)
    state = transition.state
    wf.check_invariants(policy, state)
    assert transition.of_type(wf.ChronologyEvent)
    at = MONDAY
    # Begin the random actions from a later stage, the way a real escalation gets there.
    opening = [(0, 0, "A reason", 0, 60), (3, 0, "A reason", 0, 60)] * advance
    for kind, who, text, day_offset, seconds in opening + steps:
        at = at + timedelta(seconds=seconds)
        action = make_action(kind, at, text, day_offset)
        try:
            transition = wf.apply(policy, state, action, ACTORS[who])
        except wf.ActionRefused as refused:
            assert refused.message
            continue
        new = transition.state
        wf.check_invariants(policy, new)
        # Every transition leaves a trace on the chronology.
        assert transition.of_type(wf.ChronologyEvent)
        # A stage never goes backwards.
        assert new.stage_index >= state.stage_index
        # Resolved and withdrawn are final.
        if state.is_closed:
            assert new.status == state.status
            assert new.stage_key == state.stage_key
        assert new.version >= state.version
        event(f"{new.status}:{new.stage_index}")
        state = new


@settings(max_examples=100, deadline=None)
@given(closing=st.sampled_from(["resolve", "withdraw"]), later=st.integers(0, 14))
def test_a_closed_escalation_refuses_every_stage_action(closing: str, later: int) -> None:
    policy = spec(stage_count=1, panel=False)
    state = started(policy)
    close: wf.WorkflowAction
    if closing == "resolve":
        state = wf.apply(
            policy,
            state,
            wf.RecordDiscussion(
                at=MONDAY,
                held_on=MONDAY.date(),
                with_whom="a",
                method="b",
                summary="c",
                outcome="d",
            ),
            RAISER,
        ).state
        close = wf.Resolve(at=MONDAY, decision="Agreed", decided_by="Both managers")
    else:
        close = wf.Withdraw(at=MONDAY, reason="Resolved informally")
    closed = wf.apply(policy, state, close, RAISER).state
    action = make_action(later, MONDAY + timedelta(hours=1), "text", 0)
    if isinstance(action, (wf.CompleteAction, wf.CorrectEntry)):
        return  # following up agreed actions and correcting the record go on after closing
    for actor in ACTORS:
        with pytest.raises(wf.ActionRefused):
            wf.apply(policy, closed, action, actor)


def test_action_due_dates_in_the_past_are_refused() -> None:
    with pytest.raises(wf.ActionRefused) as refused:
        wf.check_action("Do it", date(2026, 3, 1), True, MONDAY)
    assert refused.value.field == "due_on"
    with pytest.raises(wf.ActionRefused) as refused:
        wf.check_action("Do it", date(2026, 3, 5), False, MONDAY)
    assert refused.value.field == "owner"
