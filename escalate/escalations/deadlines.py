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

from django.db.models import CharField, Exists, F, OuterRef, Q, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from escalate.directory.models import Person
from escalate.escalations import deciding, messages
from escalate.escalations.messages import Message
from escalate.escalations.models import (
    MANAGER_PARTS,
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
from escalate.escalations.services.people import stranded_key
from escalate.escalations.state import day_of, state_of, when_of
from escalate.notifications.models import Notification
from escalate.policies.calendar import LONDON, is_working_day
from escalate.policies.schema import Event, PolicySpec
from escalate.vocabulary import RAISER_SIDE, RESPONDENT_SIDE

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
    """Open escalations the sweep acts on one by one (few: found by indexed queries)."""

    silences: list[Escalation]  # a rationale request or proposal has gone unanswered
    pause_reviews: list[Notice]  # a pause's review date has come
    stranded: list[Escalation]  # nobody active can act for a side, and the unit is not told


# Entries at a stage that ask for an answer by a date, and those that close each question (a
# reopening starts the stage's facts afresh): state._StageFacts reads them the same way.
RATIONALE_CLOSERS = (EntryKind.RATIONALE, EntryKind.RATIONALE_LAPSED, EntryKind.REOPENED)
PROPOSAL_CLOSERS = (
    EntryKind.RESOLUTION_ACCEPTED,
    EntryKind.RESOLUTION_DECLINED,
    EntryKind.RESOLUTION_UNANSWERED,  # answered by nobody: to the raiser's manager, or closed
    EntryKind.RESOLVED,
    EntryKind.TIER_UP,
    EntryKind.REOPENED,
)
ASKING: dict[str, tuple[EntryKind, ...]] = {
    EntryKind.RATIONALE_REQUESTED: RATIONALE_CLOSERS,
    EntryKind.RESOLUTION_PROPOSED: PROPOSAL_CLOSERS,
}
ATTENDED = (Status.OPEN, Status.PAUSED)


def _later(kinds: tuple[str, ...]) -> Exists:
    """A later entry of `kinds` at the same stage of the same escalation."""
    return Exists(
        ChronologyEntry.objects.filter(
            escalation=OuterRef("escalation"),
            stage_key=OuterRef("stage_key"),
            kind__in=kinds,
            pk__gt=OuterRef("pk"),
        )
    )


@dataclass(frozen=True)
class Asking:
    """What waits on a date at escalations' current stages (see `asking`)."""

    silent: set[int]  # escalations whose rationale request or proposal went unanswered
    reviews: dict[int, tuple[int, date, int | None]]  # id -> (PAUSED entry, review on, by)


def asking(now: datetime) -> Asking:
    """In one query, driven by the entries that ask for something by a date (few, indexed by
    kind): (a) escalations whose last rationale request or proposal at the current stage has no
    later answer and whose date has passed (a necessary condition of deciding.sweep_actions,
    which then decides on the few found; state._StageFacts reads the entries the same way);
    (b) paused escalations whose last pause at the current stage is due for review and not yet
    reviewed."""
    today = now.astimezone(LONDON).date()
    rows = (
        ChronologyEntry.objects.filter(
            stage_key=F("escalation__current_stage_key"),
            kind__in=(*ASKING, EntryKind.PAUSED),
            escalation__status__in=ATTENDED,
        )
        .exclude(Q(kind=EntryKind.RATIONALE_REQUESTED) & _later(RATIONALE_CLOSERS))
        .exclude(Q(kind=EntryKind.RESOLUTION_PROPOSED) & _later(PROPOSAL_CLOSERS))
        .exclude(Q(kind=EntryKind.PAUSED) & _later((EntryKind.PAUSED,)))
        .exclude(Q(kind=EntryKind.PAUSED) & ~Q(escalation__status=Status.PAUSED))
        .exclude(Q(kind=EntryKind.PAUSED) & _notified("pause_review:"))
        .annotate(
            due=KeyTextTransform("due_at", "data"),
            answer_due=KeyTextTransform("answer_due_at", "data"),
            review_on=KeyTextTransform("review_on", "data"),
        )
        .order_by()
        .values_list(
            "escalation_id",
            "pk",
            "kind",
            "due",
            "answer_due",
            "review_on",
            "occurred_at",
            "actor_id",
        )
    )
    found = Asking(silent=set(), reviews={})
    for escalation_id, pk, kind, due, answer_due, review_on, occurred_at, actor_id in rows:
        if kind == EntryKind.PAUSED:
            day = day_of(review_on)
            if day is not None and today >= day:
                found.reviews[escalation_id] = (pk, day, actor_id)
            continue
        when = when_of(due) if kind == EntryKind.RATIONALE_REQUESTED else None
        if kind == EntryKind.RESOLUTION_PROPOSED:
            when = when_of(answer_due) or occurred_at
        if when is not None and now >= when:
            found.silent.add(escalation_id)
    return found


def _side_held(sides: frozenset[str]) -> Exists:
    """Someone active and not away holds a part of `sides` (managers only at their stage)."""
    return Exists(
        Participant.objects.filter(
            escalation=OuterRef("pk"),
            part__in=sides,
            person__is_active=True,
            person__is_away=False,
        ).filter(~Q(part__in=MANAGER_PARTS) | Q(stage_key=OuterRef("current_stage_key")))
    )


def _stranded() -> dict[int, str]:
    """Escalations where someone holding a part has left or is away and nobody active can act
    for a side (deciding.stranded_sides), whose business unit is not yet told of these sides:
    escalation id -> the notice's event key. Driven by the people gone (few)."""
    gone = Participant.objects.filter(Q(person__is_active=False) | Q(person__is_away=True)).values(
        "escalation_id"
    )
    rows = (
        Escalation.objects.filter(pk__in=gone, status__in=ATTENDED)
        .annotate(raiser_held=_side_held(RAISER_SIDE), respondent_held=_side_held(RESPONDENT_SIDE))
        .filter(Q(raiser_held=False) | Q(respondent_held=False, respondent_person__isnull=False))
        .order_by()
        .values_list(
            "pk", "current_stage_key", "raiser_held", "respondent_held", "respondent_person_id"
        )
    )
    keys: dict[int, str] = {}
    for pk, stage_key, raiser_held, respondent_held, respondent_id in rows:
        sides = [] if raiser_held else [Part.RAISER]
        if respondent_id is not None and not respondent_held:
            sides.append(Part.RESPONDENT)
        keys[pk] = stranded_key(pk, stage_key, sides)
    if not keys:
        return {}
    told = set(
        Notification.objects.filter(event_key__in=list(keys.values()))
        .order_by()
        .values_list("event_key", flat=True)
        .distinct()
    )
    return {pk: key for pk, key in keys.items() if key not in told}


def attention_due(now: datetime) -> Attention:
    """What the sweep does besides deadlines (issue 15), in a fixed number of indexed queries
    however many escalations are open: (a) a rationale request or a proposed resolution gone
    unanswered past its date: nobody blocks by silence, so the sweep records it
    (deciding.sweep_actions decides); (b) a paused escalation whose review date has come: the
    person who paused it and the raiser are reminded, once per pause (`pause_review:<paused
    entry id>`); (c) nobody active left to act for a side: the business unit is told, once per
    stage and set of sides (flag_stranded decides again under the lock). Only the escalations
    found are loaded."""
    asked = asking(now)
    silent, reviews = asked.silent, asked.reviews
    stranded = _stranded()
    found = Attention(silences=[], pause_reviews=[], stranded=[])
    ids = silent | set(reviews) | set(stranded)
    if not ids:
        return found
    escalations = (
        Escalation.objects.filter(pk__in=ids)
        .select_related("policy_version", "raised_by", "partnership")
        .defer(*UNUSED_ESCALATION_FIELDS_OWN)
        .order_by("pk")
    )
    actors = Person.objects.in_bulk({actor for _pk, _on, actor in reviews.values() if actor})
    for escalation in escalations:
        if escalation.pk in silent and deciding.sweep_actions(state_of(escalation), now):
            found.silences.append(escalation)
        if escalation.pk in reviews:
            entry_id, review_on, actor_id = reviews[escalation.pk]
            people = [p for p in (actors.get(actor_id or 0), escalation.raised_by) if p]
            found.pause_reviews.append(
                Notice(
                    f"pause_review:{entry_id}",
                    Event.REMINDER,
                    messages.pause_review(reference=escalation.reference, review_on=review_on),
                    escalation,
                    "pause_reviews",
                    also=tuple(dict.fromkeys(people)),
                    by_policy=False,
                )
            )
        if escalation.pk in stranded:
            found.stranded.append(escalation)
    return found


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
