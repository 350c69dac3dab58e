"""Properties of who decides, for every shipped policy, over generated sequences of actions:

- the respondent's side never closes an escalation alone at a stage the parties decide;
- only a stage's decision-maker records its decision;
- every escalation can always move: someone can act, or the sweep acts for them (and where
  people have left or are away, the sweep flags it and the business unit reassigns their part);
- every unanswered request eventually lets the raiser act (a rationale request, a proposed
  resolution, and a pause: its review date reminds the raiser, who may resume it).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from escalate.escalations import deciding as dc
from escalate.escalations import workflow as wf
from escalate.escalations.tests.test_deciding import (
    BUSINESS_UNIT,
    CHAIR,
    MONDAY,
    PANEL_LEAD,
    PANEL_MEMBER,
    RAISER,
    RAISER_MANAGER,
    RESPONDENT,
    RESPONDENT_MANAGER,
    shipped,
)
from escalate.policies.calendar import LONDON
from escalate.policies.schema import DecisionMaker, PolicySpec, WhenUnanswered

SHIPPED_POLICIES = [
    "havering",
    "pan-berkshire",
    "practitioner-guide",
    "practitioner-guide-scotland",
    "waltham-forest",
    "west-sussex",
]

ACTORS = [
    RAISER,
    RESPONDENT,
    RAISER_MANAGER,
    RESPONDENT_MANAGER,
    CHAIR,
    PANEL_LEAD,
    PANEL_MEMBER,
    dc.SWEEP,
    BUSINESS_UNIT,
]


def actions_at(at: datetime, text: str) -> list[object]:
    """Every kind of action, with `text` typed where text is asked for."""
    today = at.astimezone(LONDON).date()
    return [
        wf.RecordDiscussion(
            at=at, held_on=today, with_whom=text, method=text, summary=text, outcome=text
        ),
        wf.RequestRationale(at=at, message=text),
        wf.GiveRationale(at=at, rationale=text),
        wf.EscalateToNextStage(at=at, reason=text, board_engagement=text),
        wf.Pause(at=at, reason=text, review_on=today + timedelta(days=2)),
        wf.Resume(at=at, reason=text),
        wf.Resolve(at=at, decision=text, decided_by=text),
        wf.ConvenePanel(
            at=at,
            member_count=3,
            agency_ids=frozenset({1, 2, 3}),
            disputing_agency_ids=frozenset({1, 2}),
        ),
        wf.RecordPanelDecision(at=at, decision=text, members_present=(1, 2, 3)),
        dc.ProposeResolution(at=at, decision=text),
        dc.AcceptProposal(at=at),
        dc.DeclineProposal(at=at, reason=text, escalate=True, board_engagement=text),
        dc.DeclineProposal(at=at, reason=text),
        dc.LapseProposal(at=at),
        dc.LapseRationale(at=at),
        dc.MoveUpTier(at=at, reason=text),
        dc.ChangeTimescale(at=at, due_on=today + timedelta(days=1), reason=text),
        dc.Reopen(at=at, reason=text, grounds="recurred"),
        # Issue 15, items 6 to 8: a later due date, an urgent pause a raiser-side manager agreed,
        # and the part of someone who left passing to someone who can act.
        dc.ChangeTimescale(at=at, due_on=today + timedelta(days=12), reason=text),
        wf.Pause(
            at=at, reason=text, review_on=today + timedelta(days=1), raiser_manager_agrees=True
        ),
        dc.Reassign(
            at=at,
            part="respondent",
            reason=text,
            from_person_gone=True,
            by_their_manager=False,
        ),
    ]


ACTION_COUNT = len(actions_at(MONDAY, "x"))

# What moves an escalation on (withdrawing gives up; it is always open to the raiser anyway).
MOVING = (
    wf.RecordDiscussion,
    wf.GiveRationale,
    wf.EscalateToNextStage,
    wf.Resume,
    wf.Resolve,
    wf.ConvenePanel,
    wf.RecordPanelDecision,
    dc.ProposeResolution,
    dc.AcceptProposal,
    dc.DeclineProposal,
    dc.LapseProposal,
    dc.LapseRationale,
)


def can_move(policy: PolicySpec, state: wf.EscalationState, at: datetime) -> bool:
    """Someone (a party, the chair, the panel, or the sweep) can move `state` on by `at`."""
    for action in actions_at(at, "A reason"):
        if not isinstance(action, MOVING):
            continue
        for actor in ACTORS:
            if dc.allowed(policy, state, action, actor):  # type: ignore[arg-type]
                return True
    return False


def raiser_agreed(state: wf.EscalationState, action: object, actor: wf.Actor) -> bool:
    """The raiser's side agreed the resolution: they closed it, accepted it, or proposed it."""
    if actor.on_raiser_side:
        return True
    return state.proposal is not None and state.proposal.side == "raiser"


# For each action (by index in actions_at), the actors who would plausibly take it.
NATURAL_ACTORS = [
    [0, 1, 2, 3],  # discussion
    [0, 2],  # request a rationale
    [1, 3],  # give it
    [0, 1, 2, 3],  # escalate
    [0, 1, 2, 3],  # pause
    [0, 1, 2, 3],  # resume
    [0, 1, 2, 3, 4],  # resolve
    [4],  # convene a panel
    [4, 5, 6],  # the panel's decision
    [0, 1, 2, 3],  # propose
    [0, 1, 2, 3],  # accept
    [0, 2],  # decline and escalate
    [0, 1, 2],  # decline
    [7],  # the sweep: proposal unanswered
    [7],  # the sweep: rationale unanswered
    [2, 3],  # next tier
    [2, 3, 4],  # change the due date
    [0, 2],  # reopen
    [2, 3, 4],  # set a later due date
    [0, 1, 2, 3],  # pause, with a raiser-side manager's agreement
    [8],  # the business unit reassigns a part
]

steps = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=ACTION_COUNT - 1),  # which action
        st.integers(min_value=0, max_value=len(ACTORS) - 1),  # who acts
        st.booleans(),  # someone who plausibly would (else anyone)
        st.sampled_from(["A reason", "A reason", "A reason", " "]),  # text typed
        st.sampled_from([60, 3600, 6 * 3600, 3 * 86400]),  # time between steps
    ),
    min_size=10,
    max_size=50,
)


@pytest.mark.parametrize("name", SHIPPED_POLICIES)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=steps, urgent=st.booleans(), stage=st.integers(min_value=0, max_value=3))
def test_who_decides_holds_over_any_sequence_of_actions(
    name: str, steps: list[tuple[int, int, bool, str, int]], urgent: bool, stage: int
) -> None:
    walk(name, steps, urgent, stage)


def walk(name: str, steps: list[tuple[int, int, bool, str, int]], urgent: bool, stage: int) -> None:
    policy = shipped(name)
    flags = frozenset({"child", "immediate_harm"} if urgent else {"child"})
    state = wf.start(policy, at=MONDAY, flags=flags).state
    # Begin at any stage, the way an escalation gets there.
    state = wf.replace(state, stage_key=policy.stages[stage].key, stage_index=stage)
    at = MONDAY
    for index, (kind, who, natural, text, seconds) in enumerate(steps):
        at += timedelta(seconds=seconds)
        action = actions_at(at, text)[kind]
        plausible = NATURAL_ACTORS[kind]
        actor = ACTORS[plausible[who % len(plausible)] if natural else who]
        try:
            transition = wf.apply(policy, state, action, actor)  # type: ignore[arg-type]
        except wf.ActionRefused as refused:
            assert refused.message
            continue
        new = transition.state
        wf.check_invariants(policy, new)
        dc.check_decision_invariants(policy, new)
        if new.status == wf.RESOLVED and state.status != wf.RESOLVED:
            maker = policy.stage(state.stage_key).decision_maker
            if maker == DecisionMaker.PARTIES:
                lapsed_to_accepted = (
                    isinstance(action, dc.LapseProposal)
                    and policy.proposals.when_unanswered == WhenUnanswered.ACCEPTED
                )
                assert raiser_agreed(state, action, actor) or lapsed_to_accepted, (
                    "the side being challenged closed a stage the parties decide alone"
                )
            else:
                check_the_decision_maker_decided(action, actor)
        event(f"{name}:{new.status}:{new.stage_key}")
        state = new
        if not state.is_closed and index % 8 == 0:
            assert can_move(policy, state, at + timedelta(days=30)), state
    if not state.is_closed:
        assert can_move(policy, state, at + timedelta(days=30)), state
        check_unanswered_requests_let_the_raiser_act(policy, state, at)


def check_the_decision_maker_decided(action: object, actor: wf.Actor) -> None:
    """At a stage with a decision-maker, the decision is the chair's, or the panel's recorded
    by the chair or the panel lead the chair named, with the members who took part."""
    if isinstance(action, wf.RecordPanelDecision):
        assert actor.is_partnership_chair or actor.is_panel_lead, (
            "someone other than the chair or the panel lead recorded the panel's decision"
        )
        assert action.members_present, "a panel decision without the members who took part"
    else:
        assert isinstance(action, wf.Resolve), f"{type(action).__name__} closed a chair's stage"
        assert actor.is_partnership_chair, "someone other than the chair decided"


# Everyone who might try to record a decision: the parties, their managers, the business
# unit, a panel member the chair did not name as lead, the panel lead, the chair, the sweep.
DECIDERS = [
    *ACTORS,
    BUSINESS_UNIT,
    wf.Actor(parts=frozenset({"respondent_manager"}), roles=frozenset({"senior_manager"})),
]
DECISIONS = ("resolve_escalation", "record_panel_decision", "accept_resolution")


@pytest.mark.parametrize("name", SHIPPED_POLICIES)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=steps,
    stage=st.integers(min_value=0, max_value=3),
    panel=st.booleans(),
)
def test_only_a_stages_decision_maker_is_offered_or_may_record_its_decision(
    name: str,
    steps: list[tuple[int, int, bool, str, int]],
    stage: int,
    panel: bool,
) -> None:
    """Whatever state an escalation is in, at a stage with a decision-maker nobody else is
    offered the decision or has it accepted; where the parties decide, only the parties are
    (the chair and the panel have no say there)."""
    policy = shipped(name)
    state = wf.start(policy, at=MONDAY, flags=frozenset({"child"})).state
    state = wf.replace(state, stage_key=policy.stages[stage].key, stage_index=stage)
    at = MONDAY
    for kind, who, _natural, text, seconds in steps:
        at += timedelta(seconds=seconds)
        try:
            state = wf.apply(policy, state, actions_at(at, text)[kind], ACTORS[who]).state  # type: ignore[arg-type]
        except wf.ActionRefused:
            continue
        if state.is_closed:
            break
    if state.is_closed:
        return
    if panel and wf._panel_stage(policy, state):
        state = wf.replace(state, panel_convened=True)
    maker = policy.stage(state.stage_key).decision_maker
    for actor in DECIDERS:
        offered = wf.allowed_actions(policy, state, actor, at) & set(DECISIONS)
        resolve = wf.Resolve(at=at, decision="Decided", decided_by="Us")
        panel_decision = wf.RecordPanelDecision(at=at, decision="Decided", members_present=(1,))
        for action, rule in (
            (resolve, "resolve_escalation"),
            (panel_decision, "record_panel_decision"),
        ):
            accepted = dc.allowed(policy, state, action, actor)
            assert accepted == (rule in offered), (name, rule, actor)
            if not accepted:
                continue
            if maker == DecisionMaker.PARTIES:
                assert isinstance(action, wf.Resolve) and actor.on_raiser_side, (name, actor)
            else:
                check_the_decision_maker_decided(action, actor)
        if maker != DecisionMaker.PARTIES:
            assert "accept_resolution" not in offered


def check_unanswered_requests_let_the_raiser_act(
    policy: PolicySpec, state: wf.EscalationState, at: datetime
) -> None:
    later = at + timedelta(days=30)
    if state.status == wf.PAUSED:
        # The review date reminds the raiser (deciding.asked), who may resume it: a pause never
        # waits on whoever paused it.
        assert any(asked.who == "raiser" for asked in dc.asked(policy, state))
        assert dc.allowed(policy, state, wf.Resume(at=later, reason="Reviewed"), RAISER)
        return
    if state.rationale_requested:
        lapsed = wf.apply(policy, state, dc.LapseRationale(at=later), dc.SWEEP).state
        assert "rationale" not in wf._missing_records(policy, lapsed)
    proposal = state.proposal
    if proposal is not None and proposal.side == "respondent":
        decline = dc.DeclineProposal(at=later, reason="Still at risk")
        assert dc.allowed(policy, state, decline, RAISER)
        if not proposal.with_raiser_manager:
            assert dc.sweep_actions(state, later)


@pytest.mark.parametrize("name", SHIPPED_POLICIES)
def test_a_silent_respondent_never_stops_the_raiser_escalating(name: str) -> None:
    policy = shipped(name)
    state = wf.start(policy, at=MONDAY, flags=frozenset({"child"})).state
    discussion = wf.RecordDiscussion(
        at=MONDAY, held_on=MONDAY.date(), with_whom="x", method="x", summary="x", outcome="x"
    )
    state = wf.apply(policy, state, discussion, RAISER).state
    state = wf.apply(policy, state, wf.RequestRationale(at=MONDAY, message="Why?"), RAISER).state
    later = MONDAY + timedelta(days=30)
    for action in dc.sweep_actions(state, later):
        state = wf.apply(policy, state, action, dc.SWEEP).state
    escalate = wf.EscalateToNextStage(at=later, reason="No answer")
    assert wf.apply(policy, state, escalate, RAISER).state.stage_index == 1


GONE = st.frozensets(
    st.sampled_from(["raiser", "raiser_manager", "respondent", "respondent_manager"])
)


@pytest.mark.parametrize("name", SHIPPED_POLICIES)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=steps,
    urgent=st.booleans(),
    stage=st.integers(min_value=0, max_value=3),
    gone=GONE,
    unlisted=st.booleans(),
)
def test_nobody_is_stranded_by_people_leaving(
    name: str,
    steps: list[tuple[int, int, bool, str, int]],
    urgent: bool,
    stage: int,
    gone: frozenset[str],
    unlisted: bool,
) -> None:
    """Whoever has left or is away, an open escalation can still move: someone active can act,
    or the sweep flags the side nobody can act for and the business unit reassigns a part."""
    policy = shipped(name)
    flags = frozenset({"child", "immediate_harm"} if urgent else {"child"})
    state = wf.start(policy, at=MONDAY, flags=flags).state
    state = wf.replace(
        state,
        stage_key=policy.stages[stage].key,
        stage_index=stage,
        respondent_unlisted=unlisted,
    )
    at = MONDAY
    for kind, who, _natural, text, seconds in steps:
        at += timedelta(seconds=seconds)
        try:
            state = wf.apply(policy, state, actions_at(at, text)[kind], ACTORS[who]).state  # type: ignore[arg-type]
        except wf.ActionRefused:
            continue
    if state.is_closed:
        return
    active = frozenset({"raiser", "raiser_manager", "respondent", "respondent_manager"}) - gone
    stranded = dc.stranded_sides(state, active)
    for side, parts in (("raiser", wf.RAISER_SIDE), ("respondent", wf.RESPONDENT_SIDE)):
        if side == "respondent" and unlisted:
            continue  # "someone not listed" never blocks
        assert (side in stranded) == (not active & parts), (side, active, stranded)
    for side in stranded:
        # The business unit can always hand the side's part to someone who can act.
        reassign = dc.Reassign(
            at=at,
            part=side,
            reason="Left the service",
            from_person_gone=True,
            by_their_manager=False,
        )
        assert dc.allowed(policy, state, reassign, BUSINESS_UNIT), side
    later = at + timedelta(days=30)
    actors = [dc.SWEEP, CHAIR, PANEL_LEAD, BUSINESS_UNIT]
    actors += [wf.Actor(parts=frozenset({part})) for part in active | set(stranded)]
    assert any(
        dc.allowed(policy, state, action, actor)  # type: ignore[arg-type]
        for action in actions_at(later, "A reason")
        if isinstance(action, MOVING)
        for actor in actors
    ), state
