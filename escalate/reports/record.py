"""The record for the child's file: its content, built once.

The PDF, the Word file, the API's record endpoint and the escalation page all render what
`build_record` returns, so the formats cannot drift. The builder is generic over chronology
entry kinds: a kind it has no label for is still shown, with every fact its data holds.
Havering 004 §3.1: "actions and decisions must be recorded in writing on the child's file".
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from django.utils import timezone
from pydantic import BaseModel, ConfigDict

from escalate.directory.models import Agency, Person
from escalate.escalations.models import (
    ChronologyEntry,
    EntryKind,
    Escalation,
    Panel,
    Part,
)
from escalate.escalations.selectors import without_hidden_links
from escalate.evidence.selectors import escalation_evidence
from escalate.policies.calendar import govuk_date, govuk_date_time
from escalate.policies.schema import Event, PolicySpec

# --- the content -------------------------------------------------------------------------------


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class RecordFact(Frozen):
    """One labelled fact (a row of a two-column table). Never empty: empty facts are left out."""

    key: str
    label: str
    value: str


class RecordEntry(Frozen):
    """One chronology entry with everything it holds."""

    id: int
    kind: str
    title: str
    occurred_at: datetime
    when: str
    recorded_by: str
    facts: list[RecordFact]
    # The label of `recorded_by`: "Recorded by", or what they did for which side ("Proposed by
    # the respondent's side").
    by_label: str = "Recorded by"


class RecordStage(Frozen):
    key: str
    name: str
    facts: list[RecordFact]
    entries: list[RecordEntry]


class RecordPerson(Frozen):
    name: str
    job_title: str
    agency: str
    parts: list[str]


class RecordAction(Frozen):
    description: str
    owner: str
    due_on: date
    due: str
    agreed: str
    status: str


class RecordNotice(Frozen):
    occurred_at: datetime
    when: str
    stage: str
    what: str
    who: list[str]


class RecordEvidence(Frozen):
    id: int
    name: str
    file_type: str
    added_by: str
    added_at: datetime
    when: str


class RecordPanel(Frozen):
    facts: list[RecordFact]
    members: list[RecordPerson]
    representations: list[RecordEntry]


class RecordCopy(Frozen):
    when: str
    by: str
    what: str


class Record(Frozen):
    """Everything the record for the child's file holds, in the order it is read."""

    reference: str
    title: str
    partnership: str
    policy: str
    status: str
    made_at: datetime
    concern: list[RecordFact]
    people: list[RecordPerson]
    stages: list[RecordStage]
    panel: RecordPanel | None
    outcome: list[RecordFact]
    actions: list[RecordAction]
    told: list[RecordNotice]
    evidence: list[RecordEvidence]
    copies: list[RecordCopy]

    @property
    def filename_stem(self) -> str:
        return f"escalation-{self.reference}"


# --- wording -----------------------------------------------------------------------------------

# What an entry's text is, by kind (the text is the entry's main content).
TEXT_LABELS: dict[str, str] = {
    "raised": "Details",
    "discussion": "What was said",
    "rationale_requested": "Question asked",
    "rationale": "Rationale given",
    "escalated": "Why it went to the next stage",
    "paused": "Why it was paused",
    "resumed": "Why it was resumed",
    "resolved": "Decision",
    "withdrawn": "Why it was withdrawn",
    "representation": "Representation",
    "panel_decision": "Decision",
    "action_added": "Action",
    "view": "View",
    "correction": "Correction",
    "urgent_guidance": "Guidance shown",
    "resolution_proposed": "Proposed resolution",
    "resolution_declined": "Why it was declined",
    "resolution_unanswered": "What happened",
    "rationale_lapsed": "What happened",
    "reopened": "Why it was reopened",
    "timescale_changed": "Why the due date changed",
    "reassigned": "Why the part was reassigned",
    "tier_up": "Why it went to the next tier",
    "form_attached": "What was prepared",
}

# Labels for the facts an entry's data holds; keys not listed here get a label made from the key.
DATA_LABELS: dict[str, str] = {
    "held_on": "Date of the discussion",
    "with_whom": "Who took part",
    "method": "How it was held",
    "outcome": "Outcome",
    "agency": "Agency",
    "decided_by": "Decided by",
    "learning": "Learning",
    "learning_themes": "Learning themes",
    "started_at_later_stage_reason": "Why it started at this stage",
    "due_on": "Due",
    "due_at": "Due",
    "owner": "Owner",
    "note": "Note",
    "from": "From",
    "to": "To",
    "stage": "Stage",
    "members": "Members",
    "agencies": "Agencies",
    "actions": "Actions agreed",
    "paused_seconds": "Time paused",
    "protective_actions": "Already done to protect them",
    "protective_action": "What was done, and why",
    "agreed_by": "Agreed by (a manager on the raiser's side)",
    "review_on": "Review on",
    "answer_due_at": "Answer due by",
    "proposed_actions": "Actions proposed",
    "proposed_by": "Proposed by",
    "accepted_proposal_of": "Proposed by (accepted when no answer came in time)",
    "members_present": "Members who took part",
    "handled_reason": "Why members who already handled it sit on the panel",
    "grounds": "Grounds",
    "part": "Part",
    "from_person": "Held until now by",
    "to_person": "Now held by",
    "tier": "Tier of management",
}

# Labels that differ by entry kind: (kind, key) -> label.
KIND_DATA_LABELS: dict[tuple[str, str], str] = {
    ("rationale_requested", "due_at"): "Rationale due by",
    ("rationale_lapsed", "due_at"): "Rationale was due by",
    ("timescale_changed", "from"): "Was due",
    ("timescale_changed", "to"): "Now due",
}

# How each side is named to a reader (never the stored "raiser" / "respondent").
SIDE_WORDS = {"raiser": "the raiser's side", "respondent": "the respondent's side"}
# What a side did with a proposed resolution, by entry kind (the fact's label).
SIDE_VERBS = {
    "resolution_proposed": "Proposed by",
    "resolution_accepted": "Accepted by",
    "resolution_declined": "Declined by",
}

# Keys that are internal identifiers, shown elsewhere, or duplicates of another fact.
HIDDEN_DATA = frozenset(
    {
        "action_id",
        "agency_id",
        "event_key",
        "event",
        "recipients",
        "owner_id",
        "form",
        # Counts of what the record lists in full elsewhere (the actions, the panel's members).
        "actions",
        "handled",
    }
)
# Keys hidden for one kind of entry only: what its text already says.
HIDDEN_FOR_KIND = frozenset(
    {
        ("resolution_unanswered", "outcome"),  # "No answer by ...: it goes to ..."
        ("form_attached", "title"),  # "... prepared for ... on ..."
    }
)


def _methods() -> dict[str, str]:
    from escalate.escalations.actions import DISCUSSION_METHODS

    return dict(DISCUSSION_METHODS)


def _choice_words(spec: PolicySpec) -> dict[str, dict[str, str]]:
    """Stored choices a reader knows by their words, by data key."""
    from escalate.escalations.actions import PARTS_TO_REASSIGN, REOPEN_GROUNDS

    return {
        "method": _methods(),
        "part": dict(PARTS_TO_REASSIGN),
        "grounds": dict(REOPEN_GROUNDS),
        "protective_actions": dict(spec.urgent.protective_action_choices),
        "proposed_by": SIDE_WORDS,
    }


# Entry kinds shown in their own section rather than under the stage, so nothing appears twice.
KINDS_ELSEWHERE = frozenset(
    {EntryKind.NOTIFICATION, EntryKind.ACTION_ADDED, EntryKind.ACTION_DONE, "representation"}
)


def kind_title(kind: str) -> str:
    with contextlib.suppress(ValueError):
        return str(EntryKind(kind).label)
    return kind.replace("_", " ").capitalize()


def event_title(event: str) -> str:
    """What a notice was about, in the words the timeline uses for the same thing."""
    with contextlib.suppress(ValueError):
        return str(EntryKind(event).label)
    with contextlib.suppress(ValueError):
        return Event(event).value.replace("_", " ").capitalize()
    return event.replace("_", " ").capitalize()


def when(moment: datetime | date | None, *, time: bool = True) -> str:
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        return govuk_date_time(moment) if time else govuk_date(moment)
    return govuk_date(moment)


def person_label(person: Person | None) -> str:
    if person is None:
        return "Escalate (automatic)"
    agency = person.agency.name if person.agency_id and person.agency else ""
    return ", ".join(part for part in (person.full_name, person.job_title, agency) if part)


def _duration(seconds: int) -> str:
    hours = seconds // 3600
    if hours >= 24:
        days = hours // 24
        return f"{days} day{'s' if days != 1 else ''}"
    if hours >= 1:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    minutes = max(1, seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


class Names:
    """Turns stored keys (stages, agencies, categories) into what a reader knows them by."""

    def __init__(self, spec: PolicySpec, agencies: Mapping[int, str]) -> None:
        self.stages = {stage.key: stage.name for stage in spec.stages}
        self.categories = {category.key: category.name for category in spec.categories}
        self.agencies = agencies
        self.entries: dict[int, str] = {}  # an entry's id -> what a reader calls it
        self.people: dict[int, str] = {}  # a person's id -> name, job title, agency
        self.choices = _choice_words(spec)

    def stage(self, key: str) -> str:
        return self.stages.get(key, key.replace("_", " ").capitalize())

    def proposed_action(self, row: Mapping[str, Any]) -> str:
        """One action a proposal holds: what, whose (name, job title, agency) and when due."""
        owner = row.get("owner_id")
        whose = self.people.get(owner, "") if isinstance(owner, int) else ""
        whose = whose or str(row.get("owner", ""))
        due = self.value("due_on", row.get("due_on"))
        words = str(row.get("description", "")).strip()
        if whose:
            words += f" (owner: {whose}"
            words += f", due {due})" if due else ")"
        elif due:
            words += f" (due {due})"
        return words

    def value(self, key: str, value: Any) -> str:
        if value is None or value == "" or value == [] or value == {}:
            return ""
        if isinstance(value, bool):
            return "Yes" if value else "No"
        if key == "paused_seconds" and isinstance(value, int):
            return _duration(value)
        if key in ("from", "to", "stage", "from_stage", "to_stage", "stage_key"):
            return self.stage(str(value))
        if key in self.choices and isinstance(value, str):
            words = self.choices[key].get(value, value)
            return words[:1].upper() + words[1:]
        if key in self.choices and isinstance(value, list):
            return "; ".join(self.choices[key].get(str(v), str(v)) for v in value)
        if key == "members_present" and isinstance(value, list):
            return "; ".join(
                self.people.get(v, "a former panel member") for v in value if isinstance(v, int)
            )
        if key == "proposed_actions" and isinstance(value, list):
            return "; ".join(self.proposed_action(row) for row in value if isinstance(row, dict))
        if key == "decided_by" and isinstance(value, str):
            return value[:1].upper() + value[1:]
        if key == "agencies" and isinstance(value, list):
            return ", ".join(
                self.agencies.get(v, str(v)) if isinstance(v, int) else str(v) for v in value
            )
        if isinstance(value, list):
            return ", ".join(self.value(key, item) for item in value if item not in (None, ""))
        if isinstance(value, dict):
            parts = [
                f"{DATA_LABELS.get(k, k.replace('_', ' '))}: {self.value(k, v)}"
                for k, v in value.items()
                if self.value(k, v)
            ]
            return "; ".join(parts)
        text = str(value)
        if isinstance(value, str) and len(text) in (10, 25, 32) and text[:4].isdigit():
            with contextlib.suppress(ValueError):
                return (
                    when(date.fromisoformat(text))
                    if len(text) == 10
                    else when(datetime.fromisoformat(text))
                )
        return text


def facts(rows: Iterable[tuple[str, str, str]]) -> list[RecordFact]:
    """The facts that have a value (no empty rows), first of each label only (nothing twice)."""
    seen: set[str] = set()
    result = []
    for key, label, value in rows:
        value = value.strip()
        if value and label not in seen:
            seen.add(label)
            result.append(RecordFact(key=key, label=label, value=value))
    return result


def entry_facts(entry: ChronologyEntry, names: Names) -> list[RecordFact]:
    """Every fact one entry holds: its text under the kind's label, then each data value."""
    data = entry.data if isinstance(entry.data, dict) else {}
    rows: list[tuple[str, str, str]] = []
    if entry.text:
        rows.append(("text", TEXT_LABELS.get(entry.kind, "Details"), entry.text))
    # Known facts in a reader's order, then any others by name (JSONB keeps no key order).
    order = {key: index for index, key in enumerate(DATA_LABELS)}
    for key, value in sorted(data.items(), key=lambda item: (order.get(item[0], 999), item[0])):
        if key in HIDDEN_DATA or (entry.kind, key) in HIDDEN_FOR_KIND or key == "side":
            continue
        if key == "raiser_manager_agrees" and data.get("agreed_by"):
            continue  # the manager who agreed is named
        label = KIND_DATA_LABELS.get(
            (entry.kind, key), DATA_LABELS.get(key, key.replace("_", " ").capitalize())
        )
        if entry.kind == "timescale_changed" and key in ("from", "to"):
            rows.append((key, label, names.value("due_at", value)))
            continue
        if entry.kind == "panel_convened" and key in ("members", "agencies"):
            continue  # the panel section lists the members and agencies by name
        if key == "stage" and value == entry.stage_key:
            continue  # the entry is shown under its stage
        rows.append((key, label, names.value(key, value)))
    if entry.corrects_id is not None:
        rows.append(("corrects", "Corrects", names.entries.get(entry.corrects_id, "an entry")))
    return facts(rows)


# Facts an entry's heading carries instead of a row: a discussion's date is when it happened.
IN_THE_HEADING = frozenset({"held_on"})


def build_entry(entry: ChronologyEntry, names: Names) -> RecordEntry:
    data = entry.data if isinstance(entry.data, dict) else {}
    held_on = data.get("held_on")
    moment = when(entry.occurred_at)
    if entry.kind == EntryKind.DISCUSSION and isinstance(held_on, str):
        with contextlib.suppress(ValueError):
            moment = when(date.fromisoformat(held_on))
    side = data.get("side")
    by_label = "Recorded by"
    if entry.kind in SIDE_VERBS and side in SIDE_WORDS:
        # "Proposed by the respondent's side: <name, job title, agency>"
        by_label = f"{SIDE_VERBS[entry.kind]} {SIDE_WORDS[side]}"
    return RecordEntry(
        by_label=by_label,
        id=entry.pk,
        kind=entry.kind,
        title=kind_title(entry.kind),
        occurred_at=entry.occurred_at,
        when=moment,
        recorded_by=person_label(entry.actor),
        facts=[fact for fact in entry_facts(entry, names) if fact.key not in IN_THE_HEADING],
    )


# --- the builder -------------------------------------------------------------------------------


def build_record(escalation: Escalation, viewer: Person | None = None) -> Record:
    """The record of `escalation`. The caller has already checked the person may see it; with
    `viewer`, the entries about a removed link to an escalation they may not see are left out
    (`without_hidden_links`). Without, every entry: the business unit's subject access."""
    spec: PolicySpec = escalation.policy_version.spec
    agencies = {
        agency.pk: agency.name
        for agency in Agency.objects.filter(partnership=escalation.partnership_id)
    }
    names = Names(spec, agencies)
    chronology = without_hidden_links(
        list(
            escalation.chronology.select_related("actor", "actor__agency").order_by(
                "occurred_at", "recorded_at", "pk"
            )
        ),
        viewer,
    )
    names.entries = {
        entry.pk: f"{kind_title(entry.kind)} of {when(entry.occurred_at)}" for entry in chronology
    }
    names.people = _people_named(escalation, chronology)
    outcome = _outcome(escalation, chronology)
    stages = _without(_stages(escalation, chronology, names), outcome)
    return Record(
        reference=escalation.reference,
        title=f"Escalation record {escalation.reference}",
        partnership=escalation.partnership.name,
        policy=spec.name,
        status=escalation.get_status_display(),
        made_at=timezone.now(),
        concern=_concern(escalation, names),
        people=_people(escalation),
        stages=stages,
        panel=_panel(escalation, chronology, names),
        outcome=outcome,
        actions=_actions(escalation, names),
        told=_told(chronology, names),
        evidence=_evidence(escalation),
        copies=_copies(escalation, spec),
    )


def _people_named(escalation: Escalation, chronology: list[ChronologyEntry]) -> dict[int, str]:
    """The people an entry's data names by id (a proposal's action owners, the panel members
    present), as a reader knows them: name, job title and agency."""
    ids: set[int] = set()
    for entry in chronology:
        data = entry.data if isinstance(entry.data, dict) else {}
        present = data.get("members_present")
        if isinstance(present, list):
            ids |= {pk for pk in present if isinstance(pk, int)}
        proposed = data.get("proposed_actions")
        for row in proposed if isinstance(proposed, list) else []:
            if isinstance(row, dict) and isinstance(row.get("owner_id"), int):
                ids.add(row["owner_id"])
    if not ids:
        return {}
    people = Person.objects.filter(
        partnership_id=escalation.partnership_id, pk__in=ids
    ).select_related("agency")
    return {person.pk: person_label(person) for person in people}


def _without(stages: list[RecordStage], outcome: list[RecordFact]) -> list[RecordStage]:
    """Closing entries, and the proposal that became the outcome, less what the Outcome
    section already says, and a resolution by agreement less the proposal's words it repeats
    (nothing twice)."""
    said = {fact.value for fact in outcome if fact.key != "status"}
    closing = (EntryKind.RESOLVED, EntryKind.PANEL_DECISION)
    proposed: dict[str, str] = {}  # a proposal's words -> when it was proposed

    def once(entry: RecordEntry) -> RecordEntry:
        kept = []
        for fact in entry.facts:
            if entry.kind == EntryKind.RESOLUTION_PROPOSED:
                if fact.key == "text":
                    proposed[fact.value] = entry.when
                if fact.value in said:
                    if fact.key == "text":
                        kept.append(fact.model_copy(update={"value": "Under Outcome, below"}))
                    continue
            elif entry.kind in closing:
                if fact.value in said:
                    continue
                if fact.key == "text" and fact.value in proposed:
                    words = f"The resolution proposed on {proposed[fact.value]}, above"
                    kept.append(fact.model_copy(update={"value": words}))
                    continue
            kept.append(fact)
        return entry.model_copy(update={"facts": kept})

    return [
        stage.model_copy(update={"entries": [once(entry) for entry in stage.entries]})
        for stage in stages
    ]


def _concern(escalation: Escalation, names: Names) -> list[RecordFact]:
    subject = escalation.get_subject_kind_display()
    circumstances = [
        label
        for flag, label in (
            (escalation.cp_plan, "Child protection plan"),
            (escalation.looked_after, "Looked after"),
            (escalation.cp_conference, "Child protection conference"),
            (escalation.immediate_harm, "Risk of immediate harm"),
        )
        if flag
    ]
    return facts(
        [
            ("reference", "Reference", escalation.reference),
            ("raised_at", "Raised", when(escalation.raised_at)),
            ("status", "Status", escalation.get_status_display()),
            ("raised_by", "Raised by", person_label(escalation.raised_by)),
            ("raiser_agency", "Raising agency", escalation.raiser_agency.name),
            ("respondent", "Decision challenged by", escalation.respondent_display),
            (
                "respondent_agency",
                "Agency whose decision is challenged",
                escalation.respondent_agency.name,
            ),
            ("subject_name", f"{subject}'s name", escalation.subject_name),
            ("subject_date_of_birth", "Date of birth", when(escalation.subject_date_of_birth)),
            ("case_references", "Case references", escalation.case_references),
            ("circumstances", "Circumstances", ", ".join(circumstances)),
            (
                "categories",
                "Categories",
                ", ".join(names.categories.get(key, key) for key in escalation.categories),
            ),
            ("disputed", "What is disputed", escalation.disputed),
            ("risk", f"Risk to the {subject.lower()}", escalation.risk),
            ("outcome_wanted", "Outcome wanted", escalation.outcome_wanted),
            ("already_tried", "Already tried", escalation.already_tried),
            (
                "started_at_later_stage_reason",
                "Why it started at a later stage",
                escalation.started_at_later_stage_reason,
            ),
        ]
    )


def _people(escalation: Escalation) -> list[RecordPerson]:
    rows: dict[int, tuple[Person, list[str]]] = {}
    participants = escalation.participants.select_related("person", "person__agency").order_by(
        "added_at", "pk"
    )
    for participant in participants:
        _, parts = rows.setdefault(participant.person_id, (participant.person, []))
        label = (
            str(Part(participant.part).label)
            if participant.part in Part.values
            else participant.part
        )
        if label not in parts:
            parts.append(label)
    return [
        RecordPerson(
            name=person.full_name,
            job_title=person.job_title,
            agency=person.agency.name if person.agency else "",
            parts=parts,
        )
        for person, parts in rows.values()
    ]


def _stages(
    escalation: Escalation, chronology: list[ChronologyEntry], names: Names
) -> list[RecordStage]:
    blocks = []
    records = list(escalation.stages.order_by("index"))
    people: dict[str, list[str]] = {}
    for participant in escalation.participants.select_related("person", "person__agency"):
        if participant.stage_key:
            people.setdefault(participant.stage_key, []).append(person_label(participant.person))
    for record in records:
        outcome = record.get_outcome_display() if record.outcome else ""
        if not record.ended_at:
            outcome = "Paused" if record.paused_at else "In progress"
        blocks.append(
            RecordStage(
                key=record.stage_key,
                name=names.stage(record.stage_key),
                facts=facts(
                    [
                        ("started_at", "Started", when(record.started_at)),
                        ("due_at", "Due", when(record.due_at)),
                        ("ended_at", "Ended", when(record.ended_at)),
                        ("outcome", "Outcome", outcome),
                        (
                            "paused",
                            "Time paused",
                            _duration(record.paused_seconds) if record.paused_seconds else "",
                        ),
                        ("paused_at", "Paused since", when(record.paused_at)),
                        (
                            "people",
                            "People brought in at this stage",
                            "; ".join(dict.fromkeys(people.get(record.stage_key, []))),
                        ),
                    ]
                ),
                entries=[
                    build_entry(entry, names)
                    for entry in chronology
                    if entry.stage_key == record.stage_key and entry.kind not in KINDS_ELSEWHERE
                ],
            )
        )
    known = {record.stage_key for record in records}
    strays = [e for e in chronology if e.stage_key not in known and e.kind not in KINDS_ELSEWHERE]
    if strays:
        blocks.append(
            RecordStage(
                key="",
                name="Other entries",
                facts=[],
                entries=[build_entry(entry, names) for entry in strays],
            )
        )
    return blocks


def _panel(
    escalation: Escalation, chronology: list[ChronologyEntry], names: Names
) -> RecordPanel | None:
    panel = Panel.objects.filter(escalation=escalation).select_related("convened_by").first()
    if panel is None:
        return None
    members = [
        RecordPerson(
            name=member.full_name,
            job_title=member.job_title,
            agency=member.agency.name if member.agency else "",
            parts=[str(Part.PANEL_MEMBER.label)],
        )
        for member in panel.members.select_related("agency").order_by("full_name", "pk")
    ]
    return RecordPanel(
        facts=facts(
            [
                ("convened_at", "Convened", when(panel.convened_at)),
                ("convened_by", "Convened by", person_label(panel.convened_by)),
                (
                    "agencies",
                    "Agencies on the panel",
                    ", ".join(agency.name for agency in panel.agencies.order_by("name")),
                ),
                ("decided_at", "Decided", when(panel.decided_at)),
            ]
        ),
        members=members,
        representations=[
            build_entry(entry, names) for entry in chronology if entry.kind == "representation"
        ],
    )


def _outcome(escalation: Escalation, chronology: list[ChronologyEntry]) -> list[RecordFact]:
    closing = next(
        (
            entry
            for entry in reversed(chronology)
            if entry.kind in (EntryKind.RESOLVED, EntryKind.PANEL_DECISION, EntryKind.WITHDRAWN)
        ),
        None,
    )
    return facts(
        [
            (
                "status",
                "Outcome",
                escalation.get_status_display()
                if escalation.closed_at
                else f"Not decided yet: it is {escalation.get_status_display().lower()}",
            ),
            ("closed_at", "Closed", when(escalation.closed_at)),
            ("decision", "Decision", escalation.decision),
            ("decided_by", "Decided by", escalation.decided_by_text),
            ("recorded_by", "Recorded by", person_label(closing.actor) if closing else ""),
            ("learning", "Learning", escalation.learning),
            ("learning_themes", "Learning themes", ", ".join(escalation.learning_themes)),
        ]
    )


def _actions(escalation: Escalation, names: Names) -> list[RecordAction]:
    rows = []
    today = timezone.localdate()
    actions = escalation.actions.select_related(
        "owner", "owner__agency", "created_by", "done_by"
    ).order_by("due_on", "pk")
    for action in actions:
        if action.done_at:
            status = f"Done {when(action.done_at, time=False)}"
            if action.done_by:
                status += f" by {action.done_by.full_name}"
            if action.done_note:
                status += f": {action.done_note}"
        else:
            status = "Overdue" if action.due_on < today else "Not done yet"
        rows.append(
            RecordAction(
                description=action.description,
                owner=person_label(action.owner),
                due_on=action.due_on,
                due=when(action.due_on),
                agreed=f"{when(action.created_at, time=False)} by {action.created_by.full_name}",
                status=status,
            )
        )
    return rows


def _told(chronology: list[ChronologyEntry], names: Names) -> list[RecordNotice]:
    rows = []
    for entry in chronology:
        if entry.kind != EntryKind.NOTIFICATION:
            continue
        data = entry.data if isinstance(entry.data, dict) else {}
        recipients = data.get("recipients") or []
        who = [
            str(r.get("label", "")) for r in recipients if isinstance(r, dict) and r.get("label")
        ]
        if not who and entry.text:
            who = [entry.text.removeprefix("Told: ")]
        rows.append(
            RecordNotice(
                occurred_at=entry.occurred_at,
                when=when(entry.occurred_at),
                stage=names.stage(entry.stage_key) if entry.stage_key else "",
                what=event_title(str(data.get("event", ""))) or "Notice",
                who=who,
            )
        )
    return rows


def _evidence(escalation: Escalation) -> list[RecordEvidence]:
    attachments = escalation_evidence(escalation)
    return [
        RecordEvidence(
            id=attachment.pk,
            name=attachment.name,
            file_type=attachment.content_type,
            added_by=person_label(attachment.uploaded_by),
            added_at=attachment.uploaded_at,
            when=when(attachment.uploaded_at),
        )
        for attachment in attachments
    ]


def _copies(escalation: Escalation, spec: PolicySpec) -> list[RecordCopy]:
    """Every copy of this record and of its forms made so far (from the audit trail)."""
    from escalate.audit.models import AuditEvent

    events = (
        AuditEvent.objects.filter(
            partnership_id=escalation.partnership_id,
            object_reference=escalation.reference,
            action__startswith="export_",
        )
        .select_related("actor", "actor__agency")
        .order_by("occurred_at", "pk")
    )
    forms = {form.kind.value: form.title for form in spec.forms}
    return [
        RecordCopy(
            when=when(event.occurred_at),
            by=person_label(event.actor) if event.actor else event.actor_label,
            what=export_title(event.action, forms),
        )
        for event in events
    ]


def export_title(action: str, forms: Mapping[str, str]) -> str:
    """What an export was, in words: the record's format, or the form's title."""
    if action in EXPORT_TITLES:
        return EXPORT_TITLES[action]
    for prefix, words in (
        ("export_attached_form_", " (as made at the referral)"),
        ("export_form_", ""),
    ):
        if action.startswith(prefix):
            kind = action.removeprefix(prefix)
            return forms.get(kind, kind.replace("_", " ").capitalize()) + words
    return action.removeprefix("export_").replace("_", " ").capitalize()


EXPORT_TITLES = {
    "export_escalation_record_pdf": "Record (PDF)",
    "export_escalation_record_docx": "Record (Word)",
    "export_escalation_record_json": "Record (API, JSON)",
}
