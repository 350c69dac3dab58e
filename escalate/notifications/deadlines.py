"""The deadline sweep: reminders before stages and actions fall due, notices when they are overdue.

Run by the scheduler (`manage.py run_scheduler`) every few minutes; nobody has to act. It is
idempotent: every notice has an event key naming the stage record or action it is about
(`reminder:stage:<id>`, `overdue:stage:<id>`, `may_escalate:stage:<id>`, `reminder:action:<id>`,
`overdue:action:<id>`), and the outbox's unique (event_key, recipient, channel) constraint turns
a repeat, or a second sweep running at the same moment, into nothing.

It works on sets: a fixed number of queries however many stages and actions are open.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from escalate.directory.models import Person
from escalate.escalations.models import (
    Action,
    Escalation,
    Part,
    Participant,
    StageRecord,
    Status,
)
from escalate.escalations.selectors import POLICY_TEXT
from escalate.notifications.services import NotificationSpec, enqueue_notifications
from escalate.policies.calendar import LONDON, is_working_day
from escalate.policies.schema import Event, PolicySpec

# Rows carry their escalation without its long texts (never in a notice) and its policy
# version without the policy's text (parsed specs are cached by checksum).
UNUSED_ESCALATION_FIELDS = tuple(
    f"escalation__{field}"
    for field in (
        *POLICY_TEXT,
        "subject_name",
        "case_references",
        "disputed",
        "risk",
        "outcome_wanted",
        "already_tried",
        "decision",
        "learning",
        "started_at_later_stage_reason",
    )
)


def _notified(prefix: str) -> Exists:
    """True where the outbox has a notice keyed `<prefix><this row's id>`."""
    from escalate.notifications.models import Notification

    key = Concat(Value(prefix), Cast(OuterRef("pk"), output_field=CharField()))
    return Exists(Notification.objects.filter(event_key=key))


# The furthest ahead a reminder can be due: 10 working days (the schema's maximum) plus holidays.
LOOKAHEAD = timedelta(days=31)
NOT_AT_STAGE_PART = Part.ACTION_OWNER


@dataclass
class SweepReport:
    stage_reminders: int = 0
    stage_overdue: int = 0
    escalate_prompts: int = 0
    action_reminders: int = 0
    action_overdue: int = 0
    notifications_written: int = 0


def working_days_before(day: date, days: int, nation: str) -> date:
    """The working day `days` working days before `day` (`day` itself when 0)."""
    counted = 0
    while counted < days:
        day -= timedelta(days=1)
        if is_working_day(day, nation):
            counted += 1
    return day


def _long_date(moment: date) -> str:
    return f"{moment.day} {moment:%B %Y}"


@transaction.atomic
def sweep_deadlines(*, now: datetime | None = None) -> SweepReport:
    """Write (once) every reminder, overdue notice and escalate prompt that is due at `now`."""
    now = now or timezone.now()
    today = now.astimezone(LONDON).date()
    report = SweepReport()
    specs_by_policy: dict[int, PolicySpec] = {}

    def policy_of(escalation: Escalation) -> PolicySpec:
        version = escalation.policy_version
        if version.pk not in specs_by_policy:
            specs_by_policy[version.pk] = version.spec
        return specs_by_policy[version.pk]

    # What is overdue and already told is left in the database: at national scale that is
    # most of what is open, and a steady-state sweep should not load it every few minutes.
    stages = list(
        StageRecord.objects.filter(
            ended_at__isnull=True,
            paused_at__isnull=True,
            due_at__isnull=False,
            due_at__lte=now + LOOKAHEAD,
            escalation__status=Status.OPEN,
        )
        .filter(Q(due_at__gt=now) | ~_notified("overdue:stage:"))
        .select_related(
            "escalation__partnership", "escalation__policy_version", "escalation__raised_by"
        )
        .defer(*UNUSED_ESCALATION_FIELDS)
    )
    actions = list(
        Action.objects.filter(done_at__isnull=True, due_on__lte=today + LOOKAHEAD)
        .exclude(escalation__status=Status.WITHDRAWN)
        .filter(Q(due_on__gte=today) | ~_notified("overdue:action:"))
        .select_related("escalation__partnership", "escalation__policy_version", "owner")
        .defer(*UNUSED_ESCALATION_FIELDS)
    )

    # (event key, event, subject, body, what it is about) before checking what was sent before.
    stage_notices: list[tuple[str, str, str, str, StageRecord]] = []
    prompts: list[tuple[str, str, str, StageRecord]] = []
    action_notices: list[tuple[str, str, str, str, Action]] = []

    for record in stages:
        escalation = record.escalation
        spec = policy_of(escalation)
        if record.stage_key != escalation.current_stage_key:
            continue
        assert record.due_at is not None
        try:
            stage = spec.stage(record.stage_key)
        except KeyError:
            continue
        due_day = record.due_at.astimezone(LONDON).date()
        reference = escalation.reference
        if now >= record.due_at:
            stage_notices.append(
                (
                    f"overdue:stage:{record.pk}",
                    Event.OVERDUE,
                    f"Escalation {reference}: {stage.name} is overdue",
                    f"{stage.name} of escalation {reference} was due by {_long_date(due_day)} "
                    "and has not been resolved or escalated. Please agree the next step.",
                    record,
                )
            )
            following = spec.next_stage(record.stage_key)
            if following is not None:
                prompts.append(
                    (
                        f"may_escalate:stage:{record.pk}",
                        f"Escalation {reference}: you may escalate to {following.name}",
                        f"The time for {stage.name} of escalation {reference} ended on "
                        f"{_long_date(due_day)} without a resolution. If you are still "
                        f"concerned, you may escalate it to {following.name}.",
                        record,
                    )
                )
            continue
        remind_from = working_days_before(
            due_day, spec.reminder_working_days_before, spec.nation.value
        )
        if today >= remind_from:
            stage_notices.append(
                (
                    f"reminder:stage:{record.pk}",
                    Event.REMINDER,
                    f"Escalation {reference}: {stage.name} is due by {_long_date(due_day)}",
                    f"{stage.name} of escalation {reference} is due by {_long_date(due_day)}.",
                    record,
                )
            )

    for action in actions:
        escalation = action.escalation
        spec = policy_of(escalation)
        reference = escalation.reference
        if action.due_on < today:
            action_notices.append(
                (
                    f"overdue:action:{action.pk}",
                    Event.ACTION_OVERDUE,
                    f"Escalation {reference}: an action is overdue",
                    f"An action agreed on escalation {reference} was due on "
                    f"{_long_date(action.due_on)} and is not marked done:\n\n{action.description}",
                    action,
                )
            )
            continue
        remind_from = working_days_before(
            action.due_on, spec.reminder_working_days_before, spec.nation.value
        )
        if today >= remind_from:
            action_notices.append(
                (
                    f"reminder:action:{action.pk}",
                    Event.REMINDER,
                    f"Escalation {reference}: an action is due on {_long_date(action.due_on)}",
                    f"An action agreed on escalation {reference} is due on "
                    f"{_long_date(action.due_on)}:\n\n{action.description}",
                    action,
                )
            )

    keys = [n[0] for n in stage_notices] + [p[0] for p in prompts] + [n[0] for n in action_notices]
    if not keys:
        return report
    from escalate.notifications.models import Notification

    already = set(
        Notification.objects.filter(event_key__in=keys)
        .order_by()
        .values_list("event_key", flat=True)
        .distinct()
    )
    stage_notices = [notice for notice in stage_notices if notice[0] not in already]
    prompts = [prompt for prompt in prompts if prompt[0] not in already]
    action_notices = [notice for notice in action_notices if notice[0] not in already]

    people_at_stage = _people_at_current_stage([notice[4].escalation for notice in stage_notices])
    specs: list[NotificationSpec] = []
    for key, event, subject, body, record in stage_notices:
        escalation = record.escalation
        recipients = people_at_stage.get(escalation.pk) or [escalation.raised_by]
        for person in recipients:
            specs.append(
                NotificationSpec(
                    partnership=escalation.partnership,
                    escalation=escalation,
                    event=event,
                    event_key=key,
                    subject=subject,
                    body=body,
                    recipient=person,
                )
            )
        typed_respondent = escalation.respondent_email
        if record.index == 0 and escalation.respondent_person_id is None and typed_respondent:
            specs.append(
                NotificationSpec(
                    partnership=escalation.partnership,
                    escalation=escalation,
                    event=event,
                    event_key=key,
                    subject=subject,
                    body=body,
                    email=typed_respondent,
                )
            )
        if event == Event.OVERDUE:
            report.stage_overdue += 1
        else:
            report.stage_reminders += 1
    for key, subject, body, record in prompts:
        escalation = record.escalation
        specs.append(
            NotificationSpec(
                partnership=escalation.partnership,
                escalation=escalation,
                event=Event.OVERDUE,
                event_key=key,
                subject=subject,
                body=body,
                recipient=escalation.raised_by,
            )
        )
        report.escalate_prompts += 1
    for key, event, subject, body, action in action_notices:
        specs.append(
            NotificationSpec(
                partnership=action.escalation.partnership,
                escalation=action.escalation,
                event=event,
                event_key=key,
                subject=subject,
                body=body,
                recipient=action.owner,
            )
        )
        if event == Event.ACTION_OVERDUE:
            report.action_overdue += 1
        else:
            report.action_reminders += 1
    report.notifications_written = enqueue_notifications(specs)
    return report


def _people_at_current_stage(escalations: list[Escalation]) -> dict[int, list[Person]]:
    """Active participants acting at each escalation's current stage, in one query.

    At the first stage that is the raiser and the respondent; later, the people added for that
    stage (the managers at its level, IRO, panel members...).
    """
    if not escalations:
        return {}
    current = {escalation.pk: escalation.current_stage_key for escalation in escalations}
    found: dict[int, list[Person]] = defaultdict(list)
    seen: set[tuple[int, int]] = set()
    rows = Participant.objects.filter(
        escalation_id__in=current, person__is_active=True
    ).select_related("person")
    for row in rows:
        # Action owners hear about their actions, not about the stage.
        if row.stage_key != current[row.escalation_id] or row.part == NOT_AT_STAGE_PART:
            continue
        if (row.escalation_id, row.person_id) in seen:
            continue
        seen.add((row.escalation_id, row.person_id))
        found[row.escalation_id].append(row.person)
    return found
