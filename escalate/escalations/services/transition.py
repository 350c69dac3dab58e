"""Applying a workflow transition: lock, check the version, write what the core decided.

A stage action locks the escalation row (SELECT ... FOR UPDATE), checks the version the person's
page showed, asks the workflow what the action means, then writes the state, the chronology,
stage records, participants and notifications (into the outbox) before the transaction ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from escalate.directory.models import Person
from escalate.escalations import recipients, workflow
from escalate.escalations.auditing import audited
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
from escalate.escalations.state import actor_of, current_stage_record, flags_of, state_of
from escalate.escalations.workflow import ActionRefused
from escalate.notifications.models import Notification
from escalate.notifications.services import enqueue_notification
from escalate.policies.calendar import govuk_date, govuk_date_time
from escalate.policies.schema import Event, PolicySpec


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
    for ended in transition.of_type(workflow.StageEnded):
        if record is not None and record.stage_key == ended.stage_key:
            record.ended_at = ended.ended_at
            record.outcome = ended.outcome
            if record.paused_at is not None:
                record.paused_seconds += int((ended.ended_at - record.paused_at).total_seconds())
                record.paused_at = None
            record.save()
    for entered in transition.of_type(workflow.StageEntered):
        record = StageRecord.objects.create(
            escalation=escalation,
            stage_key=entered.stage_key,
            index=entered.index,
            started_at=entered.started_at,
            due_at=entered.due_at,
        )
        _add_stage_participants(escalation, spec, entered.stage_key, now)
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
    for notification in transition.of_type(workflow.NotificationEvent):
        _notify(escalation, spec, notification, primary, now, told)
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


EVENT_WORDS = {
    Event.RAISED: "A new escalation has been raised",
    Event.STAGE_ENTERED: "An escalation has reached a new stage",
    Event.RATIONALE_REQUESTED: "A rationale has been asked for",
    Event.RATIONALE_GIVEN: "A rationale has been given",
    Event.DISCUSSION_RECORDED: "A discussion has been recorded",
    Event.PAUSED: "An escalation has been paused",
    Event.RESUMED: "An escalation has been resumed",
    Event.REMINDER: "An escalation stage is nearly due",
    Event.OVERDUE: "An escalation stage is overdue",
    Event.RESOLVED: "An escalation has been resolved",
    Event.WITHDRAWN: "An escalation has been withdrawn",
    Event.PANEL_CONVENED: "A Resolution Panel has been convened",
    Event.PANEL_DECIDED: "A Resolution Panel has made its decision",
    Event.ACTION_ASSIGNED: "An action has been given to you",
    Event.ACTION_OVERDUE: "An action is overdue",
}


def escalation_link(escalation: Escalation) -> str:
    return f"{settings.SITE_URL}{escalation.get_absolute_url()}"


def notification_text(
    escalation: Escalation,
    spec: PolicySpec,
    event: str,
    stage_key: str,
    *,
    action: Action | None = None,
) -> tuple[str, str]:
    """Subject and body. Nothing about the child or adult: only the reference and a link.

    About an agreed action, the due date is the action's own, not the stage's.
    """
    words = EVENT_WORDS.get(Event(event), "An escalation has been updated")
    subject = f"{words}: {escalation.reference}"
    stage = spec.stage(stage_key)
    lines = [
        f"{words}.",
        "",
        f"Reference: {escalation.reference}",
        f"Stage: {stage.name}",
    ]
    if action is not None:
        lines.append(f"Action due: {govuk_date(action.due_on)}")
    elif escalation.stage_due_at is not None and escalation.status not in CLOSED_STATUSES:
        lines.append(f"Due: {govuk_date_time(escalation.stage_due_at)}")
    lines += [
        "",
        "Sign in to Escalate to see the details and what to do next:",
        escalation_link(escalation),
        "",
        "This message does not contain case details. Do not reply to it with case details.",
    ]
    return subject, "\n".join(lines)


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
) -> None:
    stage = spec.stage(notification.stage_key)
    action = _action_of(cause)
    targets: list[recipients.Target] = []
    for recipient in notification.recipients:
        for target in recipients.resolve(escalation, stage, recipient, action=action):
            if target.key not in keys:
                keys.add(target.key)
                targets.append(target)
    send_notifications(
        escalation,
        spec,
        notification.event,
        notification.stage_key,
        targets,
        cause_key=f"chronology:{cause.pk}" if cause else f"escalation:{escalation.pk}",
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
    cause_key: str,
    now: datetime,
    action: Action | None = None,
) -> None:
    """Put one notification per target in the outbox and note who was told on the chronology."""
    if not targets:
        return
    subject, body = notification_text(escalation, spec, event, stage_key, action=action)
    event_key = f"{cause_key}:{event}"
    for target in targets:
        enqueue_notification(
            partnership=escalation.partnership,
            escalation=escalation,
            event=event,
            event_key=event_key,
            subject=subject,
            body=body,
            recipient=target.person,
            email="" if target.person is not None else target.email,
        )
        # The allocated IRO and CP chair, the chair and the raiser's DSL are told to act, so they
        # may open it; everyone else told sees it only if the policy or their part lets them.
        if target.person is not None and target.part in (
            Part.IRO,
            Part.CP_CHAIR,
            Part.PARTNERSHIP_CHAIR,
            Part.DSL,
        ):
            add_participant(escalation, target.person, target.part, stage_key, now)
    ChronologyEntry.objects.create(
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


@audited("escalation_notified")
def notify_policy_event(*, escalation: Escalation, event: str, cause_key: str) -> int:
    """Tell whoever the policy's rules name for `event` (e.g. "reminder", "overdue") at the
    escalation's current stage; for callers outside a user action, such as the deadline sweep.

    `cause_key` names the occurrence (e.g. "overdue:RIV-2026-0001:stage_2"), so a repeat call
    sends nothing new. Returns how many people or mailboxes the rules named.
    """
    spec = escalation.policy_version.spec
    notification = workflow.notifications_for(
        spec, event, escalation.current_stage_key, flags_of(escalation)
    )
    if notification is None:
        return 0
    stage = spec.stage(notification.stage_key)
    targets: dict[str, recipients.Target] = {}
    for recipient in notification.recipients:
        for target in recipients.resolve(escalation, stage, recipient):
            targets.setdefault(target.key, target)
    event_key = f"{cause_key}:{event}"
    if Notification.objects.filter(event_key=event_key).exists():
        return len(targets)
    send_notifications(
        escalation,
        spec,
        event,
        notification.stage_key,
        list(targets.values()),
        cause_key=cause_key,
        now=timezone.now(),
    )
    return len(targets)


def act(
    escalation: Escalation,
    by: Person,
    expected_version: int | None,
    action: workflow.WorkflowAction,
    *,
    extra_data: dict[str, Any] | None = None,
) -> tuple[Escalation, list[ChronologyEntry]]:
    locked = lock_escalation(escalation, expected_version)
    spec = locked.policy_version.spec
    transition = workflow.apply(spec, state_of(locked), action, actor_of(locked, by))
    entries = apply_transition(
        locked,
        transition,
        by=by,
        before_version=locked.version,
        now=timezone.now(),
        extra_data=extra_data,
    )
    return locked, entries


def require_same_partnership(escalation: Escalation, person: Person, field_name: str) -> None:
    if person.partnership_id != escalation.partnership_id or not person.is_active:
        raise ActionRefused("Choose someone who works in this partnership.", field=field_name)
