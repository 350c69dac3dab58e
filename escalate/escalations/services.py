"""Every write to an escalation. Each function is one transaction and goes through workflow.py.

Each public write is decorated with `auditing.audited(...)`: it opens the transaction and writes
exactly one audit row with the old and new values of what the write changed (see auditing.py).

A stage action locks the escalation row (SELECT ... FOR UPDATE), checks the version the person's
page showed, asks the workflow what the action means, then writes the state, the chronology,
stage records, participants and notifications (into the outbox) before the transaction ends.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from escalate.audit.services import fingerprint, record_audit
from escalate.directory.models import Agency, Person
from escalate.escalations import recipients, workflow
from escalate.escalations.auditing import audited
from escalate.escalations.models import (
    CLOSED_STATUSES,
    MANAGER_PARTS,
    Action,
    ChronologyEntry,
    EntryKind,
    Escalation,
    Panel,
    Part,
    Participant,
    RaiseDraft,
    StageRecord,
    SubjectKind,
)
from escalate.escalations.references import next_reference
from escalate.escalations.workflow import ActionRefused
from escalate.notifications.models import Notification
from escalate.notifications.services import enqueue_notification
from escalate.policies.calendar import LONDON
from escalate.policies.schema import Event, PolicySpec
from escalate.policies.selectors import current_policy

__all__ = [
    "ActionRefused",
    "ActionSpec",
    "RaiseDetails",
    "StaleEscalation",
    "add_action",
    "add_view",
    "complete_action",
    "convene_panel",
    "correct_entry",
    "discard_raise_draft",
    "escalate_to_next_stage",
    "give_rationale",
    "notify_policy_event",
    "pause_escalation",
    "raise_escalation",
    "record_discussion",
    "record_panel_decision",
    "record_representation",
    "request_rationale",
    "resolve_escalation",
    "resume_escalation",
    "save_raise_draft",
    "withdraw_escalation",
]


class StaleEscalation(ActionRefused):
    """The escalation changed since the person's page was drawn."""

    def __init__(self) -> None:
        super().__init__(
            "Someone else updated this escalation while you were working. Your text has been "
            "kept; check the timeline and try again."
        )


@dataclass(frozen=True)
class ActionSpec:
    owner: Person
    description: str
    due_on: date


@dataclass(frozen=True)
class RaiseDetails:
    """Everything the raise pages collect."""

    respondent_agency: Agency
    subject_name: str
    disputed: str
    risk: str
    outcome_wanted: str
    respondent_person: Person | None = None
    respondent_name: str = ""
    respondent_email: str = ""
    subject_kind: str = SubjectKind.CHILD
    subject_date_of_birth: date | None = None
    case_references: str = ""
    cp_plan: bool = False
    looked_after: bool = False
    cp_conference: bool = False
    immediate_harm: bool = False
    urgent_guidance_shown: bool = False
    start_stage_key: str = ""
    later_stage_reason: str = ""
    categories: list[str] = field(default_factory=list)
    already_tried: str = ""


# --- reading the state the workflow needs --------------------------------------------------


def flags_of(escalation: Escalation) -> frozenset[str]:
    flags = {escalation.subject_kind}
    for name in ("cp_plan", "looked_after", "cp_conference", "immediate_harm"):
        if getattr(escalation, name):
            flags.add(name)
    return frozenset(flags)


def state_of(escalation: Escalation) -> workflow.EscalationState:
    """The workflow's view of a stored escalation."""
    spec = escalation.policy_version.spec
    record = current_stage_record(escalation)
    records: set[str] = set()
    kinds = set(
        escalation.chronology.filter(stage_key=escalation.current_stage_key).values_list(
            "kind", flat=True
        )
    )
    if EntryKind.DISCUSSION in kinds:
        records.add("discussion")
    if EntryKind.RATIONALE in kinds:
        records.add("rationale")
    panel = Panel.objects.filter(escalation=escalation).first()
    return workflow.EscalationState(
        status=escalation.status,
        stage_key=escalation.current_stage_key,
        stage_index=spec.stage_index(escalation.current_stage_key),
        version=escalation.version,
        stage_started_at=record.started_at if record else escalation.raised_at,
        due_at=escalation.stage_due_at,
        flags=flags_of(escalation),
        records=frozenset(records),
        rationale_requested=EntryKind.RATIONALE_REQUESTED in kinds
        and EntryKind.RATIONALE not in kinds,
        paused_at=record.paused_at if record else None,
        panel_convened=panel is not None,
        panel_decided=panel is not None and panel.decided_at is not None,
    )


def current_stage_record(escalation: Escalation) -> StageRecord | None:
    return escalation.stages.order_by("-index").first()


def actor_of(escalation: Escalation, person: Person) -> workflow.Actor:
    """What `person` is to `escalation`: their participant parts and partnership roles.

    Managers act only at the stage they were brought in for (the stage moves on without them);
    the raiser, the respondent, panel members and the others keep their part throughout.
    """
    rows = Participant.objects.filter(escalation=escalation, person=person).values_list(
        "part", "stage_key"
    )
    current = {
        part
        for part, stage_key in rows
        if part not in MANAGER_PARTS or stage_key == escalation.current_stage_key
    }
    former = {part for part, _ in rows} - current
    roles = person.role_set if person.partnership_id == escalation.partnership_id else frozenset()
    return workflow.Actor(
        parts=frozenset(current), roles=frozenset(roles), former_parts=frozenset(former)
    )


# --- applying a transition -------------------------------------------------------------


def _lock(escalation: Escalation, expected_version: int | None) -> Escalation:
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


def _apply(
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
            _add_participant(escalation, target.person, target.part, stage_key, now)


def _add_participant(
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
    escalation: Escalation, spec: PolicySpec, event: str, stage_key: str
) -> tuple[str, str]:
    """Subject and body. Nothing about the child or adult: only the reference and a link."""
    words = EVENT_WORDS.get(Event(event), "An escalation has been updated")
    subject = f"{words}: {escalation.reference}"
    stage = spec.stage(stage_key)
    lines = [
        f"{words}.",
        "",
        f"Reference: {escalation.reference}",
        f"Stage: {stage.name}",
    ]
    if escalation.stage_due_at is not None and escalation.status not in CLOSED_STATUSES:
        due = escalation.stage_due_at.astimezone(LONDON)
        lines.append(f"Due: {due:%A} {due.day} {due:%B %Y}")
    lines += [
        "",
        "Sign in to Escalate to see the details and what to do next:",
        escalation_link(escalation),
        "",
        "This message does not contain case details. Do not reply to it with case details.",
    ]
    return subject, "\n".join(lines)


def _notify(
    escalation: Escalation,
    spec: PolicySpec,
    notification: workflow.NotificationEvent,
    cause: ChronologyEntry | None,
    now: datetime,
    keys: set[str],
) -> None:
    stage = spec.stage(notification.stage_key)
    targets: list[recipients.Target] = []
    for recipient in notification.recipients:
        for target in recipients.resolve(escalation, stage, recipient):
            if target.key not in keys:
                keys.add(target.key)
                targets.append(target)
    _send(
        escalation,
        spec,
        notification.event,
        notification.stage_key,
        targets,
        cause_key=f"chronology:{cause.pk}" if cause else f"escalation:{escalation.pk}",
        now=now,
    )


def _send(
    escalation: Escalation,
    spec: PolicySpec,
    event: str,
    stage_key: str,
    targets: Sequence[recipients.Target],
    *,
    cause_key: str,
    now: datetime,
) -> None:
    """Put one notification per target in the outbox and note who was told on the chronology."""
    if not targets:
        return
    subject, body = notification_text(escalation, spec, event, stage_key)
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
        # IROs, CP chairs, the chair and the DSLs see what they are told about.
        if target.person is not None and target.part in (
            Part.IRO,
            Part.CP_CHAIR,
            Part.PARTNERSHIP_CHAIR,
            Part.DSL,
        ):
            _add_participant(escalation, target.person, target.part, stage_key, now)
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
    _send(
        escalation,
        spec,
        event,
        notification.stage_key,
        list(targets.values()),
        cause_key=cause_key,
        now=timezone.now(),
    )
    return len(targets)


def _act(
    escalation: Escalation,
    by: Person,
    expected_version: int | None,
    action: workflow.WorkflowAction,
    *,
    extra_data: dict[str, Any] | None = None,
) -> tuple[Escalation, list[ChronologyEntry]]:
    locked = _lock(escalation, expected_version)
    spec = locked.policy_version.spec
    transition = workflow.apply(spec, state_of(locked), action, actor_of(locked, by))
    entries = _apply(
        locked,
        transition,
        by=by,
        before_version=locked.version,
        now=timezone.now(),
        extra_data=extra_data,
    )
    return locked, entries


def _require_same_partnership(escalation: Escalation, person: Person, field_name: str) -> None:
    if person.partnership_id != escalation.partnership_id or not person.is_active:
        raise ActionRefused("Choose someone who works in this partnership.", field=field_name)


# --- raise -------------------------------------------------------------------------------


@audited("escalation_raised")
def raise_escalation(*, by: Person, details: RaiseDetails) -> Escalation:
    """Raise an escalation at the policy's first stage (or, for immediate harm, where allowed).

    Records the raiser and respondent, the stage's people from the directory, the chronology,
    and every notification the policy calls for on raising and on entering the stage.
    """
    if by.partnership_id is None or by.agency_id is None:
        raise ActionRefused("You need to belong to an agency in a partnership to raise one.")
    policy = current_policy(by.partnership)
    if policy is None:
        raise ActionRefused("Your partnership has no escalation policy loaded yet.")
    spec = policy.spec
    _check_raise_details(by, details, spec)
    now = timezone.now()
    flags = {details.subject_kind}
    for name in ("cp_plan", "looked_after", "cp_conference", "immediate_harm"):
        if getattr(details, name):
            flags.add(name)
    transition = workflow.start(
        spec,
        at=now,
        flags=frozenset(flags),
        start_stage_key=details.start_stage_key or None,
        later_stage_reason=details.later_stage_reason,
    )
    state = transition.state
    escalation = Escalation.objects.create(
        partnership_id=by.partnership_id,
        reference=next_reference(by.partnership, now),  # type: ignore[arg-type]
        policy_version=policy,
        raised_by=by,
        raiser_agency_id=by.agency_id,
        respondent_agency=details.respondent_agency,
        respondent_person=details.respondent_person,
        respondent_name=details.respondent_name.strip()
        or (details.respondent_person.full_name if details.respondent_person else ""),
        respondent_email=details.respondent_email.strip().lower()
        or (details.respondent_person.email if details.respondent_person else ""),
        subject_kind=details.subject_kind,
        subject_name=details.subject_name.strip(),
        subject_date_of_birth=details.subject_date_of_birth,
        case_references=details.case_references.strip(),
        cp_plan=details.cp_plan,
        looked_after=details.looked_after,
        cp_conference=details.cp_conference,
        immediate_harm=details.immediate_harm,
        categories=list(details.categories),
        disputed=details.disputed.strip(),
        risk=details.risk.strip(),
        outcome_wanted=details.outcome_wanted.strip(),
        already_tried=details.already_tried.strip(),
        status=state.status,
        current_stage_key=state.stage_key,
        stage_due_at=state.due_at,
        raised_at=now,
        version=state.version,
        started_at_later_stage_reason=details.later_stage_reason.strip()
        if state.stage_index > 0
        else "",
    )
    _add_participant(escalation, by, Part.RAISER, state.stage_key, now)
    if details.respondent_person is not None:
        _add_participant(
            escalation, details.respondent_person, Part.RESPONDENT, state.stage_key, now
        )
    _apply(escalation, transition, by=by, before_version=state.version, now=now)
    return escalation


def _check_raise_details(by: Person, details: RaiseDetails, spec: PolicySpec) -> None:
    agency = details.respondent_agency
    if agency.partnership_id != by.partnership_id or not agency.is_active:
        raise ActionRefused("Choose an agency in your partnership.", field="respondent_agency")
    person = details.respondent_person
    if person is not None and person.agency_id != agency.pk:
        raise ActionRefused(
            "The person you disagree with must work in the agency you chose.",
            field="respondent_person",
        )
    if person is None and not details.respondent_name.strip():
        raise ActionRefused(
            "Choose the professional you disagree with, or type their name.",
            field="respondent_name",
        )
    if person is not None and person.pk == by.pk:
        raise ActionRefused(
            "You cannot raise an escalation about yourself.", field="respondent_person"
        )
    if details.subject_kind not in SubjectKind.values:
        raise ActionRefused("Say whether this is about a child or an adult.", field="subject_kind")
    for value, message, name in (
        (details.subject_name, "Enter the name of the child or adult.", "subject_name"),
        (details.disputed, "Enter the decision, action or inaction you disagree with.", "disputed"),
        (details.risk, "Enter the risk to the child or adult.", "risk"),
        (details.outcome_wanted, "Enter the outcome you want.", "outcome_wanted"),
    ):
        if not value.strip():
            raise ActionRefused(message, field=name)
    dob = details.subject_date_of_birth
    if dob is not None and dob > timezone.localdate():
        raise ActionRefused(
            "The date of birth must be today or in the past.", field="subject_date_of_birth"
        )
    known = {category.key for category in spec.categories}
    unknown = [key for key in details.categories if key not in known]
    if unknown:
        raise ActionRefused("Choose categories from the list.", field="categories")
    if details.immediate_harm and not details.urgent_guidance_shown:
        raise ActionRefused(
            "Read the emergency guidance before raising an escalation about immediate harm.",
            field="immediate_harm",
        )


# --- drafts ------------------------------------------------------------------------------


@transaction.atomic
def save_raise_draft(*, by: Person, data: dict[str, Any]) -> RaiseDraft:
    """Keep everything typed on the raise pages so far (one open draft per person).

    Audited as "raise_draft_saved" with the answers that changed, each only as a fingerprint
    (a draft holds the child's or adult's details).
    """
    draft = RaiseDraft.objects.select_for_update().filter(person=by).order_by("-pk").first()
    before: dict[str, Any] = {} if draft is None else dict(draft.data)
    if draft is None:
        draft = RaiseDraft.objects.create(person=by, data=data)
    else:
        draft.data = data
        draft.save(update_fields=["data", "updated_at"])
    _audit_draft(by, draft, "raise_draft_saved", before, data)
    return draft


@transaction.atomic
def discard_raise_draft(*, by: Person) -> None:
    """Forget the person's draft (after raising, or when they start again)."""
    for draft in RaiseDraft.objects.select_for_update().filter(person=by):
        _audit_draft(by, draft, "raise_draft_discarded", dict(draft.data), {})
        draft.delete()


def _audit_draft(
    by: Person, draft: RaiseDraft, action: str, before: dict[str, Any], after: dict[str, Any]
) -> None:
    def shown(value: Any) -> str | None:
        return None if value is None else fingerprint(json.dumps(value, sort_keys=True))

    changed = {
        key: (shown(before.get(key)), shown(after.get(key)))
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }
    if changed or action != "raise_draft_saved":  # saving the same answers changes nothing
        record_audit(
            actor=by, action=action, partnership=by.partnership, obj=draft, changes=changed
        )


# --- stage work --------------------------------------------------------------------------


@audited("escalation_discussion_recorded")
def record_discussion(
    *,
    escalation: Escalation,
    by: Person,
    expected_version: int,
    held_on: date,
    with_whom: str,
    method: str,
    summary: str,
    outcome: str,
) -> ChronologyEntry:
    """Record a discussion held at the current stage (a date in the future is refused)."""
    action = workflow.RecordDiscussion(
        at=timezone.now(),
        held_on=held_on,
        with_whom=with_whom.strip(),
        method=method.strip(),
        summary=summary.strip(),
        outcome=outcome.strip(),
    )
    _, entries = _act(escalation, by, expected_version, action)
    return entries[0]


@audited("escalation_rationale_requested")
def request_rationale(
    *, escalation: Escalation, by: Person, expected_version: int, message: str
) -> ChronologyEntry:
    """Ask the respondent for their rationale in writing (the raiser's side only)."""
    action = workflow.RequestRationale(at=timezone.now(), message=message.strip())
    _, entries = _act(escalation, by, expected_version, action)
    return entries[0]


@audited("escalation_rationale_given")
def give_rationale(
    *, escalation: Escalation, by: Person, expected_version: int, rationale: str
) -> ChronologyEntry:
    """The respondent's side explains their decision in writing."""
    action = workflow.GiveRationale(at=timezone.now(), rationale=rationale.strip())
    _, entries = _act(escalation, by, expected_version, action)
    return entries[0]


@audited("escalation_stage_changed")
def escalate_to_next_stage(
    *, escalation: Escalation, by: Person, expected_version: int, reason: str
) -> Escalation:
    """Move to the policy's next stage: new people from the directory, a new deadline."""
    action = workflow.EscalateToNextStage(at=timezone.now(), reason=reason.strip())
    locked, _ = _act(escalation, by, expected_version, action)
    return locked


@audited("escalation_paused")
def pause_escalation(
    *, escalation: Escalation, by: Person, expected_version: int, reason: str
) -> Escalation:
    """Stop the stage's clock, with a reason."""
    action = workflow.Pause(at=timezone.now(), reason=reason.strip())
    locked, _ = _act(escalation, by, expected_version, action)
    return locked


@audited("escalation_resumed")
def resume_escalation(
    *, escalation: Escalation, by: Person, expected_version: int, reason: str
) -> Escalation:
    """Restart the clock; the due date moves on by the time paused."""
    action = workflow.Resume(at=timezone.now(), reason=reason.strip())
    locked, _ = _act(escalation, by, expected_version, action)
    return locked


def _check_action_specs(escalation: Escalation, actions: Iterable[ActionSpec]) -> None:
    now = timezone.now()
    for spec in actions:
        workflow.check_action(
            spec.description,
            spec.due_on,
            spec.owner.partnership_id == escalation.partnership_id and spec.owner.is_active,
            now,
        )


def _create_actions(
    escalation: Escalation, by: Person, actions: Iterable[ActionSpec], now: datetime
) -> list[Action]:
    made = []
    for spec in actions:
        made.append(
            _make_action(escalation, by, spec.owner, spec.description.strip(), spec.due_on, now)
        )
    return made


def _make_action(
    escalation: Escalation,
    by: Person,
    owner: Person,
    description: str,
    due_on: date,
    now: datetime,
) -> Action:
    spec = escalation.policy_version.spec
    transition = workflow.apply(
        spec,
        state_of(escalation),
        workflow.AddAction(
            at=now,
            description=description,
            due_on=due_on,
            owner_in_partnership=owner.partnership_id == escalation.partnership_id
            and owner.is_active,
        ),
        actor_of(escalation, by),
    )
    action = Action.objects.create(
        escalation=escalation,
        description=description,
        owner=owner,
        due_on=due_on,
        created_by=by,
        created_at=now,
    )
    # The owner must be able to open the escalation to do the action.
    if not Participant.objects.filter(escalation=escalation, person=owner).exists():
        _add_participant(escalation, owner, Part.ACTION_OWNER, escalation.current_stage_key, now)
    entries = _apply(
        escalation,
        transition,
        by=by,
        before_version=escalation.version,
        now=now,
        extra_data={"action_id": action.pk, "owner": owner.full_name},
    )
    # The owner is always told (the policy's rules may tell others too).
    _send(
        escalation,
        spec,
        Event.ACTION_ASSIGNED.value,
        escalation.current_stage_key,
        [recipients.Target(owner, owner.email, owner.full_name)],
        cause_key=f"chronology:{entries[0].pk}",
        now=now,
    )
    return action


@audited("escalation_resolved")
def resolve_escalation(
    *,
    escalation: Escalation,
    by: Person,
    expected_version: int,
    decision: str,
    decided_by: str,
    learning: str,
    learning_themes: list[str],
    actions: list[ActionSpec],
) -> Escalation:
    """Close the escalation as resolved: the decision, who made it, actions and learning."""
    locked = _lock(escalation, expected_version)
    _check_action_specs(locked, actions)
    spec = locked.policy_version.spec
    now = timezone.now()
    resolve = workflow.Resolve(
        at=now,
        decision=decision.strip(),
        decided_by=decided_by.strip(),
        learning=learning.strip(),
        action_count=len(actions),
    )
    # Check the resolution itself before anything is written.
    workflow.apply(spec, state_of(locked), resolve, actor_of(locked, by))
    _create_actions(locked, by, actions, now)
    transition = workflow.apply(spec, state_of(locked), resolve, actor_of(locked, by))
    _record_outcome(locked, decision, decided_by, learning, learning_themes)
    _apply(locked, transition, by=by, before_version=locked.version, now=now)
    return locked


def _record_outcome(
    escalation: Escalation, decision: str, decided_by: str, learning: str, themes: list[str]
) -> None:
    escalation.decision = decision.strip()
    escalation.decided_by_text = decided_by.strip()
    escalation.learning = learning.strip()
    escalation.learning_themes = [theme.strip() for theme in themes if theme.strip()]
    escalation.save(update_fields=["decision", "decided_by_text", "learning", "learning_themes"])


@audited("escalation_withdrawn")
def withdraw_escalation(
    *, escalation: Escalation, by: Person, expected_version: int, reason: str
) -> Escalation:
    """Close the escalation as withdrawn (the raiser's side only), with a reason."""
    action = workflow.Withdraw(at=timezone.now(), reason=reason.strip())
    locked, _ = _act(escalation, by, expected_version, action)
    return locked


# --- the Resolution Panel ----------------------------------------------------------------


@audited("escalation_panel_convened")
def convene_panel(
    *, escalation: Escalation, by: Person, expected_version: int, members: list[Person]
) -> Panel:
    """The partnership chair convenes a Resolution Panel (the policy's agency rule enforced)."""
    locked = _lock(escalation, expected_version)
    for member in members:
        _require_same_partnership(locked, member, "members")
    agency_ids = frozenset(m.agency_id for m in members if m.agency_id is not None)
    action = workflow.ConvenePanel(
        at=timezone.now(),
        member_count=len({m.pk for m in members}),
        agency_ids=agency_ids,
        disputing_agency_ids=frozenset({locked.raiser_agency_id, locked.respondent_agency_id}),
    )
    spec = locked.policy_version.spec
    transition = workflow.apply(spec, state_of(locked), action, actor_of(locked, by))
    now = timezone.now()
    panel = Panel.objects.create(escalation=locked, convened_by=by, convened_at=now)
    panel.members.set(members)
    panel.agencies.set(agency_ids)
    for member in members:
        _add_participant(locked, member, Part.PANEL_MEMBER, locked.current_stage_key, now)
    if by.has_role("partnership_chair"):
        _add_participant(locked, by, Part.PARTNERSHIP_CHAIR, locked.current_stage_key, now)
    _apply(locked, transition, by=by, before_version=locked.version, now=now)
    return panel


@audited("escalation_representation_recorded")
def record_representation(
    *, escalation: Escalation, by: Person, expected_version: int, agency: Agency, summary: str
) -> ChronologyEntry:
    """Record what an agency told the Resolution Panel."""
    if agency.partnership_id != escalation.partnership_id:
        raise ActionRefused("Choose an agency in this partnership.", field="agency")
    action = workflow.RecordRepresentation(at=timezone.now(), summary=summary.strip())
    _, entries = _act(
        escalation,
        by,
        expected_version,
        action,
        extra_data={"agency_id": agency.pk, "agency": agency.name},
    )
    return entries[0]


@audited("escalation_panel_decided")
def record_panel_decision(
    *,
    escalation: Escalation,
    by: Person,
    expected_version: int,
    decision: str,
    learning: str,
    learning_themes: list[str],
    actions: list[ActionSpec],
) -> Escalation:
    """The panel's decision resolves the escalation, with its actions and learning."""
    locked = _lock(escalation, expected_version)
    _check_action_specs(locked, actions)
    spec = locked.policy_version.spec
    now = timezone.now()
    decide = workflow.RecordPanelDecision(
        at=now, decision=decision.strip(), learning=learning.strip(), action_count=len(actions)
    )
    workflow.apply(spec, state_of(locked), decide, actor_of(locked, by))
    _create_actions(locked, by, actions, now)
    transition = workflow.apply(spec, state_of(locked), decide, actor_of(locked, by))
    Panel.objects.filter(escalation=locked).update(decision=decision.strip(), decided_at=now)
    _record_outcome(locked, decision, "The Resolution Panel", learning, learning_themes)
    _apply(locked, transition, by=by, before_version=locked.version, now=now)
    return locked


# --- actions, views and corrections --------------------------------------------------------


@audited("escalation_action_added")
def add_action(
    *, escalation: Escalation, by: Person, owner: Person, description: str, due_on: date
) -> Action:
    """Agree an action with an owner in the partnership and a due date (not in the past)."""
    locked = _lock(escalation, None)
    return _make_action(locked, by, owner, description.strip(), due_on, timezone.now())


@audited("escalation_action_completed")
def complete_action(*, action: Action, by: Person, note: str) -> Action:
    """Mark an action done (its owner, or whoever agreed it)."""
    locked = Action.objects.select_for_update().get(pk=action.pk)
    escalation = Escalation.objects.select_related("policy_version").get(pk=locked.escalation_id)
    now = timezone.now()
    transition = workflow.apply(
        escalation.policy_version.spec,
        state_of(escalation),
        workflow.CompleteAction(
            at=now,
            already_done=locked.done_at is not None,
            by_owner_or_creator=by.pk in (locked.owner_id, locked.created_by_id),
        ),
        actor_of(escalation, by),
    )
    locked.done_at = now
    locked.done_by = by
    locked.done_note = note.strip()
    locked.save(update_fields=["done_at", "done_by", "done_note"])
    _apply(
        escalation,
        transition,
        by=by,
        before_version=escalation.version,
        now=now,
        extra_data={"action_id": locked.pk, "note": locked.done_note},
    )
    return locked


@audited("escalation_view_added")
def add_view(*, escalation: Escalation, by: Person, view: str) -> ChronologyEntry:
    """An IRO or CP chair adds their view to the chronology."""
    _, entries = _act(escalation, by, None, workflow.AddView(at=timezone.now(), view=view.strip()))
    return entries[0]


@audited("escalation_entry_corrected")
def correct_entry(*, entry: ChronologyEntry, by: Person, correction: str) -> ChronologyEntry:
    """Correct an entry with a new one pointing at it; the original is never changed."""
    escalation = Escalation.objects.select_related("policy_version").get(pk=entry.escalation_id)
    now = timezone.now()
    transition = workflow.apply(
        escalation.policy_version.spec,
        state_of(escalation),
        workflow.CorrectEntry(
            at=now, correction=correction.strip(), by_author=entry.actor_id == by.pk
        ),
        actor_of(escalation, by),
    )
    entries = _apply(
        escalation,
        transition,
        by=by,
        before_version=escalation.version,
        now=now,
        corrects=entry,
    )
    return entries[0]
