"""An escalation taken through every kind of chronology entry, and how to read the files back."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from docx import Document
from pypdf import PdfReader

from escalate.directory.models import Person
from escalate.directory.tests.factories import PersonFactory
from escalate.escalations import services
from escalate.escalations.models import ChronologyEntry, EntryKind, Escalation
from escalate.escalations.services import ActionSpec
from escalate.escalations.tests.factories import World, make_world
from escalate.evidence.services import attach_evidence
from escalate.reports.record import HIDDEN_DATA, HIDDEN_FOR_KIND, Record, when

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

NOTIFY_EVERYONE = [
    {"on": "raised", "notify": ["respondent", "stage_participants"]},
    {"on": "stage_entered", "notify": ["stage_participants"]},
    {"on": "stage_entered", "notify": ["iro"], "when_any": ["cp_plan"]},
    {"on": "resolved", "notify": ["raiser", "respondent", "business_team"]},
]


def full_world() -> World:
    return make_world(notifications=NOTIFY_EVERYONE, access_roles=["business_manager"])


def pass_due(entry: ChronologyEntry, key: str) -> None:
    """Time passes: the date `key` of the entry is a minute ago."""
    data = dict(entry.data) | {key: (timezone.now() - timedelta(minutes=1)).isoformat()}
    ChronologyEntry.objects.filter(pk=entry.pk).update(data=data)


def _fresh(escalation: Escalation) -> Escalation:
    escalation.refresh_from_db()
    return escalation


def every_kind(world: World) -> Escalation:
    """Raised with a CP plan, then every kind of entry, through all four stages and a panel."""
    escalation = services.raise_escalation(
        by=world.teacher,
        details=world.details(
            subject_name="Robin Example",
            cp_plan=True,
            allocated_iro=world.iro,  # the child's own IRO (only they are told)
            case_references="CS-0001",
            already_tried="A phone call to the duty desk.",
        ),
    )
    services.request_rationale(
        escalation=escalation,
        by=world.teacher,
        expected_version=escalation.version,
        message="Why was the referral closed without a visit?",
    )
    escalation = _fresh(escalation)
    services.give_rationale(
        escalation=escalation,
        by=world.social_worker,
        expected_version=escalation.version,
        rationale="The threshold for a statutory assessment was not met.",
    )
    escalation = _fresh(escalation)
    discussion = services.record_discussion(
        escalation=escalation,
        by=world.teacher,
        expected_version=escalation.version,
        held_on=timezone.localdate(),
        with_whom="Sam Worker, social worker",
        method="video",
        summary="We talked about the home visit that did not happen.",
        outcome="Not agreed: the case stays closed.",
    )
    services.correct_entry(
        entry=discussion, by=world.teacher, correction="The call was on Teams, not by phone."
    )
    escalation = _fresh(escalation)
    services.pause_escalation(
        escalation=escalation,
        by=world.teacher,
        expected_version=escalation.version,
        reason="Waiting for the health visitor's report.",
    )
    escalation = _fresh(escalation)
    services.resume_escalation(
        escalation=escalation,
        by=world.teacher,
        expected_version=escalation.version,
        reason="The report arrived.",
    )
    escalation = _fresh(escalation)
    return _up_to_a_panel_decision(world, escalation, from_stage=1)


def _up_to_a_panel_decision(world: World, escalation: Escalation, from_stage: int) -> Escalation:
    """From `from_stage`, escalated without agreement to Stage 4, where an action is given and
    done, evidence attached, a panel convened, hears a representation and decides."""
    deciders = {1: world.teacher, 2: world.dsl, 3: world.head}
    for number in range(from_stage, 4):
        services.escalate_to_next_stage(
            escalation=escalation,
            by=deciders[number],
            expected_version=escalation.version,
            reason=f"No agreement at stage {number}.",
        )
        escalation = _fresh(escalation)
    services.add_view(escalation=escalation, by=world.iro, view="The plan needs the visit.")
    action = services.add_action(
        escalation=escalation,
        by=world.chair,
        owner=world.team_manager,
        description="Share the core group minutes",
        due_on=timezone.localdate() + timedelta(days=3),
    )
    services.complete_action(action=action, by=world.team_manager, note="Sent on Monday.")
    attach_evidence(
        escalation=_fresh(escalation),
        by=world.teacher,
        upload=SimpleUploadedFile("attendance-log.png", PNG_BYTES, content_type="image/png"),
    )
    escalation = _fresh(escalation)
    services.convene_panel(
        escalation=escalation,
        by=world.chair,
        expected_version=escalation.version,
        members=[world.head, world.service_manager, world.nurse],
        handled_reason="They managed it at an earlier stage and know the case.",
    )
    escalation = _fresh(escalation)
    services.record_representation(
        escalation=escalation,
        by=world.team_manager,
        expected_version=escalation.version,
        agency=world.csc,
        summary="Our threshold decision was sound.",
    )
    escalation = _fresh(escalation)
    return services.record_panel_decision(
        escalation=escalation,
        by=world.chair,
        expected_version=escalation.version,
        members_present=[world.head, world.service_manager, world.nurse],
        decision="Children's social care will visit within 10 days.",
        learning="Share threshold reasons in writing.",
        learning_themes=["communication"],
        actions=[
            ActionSpec(
                owner=world.service_manager,
                description="Visit the family",
                due_on=timezone.localdate() + timedelta(days=10),
            )
        ],
    )


def _discuss(
    world: World, escalation: Escalation, by: Person, said: str, outcome: str
) -> Escalation:
    services.record_discussion(
        escalation=escalation,
        by=by,
        expected_version=escalation.version,
        held_on=timezone.localdate(),
        with_whom="Sam Worker, social worker",
        method="video",
        summary=said,
        outcome=outcome,
    )
    return _fresh(escalation)


def every_entry_kind(world: World) -> Escalation:
    """One escalation through every kind of chronology entry: raised for a child at risk of
    immediate harm (with the protective action taken), a rationale not given by its date and one
    given, a discussion and its correction, a pause and its resumption, a proposed resolution
    declined, one accepted, reopening, a proposal left unanswered, a due date changed, a part
    reassigned, the Stage 4 referral (the Board Chair's details attached), a view,
    actions, evidence, the panel with a representation, and its decision."""
    escalation = services.raise_escalation(
        by=world.teacher,
        details=world.details(
            subject_name="Robin Example",
            cp_plan=True,
            allocated_iro=world.iro,
            case_references="CS-0001",
            already_tried="A phone call to the duty desk.",
            immediate_harm=True,
            urgent_guidance_shown=True,
            protective_actions=["dsl_told"],
            protective_action="Our DSL rang the police at 9am.",
        ),
    )
    asked = services.request_rationale(
        escalation=escalation,
        by=world.teacher,
        expected_version=escalation.version,
        message="Why was the referral closed without a visit?",
    )
    pass_due(asked, "due_at")
    services.record_silence(escalation=_fresh(escalation))
    escalation = _fresh(escalation)
    services.request_rationale(
        escalation=escalation,
        by=world.teacher,
        expected_version=escalation.version,
        message="Please explain the threshold decision.",
    )
    escalation = _fresh(escalation)
    services.give_rationale(
        escalation=escalation,
        by=world.social_worker,
        expected_version=escalation.version,
        rationale="The threshold for a statutory assessment was not met.",
    )
    escalation = _discuss(
        world,
        _fresh(escalation),
        world.teacher,
        "We talked about the visit.",
        "Not agreed: the case stays closed.",
    )
    discussion = escalation.chronology.filter(kind=EntryKind.DISCUSSION).latest("pk")
    services.correct_entry(
        entry=discussion, by=world.teacher, correction="The call was on Teams, not by phone."
    )
    escalation = _fresh(escalation)
    services.pause_escalation(
        escalation=escalation,
        by=world.teacher,
        expected_version=escalation.version,
        reason="Waiting for the health visitor's report.",
        agreed_by=world.dsl,
    )
    escalation = _fresh(escalation)
    services.resume_escalation(
        escalation=escalation,
        by=world.teacher,
        expected_version=escalation.version,
        reason="The report arrived.",
    )
    escalation = _fresh(escalation)
    services.propose_resolution(
        escalation=escalation,
        by=world.social_worker,
        expected_version=escalation.version,
        decision="No further action; the file is closed.",
    )
    escalation = _fresh(escalation)
    services.decline_resolution(
        escalation=escalation,
        by=world.teacher,
        expected_version=escalation.version,
        reason="Closing the file leaves the child without a plan.",
    )
    escalation = _fresh(escalation)
    services.propose_resolution(
        escalation=escalation,
        by=world.social_worker,
        expected_version=escalation.version,
        decision="A social worker visits the family this week.",
        learning="Visit before closing a referral.",
        learning_themes=["thresholds"],
        actions=[
            ActionSpec(
                owner=world.social_worker,
                description="Visit the family at home",
                due_on=timezone.localdate() + timedelta(days=5),
            )
        ],
    )
    escalation = _fresh(escalation)
    escalation = services.accept_resolution(
        escalation=escalation, by=world.teacher, expected_version=escalation.version
    )
    services.reopen_escalation(
        escalation=escalation,
        by=world.teacher,
        expected_version=escalation.version,
        grounds="recurred",
        reason="The child missed school again this week.",
    )
    escalation = _discuss(
        world,
        _fresh(escalation),
        world.teacher,
        "The visit did not happen.",
        "Partly agreed: CSC will review within 10 days.",
    )
    services.escalate_to_next_stage(
        escalation=escalation,
        by=world.teacher,
        expected_version=escalation.version,
        reason="No agreement at stage 1.",
    )
    escalation = _fresh(escalation)
    proposed = services.propose_resolution(
        escalation=escalation,
        by=world.team_manager,
        expected_version=escalation.version,
        decision="A strategy discussion next month.",
    )
    pass_due(proposed, "answer_due_at")
    services.record_silence(escalation=_fresh(escalation))
    escalation = _fresh(escalation)
    services.decline_resolution(
        escalation=escalation,
        by=world.dsl,
        expected_version=escalation.version,
        reason="Next month is too late.",
    )
    escalation = _fresh(escalation)
    services.change_timescale(
        escalation=escalation,
        by=world.team_manager,
        expected_version=escalation.version,
        due_on=timezone.localdate() + timedelta(days=1),
        reason="The child's safety needs a decision tomorrow.",
    )
    escalation = _fresh(escalation)
    Person.objects.filter(pk=world.iro.pk).update(is_away=True)
    cover: Person = PersonFactory(  # type: ignore[assignment]
        agency=world.iro.agency, full_name="Morgan Cover", job_title="IRO (cover)"
    )
    services.reassign_part(
        escalation=escalation,
        by=world.business_manager,
        expected_version=escalation.version,
        part="iro",
        person=cover,
        reason="The IRO is on leave; Morgan covers the case.",
    )
    Person.objects.filter(pk=world.iro.pk).update(is_away=False)
    escalation = _fresh(escalation)
    return _up_to_a_panel_decision(world, escalation, from_stage=2)


def squash(text: str) -> str:
    return " ".join(text.split())


def pdf_text(content: bytes) -> str:
    return squash(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages))


def docx_text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return squash(" ".join(parts))


def record_strings(record: Record) -> list[str]:
    """Every value the record holds that a reader must find in each format."""
    values: list[str] = [record.reference, record.partnership, record.policy]
    values += [fact.value for fact in record.concern + record.outcome]
    for person in record.people:
        values += [person.name, person.job_title, person.agency, *person.parts]
    for stage in record.stages:
        values += [stage.name, *(fact.value for fact in stage.facts)]
        for entry in stage.entries:
            values += [entry.title, entry.when, entry.recorded_by]
            values += [fact.value for fact in entry.facts]
    if record.panel:
        values += [fact.value for fact in record.panel.facts]
        values += [m.name for m in record.panel.members] + [m.agency for m in record.panel.members]
        for entry in record.panel.representations:
            values += [entry.recorded_by, *(fact.value for fact in entry.facts)]
    for action in record.actions:
        values += [action.description, action.owner, action.due, action.agreed, action.status]
    for told in record.told:
        values += [told.when, told.what, *told.who]
    for item in record.evidence:
        values += [item.name, item.file_type, item.added_by, item.when]
    return [squash(value) for value in values if value and value.strip()]


def _as_a_reader_sees_it(value: str) -> str:
    """A stored ISO date or time (a reply's due time, a pause's review date) is shown as a date."""
    if len(value) not in (10, 25, 32):
        return value
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return when(moment.date() if len(value) == 10 else moment)


# Stored values the record shows in a reader's words (a date, a stage's name, a choice's words).
SHOWN_IN_WORDS = frozenset(
    {"held_on", "due_on", "from", "to", "stage", "method", "decided_by", "side", "proposed_by"}
    | {"grounds", "part"}
)


def stored_strings(escalation: Escalation) -> list[str]:
    """What the database holds that the record must show: every entry's text and data."""
    values: list[str] = []
    entry: ChronologyEntry
    for entry in escalation.chronology.all():
        if entry.text and entry.kind != "notification":
            values.append(entry.text)
        for key, value in (entry.data or {}).items():
            if key in HIDDEN_DATA or not isinstance(value, str) or not value:
                continue
            if key in SHOWN_IN_WORDS or (entry.kind, key) in HIDDEN_FOR_KIND:
                continue  # shown formatted (a date, a stage's name, a choice's words)
            values.append(_as_a_reader_sees_it(value))
        for recipient in (entry.data or {}).get("recipients", []):
            values.append(str(recipient["label"]))
    for action in escalation.actions.select_related("owner"):
        values += [action.description, action.owner.full_name]
    for attachment in escalation.attachments.all():
        values.append(attachment.name)
    return [squash(value) for value in values]


def structure_of(content: bytes) -> dict[str, Any]:
    reader = PdfReader(io.BytesIO(content))
    root: Any = reader.trailer["/Root"]
    metadata: Any = reader.metadata or {}
    return {
        "struct_tree": "/StructTreeRoot" in root,
        "marked": bool(root.get("/MarkInfo", {}).get("/Marked")),
        "lang": str(root.get("/Lang", "")),
        "title": metadata.get("/Title", ""),
        "outline": [item.title for item in reader.outline if not isinstance(item, list)],
        "display_title": bool(root.get("/ViewerPreferences", {}).get("/DisplayDocTitle")),
    }
