"""Who decides each stage, as the policies mean it: plain Python, no database.

Built on `workflow.py`'s state, actors and events, and registered into its `apply`:
- where the parties decide, a stage ends in agreement: one side proposes a resolution and the
  other accepts it; the side being challenged never closes a stage alone, and the raiser's side
  can decline with a reason and escalate;
- where the policy names a decision-maker (the partnership chair, the panel the chair
  convenes), only they record the decision, and it is final;
- nobody blocks by silence: a rationale request and a proposed resolution have due dates, after
  which the sweep records the silence and the waiting side may act;
- a resolved escalation can be reopened by the raiser's side within the policy's window;
- tiers of management within a stage, timescales managers may shorten or set, urgent pauses,
  the Resolution Panel's candidates, and reassigning the part of someone who has left.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from escalate.escalations import workflow as wf
from escalate.policies import calendar
from escalate.policies.schema import (
    DecisionMaker,
    Event,
    PolicySpec,
    Recipient,
    Record,
    ReopenTo,
    Stage,
    StageEntryRecord,
    Timescale,
    TimescaleSetter,
    WhenUnanswered,
)

ActionRefused = wf.ActionRefused
SWEEP = wf.Actor(roles=frozenset({"sweep"}))
RAISER, RESPONDENT = "raiser", "respondent"
REOPEN_GROUNDS = frozenset({"action_overdue", "recurred"})


# --- actions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposeResolution:
    """One side proposes how the disagreement is resolved (the decision and agreed actions)."""

    at: datetime
    decision: str
    action_count: int = 0


@dataclass(frozen=True)
class AcceptProposal:
    at: datetime


@dataclass(frozen=True)
class DeclineProposal:
    """The other side declines the proposal with a reason, and may escalate at once."""

    at: datetime
    reason: str
    escalate: bool = False
    board_engagement: str = ""


@dataclass(frozen=True)
class LapseProposal:
    """The answer window passed: the policy says whether it is accepted or goes to the
    raiser's manager."""

    at: datetime


@dataclass(frozen=True)
class LapseRationale:
    """The rationale request's due date passed unanswered: the silence is recorded."""

    at: datetime


@dataclass(frozen=True)
class Reopen:
    at: datetime
    reason: str
    grounds: str  # "action_overdue" or "recurred"
    overdue_action_count: int = 0


@dataclass(frozen=True)
class MoveUpTier:
    """Both sides take it to the next tier of management within the stage."""

    at: datetime
    reason: str
    someone_higher: bool = True  # either side has a manager (or contact) above this tier


@dataclass(frozen=True)
class ChangeTimescale:
    at: datetime
    due_on: date
    reason: str


@dataclass(frozen=True)
class Reassign:
    """Someone's part passes to another person (they were deactivated or are away)."""

    at: datetime
    part: str
    reason: str
    from_person_gone: bool  # the person is deactivated or marked away
    by_their_manager: bool  # the actor is that person's line manager
    to_person_active: bool = True
    # The raiser's and respondent's parts (and their managers') stay with their agency: the
    # disagreement is between agencies (001), so a side never passes to the other agency.
    to_person_in_side_agency: bool = True


DecidingAction = (
    ProposeResolution
    | AcceptProposal
    | DeclineProposal
    | LapseProposal
    | LapseRationale
    | Reopen
    | MoveUpTier
    | ChangeTimescale
    | Reassign
)

Handled = tuple[wf.EscalationState, list[wf.WorkflowEvent]]


# --- what the rules need from the policy --------------------------------------------------


def decision_maker(spec: PolicySpec, stage_key: str) -> DecisionMaker:
    return spec.stage(stage_key).decision_maker


def parties_decide(spec: PolicySpec, stage_key: str) -> bool:
    return decision_maker(spec, stage_key) == DecisionMaker.PARTIES


def _working_days_after(spec: PolicySpec, at: datetime, days: int) -> datetime:
    return calendar.stage_deadline(at, Timescale(working_days=days), nation=spec.nation.value)


def rationale_due(spec: PolicySpec, state: wf.EscalationState, at: datetime) -> datetime:
    """When a rationale asked for at `at` is due: the stage's own request window, else the
    stage's timescale (urgent where immediate harm is recorded)."""
    stage = spec.stage(state.stage_key)
    if stage.rationale_due_working_days is not None:
        return _working_days_after(spec, at, stage.rationale_due_working_days)
    return wf.stage_deadline(spec, stage, at, state.flags)


def _stage_name(spec: PolicySpec, state: wf.EscalationState) -> str:
    return spec.stage(state.stage_key).name


def _decider_words(maker: DecisionMaker) -> str:
    return {DecisionMaker.PARTNERSHIP_CHAIR: "the partnership chair"}.get(maker, "the parties")


def _require_not_closed(state: wf.EscalationState) -> None:
    refused = wf._closed(state)
    if refused is not None:
        raise ActionRefused(refused)


def _refuse_if_records_missing(spec: PolicySpec, state: wf.EscalationState, doing: str) -> None:
    refused = wf._records_missing(spec, state, doing)
    if refused is not None:
        raise ActionRefused(refused)


def allowed(spec: PolicySpec, state: wf.EscalationState, action: object, actor: wf.Actor) -> bool:
    """True when `apply` would accept `action` from `actor` now."""
    try:
        wf.apply(spec, state, action, actor)  # type: ignore[arg-type]
    except ActionRefused:
        return False
    return True


def _require_open(state: wf.EscalationState, doing: str) -> None:
    _require_not_closed(state)
    if state.status == wf.PAUSED:
        raise ActionRefused(f"Resume this escalation before you {doing}.")


def _notify_default(
    events: list[wf.WorkflowEvent],
    spec: PolicySpec,
    event: str,
    state: wf.EscalationState,
    default: tuple[Any, ...],
) -> None:
    """The policy's recipients for `event`; where it names none, `default` (the people asked)."""
    found = wf.notifications_for(spec, event, state.stage_key, state.flags)
    if found is None and default:
        found = wf.NotificationEvent(event=event, stage_key=state.stage_key, recipients=default)
    if found is not None:
        events.append(found)


# --- checks called from workflow.py's own handlers ---------------------------------------


def resolver_refusal(spec: PolicySpec, state: wf.EscalationState, actor: wf.Actor) -> str | None:
    """Why `actor` may not resolve (close) the current stage directly, or None."""
    maker = decision_maker(spec, state.stage_key)
    if maker == DecisionMaker.PARTNERSHIP_CHAIR:
        if not actor.is_partnership_chair:
            return (
                f"At {_stage_name(spec, state)} only {_decider_words(maker)} decides: the "
                "decision is theirs, and it is final."
            )
        return None
    if not actor.in_stage:
        return "Only the people involved at this stage can resolve it."
    if not actor.on_raiser_side:
        return (
            "The side being challenged cannot close the escalation alone: propose a resolution, "
            "and it takes effect when the raiser's side accepts it."
        )
    return None


def panel_decision_refusal(actor: wf.Actor) -> str | None:
    """Havering 2.13: the panel "will collectively resolve": the chair, or the panel lead the
    chair named, records its decision."""
    if not (actor.is_partnership_chair or actor.is_panel_lead):
        return (
            "The panel decides together: its decision is recorded by the partnership chair or "
            "the panel lead the chair named."
        )
    return None


def pause_refusal(state: wf.EscalationState, actor: wf.Actor) -> str | None:
    """The side being challenged never pauses an urgent escalation."""
    if state.is_urgent and not actor.on_raiser_side:
        return (
            "Immediate harm is recorded: the side being challenged cannot pause this "
            "escalation. Ask a manager on the raiser's side."
        )
    return None


def check_entry(spec: PolicySpec, following: Stage, action: wf.EscalateToNextStage) -> None:
    """What must be recorded before `following` is entered (Havering 2.8: Board members)."""
    if StageEntryRecord.BOARD_ENGAGEMENT in following.entry_requires and not (
        action.board_engagement.strip()
    ):
        raise ActionRefused(
            f"Before this goes to {following.name}, record which Board members of each agency "
            "were engaged in seeking resolution (the policy requires it).",
            field="board_engagement",
        )


def check_pause(
    spec: PolicySpec, state: wf.EscalationState, action: wf.Pause, actor: wf.Actor
) -> None:
    """A pause has a review date within the policy's window; an urgent one needs a manager on
    the raiser's side, and the side being challenged never pauses it alone."""
    if action.review_on is None:
        raise ActionRefused("Enter the date the pause will be reviewed.", field="review_on")
    today = calendar.local_date(action.at)
    latest = calendar.add_working_days(today, spec.pause.review_within_working_days, spec.nation)
    if not today < action.review_on <= latest:
        raise ActionRefused(
            f"The review date must be after today and no later than {latest:%-d %B %Y} "
            f"({spec.pause.review_within_working_days} working days, the policy's limit).",
            field="review_on",
        )
    refused = pause_refusal(state, actor)
    if refused is not None:
        raise ActionRefused(refused)
    if (
        state.is_urgent
        and spec.pause.urgent_needs_raiser_manager_agreement
        and "raiser_manager" not in actor.parts
        and not action.raiser_manager_agrees
    ):
        raise ActionRefused(
            "Immediate harm is recorded: a manager on the raiser's side must agree to pausing "
            "it. Name the manager who agreed.",
            field="agreed_by",
        )


def check_panel_members(spec: PolicySpec, action: wf.ConvenePanel) -> None:
    """Havering 2.12: senior officers of Board member agencies; anyone who already handled the
    escalation is seated only with the chair's reason."""
    if spec.panel is None:
        return
    if spec.panel.candidates_board_senior_officers and action.non_candidate_count:
        raise ActionRefused(
            "Panel members must be senior officers of agencies that are members of the Board.",
            field="members",
        )
    if action.handled_count and not action.handled_reason.strip():
        raise ActionRefused(
            "Some members already handled this escalation: confirm why they should sit on the "
            "panel.",
            field="handled_reason",
        )


# --- handlers ----------------------------------------------------------------------------


def _propose(spec: PolicySpec, state: wf.EscalationState, action: Any, actor: wf.Actor) -> Handled:
    assert isinstance(action, ProposeResolution)
    _require_open(state, "propose a resolution")
    maker = decision_maker(spec, state.stage_key)
    if maker != DecisionMaker.PARTIES:
        raise ActionRefused(
            f"At {_stage_name(spec, state)} {_decider_words(maker)} decides; there is nothing "
            "to propose."
        )
    if actor.side is None:
        raise ActionRefused("Only the people involved at this stage can propose a resolution.")
    if state.proposal is not None:
        raise ActionRefused("A proposed resolution is already waiting for an answer.")
    wf._require_text(action.decision, "Enter the resolution you propose.", "decision")
    _refuse_if_records_missing(spec, state, "propose a resolution")
    due = _working_days_after(spec, action.at, spec.proposals.answer_within_working_days)
    proposal = wf.Proposal(
        side=actor.side,
        decision=action.decision,
        proposed_at=action.at,
        answer_due_at=due,
        action_count=action.action_count,
    )
    events: list[wf.WorkflowEvent] = [
        wf.ChronologyEvent(
            kind="resolution_proposed",
            stage_key=state.stage_key,
            occurred_at=action.at,
            text=action.decision,
            data={"side": actor.side, "answer_due_at": due.isoformat()},
        )
    ]
    other = (
        (Recipient.RAISER, Recipient.STAGE_PARTICIPANTS)
        if actor.side == RESPONDENT
        else (Recipient.RESPONDENT, Recipient.STAGE_PARTICIPANTS)
    )
    _notify_default(events, spec, "resolution_proposed", state, other)
    return replace(state, proposal=proposal), events


def _may_answer(state: wf.EscalationState, actor: wf.Actor) -> None:
    proposal = state.proposal
    if proposal is None:
        raise ActionRefused("No proposed resolution is waiting for an answer.")
    if proposal.side == RESPONDENT and not actor.on_raiser_side:
        raise ActionRefused("Only the raiser's side can answer the respondent's proposal.")
    if proposal.side == RAISER and not actor.on_respondent_side:
        raise ActionRefused("Only the respondent's side can answer the raiser's proposal.")


def _resolve_by_agreement(
    spec: PolicySpec, state: wf.EscalationState, at: datetime, how: str
) -> Handled:
    proposal = state.proposal
    assert proposal is not None
    events: list[wf.WorkflowEvent] = [
        wf.ChronologyEvent(
            kind="resolved",
            stage_key=state.stage_key,
            occurred_at=at,
            text=proposal.decision,
            data={"decided_by": how, "proposed_by": proposal.side, "actions": 0},
        )
    ]
    closed = wf._close(
        replace(state, records=state.records | {Record.OUTCOME.value}), at, wf.RESOLVED, events
    )
    wf._notify(events, spec, Event.RESOLVED, state.stage_key, state.flags)
    return closed, events


def _accept(spec: PolicySpec, state: wf.EscalationState, action: Any, actor: wf.Actor) -> Handled:
    assert isinstance(action, AcceptProposal)
    _require_not_closed(state)
    _may_answer(state, actor)
    assert state.proposal is not None
    accepted = wf.ChronologyEvent(
        kind="resolution_accepted",
        stage_key=state.stage_key,
        occurred_at=action.at,
        data={"side": actor.side},
    )
    new_state, events = _resolve_by_agreement(spec, state, action.at, "agreed by both sides")
    return new_state, [accepted, *events]


def _decline(spec: PolicySpec, state: wf.EscalationState, action: Any, actor: wf.Actor) -> Handled:
    assert isinstance(action, DeclineProposal)
    _require_not_closed(state)
    _may_answer(state, actor)
    wf._require_text(action.reason, "Enter why you decline the proposed resolution.", "reason")
    declined = replace(state, proposal=None)
    events: list[wf.WorkflowEvent] = [
        wf.ChronologyEvent(
            kind="resolution_declined",
            stage_key=state.stage_key,
            occurred_at=action.at,
            text=action.reason,
            data={"side": actor.side},
        )
    ]
    _notify_default(
        events,
        spec,
        "resolution_declined",
        state,
        (Recipient.RESPONDENT, Recipient.STAGE_PARTICIPANTS),
    )
    if not action.escalate:
        return declined, events
    escalate = wf.EscalateToNextStage(
        at=action.at, reason=action.reason, board_engagement=action.board_engagement
    )
    refused = wf.refusal(spec, declined, actor, "escalate_to_next_stage")
    if refused is not None:
        raise ActionRefused(refused)
    escalated, more = wf._escalate(spec, declined, escalate, actor)
    return escalated, events + more


def _lapse_proposal(
    spec: PolicySpec, state: wf.EscalationState, action: Any, actor: wf.Actor
) -> Handled:
    assert isinstance(action, LapseProposal)
    _require_not_closed(state)
    proposal = state.proposal
    if proposal is None:
        raise ActionRefused("No proposed resolution is waiting for an answer.")
    if action.at < proposal.answer_due_at:
        raise ActionRefused("The proposed resolution can still be answered.")
    if proposal.with_raiser_manager:
        raise ActionRefused("The proposed resolution is already with the raiser's manager.")
    if not (actor.is_sweep or actor.side == proposal.side):
        raise ActionRefused("Only the side waiting for the answer, or the sweep, can act on it.")
    due_words = f"{calendar.local_date(proposal.answer_due_at):%-d %B %Y}"
    if proposal.side == RAISER or spec.proposals.when_unanswered == WhenUnanswered.ACCEPTED:
        lapsed = wf.ChronologyEvent(
            kind="resolution_unanswered",
            stage_key=state.stage_key,
            occurred_at=action.at,
            text=f"No answer by {due_words}: accepted, as the policy says.",
            data={"outcome": "accepted"},
        )
        new_state, events = _resolve_by_agreement(
            spec, state, action.at, f"accepted: no answer by {due_words}"
        )
        return new_state, [lapsed, *events]
    due = _working_days_after(spec, action.at, spec.proposals.answer_within_working_days)
    events = [
        wf.ChronologyEvent(
            kind="resolution_unanswered",
            stage_key=state.stage_key,
            occurred_at=action.at,
            text=f"No answer by {due_words}: it goes to the raiser's manager to answer.",
            data={"outcome": "raiser_manager", "answer_due_at": due.isoformat()},
        )
    ]
    _notify_default(events, spec, "resolution_unanswered", state, (Recipient.RAISER,))
    moved = replace(proposal, with_raiser_manager=True, answer_due_at=due)
    return replace(state, proposal=moved), events


def _lapse_rationale(
    spec: PolicySpec, state: wf.EscalationState, action: Any, actor: wf.Actor
) -> Handled:
    assert isinstance(action, LapseRationale)
    _require_not_closed(state)
    if not state.rationale_requested or state.rationale_due_at is None:
        raise ActionRefused("No rationale request is waiting for an answer.")
    if action.at < state.rationale_due_at:
        raise ActionRefused("The rationale can still be given.")
    if not (actor.is_sweep or actor.on_raiser_side):
        raise ActionRefused("Only the raiser's side, or the sweep, can record the silence.")
    due_words = f"{calendar.local_date(state.rationale_due_at):%-d %B %Y}"
    events: list[wf.WorkflowEvent] = [
        wf.ChronologyEvent(
            kind="rationale_lapsed",
            stage_key=state.stage_key,
            occurred_at=action.at,
            text=f"No rationale given by {due_words}. The raiser may escalate.",
            data={"due_at": state.rationale_due_at.isoformat()},
        )
    ]
    _notify_default(
        events,
        spec,
        "rationale_lapsed",
        state,
        (Recipient.RAISER, Recipient.RESPONDENT),
    )
    return replace(state, rationale_lapsed=True, rationale_requested=False), events


def reopen_deadline(spec: PolicySpec, closed_at: datetime) -> datetime:
    return _working_days_after(spec, closed_at, spec.reopen.within_working_days)


def _reopen(spec: PolicySpec, state: wf.EscalationState, action: Any, actor: wf.Actor) -> Handled:
    assert isinstance(action, Reopen)
    if state.status != wf.RESOLVED:
        raise ActionRefused("Only a resolved escalation can be reopened.")
    if not actor.on_raiser_side:
        raise ActionRefused("Only the raiser's side can reopen this escalation.")
    if state.closed_at is not None and action.at > reopen_deadline(spec, state.closed_at):
        raise ActionRefused(
            f"This escalation can be reopened within {spec.reopen.within_working_days} working "
            "days of its resolution; raise a new one instead."
        )
    if action.grounds not in REOPEN_GROUNDS:
        raise ActionRefused(
            "Choose why: an agreed action is overdue, or the concern has come back.",
            field="grounds",
        )
    if action.grounds == "action_overdue" and action.overdue_action_count < 1:
        raise ActionRefused("No agreed action is overdue and not done.", field="grounds")
    wf._require_text(action.reason, "Enter why the escalation is being reopened.", "reason")
    stage = spec.stage(state.stage_key)
    if spec.reopen.returns_to == ReopenTo.NEXT_STAGE:
        stage = spec.next_stage(state.stage_key) or stage
    index = spec.stage_index(stage.key)
    due = wf.stage_deadline(spec, stage, action.at, state.flags)
    events: list[wf.WorkflowEvent] = [
        wf.ChronologyEvent(
            kind="reopened",
            stage_key=stage.key,
            occurred_at=action.at,
            text=action.reason,
            data={"grounds": action.grounds, "from": state.stage_key, "to": stage.key},
        ),
        wf.StageEntered(stage_key=stage.key, index=index, started_at=action.at, due_at=due),
        wf.DeadlineSet(due_at=due),
    ]
    reopened = replace(
        state,
        status=wf.OPEN,
        stage_key=stage.key,
        stage_index=index,
        stage_started_at=action.at,
        due_at=due,
        records=frozenset(),
        rationale_requested=False,
        rationale_due_at=None,
        rationale_lapsed=False,
        proposal=None,
        tier=1,
        closed_at=None,
        panel_convened=False,
        panel_decided=False,
    )
    wf._notify(events, spec, Event.STAGE_ENTERED, stage.key, state.flags)
    return reopened, events


def _may_move_up_tier(
    spec: PolicySpec, state: wf.EscalationState, actor: wf.Actor, item: Any
) -> str | None:
    """Havering 004 2.8: escalation continues "through the appropriate tiers of management in
    each organisation until the matter is resolved"; a stage allows `tiers` of them."""
    if state.status == wf.PAUSED:
        return "Resume this escalation before you take it to the next tier of management."
    stage = spec.stage(state.stage_key)
    # The managers acting at the stage; at a practitioners' stage, the practitioners.
    acting = actor.is_stage_manager or (actor.in_stage and stage.raiser_level <= 1)
    if not acting:
        return "Only the people involved at this stage can take it up a tier."
    if state.tier >= stage.tiers:
        if stage.tiers == 1:
            return f"{stage.name} has one tier of management: escalate it to the next stage."
        return (
            f"{stage.name} has {stage.tiers} tiers of management, all used: escalate it to the "
            "next stage."
        )
    return None


def _move_up_tier(
    spec: PolicySpec, state: wf.EscalationState, action: Any, actor: wf.Actor
) -> Handled:
    assert isinstance(action, MoveUpTier)
    _require_open(state, "take it to the next tier")
    refused = _may_move_up_tier(spec, state, actor, None)
    if refused is not None:
        raise ActionRefused(refused)
    wf._require_text(action.reason, "Enter why it goes to the next tier of management.", "reason")
    if not action.someone_higher:
        raise ActionRefused(
            "Nobody is above the managers at this tier in either agency (no line manager or "
            "escalation contact): escalate it to the next stage instead."
        )
    stage = spec.stage(state.stage_key)
    due = wf.stage_deadline(spec, stage, action.at, state.flags)
    tier = state.tier + 1
    events: list[wf.WorkflowEvent] = [
        wf.ChronologyEvent(
            kind="tier_up",
            stage_key=state.stage_key,
            occurred_at=action.at,
            text=action.reason,
            data={"tier": tier},
        ),
        wf.DeadlineSet(due_at=due),
    ]
    moved = replace(state, tier=tier, due_at=due, proposal=None)
    # The managers of the new tier (added by the service before this is written), both sides
    # and the raiser (Havering 004 3.1: shared with the worker who raised the concern).
    _notify_default(
        events,
        spec,
        Event.TIER_UP.value,
        moved,
        (Recipient.STAGE_PARTICIPANTS, Recipient.RAISER, Recipient.RESPONDENT),
    )
    return moved, events


def may_change_timescale(spec: PolicySpec, actor: wf.Actor) -> bool:
    rule = spec.timescale_changes
    return (TimescaleSetter.STAGE_MANAGERS in rule.by and actor.is_stage_manager) or (
        TimescaleSetter.PARTNERSHIP_CHAIR in rule.by and actor.is_partnership_chair
    )


def _may_change_timescale(
    spec: PolicySpec, state: wf.EscalationState, actor: wf.Actor, item: Any
) -> str | None:
    """Guide 001 Step 2, "Set a timescale for resolution": a manager at the current stage, on
    either side (or the chair, where the policy says), shortens the due date, or sets it where
    the policy lets them (`timescale_changes`)."""
    if state.status == wf.PAUSED:
        return "Resume this escalation before you change its due date."
    if not may_change_timescale(spec, actor):
        if TimescaleSetter.PARTNERSHIP_CHAIR in spec.timescale_changes.by:
            return (
                "Only a manager at this stage, or the partnership chair, can change its due date."
            )
        return "Only a manager at this stage can change its due date."
    rule = spec.timescale_changes
    if not rule.may_shorten and state.stage_key not in rule.may_set_at:
        return (
            f"This partnership's policy does not let the due date of {_stage_name(spec, state)} "
            "be changed."
        )
    if (
        isinstance(item, datetime)
        and state.due_at is not None
        and state.due_at <= calendar.end_of_day(calendar.local_date(item))
    ):
        return (
            f"{_stage_name(spec, state)} is due today or overdue, so its due date is no longer "
            "changed: agree the next step, or escalate it."
        )
    return None


def _change_timescale(
    spec: PolicySpec, state: wf.EscalationState, action: Any, actor: wf.Actor
) -> Handled:
    assert isinstance(action, ChangeTimescale)
    _require_open(state, "change its due date")
    rule = spec.timescale_changes
    refused = _may_change_timescale(spec, state, actor, action.at)
    if refused is not None:
        raise ActionRefused(refused)
    wf._require_text(action.reason, "Enter why the due date changes.", "reason")
    if action.due_on < calendar.local_date(action.at):
        raise ActionRefused("The due date must be today or in the future.", field="due_on")
    new_due = calendar.end_of_day(action.due_on)
    assert state.due_at is not None
    if new_due == state.due_at:
        raise ActionRefused("That is already the due date.", field="due_on")
    if new_due < state.due_at and not rule.may_shorten:
        raise ActionRefused("This partnership's policy does not let the due date be changed.")
    if new_due > state.due_at:
        if state.stage_key not in rule.may_set_at:
            raise ActionRefused(
                "The due date can be brought forward, not put back, at this stage.",
                field="due_on",
            )
        latest = _working_days_after(spec, state.stage_started_at, rule.maximum_working_days)
        if new_due > latest and not rule.may_exceed_maximum:
            raise ActionRefused(
                f"The due date can be no later than {calendar.local_date(latest):%-d %B %Y}: "
                f"the policy allows at most {rule.maximum_working_days} working days.",
                field="due_on",
            )
    events: list[wf.WorkflowEvent] = [
        wf.ChronologyEvent(
            kind="timescale_changed",
            stage_key=state.stage_key,
            occurred_at=action.at,
            text=action.reason,
            data={"from": state.due_at.isoformat(), "to": new_due.isoformat()},
        ),
        wf.DeadlineSet(due_at=new_due),
    ]
    _notify_default(events, spec, "timescale_changed", state, (Recipient.STAGE_PARTICIPANTS,))
    return replace(state, due_at=new_due), events


# Who may be offered reassigning a part: the business unit, and managers (the handler then
# checks the actor is the line manager of the person who left or is away).
REASSIGNERS = frozenset({"business_manager", "line_manager", "senior_manager", "dsl"})
REASSIGNABLE_PARTS = (
    "raiser",
    "raiser_manager",
    "respondent",
    "respondent_manager",
    "iro",
    "cp_chair",
    "dsl",
)


def _may_reassign(
    spec: PolicySpec, state: wf.EscalationState, actor: wf.Actor, item: Any
) -> str | None:
    """Nobody is stranded by people leaving: the line manager of someone deactivated or marked
    away, or the partnership's business unit, reassigns their part (issue 15, item 8)."""
    if not (actor.roles & REASSIGNERS or actor.is_stage_manager):
        return (
            "Only their line manager or the partnership's business unit can reassign the part "
            "of someone who has left or is away."
        )
    return None


def _reassign(spec: PolicySpec, state: wf.EscalationState, action: Any, actor: wf.Actor) -> Handled:
    assert isinstance(action, Reassign)
    _require_not_closed(state)
    if action.part not in REASSIGNABLE_PARTS:
        raise ActionRefused("Choose a part from the list.", field="part")
    if not action.from_person_gone:
        raise ActionRefused(
            "A part is reassigned only when its holder is deactivated or marked away."
        )
    if not (action.by_their_manager or "business_manager" in actor.roles):
        raise ActionRefused(
            "Only the person's line manager or the partnership's business unit can reassign "
            "their part."
        )
    if not action.to_person_active:
        raise ActionRefused("Choose someone who can act now.", field="person")
    if not action.to_person_in_side_agency:
        raise ActionRefused(
            "Choose someone in the same agency: a side's part stays with its agency.",
            field="person",
        )
    wf._require_text(action.reason, "Enter why the part is reassigned.", "reason")
    events: list[wf.WorkflowEvent] = [
        wf.ChronologyEvent(
            kind="reassigned",
            stage_key=state.stage_key,
            occurred_at=action.at,
            text=action.reason,
            data={"part": action.part},
        )
    ]
    _notify_default(events, spec, "reassigned", state, (Recipient.STAGE_PARTICIPANTS,))
    return state, events


# --- guards: who may do each action now, whatever they type (workflow.Rule) ------------------


def _may_propose(
    spec: PolicySpec, state: wf.EscalationState, actor: wf.Actor, item: Any
) -> str | None:
    if state.status == wf.PAUSED:
        return "Resume this escalation before you propose a resolution."
    maker = decision_maker(spec, state.stage_key)
    if maker != DecisionMaker.PARTIES:
        return (
            f"At {_stage_name(spec, state)} {_decider_words(maker)} decides; there is nothing "
            "to propose."
        )
    if actor.side is None:
        return "Only the people involved at this stage can propose a resolution."
    if state.proposal is not None:
        return "A proposed resolution is already waiting for an answer."
    return wf._records_missing(spec, state, "propose a resolution")


def _may_answer_guard(
    spec: PolicySpec, state: wf.EscalationState, actor: wf.Actor, item: Any
) -> str | None:
    try:
        _may_answer(state, actor)
    except ActionRefused as refused:
        return refused.message
    return None


def _may_reopen(
    spec: PolicySpec, state: wf.EscalationState, actor: wf.Actor, item: Any
) -> str | None:
    if state.status != wf.RESOLVED:
        return "Only a resolved escalation can be reopened."
    if not actor.on_raiser_side:
        return "Only the raiser's side can reopen this escalation."
    closed_at = state.closed_at
    if isinstance(item, datetime) and closed_at and item > reopen_deadline(spec, closed_at):
        return (
            f"This escalation can be reopened within {spec.reopen.within_working_days} "
            "working days of its resolution; raise a new one instead."
        )
    return None


RULES: tuple[wf.Rule, ...] = (
    wf.Rule("propose_resolution", ProposeResolution, wf._open_and(_may_propose), _propose),
    wf.Rule("accept_resolution", AcceptProposal, wf._open_and(_may_answer_guard), _accept),
    wf.Rule("decline_resolution", DeclineProposal, wf._open_and(_may_answer_guard), _decline),
    wf.Rule("reopen_escalation", Reopen, _may_reopen, _reopen, timed=True),
    wf.Rule(
        "change_timescale",
        ChangeTimescale,
        wf._open_and(_may_change_timescale),
        _change_timescale,
        timed=True,
    ),
    wf.Rule("reassign_part", Reassign, wf._open_and(_may_reassign), _reassign),
    wf.Rule("move_up_tier", MoveUpTier, wf._open_and(_may_move_up_tier), _move_up_tier),
)

wf.register(RULES)

HANDLERS: dict[type, Any] = {
    ProposeResolution: _propose,
    AcceptProposal: _accept,
    DeclineProposal: _decline,
    LapseProposal: _lapse_proposal,
    LapseRationale: _lapse_rationale,
    Reopen: _reopen,
    MoveUpTier: _move_up_tier,
    ChangeTimescale: _change_timescale,
    Reassign: _reassign,
}


# --- what the sweep does, and who is asked --------------------------------------------------


def sweep_actions(state: wf.EscalationState, now: datetime) -> list[DecidingAction]:
    """What the deadline sweep does for `state` at `now`: record the silence that passed."""
    if state.is_closed:
        return []
    found: list[DecidingAction] = []
    if state.rationale_requested and state.rationale_due_at and now >= state.rationale_due_at:
        found.append(LapseRationale(at=now))
    proposal = state.proposal
    if proposal and not proposal.with_raiser_manager and now >= proposal.answer_due_at:
        found.append(LapseProposal(at=now))
    return found


@dataclass(frozen=True)
class Asked:
    """Who is asked to do what, by when (for the "What you need to do" panel and notices)."""

    who: str  # a part: raiser, raiser_manager, respondent, partnership_chair, ...
    what: str
    by: datetime | None


def asked(spec: PolicySpec, state: wf.EscalationState) -> list[Asked]:
    """What the escalation waits for now, and from whom."""
    if state.is_closed:
        return []
    found: list[Asked] = []
    proposal = state.proposal
    if proposal is not None:
        who = RAISER if proposal.side == RESPONDENT else RESPONDENT
        if proposal.with_raiser_manager:
            who = "raiser_manager"
        found.append(Asked(who, "answer the proposed resolution", proposal.answer_due_at))
    if state.rationale_requested:
        found.append(Asked(RESPONDENT, "give the rationale", state.rationale_due_at))
    if state.status == wf.PAUSED and state.pause_review_on is not None:
        found.append(Asked(RAISER, "review the pause", calendar.end_of_day(state.pause_review_on)))
    if not parties_decide(spec, state.stage_key) and not state.panel_convened:
        found.append(
            Asked("partnership_chair", "resolve it directly or convene a panel", state.due_at)
        )
    elif state.panel_convened and not state.panel_decided:
        found.append(Asked("partnership_chair", "record the panel's decision", state.due_at))
    return found


def stranded_sides(
    state: wf.EscalationState, active_parts: frozenset[str], *, decided_by_chair: bool = False
) -> list[str]:
    """The sides on which no active person can act (the sweep flags them for reassignment)."""
    if state.is_closed:
        return []
    stranded = []
    if not active_parts & wf.RAISER_SIDE:
        stranded.append(RAISER)
    if not state.respondent_unlisted and not active_parts & wf.RESPONDENT_SIDE:
        stranded.append(RESPONDENT)
    if decided_by_chair and "partnership_chair" not in active_parts:
        stranded.append("partnership_chair")
    return stranded


@dataclass(frozen=True)
class PanelCandidate:
    person_id: int
    agency_id: int
    is_senior_officer: bool
    agency_on_board: bool
    handled_escalation: bool  # already acted on this escalation at an earlier stage


def panel_candidates(spec: PolicySpec, people: list[PanelCandidate]) -> list[PanelCandidate]:
    """Havering 2.12: the senior officers of the Board's member agencies (those who handled the
    escalation stay in the list, flagged, for the chair to seat only with a reason)."""
    if spec.panel is None:
        return []
    if not spec.panel.candidates_board_senior_officers:
        return list(people)
    return [p for p in people if p.is_senior_officer and p.agency_on_board]


def check_decision_invariants(spec: PolicySpec, state: wf.EscalationState) -> None:
    """Raise AssertionError when `state` breaks a rule of who decides."""
    if state.proposal is not None:
        assert not state.is_closed
        assert parties_decide(spec, state.stage_key)
    assert 1 <= state.tier <= spec.stage(state.stage_key).tiers
    assert (state.pause_review_on is not None) == (state.status == wf.PAUSED) or (
        state.status == wf.PAUSED and state.pause_review_on is None
    )
    assert (state.closed_at is not None) == state.is_closed
    if state.rationale_requested:
        assert state.rationale_due_at is not None


__all__ = [
    "SWEEP",
    "AcceptProposal",
    "Asked",
    "ChangeTimescale",
    "DeclineProposal",
    "LapseProposal",
    "LapseRationale",
    "MoveUpTier",
    "PanelCandidate",
    "ProposeResolution",
    "Reassign",
    "Reopen",
    "asked",
    "check_decision_invariants",
    "panel_candidates",
    "stranded_sides",
    "sweep_actions",
]
