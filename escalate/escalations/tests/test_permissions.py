"""The core owns permissions: what `allowed_actions` offers is exactly what `apply` accepts.

For the shipped policies and generated variants, states reached by random walks and any mix of
parts and roles: every action the core allows, given valid input, is accepted by `apply`; every
action it does not allow is refused, whatever the input.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from escalate.escalations import deciding as dc
from escalate.escalations import workflow as wf
from escalate.escalations.tests.factories import policy_document
from escalate.policies.calendar import LONDON
from escalate.policies.loader import parse_policy_file
from escalate.policies.schema import PolicySpec

MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=LONDON)
POLICY_DIR = Path(__file__).resolve().parents[3] / "policies"
SHIPPED = {path.name: parse_policy_file(path) for path in sorted(POLICY_DIR.glob("*.yaml"))}

PARTS = ["raiser", "raiser_manager", "respondent", "respondent_manager", "panel_member", "iro"]
ROLES = ["partnership_chair", "iro", "cp_chair", "panel_member", "business_manager", "dsl"]

actors = st.builds(
    wf.Actor,
    parts=st.frozensets(st.sampled_from(PARTS), max_size=3),
    roles=st.frozensets(st.sampled_from(ROLES), max_size=2),
    former_parts=st.frozensets(st.sampled_from(PARTS), max_size=2),
)
action_items = st.builds(wf.ActionItem, done=st.booleans(), owner_or_creator=st.booleans())
entry_items = st.builds(wf.EntryItem, by_author=st.booleans())
STAGE_ACTIONS = [found.name for found in wf.RULES if not found.on_item]
RAISER = wf.Actor(parts=frozenset({"raiser"}))
RESPONDENT = wf.Actor(parts=frozenset({"respondent"}))
CHAIR = wf.Actor(roles=frozenset({"partnership_chair"}))
walkers = st.one_of(st.sampled_from([RAISER, RESPONDENT, CHAIR]), actors)
# How a real escalation reaches a later stage: the records, then escalating.
ONE_STAGE_ON = [
    ("record_discussion", RAISER, 60),
    ("give_rationale", RESPONDENT, 60),
    ("escalate_to_next_stage", RAISER, 60),
]


def _valid_input(
    spec: PolicySpec, at: datetime, item: Any
) -> dict[str, Callable[[], wf.WorkflowAction | dc.DecidingAction]]:
    """For each rule, an action whose typed input passes every check of its own."""
    today = at.astimezone(LONDON).date()
    minimum = spec.panel.min_agencies if spec.panel is not None else 1
    agencies = frozenset(range(1, max(minimum, 2) + 1))
    return {
        "record_discussion": lambda: wf.RecordDiscussion(
            at=at, held_on=today, with_whom="A", method="phone", summary="B", outcome="C"
        ),
        "request_rationale": lambda: wf.RequestRationale(at=at, message="Why?"),
        "give_rationale": lambda: wf.GiveRationale(at=at, rationale="Because"),
        "escalate_to_next_stage": lambda: wf.EscalateToNextStage(
            at=at, reason="Stuck", board_engagement="Both agencies' Board members"
        ),
        "pause_escalation": lambda: wf.Pause(
            at=at,
            reason="Meeting",
            review_on=at.astimezone(LONDON).date() + timedelta(days=1),
            raiser_manager_agrees=True,
        ),
        "resume_escalation": lambda: wf.Resume(at=at, reason="Met"),
        "resolve_escalation": lambda: wf.Resolve(at=at, decision="Agreed", decided_by="Both"),
        "withdraw_escalation": lambda: wf.Withdraw(at=at, reason="Sorted"),
        "convene_panel": lambda: wf.ConvenePanel(
            at=at,
            member_count=len(agencies),
            agency_ids=agencies,
            disputing_agency_ids=frozenset({1, 2}),
        ),
        "record_representation": lambda: wf.RecordRepresentation(at=at, summary="Our view"),
        "record_panel_decision": lambda: wf.RecordPanelDecision(
            at=at, decision="Decided", members_present=(1, 2)
        ),
        "add_action": lambda: wf.AddAction(at=at, description="Do it", due_on=today),
        "add_view": lambda: wf.AddView(at=at, view="My view"),
        "complete_action": lambda: wf.CompleteAction(
            at=at, already_done=item.done, by_owner_or_creator=item.owner_or_creator
        ),
        "correct_entry": lambda: wf.CorrectEntry(
            at=at, correction="Should say", by_author=item.by_author
        ),
        "propose_resolution": lambda: dc.ProposeResolution(at=at, decision="Agreed plan"),
        "accept_resolution": lambda: dc.AcceptProposal(at=at),
        "decline_resolution": lambda: dc.DeclineProposal(at=at, reason="Not enough"),
        "reopen_escalation": lambda: dc.Reopen(at=at, reason="It came back", grounds="recurred"),
        "change_timescale": lambda: dc.ChangeTimescale(at=at, due_on=today, reason="Sooner"),
        "move_up_tier": lambda: dc.MoveUpTier(at=at, reason="The directors must meet"),
        "reassign_part": lambda: dc.Reassign(
            at=at,
            part="respondent",
            reason="Left the service",
            from_person_gone=True,
            by_their_manager=True,
        ),
    }


def test_every_rule_has_valid_input_here() -> None:
    # A new action must be added to _valid_input, so the property below covers it.
    assert set(_valid_input(SHIPPED["havering.yaml"], MONDAY, None)) == set(wf.ACTION_NAMES)


@st.composite
def policies(draw: st.DrawFn) -> PolicySpec:
    """A shipped policy, or a generated one (stage count, panel, records and timescale vary)."""
    if draw(st.booleans()):
        return SHIPPED[draw(st.sampled_from(sorted(SHIPPED)))]
    stage_count = draw(st.integers(min_value=1, max_value=5))
    document = policy_document(stage_count=stage_count, panel=draw(st.booleans()))
    for stage in document["stages"]:
        stage["must_record"] = draw(
            st.lists(st.sampled_from(["discussion", "rationale"]), unique=True, max_size=2)
        )
    if draw(st.booleans()):
        document["stages"][0]["timescale"] = {"hours": 48}
    if "panel" in document and draw(st.booleans()):
        document["panel"]["min_agencies"] = draw(st.integers(min_value=2, max_value=4))
        document["panel"]["must_include_disputing_agencies"] = draw(st.booleans())
    return PolicySpec.model_validate(document)


@settings(max_examples=250, deadline=None)
@given(
    spec=policies(),
    walk=st.lists(
        st.tuples(st.sampled_from(STAGE_ACTIONS), walkers, st.integers(0, 60 * 60 * 30)),
        max_size=25,
    ),
    advance=st.integers(min_value=0, max_value=4),
    convene=st.booleans(),
    flags=st.frozensets(st.sampled_from(["cp_plan", "looked_after", "child"])),
    actor=actors,
    action_item=action_items,
    entry_item=entry_items,
)
def test_what_is_allowed_is_exactly_what_apply_accepts(
    spec: PolicySpec,
    walk: list[tuple[str, wf.Actor, int]],
    advance: int,
    convene: bool,
    flags: frozenset[str],
    actor: wf.Actor,
    action_item: wf.ActionItem,
    entry_item: wf.EntryItem,
) -> None:
    at = MONDAY
    state = wf.start(spec, at=at, flags=flags).state
    states = [state]
    opening = ONE_STAGE_ON * advance + ([("convene_panel", CHAIR, 60)] if convene else [])
    for name, walker, seconds in opening + walk:
        at += timedelta(seconds=seconds)
        try:
            state = wf.apply(spec, state, _valid_input(spec, at, None)[name](), walker).state
        except wf.ActionRefused:
            continue
        states.append(state)
    at += timedelta(minutes=1)
    for state in states:
        allowed = wf.allowed_actions(spec, state, actor, at)
        for found in wf.RULES:
            item = (
                action_item
                if found.name == "complete_action"
                else entry_item
                if found.name == "correct_entry"
                else at
                if found.timed
                else None
            )
            action = _valid_input(spec, at, item)[found.name]()
            may = (
                wf.may(spec, state, actor, found.name, item)
                if found.on_item
                else found.name in allowed
            )
            if may:
                event(f"allowed: {found.name}")
                assert wf.refusal(spec, state, actor, found.name, item) is None
                transition = wf.apply(spec, state, action, actor)  # must not be refused
                wf.check_invariants(spec, transition.state)
            else:
                with pytest.raises(wf.ActionRefused) as refused:
                    wf.apply(spec, state, action, actor)
                assert refused.value.message == wf.refusal(spec, state, actor, found.name, item)


def test_a_panel_is_never_made_of_practitioners() -> None:
    spec = PolicySpec.model_validate(policy_document(stage_count=2))
    state = wf.start(spec, at=MONDAY, flags=frozenset({"child"})).state
    at_panel_stage = wf.replace(state, stage_key="stage_2", stage_index=1)
    chair = wf.Actor(roles=frozenset({"partnership_chair"}))
    assert "convene_panel" in wf.allowed_actions(spec, at_panel_stage, chair)
    assert "convene_panel" not in wf.allowed_actions(spec, state, chair)
    convene = wf.ConvenePanel(
        at=MONDAY,
        member_count=3,
        agency_ids=frozenset({1, 2, 3}),
        disputing_agency_ids=frozenset({1, 2}),
        practitioners=1,
    )
    with pytest.raises(wf.ActionRefused, match="never made of practitioners") as refused:
        wf.apply(spec, at_panel_stage, convene, chair)
    assert refused.value.field == "members"
    assert wf.apply(spec, at_panel_stage, wf.replace(convene, practitioners=0), chair)
    assert not wf.may_sit_on_panel(level=1, roles=frozenset({"iro"}))
    assert wf.may_sit_on_panel(level=1, roles=frozenset({"panel_member"}))
    assert wf.may_sit_on_panel(level=2, roles=frozenset())
