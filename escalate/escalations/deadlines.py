"""The deadline sweep: reminders before stages and actions fall due, notices when they are overdue.

Run by the scheduler (`manage.py run_scheduler`) every few minutes; nobody has to act. Finding
what is due works on sets (a fixed number of queries however many stages and actions are open);
each notice is then sent by the same service path as a person's action, so the policy's
notification rules decide who is told. It is idempotent: every notice has an event key naming
the stage record or action it is about (`reminder:stage:<id>:<due day>`, `overdue:stage:<id>`,
`may_escalate:stage:<id>`, `reminder:action:<id>`, `overdue:action:<id>`); the service checks
the key under the escalation's row lock, so a repeat, or a second sweep running at the same
moment, sends nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import CharField, Exists, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from escalate.directory.models import Person
from escalate.escalations import deciding, messages
from escalate.escalations.messages import Message
from escalate.escalations.models import (
    Action,
    ChronologyEntry,
    EntryKind,
    Escalation,
    Part,
    Participant,
    StageRecord,
    Status,
)
from escalate.escalations.selectors import POLICY_TEXT
from escalate.escalations.services import (
    DeadlineNotice,
    flag_stranded,
    notify_deadlines,
    record_silence,
)
from escalate.escalations.state import state_of
from escalate.notifications.models import Notification
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


# The same, on the escalation itself.
UNUSED_ESCALATION_FIELDS_OWN = tuple(
    f.removeprefix("escalation__") for f in UNUSED_ESCALATION_FIELDS
)


def _notified(prefix: str) -> Exists:
    """True where the outbox has a notice keyed `<prefix><this row's id>`."""
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
    silences_recorded: int = 0  # rationale requests and proposals unanswered by their date
    pause_reviews: int = 0  # paused escalations whose review date has come
    stranded: int = 0  # open escalations where nobody active can act on one side


def working_days_before(day: date, days: int, nation: str) -> date:
    """The working day `days` working days before `day` (`day` itself when 0)."""
    counted = 0
    while counted < days:
        day -= timedelta(days=1)
        if is_working_day(day, nation):
            counted += 1
    return day


@dataclass(frozen=True)
class Notice:
    """One notice the sweep owes: its occurrence key, event, words and whom it is about."""

    key: str
    event: str
    message: Message
    escalation: Escalation
    counter: str  # the SweepReport field it counts towards
    also: tuple[Person, ...] = ()
    by_policy: bool = True


def due_notices(now: datetime) -> list[Notice]:
    """Every reminder, overdue notice and escalate prompt due at `now` and not yet sent.

    Works on sets: a fixed number of queries however many stages and actions are open.
    """
    today = now.astimezone(LONDON).date()
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

    notices: list[Notice] = []
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
            notices.append(
                Notice(
                    f"overdue:stage:{record.pk}",
                    Event.OVERDUE,
                    messages.stage_overdue(
                        reference=reference, stage_name=stage.name, due_on=due_day
                    ),
                    escalation,
                    "stage_overdue",
                )
            )
            following = spec.next_stage(record.stage_key)
            if following is not None:
                # Escalate's own prompt to the raiser, not a policy event.
                notices.append(
                    Notice(
                        f"may_escalate:stage:{record.pk}",
                        Event.OVERDUE,
                        messages.may_escalate(
                            reference=reference,
                            stage_name=stage.name,
                            due_on=due_day,
                            next_stage_name=following.name,
                        ),
                        escalation,
                        "escalate_prompts",
                        also=(escalation.raised_by,),
                        by_policy=False,
                    )
                )
            continue
        remind_from = working_days_before(
            due_day, spec.reminder_working_days_before, spec.nation.value
        )
        if today >= remind_from:
            notices.append(
                Notice(
                    # Keyed by the due day too: a changed due date is reminded afresh.
                    f"reminder:stage:{record.pk}:{due_day.isoformat()}",
                    Event.REMINDER,
                    messages.stage_reminder(
                        reference=reference, stage_name=stage.name, due_on=due_day
                    ),
                    escalation,
                    "stage_reminders",
                )
            )

    for action in actions:
        escalation = action.escalation
        spec = policy_of(escalation)
        if action.due_on < today:
            notices.append(
                Notice(
                    f"overdue:action:{action.pk}",
                    Event.ACTION_OVERDUE,
                    messages.action_overdue(
                        reference=escalation.reference,
                        due_on=action.due_on,
                    ),
                    escalation,
                    "action_overdue",
                    also=(action.owner,),
                )
            )
            continue
        remind_from = working_days_before(
            action.due_on, spec.reminder_working_days_before, spec.nation.value
        )
        if today >= remind_from:
            notices.append(
                Notice(
                    f"reminder:action:{action.pk}",
                    Event.REMINDER,
                    messages.action_reminder(
                        reference=escalation.reference,
                        due_on=action.due_on,
                    ),
                    escalation,
                    "action_reminders",
                    also=(action.owner,),
                )
            )

    if not notices:
        return []
    already = set(
        Notification.objects.filter(event_key__in=[notice.key for notice in notices])
        .order_by()
        .values_list("event_key", flat=True)
        .distinct()
    )
    return [notice for notice in notices if notice.key not in already]


@dataclass
class Attention:
    """Open escalations the sweep looks at one by one (few: found by one query)."""

    silences: list[Escalation]  # a rationale request or proposal may have gone unanswered
    pause_reviews: list[Notice]  # a pause's review date has come
    stranded: list[Escalation]  # someone holding a part has left or is away


def attention_due(now: datetime) -> Attention:
    """In one query, open escalations where (a) a rationale request or a proposed resolution
    may have gone unanswered past its date: nobody blocks by silence (issue 15), so the sweep
    records it (deciding.sweep_actions says what is due); (b) a paused escalation whose pause
    is not yet reviewed: on its review date the person who paused it and the raiser are
    reminded, once per pause (`pause_review:<paused entry id>`); (c) someone holding a part is
    deactivated or away: deciding.stranded_sides says whether a side has nobody active left."""
    asked = ChronologyEntry.objects.filter(
        escalation=OuterRef("pk"),
        stage_key=OuterRef("current_stage_key"),
        kind__in=(EntryKind.RATIONALE_REQUESTED, EntryKind.RESOLUTION_PROPOSED),
    )
    paused = ChronologyEntry.objects.filter(
        escalation=OuterRef("pk"),
        stage_key=OuterRef("current_stage_key"),
        kind=EntryKind.PAUSED,
    ).exclude(_notified("pause_review:"))
    gone = Participant.objects.filter(escalation=OuterRef("pk")).filter(
        Q(person__is_active=False) | Q(person__is_away=True)
    )
    candidates = (
        Escalation.objects.filter(status__in=(Status.OPEN, Status.PAUSED))
        .annotate(has_asked=Exists(asked), has_pause=Exists(paused), has_gone=Exists(gone))
        .filter(Q(has_asked=True) | Q(has_pause=True, status=Status.PAUSED) | Q(has_gone=True))
        .select_related("policy_version", "raised_by", "partnership")
        .defer(*UNUSED_ESCALATION_FIELDS_OWN)
    )
    found = Attention(silences=[], pause_reviews=[], stranded=[])
    today = now.astimezone(LONDON).date()
    for escalation in candidates:
        flags = escalation.__dict__
        if flags["has_asked"] and deciding.sweep_actions(state_of(escalation), now):
            found.silences.append(escalation)
        if flags["has_pause"] and escalation.status == Status.PAUSED:
            notice = _pause_review(escalation, today)
            if notice is not None:
                found.pause_reviews.append(notice)
        if flags["has_gone"]:
            found.stranded.append(escalation)
    return found


def _pause_review(escalation: Escalation, today: date) -> Notice | None:
    entry = (
        escalation.chronology.filter(kind=EntryKind.PAUSED, stage_key=escalation.current_stage_key)
        .select_related("actor")
        .order_by("-pk")
        .first()
    )
    if entry is None:
        return None
    data = entry.data if isinstance(entry.data, dict) else {}
    try:
        review_on = date.fromisoformat(str(data.get("review_on")))
    except ValueError:
        return None
    if today < review_on:
        return None
    people = [p for p in (entry.actor, escalation.raised_by) if p is not None]
    return Notice(
        f"pause_review:{entry.pk}",
        Event.REMINDER,
        messages.pause_review(reference=escalation.reference, review_on=review_on),
        escalation,
        "pause_reviews",
        also=tuple(dict.fromkeys(people)),
        by_policy=False,
    )


# Escalations told in one transaction (one lock, one snapshot, one audit INSERT per batch).
BATCH = 500


def sweep_deadlines(*, now: datetime | None = None) -> SweepReport:
    """Send (once) every reminder, overdue notice and escalate prompt that is due at `now`.

    The notices go through `services.notify_deadlines`, the path a person's action takes: the
    policy's `reminder`, `overdue` and `action_overdue` rules name who is told (an action's
    owner always is). Escalations are told in batches (`BATCH`, a partnership's together), each
    batch one transaction with one audit row per escalation, as the system's.
    """
    now = now or timezone.now()
    report = SweepReport()
    attention = attention_due(now)
    for escalation in attention.silences:
        report.silences_recorded += record_silence(escalation=escalation, now=now)
    for escalation in attention.stranded:
        if flag_stranded(escalation=escalation):
            report.stranded += 1
    by_escalation: dict[int, list[Notice]] = {}
    partnership_of: dict[int, int] = {}
    for notice in [*attention.pause_reviews, *due_notices(now)]:
        by_escalation.setdefault(notice.escalation.pk, []).append(notice)
        partnership_of[notice.escalation.pk] = notice.escalation.partnership_id
    order = sorted(by_escalation, key=lambda pk: (partnership_of[pk], pk))
    for start in range(0, len(order), BATCH):
        batch = [notice for pk in order[start : start + BATCH] for notice in by_escalation[pk]]
        done = notify_deadlines(
            [
                DeadlineNotice(
                    escalation_id=notice.escalation.pk,
                    event=notice.event,
                    event_key=notice.key,
                    message=notice.message,
                    also=notice.also,
                    by_policy=notice.by_policy,
                )
                for notice in batch
            ]
        )
        for notice in batch:
            if notice.key in done.sent:
                setattr(report, notice.counter, getattr(report, notice.counter) + 1)
        report.notifications_written += done.written
    return report
