"""The escalation rules, in plain Python: no database, no Django models.

`start(...)` begins an escalation; `apply(spec, state, action, actor)` takes the policy, the
current state, an action and who is acting, and returns a `Transition`: the new state and the
events the action caused (chronology entries, notifications to send, deadlines to set, stages
entered or left). services.py applies a transition in one database transaction. A rule that
forbids the action raises `ActionRefused` with a sentence fit to show the person acting.

`allowed_actions(spec, state, actor)` is the only answer to "what may this person do now":
each action's `Rule` (RULES, at the end) has one guard, asked both by `allowed_actions` and by
`apply`, so a button shown is an action accepted and an action refused is a button not shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, TypeVar

from escalate.policies import calendar
from escalate.policies.schema import Event, PolicySpec, Recipient, Record, Stage
from escalate.vocabulary import (
    CLOSED_STATUSES,
    RAISER_SIDE,
    RESPONDENT_SIDE,
    STAGE_SIDES,
    Part,
    Role,
    Status,
)

OPEN = Status.OPEN
PAUSED = Status.PAUSED
RESOLVED = Status.RESOLVED
WITHDRAWN = Status.WITHDRAWN
STATUSES = frozenset(Status)
CLOSED = frozenset(CLOSED_STATUSES)


class ActionRefused(Exception):
    """The policy or the escalation's state forbids the action; `message` is shown as is."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# --- state -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EscalationState:
    status: str
    stage_key: str
    stage_index: int
    version: int
    stage_started_at: datetime
    due_at: datetime | None
    flags: frozenset[str] = frozenset()  # policies.schema.Condition values that hold
    records: frozenset[str] = frozenset()  # policies.schema.Record values made at this stage
    rationale_requested: bool = False
    paused_at: datetime | None = None
    panel_convened: bool = False
    panel_decided: bool = False
    # Who decides (issue 15; the rules are in deciding.py).
    proposal: Proposal | None = None
    rationale_due_at: datetime | None = None
    rationale_lapsed: bool = False  # "no rationale given by <date>" is on the record
    respondent_unlisted: bool = False  # "someone not listed": nobody on that side can block
    tier: int = 1
    pause_review_on: date | None = None
    closed_at: datetime | None = None
    board_engagement: str = ""  # which Board members of each agency were engaged (Havering 2.8)

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED

    @property
    def is_urgent(self) -> bool:
        return "immediate_harm" in self.flags


@dataclass(frozen=True)
class Proposal:
    """A resolution one side proposed at a stage the parties decide, waiting for the other."""

    side: str  # "raiser" or "respondent": who proposed it
    decision: str
    proposed_at: datetime
    answer_due_at: datetime
    action_count: int = 0
    with_raiser_manager: bool = False  # unanswered in time, it went to the raiser's manager


@dataclass(frozen=True)
class Actor:
    """Who is acting: their parts on this escalation and their partnership roles."""

    parts: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()
    former_parts: frozenset[str] = frozenset()  # e.g. a manager at a stage now passed

    @property
    def was_involved(self) -> bool:
        return bool((self.parts | self.former_parts) & STAGE_SIDES)

    @property
    def on_raiser_side(self) -> bool:
        return bool(self.parts & RAISER_SIDE)

    @property
    def on_respondent_side(self) -> bool:
        return bool(self.parts & RESPONDENT_SIDE)

    @property
    def in_stage(self) -> bool:
        return bool(self.parts & STAGE_SIDES)

    @property
    def is_partnership_chair(self) -> bool:
        return Role.PARTNERSHIP_CHAIR in self.roles or Part.PARTNERSHIP_CHAIR in self.parts

    @property
    def is_panel_member(self) -> bool:
        return Part.PANEL_MEMBER in self.parts

    @property
    def is_panel_lead(self) -> bool:
        return "panel_lead" in self.parts

    @property
    def is_sweep(self) -> bool:
        """The deadline sweep acting for a side that did not answer in time."""
        return "sweep" in self.roles

    @property
    def is_stage_manager(self) -> bool:
        return bool(self.parts & {"raiser_manager", "respondent_manager"})

    @property
    def side(self) -> str | None:
        """The side this person acts for ("raiser", "respondent"), or None."""
        if self.on_raiser_side:
            return "raiser"
        if self.on_respondent_side:
            return "respondent"
        return None


# --- actions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordDiscussion:
    at: datetime
    held_on: date
    with_whom: str
    method: str
    summary: str
    outcome: str


@dataclass(frozen=True)
class RequestRationale:
    at: datetime
    message: str


@dataclass(frozen=True)
class GiveRationale:
    at: datetime
    rationale: str


@dataclass(frozen=True)
class EscalateToNextStage:
    at: datetime
    reason: str
    board_engagement: str = ""  # entering a stage that requires it (Havering 2.8)


@dataclass(frozen=True)
class Pause:
    at: datetime
    reason: str
    review_on: date | None = None
    raiser_manager_agrees: bool = False  # a manager on the raiser's side agreed (urgent)


@dataclass(frozen=True)
class Resume:
    at: datetime
    reason: str


@dataclass(frozen=True)
class Resolve:
    at: datetime
    decision: str
    decided_by: str
    learning: str = ""
    action_count: int = 0


@dataclass(frozen=True)
class Withdraw:
    at: datetime
    reason: str


@dataclass(frozen=True)
class ConvenePanel:
    at: datetime
    member_count: int
    agency_ids: frozenset[int]
    disputing_agency_ids: frozenset[int]
    practitioners: int = 0  # members who may not sit on a panel (see may_sit_on_panel)
    non_candidate_count: int = 0  # members who are not senior officers of Board agencies
    handled_count: int = 0  # members who already handled this escalation
    handled_reason: str = ""  # the Chair's reason to seat them anyway


@dataclass(frozen=True)
class RecordRepresentation:
    at: datetime
    summary: str


@dataclass(frozen=True)
class RecordPanelDecision:
    at: datetime
    decision: str
    learning: str = ""
    action_count: int = 0
    members_present: tuple[int, ...] = ()  # the panel members who took part


@dataclass(frozen=True)
class AddAction:
    at: datetime
    description: str
    due_on: date
    owner_in_partnership: bool = True


@dataclass(frozen=True)
class CompleteAction:
    at: datetime
    already_done: bool = False
    by_owner_or_creator: bool = True


@dataclass(frozen=True)
class AddView:
    at: datetime
    view: str


@dataclass(frozen=True)
class CorrectEntry:
    at: datetime
    correction: str
    by_author: bool = True


WorkflowAction = (
    RecordDiscussion
    | RequestRationale
    | GiveRationale
    | EscalateToNextStage
    | Pause
    | Resume
    | Resolve
    | Withdraw
    | ConvenePanel
    | RecordRepresentation
    | RecordPanelDecision
    | AddAction
    | CompleteAction
    | AddView
    | CorrectEntry
)


# --- events ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChronologyEvent:
    kind: str  # models.EntryKind value
    stage_key: str
    occurred_at: datetime
    text: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NotificationEvent:
    event: str  # policies.schema.Event value
    stage_key: str
    recipients: tuple[Recipient, ...]


@dataclass(frozen=True)
class DeadlineSet:
    due_at: datetime | None


@dataclass(frozen=True)
class StageEntered:
    stage_key: str
    index: int
    started_at: datetime
    due_at: datetime


@dataclass(frozen=True)
class StageEnded:
    stage_key: str
    outcome: str  # models.StageOutcome value
    ended_at: datetime


WorkflowEvent = ChronologyEvent | NotificationEvent | DeadlineSet | StageEntered | StageEnded
E = TypeVar("E")


@dataclass(frozen=True)
class Transition:
    state: EscalationState
    events: tuple[WorkflowEvent, ...]

    def of_type(self, kind: type[E]) -> list[E]:
        return [event for event in self.events if isinstance(event, kind)]


# --- helpers -----------------------------------------------------------------------------


def stage_deadline(
    spec: PolicySpec, stage: Stage, started_at: datetime, flags: frozenset[str] = frozenset()
) -> datetime:
    """When `stage`, entered at `started_at`, falls due: its urgent timescale when immediate
    harm is recorded and the policy gives one, else its timescale."""
    timescale = stage.timescale
    if "immediate_harm" in flags and stage.urgent_timescale is not None:
        timescale = stage.urgent_timescale
    return calendar.stage_deadline(started_at, timescale, nation=spec.nation.value)


def resumed_deadline(
    spec: PolicySpec, stage: Stage, due_at: datetime, paused_at: datetime, resumed_at: datetime
) -> datetime:
    """The due date after a pause: moved on by the time the clock was stopped.

    Hours timescales move by the clock time paused; working-day timescales by the working
    days that passed while paused (paused and resumed the same day loses nothing).
    """
    return calendar.extend_for_pause(
        due_at,
        paused_at=paused_at,
        resumed_at=resumed_at,
        nation=spec.nation.value,
        in_hours=stage.timescale.hours is not None,
    )


def notifications_for(
    spec: PolicySpec, event: str, stage_key: str, flags: frozenset[str]
) -> NotificationEvent | None:
    """The recipients the policy's notification rules name for `event` at `stage_key`."""
    recipients: list[Recipient] = []
    for rule in spec.notifications:
        if rule.on.value != event:
            continue
        if rule.stages and stage_key not in rule.stages:
            continue
        if rule.when_any and not any(condition.value in flags for condition in rule.when_any):
            continue
        recipients.extend(r for r in rule.notify if r not in recipients)
    # Whatever the policy's rules say, the professional whose decision is challenged is told
    # each time their escalation moves to a new stage ("told means asked", PRODUCT.md).
    if event == Event.STAGE_ENTERED.value and Recipient.RESPONDENT not in recipients:
        recipients.append(Recipient.RESPONDENT)
    if not recipients:
        return None
    return NotificationEvent(event=event, stage_key=stage_key, recipients=tuple(recipients))


def _require_text(value: str, message: str, field_name: str) -> None:
    if not value or not value.strip():
        raise ActionRefused(message, field=field_name)


def _missing_records(spec: PolicySpec, state: EscalationState) -> list[str]:
    """Records the current stage must have before it is left (outcome is the leaving itself)."""
    stage = spec.stage(state.stage_key)
    needed = [r for r in stage.must_record if r in (Record.DISCUSSION, Record.RATIONALE)]
    if state.rationale_lapsed or state.respondent_unlisted:
        needed = [r for r in needed if r != Record.RATIONALE]  # silence never blocks
    return [r.value for r in needed if r.value not in state.records]


_RECORD_WORDS = {"discussion": "a discussion", "rationale": "the respondent's rationale"}


def _notify(
    events: list[WorkflowEvent],
    spec: PolicySpec,
    event: Event,
    stage_key: str,
    flags: frozenset[str],
) -> None:
    notification = notifications_for(spec, event.value, stage_key, flags)
    if notification is not None:
        events.append(notification)


# --- start -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProtectiveAction:
    """The protective action already taken, recorded with an escalation about immediate harm."""

    taken: frozenset[str]  # keys of the policy's urgent.protective_actions
    note: str  # what was done, and why


def check_protective_action(
    spec: PolicySpec, flags: frozenset[str], protective: ProtectiveAction | None
) -> None:
    """An escalation about immediate harm records what was already done to protect them, from
    the choices the policy offers (guide 001, "Urgent Situations")."""
    if "immediate_harm" not in flags:
        return
    if protective is None or not protective.taken:
        raise ActionRefused(
            "Select what you have already done to protect the child or adult.",
            field="protective_actions",
        )
    if not protective.taken <= {choice.key for choice in spec.urgent.protective_actions}:
        raise ActionRefused("Select actions from the list.", field="protective_actions")
    _require_text(
        protective.note,
        "Enter what you did to protect them, and why.",
        "protective_action",
    )


def start(
    spec: PolicySpec,
    *,
    at: datetime,
    flags: frozenset[str],
    start_stage_key: str | None = None,
    later_stage_reason: str = "",
    protective: ProtectiveAction | None = None,
) -> Transition:
    """Raise an escalation: at the first stage, or (immediate harm) where the policy allows.
    With immediate harm, the protective action already taken is on the emergency entry."""
    first = spec.stages[0]
    stage = first
    if start_stage_key and start_stage_key != first.key:
        if "immediate_harm" not in flags:
            raise ActionRefused(
                "An escalation starts at the first stage unless a child or adult is at "
                "immediate risk of harm.",
                field="start_stage",
            )
        if start_stage_key not in spec.urgent.may_start_at:
            raise ActionRefused(
                "This partnership's policy does not allow an escalation to start at that stage.",
                field="start_stage",
            )
        if spec.urgent.reason_required and not later_stage_reason.strip():
            raise ActionRefused(
                "Say why this escalation must start at a later stage.",
                field="later_stage_reason",
            )
        stage = spec.stage(start_stage_key)
    index = spec.stage_index(stage.key)
    due = stage_deadline(spec, stage, at, flags)
    state = EscalationState(
        status=OPEN,
        stage_key=stage.key,
        stage_index=index,
        version=1,
        stage_started_at=at,
        due_at=due,
        flags=flags,
    )
    events: list[WorkflowEvent] = []
    if "immediate_harm" in flags:
        events.append(
            ChronologyEvent(
                kind="urgent_guidance",
                stage_key=stage.key,
                occurred_at=at,
                text=spec.urgent.guidance,
                data={
                    "protective_actions": sorted(protective.taken),
                    "protective_action": protective.note,
                }
                if protective is not None
                else {},
            )
        )
    data: dict[str, Any] = {"stage": stage.key}
    if stage.key != first.key:
        data["started_at_later_stage_reason"] = later_stage_reason
    events += [
        ChronologyEvent(kind="raised", stage_key=stage.key, occurred_at=at, data=data),
        StageEntered(stage_key=stage.key, index=index, started_at=at, due_at=due),
        DeadlineSet(due_at=due),
    ]
    _notify(events, spec, Event.RAISED, stage.key, flags)
    _notify(events, spec, Event.STAGE_ENTERED, stage.key, flags)
    return Transition(state=state, events=tuple(events))


# --- who may do what ---------------------------------------------------------------------
#
# Each thing a person can do to an escalation is one `Rule` (see RULES at the end): its name
# (the service's), its action type, a guard and a handler. The guard is the whole answer to
# "may this person do this now?": it looks only at the policy, the state and the actor (and,
# for an agreed action or a timeline entry, at that item), never at what was typed. The
# handler checks what was typed and says what the action causes. `allowed_actions` asks the
# guards; `apply` asks the same guard before the handler, so what the pages and the API offer
# and what `apply` accepts cannot drift apart.

Guard = Callable[[PolicySpec, EscalationState, Actor, Any], str | None]
Handled = tuple[EscalationState, list[WorkflowEvent]]
Handler = Callable[[PolicySpec, EscalationState, Any, Actor], Handled]


@dataclass(frozen=True)
class Rule:
    """One action: who may do it now (`guard`) and what it does (`handler`)."""

    name: str  # the service's name, used by the pages, the API and `allowed_actions`
    action: type
    guard: Guard
    handler: Handler
    keeps_version: bool = False  # leaves the stage state alone, so the version stays
    on_item: bool = False  # done to one agreed action or entry: asked per item
    timed: bool = False  # the guard is given the moment asked about (a window that closes)


def _closed(state: EscalationState) -> str | None:
    if state.is_closed:
        return f"This escalation is {state.status}, so nothing more can be done on it."
    return None


def _records_missing(spec: PolicySpec, state: EscalationState, doing: str) -> str | None:
    missing = _missing_records(spec, state)
    if not missing:
        return None
    words = " and ".join(_RECORD_WORDS[m] for m in missing)
    return f"Before you {doing}, record {words} at {spec.stage(state.stage_key).name}."


def _panel_stage(spec: PolicySpec, state: EscalationState) -> bool:
    stage = spec.stage(state.stage_key)
    return stage.allows_panel or (spec.panel is not None and spec.panel.stage == stage.key)


# A Resolution Panel is never made of practitioners: managers (level 2 and above) and the
# partnership's panel members and chair may sit on one.
PANEL_MIN_LEVEL = 2
PANEL_ROLES = frozenset({Role.PANEL_MEMBER, Role.PARTNERSHIP_CHAIR})


def may_sit_on_panel(*, level: int, roles: frozenset[str]) -> bool:
    """Whether someone at `level` with partnership `roles` may be a panel member."""
    return level >= PANEL_MIN_LEVEL or bool(roles & PANEL_ROLES)


def _may_record_discussion(
    spec: PolicySpec, state: EscalationState, actor: Actor, item: Any
) -> str | None:
    if not actor.in_stage:
        return "Only the people involved at this stage can record a discussion."
    return None


def _may_request_rationale(
    spec: PolicySpec, state: EscalationState, actor: Actor, item: Any
) -> str | None:
    if not actor.on_raiser_side:
        return "Only the raiser's side can ask the respondent for their rationale."
    return None


def _may_give_rationale(
    spec: PolicySpec, state: EscalationState, actor: Actor, item: Any
) -> str | None:
    if not actor.on_respondent_side:
        return "Only the respondent's side can give the rationale."
    return None


def _may_escalate(spec: PolicySpec, state: EscalationState, actor: Actor, item: Any) -> str | None:
    if state.status == PAUSED:
        return "Resume this escalation before escalating it."
    if not actor.in_stage:
        return "Only the people involved at this stage can escalate it."
    if spec.next_stage(state.stage_key) is None:
        return "This is the last stage of the policy: resolve the escalation or withdraw it."
    return _records_missing(spec, state, "escalate")


def _may_pause(spec: PolicySpec, state: EscalationState, actor: Actor, item: Any) -> str | None:
    if state.status == PAUSED:
        return "This escalation is already paused."
    if not actor.in_stage:
        return "Only the people involved at this stage can pause it."
    return _deciding.pause_refusal(state, actor)


def _may_resume(spec: PolicySpec, state: EscalationState, actor: Actor, item: Any) -> str | None:
    if state.status != PAUSED or state.paused_at is None:
        return "This escalation is not paused."
    if not actor.in_stage:
        return "Only the people involved at this stage can resume it."
    return None


def _may_resolve(spec: PolicySpec, state: EscalationState, actor: Actor, item: Any) -> str | None:
    refused = _deciding.resolver_refusal(spec, state, actor)
    if refused is not None:
        return refused
    if state.panel_convened and not state.panel_decided:
        return "A Resolution Panel is considering this: record the panel's decision."
    return _records_missing(spec, state, "resolve this")


def _may_withdraw(spec: PolicySpec, state: EscalationState, actor: Actor, item: Any) -> str | None:
    if not actor.on_raiser_side:
        return "Only the raiser or their manager can withdraw this escalation."
    return None


def _may_convene_panel(
    spec: PolicySpec, state: EscalationState, actor: Actor, item: Any
) -> str | None:
    if not _panel_stage(spec, state):
        return "A Resolution Panel can only be convened at the policy's panel stage."
    if state.panel_convened:
        return "A Resolution Panel has already been convened for this escalation."
    if not actor.is_partnership_chair:
        return "Only the partnership chair can convene a Resolution Panel."
    if state.status == PAUSED:
        return "Resume this escalation before convening a panel."
    return None


def _may_record_representation(
    spec: PolicySpec, state: EscalationState, actor: Actor, item: Any
) -> str | None:
    if not state.panel_convened:
        return "Representations are made to a Resolution Panel; none is convened."
    if not (actor.was_involved or actor.is_partnership_chair or actor.is_panel_member):
        return "Only the people involved or the panel can record a representation."
    return None


def _may_record_panel_decision(
    spec: PolicySpec, state: EscalationState, actor: Actor, item: Any
) -> str | None:
    if not state.panel_convened:
        return "No Resolution Panel has been convened for this escalation."
    return _deciding.panel_decision_refusal(actor)


def _may_add_action(
    spec: PolicySpec, state: EscalationState, actor: Actor, item: Any
) -> str | None:
    if not (
        actor.in_stage or actor.is_partnership_chair or actor.is_panel_member or actor.is_sweep
    ):
        return "Only the people involved at this stage can agree an action."
    return None


def _may_add_view(spec: PolicySpec, state: EscalationState, actor: Actor, item: Any) -> str | None:
    if not ({Role.IRO, Role.CP_CHAIR} & actor.roles or {Part.IRO, Part.CP_CHAIR} & actor.parts):
        return "Only an Independent Reviewing Officer or CP chair can add a view."
    return None


@dataclass(frozen=True)
class ActionItem:
    """An agreed action, as far as the rules need it."""

    done: bool
    owner_or_creator: bool  # the person acting owns it or agreed it


@dataclass(frozen=True)
class EntryItem:
    """A timeline entry, as far as the rules need it."""

    by_author: bool  # the person acting made the entry


def _may_complete_action(
    spec: PolicySpec, state: EscalationState, actor: Actor, item: Any
) -> str | None:
    # Following up agreed actions goes on after the escalation closes.
    assert isinstance(item, ActionItem)
    if item.done:
        return "This action has already been marked as done."
    if not item.owner_or_creator:
        return "Only the action's owner, or whoever agreed it, can mark it done."
    return None


def _may_correct_entry(
    spec: PolicySpec, state: EscalationState, actor: Actor, item: Any
) -> str | None:
    # Correcting the record goes on after the escalation closes.
    assert isinstance(item, EntryItem)
    if not item.by_author:
        return "Only the person who made an entry can correct it."
    return None


def _open_and(guard: Guard) -> Guard:
    """`guard`, after the rule that nothing is done on a closed escalation."""

    def checked(spec: PolicySpec, state: EscalationState, actor: Actor, item: Any) -> str | None:
        return _closed(state) or guard(spec, state, actor, item)

    return checked


def rule(name: str) -> Rule:
    """The rule called `name` (KeyError for a name no rule has)."""
    return _BY_NAME[name]


def refusal(
    spec: PolicySpec, state: EscalationState, actor: Actor, name: str, item: Any = None
) -> str | None:
    """Why `actor` may not do `name` now (a sentence to show), or None when they may."""
    return rule(name).guard(spec, state, actor, item)


def allowed_actions(
    spec: PolicySpec, state: EscalationState, actor: Actor, at: datetime | None = None
) -> frozenset[str]:
    """Everything `actor` may do to the escalation now: the one answer pages and API show.

    Actions on one agreed action or one entry (marking done, correcting) are asked per item
    with `may`. A rule with a window (reopening) is asked about the moment `at`.
    """
    return frozenset(
        r.name
        for r in RULES
        if not r.on_item and r.guard(spec, state, actor, at if r.timed else None) is None
    )


def may(
    spec: PolicySpec, state: EscalationState, actor: Actor, name: str, item: Any = None
) -> bool:
    """Whether `actor` may do `name` now (to `item`, for an action on one item)."""
    return refusal(spec, state, actor, name, item) is None


def apply(
    spec: PolicySpec,
    state: EscalationState,
    action: WorkflowAction | _deciding.DecidingAction,
    actor: Actor,
) -> Transition:
    """The new state and events after `actor` does `action`, or ActionRefused."""
    if type(action) not in _BY_TYPE:  # the sweep's and the directory's: deciding.py checks them
        new_state, events = _deciding.HANDLERS[type(action)](spec, state, action, actor)
        return Transition(state=replace(new_state, version=state.version + 1), events=tuple(events))
    found = _BY_TYPE[type(action)]
    refused = found.guard(spec, state, actor, _item_of(action))
    if refused is not None:
        raise ActionRefused(refused)
    new_state, events = found.handler(spec, state, action, actor)
    if not found.keeps_version:
        new_state = replace(new_state, version=state.version + 1)
    return Transition(state=new_state, events=tuple(events))


def _item_of(action: object) -> Any:
    if isinstance(action, CompleteAction):
        return ActionItem(done=action.already_done, owner_or_creator=action.by_owner_or_creator)
    if isinstance(action, CorrectEntry):
        return EntryItem(by_author=action.by_author)
    if _BY_TYPE[type(action)].timed:
        return getattr(action, "at", None)
    return None


# --- what each action does (its guard has already said the actor may) --------------------


def _record_discussion(
    spec: PolicySpec, state: EscalationState, action: Any, actor: Actor
) -> Handled:
    assert isinstance(action, RecordDiscussion)
    if action.held_on > action.at.astimezone(calendar.LONDON).date():
        raise ActionRefused("The date of the discussion must be today or in the past.", "held_on")
    _require_text(action.with_whom, "Enter who the discussion was with.", "with_whom")
    _require_text(action.method, "Enter how the discussion was held.", "method")
    _require_text(action.summary, "Enter what was said.", "summary")
    _require_text(action.outcome, "Enter the outcome of the discussion.", "outcome")
    event = ChronologyEvent(
        kind="discussion",
        stage_key=state.stage_key,
        occurred_at=calendar.end_of_day(action.held_on)
        if action.held_on < action.at.astimezone(calendar.LONDON).date()
        else action.at,
        text=action.summary,
        data={
            "held_on": action.held_on.isoformat(),
            "with_whom": action.with_whom,
            "method": action.method,
            "outcome": action.outcome,
        },
    )
    events: list[WorkflowEvent] = [event]
    _notify(events, spec, Event.DISCUSSION_RECORDED, state.stage_key, state.flags)
    return replace(state, records=state.records | {Record.DISCUSSION.value}), events


def _request_rationale(
    spec: PolicySpec, state: EscalationState, action: Any, actor: Actor
) -> Handled:
    assert isinstance(action, RequestRationale)
    _require_text(action.message, "Enter what you are asking the respondent to explain.", "message")
    due = _deciding.rationale_due(spec, state, action.at)
    events: list[WorkflowEvent] = [
        ChronologyEvent(
            kind="rationale_requested",
            stage_key=state.stage_key,
            occurred_at=action.at,
            text=action.message,
            data={"due_at": due.isoformat()},
        )
    ]
    _notify(events, spec, Event.RATIONALE_REQUESTED, state.stage_key, state.flags)
    return replace(state, rationale_requested=True, rationale_due_at=due), events


def _give_rationale(spec: PolicySpec, state: EscalationState, action: Any, actor: Actor) -> Handled:
    assert isinstance(action, GiveRationale)
    _require_text(action.rationale, "Enter the rationale for the decision.", "rationale")
    events: list[WorkflowEvent] = [
        ChronologyEvent(
            kind="rationale",
            stage_key=state.stage_key,
            occurred_at=action.at,
            text=action.rationale,
        )
    ]
    _notify(events, spec, Event.RATIONALE_GIVEN, state.stage_key, state.flags)
    return (
        replace(
            state,
            records=state.records | {Record.RATIONALE.value},
            rationale_requested=False,
            rationale_due_at=None,
        ),
        events,
    )


def _escalate(spec: PolicySpec, state: EscalationState, action: Any, actor: Actor) -> Handled:
    assert isinstance(action, EscalateToNextStage)
    following = spec.next_stage(state.stage_key)
    assert following is not None  # the guard refuses at the last stage
    _require_text(action.reason, "Enter why this needs to go to the next stage.", "reason")
    _deciding.check_entry(spec, following, action)
    engaged = action.board_engagement.strip()
    due = stage_deadline(spec, following, action.at, state.flags)
    index = state.stage_index + 1
    events: list[WorkflowEvent] = [
        ChronologyEvent(
            kind="escalated",
            stage_key=following.key,
            occurred_at=action.at,
            text=action.reason,
            data={"from": state.stage_key, "to": following.key}
            | ({"board_engagement": engaged} if engaged else {}),
        ),
        StageEnded(stage_key=state.stage_key, outcome="escalated", ended_at=action.at),
        StageEntered(stage_key=following.key, index=index, started_at=action.at, due_at=due),
        DeadlineSet(due_at=due),
    ]
    _notify(events, spec, Event.STAGE_ENTERED, following.key, state.flags)
    new_state = replace(
        state,
        stage_key=following.key,
        stage_index=index,
        stage_started_at=action.at,
        due_at=due,
        records=frozenset(),
        rationale_requested=False,
        rationale_due_at=None,
        rationale_lapsed=False,
        proposal=None,
        tier=1,
        board_engagement=engaged,
    )
    return new_state, events


def _pause(spec: PolicySpec, state: EscalationState, action: Any, actor: Actor) -> Handled:
    assert isinstance(action, Pause)
    _require_text(action.reason, "Enter why the escalation is being paused.", "reason")
    _deciding.check_pause(spec, state, action, actor)
    assert action.review_on is not None
    events: list[WorkflowEvent] = [
        ChronologyEvent(
            kind="paused",
            stage_key=state.stage_key,
            occurred_at=action.at,
            text=action.reason,
            data={
                "review_on": action.review_on.isoformat(),
                "raiser_manager_agrees": action.raiser_manager_agrees,
            },
        )
    ]
    _notify(events, spec, Event.PAUSED, state.stage_key, state.flags)
    paused = replace(state, status=PAUSED, paused_at=action.at, pause_review_on=action.review_on)
    return paused, events


def _resume(spec: PolicySpec, state: EscalationState, action: Any, actor: Actor) -> Handled:
    assert isinstance(action, Resume)
    assert state.paused_at is not None  # the guard refuses when not paused
    _require_text(action.reason, "Enter why the escalation is being resumed.", "reason")
    at = max(action.at, state.paused_at)
    due = state.due_at
    if due is not None:
        due = resumed_deadline(spec, spec.stage(state.stage_key), due, state.paused_at, at)
    paused_seconds = int((at - state.paused_at).total_seconds())
    events: list[WorkflowEvent] = [
        ChronologyEvent(
            kind="resumed",
            stage_key=state.stage_key,
            occurred_at=action.at,
            text=action.reason,
            data={"paused_seconds": paused_seconds},
        ),
        DeadlineSet(due_at=due),
    ]
    _notify(events, spec, Event.RESUMED, state.stage_key, state.flags)
    return replace(state, status=OPEN, paused_at=None, due_at=due, pause_review_on=None), events


def _close(
    state: EscalationState, at: datetime, status: str, events: list[WorkflowEvent]
) -> EscalationState:
    events.append(StageEnded(stage_key=state.stage_key, outcome=status, ended_at=at))
    events.append(DeadlineSet(due_at=None))
    return replace(
        state,
        status=status,
        paused_at=None,
        due_at=None,
        pause_review_on=None,
        proposal=None,
        closed_at=at,
    )


def _resolve(spec: PolicySpec, state: EscalationState, action: Any, actor: Actor) -> Handled:
    assert isinstance(action, Resolve)
    _require_text(action.decision, "Enter the decision that resolved the disagreement.", "decision")
    _require_text(action.decided_by, "Enter who made the decision.", "decided_by")
    events: list[WorkflowEvent] = [
        ChronologyEvent(
            kind="resolved",
            stage_key=state.stage_key,
            occurred_at=action.at,
            text=action.decision,
            data={
                "decided_by": action.decided_by,
                "learning": action.learning,
                "actions": action.action_count,
            },
        )
    ]
    new_state = _close(
        replace(state, records=state.records | {Record.OUTCOME.value}), action.at, RESOLVED, events
    )
    _notify(events, spec, Event.RESOLVED, state.stage_key, state.flags)
    return new_state, events


def _withdraw(spec: PolicySpec, state: EscalationState, action: Any, actor: Actor) -> Handled:
    assert isinstance(action, Withdraw)
    _require_text(action.reason, "Enter why the escalation is being withdrawn.", "reason")
    events: list[WorkflowEvent] = [
        ChronologyEvent(
            kind="withdrawn", stage_key=state.stage_key, occurred_at=action.at, text=action.reason
        )
    ]
    new_state = _close(state, action.at, WITHDRAWN, events)
    _notify(events, spec, Event.WITHDRAWN, state.stage_key, state.flags)
    return new_state, events


def _convene_panel(spec: PolicySpec, state: EscalationState, action: Any, actor: Actor) -> Handled:
    assert isinstance(action, ConvenePanel)
    if action.member_count < 1:
        raise ActionRefused("Choose the panel members.", field="members")
    if action.practitioners:
        raise ActionRefused(
            "A Resolution Panel is never made of practitioners: choose managers or the "
            "partnership's panel members.",
            field="members",
        )
    if spec.panel is not None:
        if len(action.agency_ids) < spec.panel.min_agencies:
            raise ActionRefused(
                f"The panel must include people from at least {spec.panel.min_agencies} agencies.",
                field="members",
            )
        if spec.panel.must_include_disputing_agencies and not (
            action.disputing_agency_ids <= action.agency_ids
        ):
            raise ActionRefused(
                "The panel must include someone from each agency in the disagreement.",
                field="members",
            )
    _deciding.check_panel_members(spec, action)
    events: list[WorkflowEvent] = [
        ChronologyEvent(
            kind="panel_convened",
            stage_key=state.stage_key,
            occurred_at=action.at,
            data={"members": action.member_count, "agencies": sorted(action.agency_ids)}
            | (
                {"handled": action.handled_count, "handled_reason": action.handled_reason}
                if action.handled_count
                else {}
            ),
        )
    ]
    _notify(events, spec, Event.PANEL_CONVENED, state.stage_key, state.flags)
    return replace(state, panel_convened=True), events


def _record_representation(
    spec: PolicySpec, state: EscalationState, action: Any, actor: Actor
) -> Handled:
    assert isinstance(action, RecordRepresentation)
    _require_text(action.summary, "Enter the representation the agency made.", "summary")
    return state, [
        ChronologyEvent(
            kind="representation",
            stage_key=state.stage_key,
            occurred_at=action.at,
            text=action.summary,
        )
    ]


def _record_panel_decision(
    spec: PolicySpec, state: EscalationState, action: Any, actor: Actor
) -> Handled:
    assert isinstance(action, RecordPanelDecision)
    _require_text(action.decision, "Enter the panel's decision.", "decision")
    if not action.members_present:
        raise ActionRefused("Choose the panel members who took part.", field="members_present")
    events: list[WorkflowEvent] = [
        ChronologyEvent(
            kind="panel_decision",
            stage_key=state.stage_key,
            occurred_at=action.at,
            text=action.decision,
            data={
                "learning": action.learning,
                "actions": action.action_count,
                "members_present": list(action.members_present),
            },
        )
    ]
    decided = replace(
        state,
        panel_decided=True,
        records=state.records | {Record.PANEL_DECISION.value, Record.OUTCOME.value},
    )
    new_state = _close(decided, action.at, RESOLVED, events)
    _notify(events, spec, Event.PANEL_DECIDED, state.stage_key, state.flags)
    _notify(events, spec, Event.RESOLVED, state.stage_key, state.flags)
    return new_state, events


def _add_action(spec: PolicySpec, state: EscalationState, action: Any, actor: Actor) -> Handled:
    assert isinstance(action, AddAction)
    _check_action_fields(action.description, action.due_on, action.owner_in_partnership, action.at)
    events: list[WorkflowEvent] = [
        ChronologyEvent(
            kind="action_added",
            stage_key=state.stage_key,
            occurred_at=action.at,
            text=action.description,
            data={"due_on": action.due_on.isoformat()},
        )
    ]
    _notify(events, spec, Event.ACTION_ASSIGNED, state.stage_key, state.flags)
    return state, events


def _check_action_fields(
    description: str, due_on: date, owner_in_partnership: bool, at: datetime
) -> None:
    _require_text(description, "Enter what needs to be done.", "description")
    if not owner_in_partnership:
        raise ActionRefused("The action's owner must work in this partnership.", "owner")
    if due_on < at.astimezone(calendar.LONDON).date():
        raise ActionRefused("The due date must be today or in the future.", "due_on")


def check_action(description: str, due_on: date, owner_in_partnership: bool, at: datetime) -> None:
    """The checks an agreed action passes, also when agreed as part of a resolution."""
    _check_action_fields(description, due_on, owner_in_partnership, at)


def _complete_action(
    spec: PolicySpec, state: EscalationState, action: Any, actor: Actor
) -> Handled:
    assert isinstance(action, CompleteAction)
    return state, [
        ChronologyEvent(kind="action_done", stage_key=state.stage_key, occurred_at=action.at)
    ]


def _add_view(spec: PolicySpec, state: EscalationState, action: Any, actor: Actor) -> Handled:
    assert isinstance(action, AddView)
    _require_text(action.view, "Enter your view.", "view")
    return state, [
        ChronologyEvent(
            kind="view", stage_key=state.stage_key, occurred_at=action.at, text=action.view
        )
    ]


def _correct_entry(spec: PolicySpec, state: EscalationState, action: Any, actor: Actor) -> Handled:
    assert isinstance(action, CorrectEntry)
    _require_text(action.correction, "Enter the correction.", "correction")
    return state, [
        ChronologyEvent(
            kind="correction",
            stage_key=state.stage_key,
            occurred_at=action.at,
            text=action.correction,
        )
    ]


# Every action, once. To add one: its action dataclass above, a guard, a handler, a Rule here,
# then its declaration in escalations/actions.py (the page and the API endpoint come from it).
RULES: tuple[Rule, ...] = (
    Rule(
        "record_discussion", RecordDiscussion, _open_and(_may_record_discussion), _record_discussion
    ),
    Rule(
        "request_rationale", RequestRationale, _open_and(_may_request_rationale), _request_rationale
    ),
    Rule("give_rationale", GiveRationale, _open_and(_may_give_rationale), _give_rationale),
    Rule("escalate_to_next_stage", EscalateToNextStage, _open_and(_may_escalate), _escalate),
    Rule("pause_escalation", Pause, _open_and(_may_pause), _pause),
    Rule("resume_escalation", Resume, _open_and(_may_resume), _resume),
    Rule("resolve_escalation", Resolve, _open_and(_may_resolve), _resolve),
    Rule("withdraw_escalation", Withdraw, _open_and(_may_withdraw), _withdraw),
    Rule("convene_panel", ConvenePanel, _open_and(_may_convene_panel), _convene_panel),
    Rule(
        "record_representation",
        RecordRepresentation,
        _open_and(_may_record_representation),
        _record_representation,
    ),
    Rule(
        "record_panel_decision",
        RecordPanelDecision,
        _open_and(_may_record_panel_decision),
        _record_panel_decision,
    ),
    Rule("add_action", AddAction, _open_and(_may_add_action), _add_action, keeps_version=True),
    Rule("add_view", AddView, _open_and(_may_add_view), _add_view, keeps_version=True),
    Rule(
        "complete_action",
        CompleteAction,
        _may_complete_action,
        _complete_action,
        keeps_version=True,
        on_item=True,
    ),
    Rule(
        "correct_entry",
        CorrectEntry,
        _may_correct_entry,
        _correct_entry,
        keeps_version=True,
        on_item=True,
    ),
)
_BY_NAME: dict[str, Rule] = {r.name: r for r in RULES}
_BY_TYPE: dict[type, Rule] = {r.action: r for r in RULES}
ACTION_NAMES: tuple[str, ...] = tuple(_BY_NAME)


def check_invariants(spec: PolicySpec, state: EscalationState) -> None:
    """Raise AssertionError when `state` is not one the rules can produce."""
    assert state.status in STATUSES, state.status
    assert 0 <= state.stage_index < len(spec.stages)
    assert spec.stages[state.stage_index].key == state.stage_key
    assert (state.paused_at is not None) == (state.status == PAUSED)
    assert (state.due_at is None) == state.is_closed
    assert state.version >= 1
    if state.panel_convened:
        assert _panel_stage(spec, state)
    if state.panel_decided:
        assert state.panel_convened and state.status == RESOLVED


# The rules of who decides (proposals, decision-makers, reopening, silence, tiers, timescales)
# live in deciding.py, which builds on the types above.
def register(rules: tuple[Rule, ...]) -> None:
    """Add deciding.py's rules (it calls this once, when it is loaded)."""
    global RULES, ACTION_NAMES
    RULES = RULES + tuple(r for r in rules if r.name not in _BY_NAME)
    _BY_NAME.update({r.name: r for r in rules})
    _BY_TYPE.update({r.action: r for r in rules})
    ACTION_NAMES = tuple(_BY_NAME)


from escalate.escalations import deciding as _deciding  # noqa: E402
