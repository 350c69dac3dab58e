"""Applying a workflow transition: lock, check the version, write what the core decided.

Services do their work through a `Change` (state built once per call).

A stage action locks the escalation row (SELECT ... FOR UPDATE), checks the version the person's
page showed, asks the workflow what the action means, then writes the state, the chronology,
stage records, participants and notifications (into the outbox) before the transaction ends.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from escalate.bulk import copy_rows
from escalate.directory.models import Person
from escalate.escalations import messages, recipients, workflow
from escalate.escalations.auditing import SYSTEM, audited, audited_each
from escalate.escalations.messages import Message
from escalate.escalations.models import (
    CLOSED_STATUSES,
    Action,
    ChronologyEntry,
    EntryKind,
    Escalation,
    Part,
    Participant,
    StageRecord,
)
from escalate.escalations.selectors import POLICY_TEXT
from escalate.escalations.state import actor_of, current_stage_record, flags_of, state_of
from escalate.escalations.workflow import ActionRefused
from escalate.notifications.models import Notification
from escalate.notifications.services import NotificationSpec, enqueue_notifications
from escalate.policies.schema import Event, PolicySpec

# Called, in the stage change's transaction, for each stage an escalation enters, once what the
# transition decided is written: (escalation, stage key, who caused it or None, when). Apps
# beneath the page layer register here (reports attaches the chair's form at the referral)
# so escalations need not import them.
StageEnteredHook = Callable[[Escalation, str, Person | None, datetime], object]
STAGE_ENTERED_HOOKS: list[StageEnteredHook] = []


def on_stage_entered(hook: StageEnteredHook) -> StageEnteredHook:
    """Register `hook` to run whenever an escalation enters a stage (see STAGE_ENTERED_HOOKS)."""
    if hook not in STAGE_ENTERED_HOOKS:
        STAGE_ENTERED_HOOKS.append(hook)
    return hook


class StaleEscalation(ActionRefused):
    """The escalation changed since the person's page was drawn."""

    def __init__(self) -> None:
        super().__init__(
            "Someone else updated this escalation while you were working. Your text has been "
            "kept; check the timeline and try again."
        )


def lock_escalation(escalation: Escalation, expected_version: int | None) -> Escalation:
    locked = (
        Escalation.objects.select_for_update(of=("self",))
        .select_related(
            "partnership",
            "policy_version",
            "raised_by",
            "raiser_agency",
            "respondent_agency",
            "respondent_person",
        )
        .get(pk=escalation.pk)
    )
    if expected_version is not None and locked.version != expected_version:
        raise StaleEscalation()
    return locked


# Notices the person who acted still gets: the raiser's confirmation of a raise (the reference,
# the due date, what to do first), and the record at each stage's end and at the end, which the
# policy says is shared with the raiser whoever acted (Havering 004 §3.1; issue 17, point 4).
KEPT_BY_THE_ACTOR = frozenset(
    {Event.RAISED, Event.STAGE_ENTERED, Event.RESOLVED, Event.WITHDRAWN, Event.PANEL_DECIDED}
)


def apply_transition(
    escalation: Escalation,
    transition: workflow.Transition,
    *,
    by: Person | None,
    before_version: int,
    now: datetime,
    extra_data: dict[str, Any] | None = None,
    corrects: ChronologyEntry | None = None,
) -> list[ChronologyEntry]:
    """Write what the transition says; returns the chronology entries made (first is primary)."""
    spec = escalation.policy_version.spec
    state = transition.state
    entries: list[ChronologyEntry] = []
    for event in transition.of_type(workflow.ChronologyEvent):
        data = dict(event.data)
        if extra_data and not entries:
            data.update(extra_data)
        entries.append(
            ChronologyEntry.objects.create(
                escalation=escalation,
                kind=event.kind,
                actor=by,
                stage_key=event.stage_key,
                occurred_at=event.occurred_at,
                recorded_at=now,
                text=event.text,
                data=data,
                corrects=corrects if event.kind == EntryKind.CORRECTION else None,
            )
        )
    record = current_stage_record(escalation)
    entered_stages: list[str] = []
    for ended in transition.of_type(workflow.StageEnded):
        if record is not None and record.stage_key == ended.stage_key:
            record.ended_at = ended.ended_at
            record.outcome = ended.outcome
            if record.paused_at is not None:
                record.paused_seconds += int((ended.ended_at - record.paused_at).total_seconds())
                record.paused_at = None
            record.save()
    for entered in transition.of_type(workflow.StageEntered):
        # A reopened escalation enters its closing stage again: that stage's record restarts
        # (its history stays on the timeline).
        record, _ = StageRecord.objects.update_or_create(
            escalation=escalation,
            index=entered.index,
            defaults={
                "stage_key": entered.stage_key,
                "started_at": entered.started_at,
                "due_at": entered.due_at,
                "ended_at": None,
                "outcome": "",
                "paused_at": None,
            },
        )
        _add_stage_participants(escalation, spec, entered.stage_key, now)
        entered_stages.append(entered.stage_key)
    if record is not None and record.ended_at is None:
        changed = False
        if state.paused_at != record.paused_at:
            if state.paused_at is None and record.paused_at is not None:
                record.paused_seconds += int((now - record.paused_at).total_seconds())
            record.paused_at = state.paused_at
            changed = True
        if state.due_at != record.due_at and state.due_at is not None:
            record.due_at = state.due_at
            changed = True
        if changed:
            record.save()

    if state.version != before_version:
        closed_at = now if state.status in CLOSED_STATUSES else None
        updated = Escalation.objects.filter(pk=escalation.pk, version=before_version).update(
            status=state.status,
            current_stage_key=state.stage_key,
            stage_due_at=state.due_at,
            version=state.version,
            closed_at=closed_at,
        )
        if updated != 1:  # backstop: the row lock makes this unreachable on PostgreSQL
            raise StaleEscalation()
        escalation.status = state.status
        escalation.current_stage_key = state.stage_key
        escalation.stage_due_at = state.due_at
        escalation.version = state.version
        escalation.closed_at = closed_at

    primary = entries[0] if entries else None
    told: set[str] = set()  # one message per person per transition, for the first event
    # The person who acted is not e-mailed about it: the page they acted on has just told them
    # what happened and what next. Records are the exception (KEPT_BY_THE_ACTOR).
    acted = recipients.Target(by, "", "").key if by is not None else ""
    for notification in transition.of_type(workflow.NotificationEvent):
        leave_out = "" if notification.event in KEPT_BY_THE_ACTOR else acted
        _notify(escalation, spec, notification, primary, now, told, leave_out=leave_out)
    for stage_key in entered_stages:
        for hook in STAGE_ENTERED_HOOKS:
            hook(escalation, stage_key, by, now)
    return entries


def _add_stage_participants(
    escalation: Escalation, spec: PolicySpec, stage_key: str, now: datetime
) -> None:
    for target in recipients.stage_people(escalation, spec.stage(stage_key)):
        if target.person is not None and target.part:
            add_participant(escalation, target.person, target.part, stage_key, now)


def add_participant(
    escalation: Escalation, person: Person, part: str, stage_key: str, now: datetime
) -> None:
    # A manager who acts again at a later stage moves with it (manager queues use stage_key).
    Participant.objects.update_or_create(
        escalation=escalation,
        person=person,
        part=part,
        defaults={"stage_key": stage_key},
        create_defaults={"stage_key": stage_key, "added_at": now},
    )


def add_participants(rows: Sequence[Participant]) -> None:
    """`add_participant` for many (unsaved rows: escalation, person, part, stage key, added
    at), with the same result as adding them one by one in order, in at most three queries
    however many: the rows already there are read at once, those whose stage changed are
    moved in one UPDATE and the new ones written in one INSERT. The caller holds the
    escalations' locks, as every writer of participants does."""
    wanted: dict[tuple[int, int, str], Participant] = {}
    for row in rows:
        key = (row.escalation_id, row.person_id, row.part)
        if key in wanted:  # a later call moves it; it was added when first named
            wanted[key].stage_key = row.stage_key
        else:
            wanted[key] = row
    if not wanted:
        return
    moved: list[Participant] = []
    for held in Participant.objects.filter(
        escalation_id__in={key[0] for key in wanted},
        person_id__in={key[1] for key in wanted},
        part__in={key[2] for key in wanted},
    ):
        key = (held.escalation_id, held.person_id, held.part)
        if key not in wanted:
            continue
        row = wanted.pop(key)
        if held.stage_key != row.stage_key:
            held.stage_key = row.stage_key
            moved.append(held)
    if moved:
        Participant.objects.bulk_update(moved, ["stage_key"])
    Participant.objects.bulk_create(list(wanted.values()))


def notification_text(
    escalation: Escalation,
    spec: PolicySpec,
    event: str,
    stage_key: str,
    *,
    action: Action | None = None,
    part: str = "",
    told_parts: Sequence[str] = (),
) -> Message:
    """Subject and body for an event of the workflow, for the person told as `part` (the words
    are in messages.py). About an agreed action, the due date is the action's own.
    """
    open_ = escalation.status not in CLOSED_STATUSES
    return messages.event_message(
        event,
        reference=escalation.reference,
        stage_name=spec.stage(stage_key).name,
        due_at=escalation.stage_due_at if open_ else None,
        link=messages.escalation_link(escalation.get_absolute_url()),
        action_due_on=action.due_on if action is not None else None,
        part=part,
        told_parts=told_parts,
        urgent=escalation.immediate_harm,
        raised_by=f"{escalation.raised_by.full_name}, {escalation.raiser_agency.name}",
    )


def _action_of(cause: ChronologyEntry | None) -> Action | None:
    """The agreed action a chronology entry is about (its data names it), if any."""
    action_id = (cause.data or {}).get("action_id") if cause is not None else None
    if not action_id:
        return None
    return Action.objects.select_related("owner").filter(pk=action_id).first()


def _notify(
    escalation: Escalation,
    spec: PolicySpec,
    notification: workflow.NotificationEvent,
    cause: ChronologyEntry | None,
    now: datetime,
    keys: set[str],
    *,
    leave_out: str = "",
) -> None:
    stage = spec.stage(notification.stage_key)
    action = _action_of(cause)
    targets: list[recipients.Target] = []
    for recipient in notification.recipients:
        for target in recipients.resolve(escalation, stage, recipient, action=action):
            if target.key not in keys and target.key != leave_out:
                keys.add(target.key)
                targets.append(target)
    cause_key = f"chronology:{cause.pk}" if cause else f"escalation:{escalation.pk}"
    send_notifications(
        escalation,
        spec,
        notification.event,
        notification.stage_key,
        targets,
        event_key=f"{cause_key}:{notification.event}",
        now=now,
        action=action,
    )


def send_notifications(
    escalation: Escalation,
    spec: PolicySpec,
    event: str,
    stage_key: str,
    targets: Sequence[recipients.Target],
    *,
    event_key: str,
    now: datetime,
    message: Message | None = None,
    action: Action | None = None,
) -> int:
    """Put one notification per target in the outbox and note who was told on the chronology.

    Returns how many outbox rows were new (a repeat of `event_key` to the same target is none).
    """
    told = told_of(
        escalation,
        spec,
        event,
        stage_key,
        targets,
        event_key=event_key,
        now=now,
        message=message,
        action=action,
    )
    if told is None:
        return 0
    for row in told.participants:
        add_participant(escalation, row.person, row.part, row.stage_key, now)
    written = enqueue_notifications(told.notifications)
    told.entry.save(force_insert=True)
    return written


@dataclass
class Told:
    """What telling `targets` about an event writes: outbox rows, one chronology entry, and
    the people told to act, made participants (`add_participant`)."""

    notifications: list[NotificationSpec]
    entry: ChronologyEntry
    participants: list[Participant]


def told_of(
    escalation: Escalation,
    spec: PolicySpec,
    event: str,
    stage_key: str,
    targets: Sequence[recipients.Target],
    *,
    event_key: str,
    now: datetime,
    message: Message | None = None,
    action: Action | None = None,
) -> Told | None:
    """The rows `send_notifications` writes (unsaved), for a caller that writes many at once:
    the outbox rows, the "Told" entry, and the people told to act (the allocated IRO and CP
    chair, the chair, the raiser's DSL), who become participants. None when there is nobody
    to tell."""
    if not targets:
        return None
    told_parts = [target.part for target in targets]
    notifications = []
    participants = []
    for target in targets:
        # Each person is told what the event asks of them, in their part's words.
        text = message or notification_text(
            escalation,
            spec,
            event,
            stage_key,
            action=action,
            part=target.part,
            told_parts=told_parts,
        )
        notifications.append(
            NotificationSpec(
                partnership=escalation.partnership,
                escalation=escalation,
                event=event,
                event_key=event_key,
                subject=text.subject,
                body=text.body,
                recipient=target.person,
                email="" if target.person is not None else target.email,
                template_key=text.key,
                personalisation=dict(text.personalisation),
                urgent=escalation.immediate_harm,
            )
        )
        # The allocated IRO and CP chair, the chair and the raiser's DSL are told to act, so they
        # may open it; everyone else told sees it only if the policy or their part lets them.
        if target.person is not None and target.part in (
            Part.IRO,
            Part.CP_CHAIR,
            Part.PARTNERSHIP_CHAIR,
            Part.DSL,
        ):
            participants.append(
                Participant(
                    escalation=escalation,
                    person=target.person,
                    part=target.part,
                    stage_key=stage_key,
                    added_at=now,
                )
            )
    entry = ChronologyEntry(
        escalation=escalation,
        kind=EntryKind.NOTIFICATION,
        actor=None,
        stage_key=stage_key,
        occurred_at=now,
        recorded_at=now,
        text="Told: " + ", ".join(t.label for t in targets),
        data={
            "event": event,
            "event_key": event_key,
            "recipients": [{"key": t.key, "label": t.label, "part": t.part} for t in targets],
        },
    )
    return Told(notifications, entry, participants)


def policy_targets(escalation: Escalation, spec: PolicySpec, event: str) -> list[recipients.Target]:
    """Whoever the policy's notification rules name for `event` at the current stage."""
    notification = workflow.notifications_for(
        spec, event, escalation.current_stage_key, flags_of(escalation)
    )
    if notification is None:
        return []
    stage = spec.stage(notification.stage_key)
    targets: dict[str, recipients.Target] = {}
    for recipient in notification.recipients:
        for target in recipients.resolve(escalation, stage, recipient):
            targets.setdefault(target.key, target)
    return list(targets.values())


@transaction.atomic(durable=True)
def notify_policy_event(*, escalation: Escalation, event: str, cause_key: str) -> int:
    """Tell whoever the policy's rules name for `event` (e.g. "reminder", "overdue") at the
    escalation's current stage, in the policy's words for the event.

    `cause_key` names the occurrence (e.g. "overdue:RIV-2026-0001:stage_2"), so a repeat call
    sends nothing new. Returns how many people or mailboxes the rules named.
    """
    with audited("escalation_notified", escalation=escalation, by=SYSTEM):
        spec = escalation.policy_version.spec
        targets = policy_targets(escalation, spec, event)
        event_key = f"{cause_key}:{event}"
        if targets and not Notification.objects.filter(event_key=event_key).exists():
            send_notifications(
                escalation,
                spec,
                event,
                escalation.current_stage_key,
                targets,
                event_key=event_key,
                now=timezone.now(),
            )
        return len(targets)


@dataclass(frozen=True)
class DeadlineNotice:
    """One notice the deadline sweep owes: a reminder, an overdue stage or action, a prompt."""

    escalation_id: int
    event: str
    event_key: str  # names the occurrence ("overdue:stage:<id>"): a repeat sends nothing
    message: Message
    also: tuple[Person, ...] = ()  # the people it is about (an action's owner)
    by_policy: bool = True  # the policy's rules for `event` name who is told


@dataclass
class DeadlinesSent:
    """What `notify_deadlines` wrote: the notices sent (by event key) and the outbox rows."""

    sent: set[str] = field(default_factory=set)
    written: int = 0


# The escalation's related rows the recipients need, loaded with it (the policy without its text).
NOTICE_RELATED = (
    "partnership",
    "policy_version",
    "raised_by",
    "raiser_agency",
    "respondent_agency",
    "respondent_person",
    "allocated_iro",  # named by a policy's `iro` and `cp_chair` recipients
    "allocated_cp_chair",
)


# What telling people changes on an escalation (`told_of`: the people told to act become
# participants, and the "Told" entry); the outbox is not the escalation's.
TOLD_PARTS = ("participants", "chronology")


@transaction.atomic(durable=True)
def notify_deadlines(notices: Sequence[DeadlineNotice]) -> DeadlinesSent:
    """The deadline sweep's notices for a batch of escalations, by the same path as a person's
    action: the policy's rules for each notice's `event` name who is told (with `by_policy`),
    and `also` the people the notice is about (an action's owner); `told_of` writes the outbox
    rows and the "Told" entry as `send_notifications` does. Audited as the system's: one row
    for each escalation told anything (`audited_each`).

    One transaction, and a fixed number of queries however many notices and escalations: the
    escalations are locked together, the directory is read once for them all
    (`recipients.prefetch_directory`), and the outbox rows, the entries and the audit rows are
    each written in one INSERT, as are the people told to act made participants
    (`add_participants`). A notice whose `event_key` is already in the outbox is skipped.
    """
    ids = {notice.escalation_id for notice in notices}
    sent = DeadlinesSent()
    # It adds participants and entries only: the audit's snapshots read just those.
    with audited_each("escalation_notified", escalation_ids=ids, by=SYSTEM, parts=TOLD_PARTS):
        escalations = (
            Escalation.objects.select_related(*NOTICE_RELATED).defer(*POLICY_TEXT).in_bulk(ids)
        )
        already = set(
            Notification.objects.filter(event_key__in=[n.event_key for n in notices])
            .order_by()
            .values_list("event_key", flat=True)
            .distinct()
        )
        recipients.prefetch_directory(
            list(escalations.values()), (person for n in notices for person in n.also)
        )
        now = timezone.now()
        outbox: list[NotificationSpec] = []
        entries: list[ChronologyEntry] = []
        participants: list[Participant] = []
        for notice in notices:
            if notice.event_key in already or notice.event_key in sent.sent:
                continue
            escalation = escalations[notice.escalation_id]
            spec = escalation.policy_version.spec
            targets = policy_targets(escalation, spec, notice.event) if notice.by_policy else []
            named = {target.key for target in targets}
            for person in notice.also:
                target = recipients.Target(person, person.email, person.full_name)
                if person.is_active and target.key not in named:
                    named.add(target.key)
                    targets.append(target)
            told = told_of(
                escalation,
                spec,
                notice.event,
                escalation.current_stage_key,
                targets,
                event_key=notice.event_key,
                now=now,
                message=notice.message,
            )
            if told is not None:
                outbox.extend(told.notifications)
                entries.append(told.entry)
                participants.extend(told.participants)
                sent.sent.add(notice.event_key)
        add_participants(participants)
        sent.written = enqueue_notifications(outbox)
        copy_rows(ChronologyEntry, entries)  # by COPY on PostgreSQL
    return sent


class Change:
    """One service call's work on one escalation, inside the service's transaction.

    Locks the row and checks the version the person's page showed, then builds the plain state
    and the actor once; each transition the workflow decides is written in turn and becomes the
    state the next one is decided from.
    """

    def __init__(
        self, escalation: Escalation, by: Person, expected_version: int | None = None
    ) -> None:
        self.escalation = lock_escalation(escalation, expected_version)
        self.by: Person | None = by
        self.now = timezone.now()
        self.spec = self.escalation.policy_version.spec
        self.state = state_of(self.escalation)
        self.actor = actor_of(self.escalation, by)

    @classmethod
    def by_sweep(cls, escalation: Escalation, now: datetime | None = None) -> Change:
        """The deadline sweep's change: no person acts; the core's sweep actor does."""
        change = cls.__new__(cls)
        change.escalation = lock_escalation(escalation, None)
        change.by = None
        change.now = now or timezone.now()
        change.spec = change.escalation.policy_version.spec
        change.state = state_of(change.escalation)
        change.actor = workflow.Actor(roles=frozenset({"sweep"}))
        return change

    def decide(self, action: workflow.WorkflowAction | Any) -> workflow.Transition:
        """What the workflow makes of `action` now (ActionRefused if it may not be done)."""
        return workflow.apply(self.spec, self.state, action, self.actor)

    def write(
        self,
        transition: workflow.Transition,
        *,
        extra_data: dict[str, Any] | None = None,
        corrects: ChronologyEntry | None = None,
    ) -> list[ChronologyEntry]:
        """Store a decided transition; returns its chronology entries (the first is primary)."""
        entries = apply_transition(
            self.escalation,
            transition,
            by=self.by,
            before_version=self.escalation.version,
            now=self.now,
            extra_data=extra_data,
            corrects=corrects,
        )
        self.state = transition.state
        return entries

    def run(
        self, action: workflow.WorkflowAction | Any, *, extra_data: dict[str, Any] | None = None
    ) -> list[ChronologyEntry]:
        """Decide `action` and store it."""
        return self.write(self.decide(action), extra_data=extra_data)


def require_same_partnership(escalation: Escalation, person: Person, field_name: str) -> None:
    if person.partnership_id != escalation.partnership_id or not person.is_active:
        raise ActionRefused("Choose someone who works in this partnership.", field=field_name)
