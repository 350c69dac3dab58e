"""Rows for a national-scale, fictitious data set, made with plain tuples (no model instances).

`Generator` makes, for one partnership at a time, the rows of every table an escalation touches:
the directory (agencies, people, roles, escalation contacts), escalations across every stage and
status over ten years, their stage records, participants, chronology, actions, the outbox and the
audit trail. Rows are tuples in the column order of `TABLES`; `escalate.scale.loader` writes them
(COPY on PostgreSQL, executemany elsewhere). Ids are given here, so rows can refer to each other
before anything is written.

Proportions per escalation, roughly: 1.4 stage records, 3 participants, 8 chronology entries,
0.4 actions, 9 outbox rows (one per person per channel), 2 audit rows. Everything is invented;
every address is under example.org.

The audit rows form a valid hash chain per partnership (the same HMAC as `record_audit`), so
`manage.py verify_audit` passes on seeded data.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils.encoding import force_bytes

from escalate.audit import hashing
from escalate.escalations.messages import EVENT_WORDS, SIGN_IN
from escalate.escalations.models import new_fingerprint_salt
from escalate.policies.calendar import LONDON, stage_deadline
from escalate.policies.schema import Event, PolicySpec

Row = tuple[Any, ...]

# Column order of every row this module makes, per table (checked against the models).
TABLES: dict[str, tuple[str, ...]] = {
    "directory_agency": ("id", "partnership_id", "name", "agency_type", "email", "is_active"),
    "directory_person": (
        "id",
        "password",
        "last_login",
        "is_superuser",
        "email",
        "full_name",
        "job_title",
        "phone",
        "partnership_id",
        "agency_id",
        "line_manager_id",
        "level",
        "is_active",
        "is_staff",
        "date_joined",
    ),
    "directory_roleassignment": ("id", "person_id", "role"),
    "directory_escalationcontact": (
        "id",
        "agency_id",
        "level",
        "service",
        "person_id",
        "name",
        "job_title",
        "email",
        "phone",
    ),
    "escalations_escalation": (
        "id",
        "partnership_id",
        "reference",
        "policy_version_id",
        "raised_by_id",
        "raiser_agency_id",
        "respondent_agency_id",
        "respondent_person_id",
        "respondent_name",
        "respondent_email",
        "subject_kind",
        "subject_name",
        "subject_date_of_birth",
        "case_references",
        "cp_plan",
        "looked_after",
        "cp_conference",
        "immediate_harm",
        "categories",
        "disputed",
        "risk",
        "outcome_wanted",
        "already_tried",
        "status",
        "current_stage_key",
        "stage_due_at",
        "raised_at",
        "closed_at",
        "version",
        "started_at_later_stage_reason",
        "decision",
        "decided_by_text",
        "learning",
        "learning_themes",
        "fingerprint_salt",
    ),
    "escalations_referencecounter": ("id", "partnership_id", "year", "last_number"),
    "escalations_stagerecord": (
        "id",
        "escalation_id",
        "stage_key",
        "index",
        "started_at",
        "due_at",
        "paused_at",
        "paused_seconds",
        "ended_at",
        "outcome",
    ),
    "escalations_participant": (
        "id",
        "escalation_id",
        "person_id",
        "part",
        "stage_key",
        "added_at",
    ),
    "escalations_chronologyentry": (
        "id",
        "escalation_id",
        "kind",
        "actor_id",
        "stage_key",
        "occurred_at",
        "recorded_at",
        "text",
        "data",
        "corrects_id",
    ),
    "escalations_action": (
        "id",
        "escalation_id",
        "description",
        "owner_id",
        "due_on",
        "created_by_id",
        "created_at",
        "done_at",
        "done_by_id",
        "done_note",
    ),
    "notifications_notification": (
        "id",
        "partnership_id",
        "escalation_id",
        "event",
        "event_key",
        "recipient_id",
        "recipient_email",
        "recipient_key",
        "channel",
        "subject",
        "body",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "sent_at",
        "read_at",
        "provider_id",
        "receipt",
        "template_key",
        "personalisation",
    ),
    "audit_auditevent": (
        "id",
        "chain_key",
        "sequence",
        "partnership_id",
        "actor_id",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "object_reference",
        "occurred_at",
        "ip_address",
        "user_agent",
        "old_values",
        "new_values",
        "reason",
        "previous_hash",
        "hash",
        "key_id",
    ),
    "audit_auditchain": ("id", "key", "length", "last_hash"),
}

AGENCY_TEMPLATES: tuple[tuple[str, str], ...] = (
    ("{place} Primary School", "school"),
    ("{place} Academy", "school"),
    ("St Anne's School, {place}", "school"),
    ("{place} Children's Social Care", "childrens_social_care"),
    ("{place} Early Help", "early_help"),
    ("{place} Community Health", "health"),
    ("{place} Hospital Trust", "health"),
    ("{place} Medical Practice", "gp"),
    ("{place} Police", "police"),
    ("{place} Probation Service", "probation"),
    ("{place} Family Support (voluntary)", "voluntary"),
    ("{place} Adult Social Care", "adult_social_care"),
    ("{place} Safeguarding Partnership", "partnership"),
)
PLACE_STARTS = (
    "Ash", "Brook", "Cal", "Dun", "Elm", "Fern", "Glen", "Hart", "Ivy", "Kings", "Lark", "Mill",
    "North", "Oak", "Pen", "Quarry", "Red", "Stan", "Thorn", "Upper", "Wey", "Yew",
)  # fmt: skip
PLACE_ENDS = ("bridge", "by", "combe", "field", "ford", "ham", "ley", "mouth", "stead", "wick")
FIRST_NAMES = (
    "Alex", "Bea", "Cal", "Dee", "Eli", "Fran", "Gus", "Hana", "Ivo", "Jo", "Kit", "Lou", "Mo",
    "Nell", "Ola", "Pip", "Quin", "Ros", "Sam", "Tam", "Uma", "Vic", "Wyn", "Zac",
)  # fmt: skip
LAST_NAMES = (
    "Archer", "Baker", "Cole", "Dale", "Ellis", "Frost", "Grey", "Hale", "Irwin", "Kemp", "Lowe",
    "Marsh", "Noble", "Oakes", "Price", "Reed", "Shaw", "Tate", "Vance", "Webb", "York",
)  # fmt: skip
CHILD_NAMES = ("Example", "Sample", "Specimen", "Placeholder", "Testcase", "Dummy")
DISPUTES = (
    "The referral was closed with no action although the concerns continue.",
    "Information about a domestic abuse incident was not shared with the school.",
    "No strategy discussion followed a disclosure made at school.",
    "The agreed core group actions have not been shared since the last conference.",
    "The threshold decision does not take account of the recent neglect concerns.",
    "Who leads on the home conditions has not been agreed between the agencies.",
)
RISKS = (
    "The child arrives hungry most days and attendance has fallen below 80 percent.",
    "A baby lives in the home and the health visitor was not told of the incident.",
    "Nobody has visited the home for two months while the concerns continue.",
    "The child has said an adult at home hurt them and no joint visit has happened.",
)
OUTCOMES = (
    "An early help assessment, or a clear reason why not.",
    "The information shared and a joint visit agreed.",
    "A strategy discussion with police and social care.",
    "A named lead agency and a date for the next review.",
)
DECISIONS = (
    "Agreed: a strategy discussion will be held and the school invited.",
    "Agreed: the referral is reopened and an assessment allocated.",
    "Not upheld: the original decision stands, with the reasons shared in writing.",
    "Agreed: information sharing arrangements were put right and a joint visit booked.",
)
LEARNING = (
    "Closing a referral should be explained to the referrer in writing.",
    "Information about incidents must reach health visitors within one working day.",
    "Core group actions need an owner and a date before the meeting ends.",
)
THEMES = ("information_sharing", "thresholds", "communication", "recording", "timeliness")
ACTIONS = (
    "Share the assessment outcome with the school.",
    "Book a joint home visit with the health visitor.",
    "Hold a strategy discussion and invite the referrer.",
    "Send the core group minutes to every agency.",
)
USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Edge/129.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Safari/605.1.15",
)
# Fixed so a run is repeatable; the data is the same for the same arguments.
SEED = 20260

YEARS = 10
OPEN_WINDOW_DAYS = 40  # escalations raised more recently than this are mostly still open


def place_name(index: int) -> str:
    start = PLACE_STARTS[index % len(PLACE_STARTS)]
    end = PLACE_ENDS[(index // len(PLACE_STARTS)) % len(PLACE_ENDS)]
    extra = index // (len(PLACE_STARTS) * len(PLACE_ENDS))
    return f"{start}{end}" + (f" {extra + 1}" if extra else "")


def reference_prefix(index: int) -> str:
    """QAA, QAB, ... : three capital letters, unique per partnership index (up to 676)."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return "Q" + letters[(index // 26) % 26] + letters[index % 26]


class Ids:
    """The next free id of each table (the caller starts them after the largest existing one)."""

    def __init__(self, start: dict[str, int]) -> None:
        self._next = dict(start)

    def restart(self, start: dict[str, int]) -> None:
        self._next.update(start)

    def take(self, table: str) -> int:
        value = self._next[table]
        self._next[table] = value + 1
        return value


@dataclass
class PersonRow:
    id: int
    email: str
    full_name: str
    agency_id: int
    level: int
    manager: PersonRow | None


@dataclass
class AgencyPeople:
    agency_id: int
    name: str
    kind: str
    people: list[PersonRow] = field(default_factory=list)

    def at_level(self, level: int) -> list[PersonRow]:
        return [person for person in self.people if person.level == level]


@dataclass
class PartnershipPlan:
    """What the caller has already made for one partnership: its id, slug and policy versions."""

    id: int
    slug: str
    prefix: str
    nation: str
    # (policy version id, parsed spec, first moment it applies), oldest first
    versions: list[tuple[int, PolicySpec, datetime]]


class AuditChainWriter:
    """Appends hash-chained audit rows for one partnership, exactly as record_audit would."""

    def __init__(
        self,
        partnership_id: int,
        ids: Ids,
        rows: list[Row],
        *,
        length: int = 0,
        last_hash: str = "",
    ) -> None:
        """Continue the chain from `length` rows ending in `last_hash` (a new chain: 0, "")."""
        self.key = f"partnership:{partnership_id}"
        self.partnership_id = partnership_id
        self.ids = ids
        self.rows = rows
        self.length = length
        self.last_hash = last_hash
        # salted_hmac(_SALT, value, secret=<current audit key>, algorithm="sha256"), derived once.
        self.key_id = settings.AUDIT_HASH_KEY_ID
        self._hmac_key = hashlib.sha256(
            force_bytes(hashing._SALT) + force_bytes(settings.AUDIT_HASH_KEYS[self.key_id])
        ).digest()

    def append(
        self,
        *,
        actor: PersonRow,
        action: str,
        at: datetime,
        object_type: str,
        object_id: str,
        reference: str = "",
        reason: str = "",
        ip: str = "",
        user_agent: str = "",
        new_values: dict[str, Any] | None = None,
    ) -> None:
        self.length += 1
        new_values = new_values or {}
        fields = {
            "chain_key": self.key,
            "sequence": self.length,
            "partnership_id": self.partnership_id,
            "actor_id": actor.id,
            "actor_label": actor.email,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "object_reference": reference,
            "occurred_at": at.isoformat(),
            "ip_address": ip or None,
            "user_agent": user_agent,
            "old_values": {},
            "new_values": new_values,
            "reason": reason,
            "previous_hash": self.last_hash,
        }
        digest = hmac.new(
            self._hmac_key,
            msg=hashing.canonical_json(fields).encode(),
            digestmod=hashlib.sha256,
        ).hexdigest()
        self.rows.append(
            (
                self.ids.take("audit_auditevent"),
                self.key,
                self.length,
                self.partnership_id,
                actor.id,
                actor.email,
                action,
                object_type,
                object_id,
                reference,
                at,
                ip or None,
                user_agent,
                "{}",
                json.dumps(new_values),
                reason,
                self.last_hash,
                digest,
                self.key_id,
            )
        )
        self.last_hash = digest


def empty_batch() -> dict[str, list[Row]]:
    return {table: [] for table in TABLES}


class Generator:
    def __init__(self, ids: Ids, *, now: datetime, password_hash: str, seed: int = SEED) -> None:
        self.ids = ids
        self.now = now
        self.today = now.astimezone(LONDON).date()
        self.password_hash = password_hash
        self.random = random.Random(seed)

    # --- the directory ----------------------------------------------------------------------

    def directory(
        self, partnership_id: int, slug: str, place: str, batch: dict[str, list[Row]]
    ) -> list[AgencyPeople]:
        """Agencies, people in four tiers with line managers, roles and escalation contacts."""
        rnd = self.random
        agencies: list[AgencyPeople] = []
        joined = self.now - timedelta(days=YEARS * 365)
        domain = f"{slug}.example.org"
        for template, kind in AGENCY_TEMPLATES:
            agency_id = self.ids.take("directory_agency")
            name = template.format(place=place)
            batch["directory_agency"].append(
                (agency_id, partnership_id, name, kind, f"safeguarding.{agency_id}@{domain}", True)
            )
            group = AgencyPeople(agency_id, name, kind)
            agencies.append(group)
            # Tiers: 1 strategic lead, 2 senior managers, 4 line managers, 12 practitioners.
            tiers = ((4, 1), (3, 2), (2, 4), (1, 12))
            if kind == "partnership":
                tiers = ((4, 1), (3, 2), (2, 2), (1, 3))
            for level, count in tiers:
                above = group.at_level(level + 1)
                for _ in range(count):
                    person_id = self.ids.take("directory_person")
                    first = rnd.choice(FIRST_NAMES)
                    last = rnd.choice(LAST_NAMES)
                    manager = above[len(group.people) % len(above)] if above else None
                    person = PersonRow(
                        person_id,
                        f"{first.lower()}.{last.lower()}.{person_id}@{domain}",
                        f"{first} {last}",
                        agency_id,
                        level,
                        manager,
                    )
                    group.people.append(person)
                    batch["directory_person"].append(
                        (
                            person_id,
                            self.password_hash,
                            None,
                            False,
                            person.email,
                            person.full_name,
                            JOB_TITLES[level],
                            "",
                            partnership_id,
                            agency_id,
                            manager.id if manager else None,
                            level,
                            True,
                            False,
                            joined,
                        )
                    )
                    for role in self._roles(kind, level, len(group.people)):
                        batch["directory_roleassignment"].append(
                            (self.ids.take("directory_roleassignment"), person_id, role)
                        )
            for level in (2, 3):
                contact = group.at_level(level)[0]
                batch["directory_escalationcontact"].append(
                    (
                        self.ids.take("directory_escalationcontact"),
                        agency_id,
                        level,
                        "",
                        contact.id,
                        contact.full_name,
                        JOB_TITLES[level],
                        contact.email,
                        "",
                    )
                )
        return agencies

    @staticmethod
    def _roles(kind: str, level: int, position: int) -> tuple[str, ...]:
        base = {1: "practitioner", 2: "line_manager", 3: "senior_manager", 4: "senior_manager"}
        roles = [base[level]]
        if kind == "partnership":
            roles += {
                4: ["partnership_chair"],
                3: ["business_manager", "panel_member"],
                2: ["auditor"],
                1: ["administrator"],
            }[level]
        elif kind == "school" and level == 2:
            roles.append("dsl")
        elif kind == "childrens_social_care" and level == 2 and position % 2:
            roles.append("iro")
        elif level == 3 and position % 2:
            roles.append("panel_member")
        return tuple(dict.fromkeys(roles))

    # --- escalations ------------------------------------------------------------------------

    def escalations(
        self,
        plan: PartnershipPlan,
        agencies: list[AgencyPeople],
        count: int,
        audit: AuditChainWriter,
        batch: dict[str, list[Row]],
    ) -> Iterator[None]:
        """Make `count` escalations for one partnership, raised over ten years, oldest first.

        Yields after each one, so the caller can interleave partnerships (rows of different
        partnerships lie side by side on disk, as they would after years of use) and write the
        batch out.
        """
        rnd = self.random
        span = YEARS * 365 * 86400
        moments = sorted(self.now - timedelta(seconds=rnd.random() * span) for _ in range(count))
        counters: dict[int, int] = {}
        parties = [agency for agency in agencies if agency.kind != "partnership"]
        for raised_at in moments:
            year = raised_at.astimezone(LONDON).year
            counters[year] = counters.get(year, 0) + 1
            reference = f"{plan.prefix}-{year}-{counters[year]:04d}"
            version_id, spec = plan.versions[0][0], plan.versions[0][1]
            for candidate_id, candidate_spec, since in plan.versions:
                if raised_at >= since:
                    version_id, spec = candidate_id, candidate_spec
            raiser_agency, respondent_agency = rnd.sample(parties, 2)
            self._one(
                plan,
                spec,
                version_id,
                reference,
                raised_at,
                raiser_agency,
                respondent_agency,
                audit,
                batch,
            )
            yield
        for year, last in counters.items():
            batch["escalations_referencecounter"].append(
                (self.ids.take("escalations_referencecounter"), plan.id, year, last)
            )
        yield

    def _one(
        self,
        plan: PartnershipPlan,
        spec: PolicySpec,
        version_id: int,
        reference: str,
        raised_at: datetime,
        raiser_agency: AgencyPeople,
        respondent_agency: AgencyPeople,
        audit: AuditChainWriter,
        batch: dict[str, list[Row]],
    ) -> None:
        rnd = self.random
        ids = self.ids
        escalation_id = ids.take("escalations_escalation")
        age_days = (self.now - raised_at).total_seconds() / 86400
        raiser = rnd.choice(raiser_agency.at_level(1))
        respondent = rnd.choice(respondent_agency.at_level(1)) if rnd.random() < 0.85 else None

        # Status and how far it went.
        roll = rnd.random()
        if age_days < OPEN_WINDOW_DAYS:
            status = (
                "open"
                if roll < 0.8
                else "paused"
                if roll < 0.85
                else "resolved"
                if roll < 0.95
                else "withdrawn"
            )
        else:
            status = "resolved" if roll < 0.88 else "withdrawn"
        closed = status in ("resolved", "withdrawn")
        reach_roll = rnd.random()
        reached = (
            0 if reach_roll < 0.62 else 1 if reach_roll < 0.86 else 2 if reach_roll < 0.96 else 3
        )
        reached = min(reached, len(spec.stages) - 1)
        # Stage start times: spread over the time it took, never in the future.
        total_days = min(age_days * 0.9, 6 + reached * 8 + rnd.random() * 20)
        step = total_days / (reached + (2 if closed else 1))
        starts = [raised_at + timedelta(days=step * index) for index in range(reached + 1)]
        closed_at = raised_at + timedelta(days=step * (reached + 1)) if closed else None

        rows_e = batch["escalations_escalation"]
        rows_s = batch["escalations_stagerecord"]
        rows_p = batch["escalations_participant"]
        rows_c = batch["escalations_chronologyentry"]
        rows_n = batch["notifications_notification"]

        subject_name = f"{rnd.choice(FIRST_NAMES)} {rnd.choice(CHILD_NAMES)}"
        categories = [rnd.choice(spec.categories).key]
        current = spec.stages[reached]
        stage_due_at: datetime | None = None
        paused_at: datetime | None = None
        stage_ids: list[int] = []
        for index in range(reached + 1):
            stage = spec.stages[index]
            started = starts[index]
            is_current = index == reached
            if is_current and not closed:
                due = stage_deadline(started, stage.timescale, nation=plan.nation)
                stage_due_at = due
                if status == "paused":
                    paused_at = started + (self.now - started) / 2
            else:
                days = stage.timescale.working_days
                due = started + (
                    timedelta(days=days * 1.4 + 1)
                    if days is not None
                    else timedelta(hours=stage.timescale.hours or 48)
                )
            ended = None
            outcome = ""
            if not is_current:
                ended, outcome = starts[index + 1], "escalated"
            elif closed:
                ended, outcome = closed_at, status
            stage_id = ids.take("escalations_stagerecord")
            stage_ids.append(stage_id)
            rows_s.append(
                (
                    stage_id,
                    escalation_id,
                    stage.key,
                    index,
                    started,
                    due,
                    paused_at if is_current else None,
                    0,
                    ended,
                    outcome,
                )
            )

        # Who takes part: the raiser and respondent at the first stage, managers at later ones.
        people: dict[tuple[int, str], list[Any]] = {}

        def join(person: PersonRow | None, part: str, stage_key: str, at: datetime) -> None:
            if person is None:
                return
            key = (person.id, part)
            if key in people:
                people[key][1] = stage_key
            else:
                people[key] = [person, stage_key, at]

        first_key = spec.stages[0].key
        join(raiser, "raiser", first_key, raised_at)
        join(respondent, "respondent", first_key, raised_at)
        managers_by_stage: list[list[PersonRow]] = []
        for index in range(1, reached + 1):
            stage = spec.stages[index]
            mine = _up_to_level(raiser, raiser_agency, stage.raiser_level)
            theirs = _up_to_level(respondent, respondent_agency, stage.respondent_level)
            join(mine, "raiser_manager", stage.key, starts[index])
            join(theirs, "respondent_manager", stage.key, starts[index])
            managers_by_stage.append([p for p in (mine, theirs) if p is not None])

        # The record: raised, told, discussions, escalations, the outcome.
        def entry(
            kind: str,
            actor: PersonRow | None,
            stage_key: str,
            at: datetime,
            text: str,
            data: str = "{}",
        ) -> int:
            entry_id = ids.take("escalations_chronologyentry")
            rows_c.append(
                (
                    entry_id,
                    escalation_id,
                    kind,
                    actor.id if actor else None,
                    stage_key,
                    at,
                    at,
                    text,
                    data,
                    None,
                )
            )
            return entry_id

        respondent_name = (
            respondent.full_name
            if respondent
            else f"{rnd.choice(FIRST_NAMES)} {rnd.choice(LAST_NAMES)}"
        )
        respondent_email = (
            respondent.email if respondent else f"duty.{escalation_id}@{plan.slug}.example.org"
        )

        def tell(
            cause: int, event: str, stage_key: str, at: datetime, who: list[PersonRow]
        ) -> None:
            if not who:
                return
            event_key = f"chronology:{cause}:{event}"
            words = EVENT_WORDS[Event(event)]
            subject = f"{words}: {reference}"
            body = (
                f"{words}.\n\nReference: {reference}\nStage: {stage_key}\n\n{BODY_TAIL}{reference}/"
            )
            sent = at + timedelta(minutes=1)
            recent = (self.now - at).days < 2
            labels = []
            for person in who:
                labels.append(person.full_name)
                for channel in ("email", "in_app"):
                    rows_n.append(
                        (
                            ids.take("notifications_notification"),
                            plan.id,
                            escalation_id,
                            event,
                            event_key,
                            person.id,
                            person.email,
                            f"person:{person.id}",
                            channel,
                            subject,
                            body,
                            "pending" if recent else "sent",
                            0 if recent else 1,
                            at,
                            "",
                            at,
                            None if recent else sent,
                            sent
                            if channel == "in_app" and not recent and rnd.random() < 0.7
                            else None,
                            "",
                            "",
                            "",
                            "{}",
                        )
                    )
            data = json.dumps(
                {
                    "event": event,
                    "event_key": event_key,
                    "recipients": [
                        {"key": f"person:{p.id}", "label": p.full_name, "part": ""} for p in who
                    ],
                }
            )
            entry("notification", None, stage_key, at, "Told: " + ", ".join(labels), data)

        raised_entry = entry("raised", raiser, first_key, raised_at, rnd.choice(DISPUTES))
        tell(
            raised_entry,
            "raised",
            first_key,
            raised_at,
            [p for p in (respondent, raiser.manager) if p is not None],
        )
        for index in range(reached + 1):
            stage = spec.stages[index]
            started = starts[index]
            if index > 0:
                moved = entry(
                    "escalated",
                    raiser,
                    spec.stages[index - 1].key,
                    started,
                    "Escalated: no agreement at the previous stage.",
                    json.dumps({"to": stage.key}),
                )
                tell(moved, "stage_entered", stage.key, started, managers_by_stage[index - 1])
            end = starts[index + 1] if index < reached else (closed_at or self.now)
            talk_at = started + (end - started) / 3
            if talk_at < self.now:
                entry(
                    "discussion",
                    raiser,
                    stage.key,
                    talk_at,
                    "Discussed by phone; no agreement yet.",
                    DISCUSSION_DATA,
                )
            if rnd.random() < 0.2 and talk_at < self.now:
                entry(
                    "rationale_requested",
                    raiser,
                    stage.key,
                    talk_at,
                    "Please set out the reasons for the decision.",
                )
        if paused_at is not None:
            entry(
                "paused",
                raiser,
                current.key,
                paused_at,
                "Paused while the assessment is completed.",
            )

        decision = decided_by = learning = ""
        themes = "[]"
        if closed and closed_at is not None:
            if status == "resolved":
                decision = rnd.choice(DECISIONS)
                decided_by = "Both line managers"
                learning = rnd.choice(LEARNING) if rnd.random() < 0.6 else ""
                themes = json.dumps(rnd.sample(THEMES, 2)) if learning else "[]"
                outcome_entry = entry(
                    "resolved",
                    raiser,
                    current.key,
                    closed_at,
                    decision,
                    json.dumps({"decided_by": decided_by, "learning": learning}),
                )
            else:
                outcome_entry = entry(
                    "withdrawn",
                    raiser,
                    current.key,
                    closed_at,
                    "Withdrawn: the concern was resolved outside the process.",
                )
            tell(
                outcome_entry,
                status,
                current.key,
                closed_at,
                [p for p in (raiser, respondent) if p is not None],
            )

        # Actions: agreed at resolution (most done), and a few on open escalations.
        action_count = 0
        if status == "resolved" and rnd.random() < 0.35:
            action_count = 1 + (rnd.random() < 0.3)
        elif status == "open" and rnd.random() < 0.15:
            action_count = 1
        owner = respondent or respondent_agency.at_level(2)[0]
        for _ in range(action_count):
            created = closed_at or starts[-1]
            due_on = (created + timedelta(days=rnd.randint(5, 30))).date()
            done = due_on < self.today and rnd.random() < 0.93
            done_at = (
                datetime.combine(due_on, datetime.min.time(), UTC)
                - timedelta(hours=rnd.randint(1, 90))
                if done
                else None
            )
            description = rnd.choice(ACTIONS)
            batch["escalations_action"].append(
                (
                    ids.take("escalations_action"),
                    escalation_id,
                    description,
                    owner.id,
                    due_on,
                    raiser.id,
                    created,
                    done_at,
                    owner.id if done else None,
                    "Done and recorded." if done else "",
                )
            )
            entry(
                "action_added",
                raiser,
                current.key,
                created,
                description,
                json.dumps({"due_on": due_on.isoformat()}),
            )
            if done_at is not None:
                entry("action_done", owner, current.key, done_at, "Done and recorded.")
            join(owner, "action_owner", "", created)

        for (person_id, part), (_person, stage_key, at) in people.items():
            rows_p.append(
                (ids.take("escalations_participant"), escalation_id, person_id, part, stage_key, at)
            )

        rows_e.append(
            (
                escalation_id, plan.id, reference, version_id, raiser.id, raiser_agency.agency_id,
                respondent_agency.agency_id, respondent.id if respondent else None,
                respondent_name, respondent_email, "child", subject_name,
                date(raised_at.year - rnd.randint(1, 17), rnd.randint(1, 12), rnd.randint(1, 28)),
                f"LCS{escalation_id}", rnd.random() < 0.2, rnd.random() < 0.1, False, False,
                json.dumps(categories), rnd.choice(DISPUTES), rnd.choice(RISKS),
                rnd.choice(OUTCOMES), "",
                status, current.key, stage_due_at, raised_at, closed_at,
                2 + 2 * reached + (1 if closed else 0), "", decision, decided_by, learning, themes,
                new_fingerprint_salt(),  # random, not from the seed: it stands for a secret
            )
        )  # fmt: skip

        # The audit trail: the raiser signing in (with the code) before raising it; every
        # tenth record exported for the child's file after it closed.
        ip = f"192.0.2.{escalation_id % 250 + 1}"
        agent = USER_AGENTS[escalation_id % len(USER_AGENTS)]
        signed_in = raised_at - timedelta(minutes=7)
        audit.append(
            actor=raiser,
            action="sign_in",
            at=signed_in,
            object_type="directory.Person",
            object_id=str(raiser.id),
            ip=ip,
            user_agent=agent,
        )
        audit.append(
            actor=raiser,
            action="mfa_verified",
            at=signed_in + timedelta(seconds=20),
            object_type="directory.Person",
            object_id=str(raiser.id),
            ip=ip,
            user_agent=agent,
        )
        # The rows verify_audit's cross-check looks for: the raise and each stage it went up to.
        for index, stage_key in enumerate(stage.key for stage in spec.stages[: reached + 1]):
            audit.append(
                actor=raiser,
                action="escalation_raised" if index == 0 else "escalation_stage_changed",
                at=starts[index],
                object_type="escalations.Escalation",
                object_id=str(escalation_id),
                reference=reference,
                ip=ip,
                user_agent=agent,
                new_values={f"stage[{index}].stage_key": stage_key},
            )
        if closed_at is not None and escalation_id % 10 == 0:
            audit.append(
                actor=raiser,
                action="export_escalation_record",
                at=closed_at + timedelta(hours=2),
                object_type="reports.export",
                object_id="pdf",
                reference=reference,
                reason="For the child's file.",
                ip=ip,
                user_agent=agent,
            )


def _up_to_level(person: PersonRow | None, agency: AgencyPeople, level: int) -> PersonRow | None:
    """Who acts at `level` for a side: up the person's line, or the agency's first at that level."""
    current = person
    while current is not None and current.level < level:
        current = current.manager
    if current is not None:
        return current
    found = agency.at_level(level)
    return found[0] if found else None


JOB_TITLES = {
    1: "Practitioner",
    2: "Team manager",
    3: "Service manager",
    4: "Head of service",
}
BODY_TAIL = f"{SIGN_IN}\nhttps://escalate.example.org/escalations/"
DISCUSSION_DATA = json.dumps(
    {"with_whom": "The respondent and their manager", "method": "phone", "outcome": "No agreement"}
)
