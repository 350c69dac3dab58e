"""The record's content, built once: every entry with all it holds, in the PDF and Word alike."""

from __future__ import annotations

import contextlib
import io
import re
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from escalate.escalations import services
from escalate.escalations.models import EntryKind, Escalation, Panel
from escalate.escalations.state import state_from_loaded, state_of
from escalate.escalations.tests.factories import ChronologyEntryFactory, World, make_world
from escalate.escalations.workflow import ActionRefused
from escalate.reports import exports
from escalate.reports.record import Record, build_record
from escalate.reports.tests.record_support import (
    docx_text,
    every_entry_kind,
    every_kind,
    full_world,
    pdf_text,
    record_strings,
    squash,
    stored_strings,
    structure_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _evidence_root(settings: pytest.FixtureRequest, tmp_path: Path) -> None:
    settings.EVIDENCE_ROOT = tmp_path / "evidence"  # type: ignore[attr-defined]


def unwrap(value: str) -> str:
    """A narrow column may wrap a value after a hyphen or slash ("attendance- log.png")."""
    return re.sub(r"([-/])\s+", r"\1", value)


def _missing(wanted: list[str], text: str) -> list[str]:
    text = unwrap(text)
    return [value for value in wanted if unwrap(value) not in text]


def test_every_kind_of_entry_is_in_the_record_the_pdf_and_the_word_file() -> None:
    escalation = every_kind(full_world())
    record = build_record(escalation)
    kinds = {entry.kind for entry in escalation.chronology.all()}
    assert kinds >= {
        "raised", "rationale_requested", "rationale", "discussion", "correction", "paused",
        "resumed", "escalated", "view", "action_added", "action_done", "panel_convened",
        "representation", "panel_decision", "notification",
    }  # fmt: skip
    everything = " ".join(record_strings(record))
    assert _missing(stored_strings(escalation), everything) == []
    pdf = exports.escalation_record_pdf(record)
    assert _missing(record_strings(record), pdf_text(pdf)) == []
    assert _missing(record_strings(record), docx_text(exports.escalation_record_docx(record))) == []
    # What the issue names, field by field.
    text = unwrap(pdf_text(pdf))
    for expected in (
        "Sam Worker, social worker",  # who took part in the discussion
        "Video call",  # how
        "We talked about the home visit that did not happen.",  # what was said
        "Not agreed: the case stays closed.",  # outcome
        "Why was the referral closed without a visit?",  # the rationale's question
        "The threshold for a statutory assessment was not met.",  # the answer
        "Waiting for the health visitor's report.",  # why it was paused
        "Our threshold decision was sound.",  # the representation ...
        "Children's social care will visit within 10 days.",  # the decision
        "The Resolution Panel",  # who decided
        "Share threshold reasons in writing.",  # learning
        "communication",  # themes
        "Share the core group minutes",  # an action, with its status:
        "Sent on Monday.",
        "attendance-log.png",  # evidence
        "image/png",
        "Independent Reviewing Officer",
    ):
        assert expected in text, expected
    representation = record.panel.representations[0] if record.panel else None
    assert representation is not None
    assert [fact.value for fact in representation.facts if fact.label == "Agency"] == [
        escalation.respondent_agency.name
    ]


# Kinds this one escalation cannot hold: the next tier of management (its policy gives each stage
# one tier; test_tiers), a link removed (it needs an earlier escalation about the same child;
# the privacy tests), and withdrawn (an escalation that ends with a panel decision was not).
NOT_IN_ONE_ESCALATION = {"tier_up", "link_removed", "withdrawn"}
# Facts whose words someone wrote: each is said once in the record.
WRITTEN = ("text", "learning", "learning_themes", "decision", "outcome", "proposed_actions")


def _written_words(record: Record) -> Counter[str]:
    entries = [entry for stage in record.stages for entry in stage.entries]
    entries += record.panel.representations if record.panel else []
    facts = [fact for entry in entries for fact in entry.facts] + record.outcome + record.concern
    return Counter(fact.value for fact in facts if fact.key in WRITTEN)


def _docx_rows(content: bytes) -> list[list[str]]:
    from docx import Document

    document = Document(io.BytesIO(content))
    return [[cell.text for cell in row.cells] for table in document.tables for row in table.rows]


def test_one_escalation_through_every_kind_of_entry_shows_every_field_once() -> None:
    """Issue 17, point 1: every kind of entry with all it holds, in the PDF and the Word file,
    in words a social worker reads (no stored ids or vocabulary), nothing twice, no empty row."""
    world = full_world()
    escalation = every_entry_kind(world)
    kinds = {entry.kind for entry in escalation.chronology.all()}
    assert set(EntryKind.values) - NOT_IN_ONE_ESCALATION - kinds == set()
    record = build_record(escalation)
    assert _missing(stored_strings(escalation), " ".join(record_strings(record))) == []
    pdf = exports.escalation_record_pdf(record)
    docx = exports.escalation_record_docx(record)
    texts = {"PDF": unwrap(pdf_text(pdf)), "Word": unwrap(docx_text(docx))}
    social_worker = f"{world.social_worker.full_name}, Social worker, {world.csc.name}"
    for name, text in texts.items():
        assert _missing(record_strings(record), text) == [], name
        for expected in (
            # the discussions: who took part, how, what was said, the outcome
            "Sam Worker, social worker",
            "Video call",
            "We talked about the visit.",
            "Not agreed: the case stays closed.",
            "Partly agreed: CSC will review within 10 days.",
            # rationale: the question, "not given by", the answer
            "Why was the referral closed without a visit?",
            "No rationale given by",
            "The threshold for a statutory assessment was not met.",
            # proposals: who proposed for which side, the actions' owners, answers
            f"Proposed by the respondent's side {social_worker}",
            f"Visit the family at home (owner: {social_worker}, due",
            "Declined by the raiser's side",
            "Closing the file leaves the child without a plan.",
            "Accepted by the raiser's side",
            "it goes to the raiser's manager to answer",
            "Agreed by both sides",
            # stages, timescales, pauses, reopening
            "Why it went to the next stage No agreement at stage 1.",
            "Was due",
            "Now due",
            "The child's safety needs a decision tomorrow.",
            "Waiting for the health visitor's report.",
            f"Agreed by (a manager on the raiser's side) {world.dsl.full_name}",
            "The report arrived.",
            "The concern has come back",
            # a part reassigned, and the protective action on immediate harm
            "Part Independent Reviewing Officer",
            f"Held until now by {world.iro.full_name}",
            "Now held by Morgan Cover",
            "Told our designated safeguarding lead",
            "Our DSL rang the police at 9am.",
            # the panel: members, representations with agencies, the decision
            f"{world.nurse.full_name}, {world.nurse.job_title}, {world.health.name}",
            "Our threshold decision was sound.",
            "Children's social care will visit within 10 days.",
            "The Resolution Panel",
            "Share threshold reasons in writing.",
            "communication",
            # actions with owner, due date, status; who was told; evidence
            "Share the core group minutes",
            "Done",
            "Sent on Monday.",
            "Not done yet",
            "Proposed resolution not answered",
            "Due date changed",
            "attendance-log.png",
            "image/png",
        ):
            assert expected in text, (name, expected)
        # Stored vocabulary and ids never reach the reader.
        assert re.findall(r"\b[a-z]+_[a-z_]+\b", text) == [], name
        assert re.findall(r"\d{4}-\d{2}-\d{2}", text) == [], name
        for stored in (
            "owner id",
            "Side:",
            "Side respondent",
            "Side raiser",
            "Proposed by respondent",
        ):
            assert stored not in text, (name, stored)
    # Nothing twice: each thing someone wrote is said once, in the record and in each file.
    written = _written_words(record)
    assert [words for words, count in written.items() if count > 1] == []
    for name, text in texts.items():
        twice = [words for words in written if len(words) > 12 and text.count(unwrap(words)) > 1]
        assert twice == [], name
    # No empty rows.
    _assert_nothing_twice_and_no_empty_rows(record)
    assert [row for row in _docx_rows(docx) if not all(cell.strip() for cell in row)] == []


def test_an_accepted_proposals_learning_is_in_the_record_once() -> None:
    world = full_world()
    escalation = services.raise_escalation(by=world.teacher, details=world.details())
    services.record_discussion(
        escalation=escalation,
        by=world.teacher,
        expected_version=escalation.version,
        held_on=timezone.localdate(),
        with_whom="The social worker",
        method="phone",
        summary="We went through the referral.",
        outcome="We disagree.",
    )
    escalation.refresh_from_db()
    services.propose_resolution(
        escalation=escalation,
        by=world.social_worker,
        expected_version=escalation.version,
        decision="A social worker visits the family this week.",
        learning="Visit before closing a referral.",
        learning_themes=["thresholds"],
    )
    escalation.refresh_from_db()
    resolved = services.accept_resolution(
        escalation=escalation, by=world.teacher, expected_version=escalation.version
    )
    record = build_record(resolved)
    for text in (
        pdf_text(exports.escalation_record_pdf(record)),
        docx_text(exports.escalation_record_docx(record)),
    ):
        for words in (
            "Visit before closing a referral.",
            "A social worker visits the family this week.",
            "thresholds",
        ):
            assert text.count(words) == 1, words


def test_at_a_stage_end_the_raiser_is_sent_the_record_and_the_record_says_so() -> None:
    """Issue 17, point 4, under a shipped policy (Havering 004 §3.1: "shared with relevant
    personnel, to include the worker who raised the initial concern"): when a stage ends the
    raiser and the next stage's people get a notice linking to the record, and the record
    shows who was told and when."""
    from escalate.notifications.models import Notification

    world = make_world(policy_file="havering.yaml")
    spec = world.policy.spec
    escalation = services.raise_escalation(
        by=world.teacher, details=world.details(categories=[spec.categories[0].key])
    )
    services.record_discussion(
        escalation=escalation,
        by=world.teacher,
        expected_version=escalation.version,
        held_on=timezone.localdate(),
        with_whom="The social worker",
        method="phone",
        summary="We went through the referral.",
        outcome="Not agreed.",
    )
    escalation.refresh_from_db()
    escalation = services.escalate_to_next_stage(
        escalation=escalation,
        by=world.teacher,
        expected_version=escalation.version,
        reason="No agreement at the first stage.",
    )
    link = f"/escalations/{escalation.reference}/#record"
    to_raiser = Notification.objects.filter(
        escalation=escalation, recipient=world.teacher, event="stage_entered"
    )
    assert to_raiser.exists() and all(link in notice.body for notice in to_raiser)
    others = Notification.objects.filter(escalation=escalation, event="stage_entered").exclude(
        recipient=world.teacher
    )
    assert others.exists() and all(link in notice.body for notice in others)
    record = build_record(escalation)
    second = spec.stages[1].name
    shared = [told for told in record.told if told.stage == second and told.what == "Stage entered"]
    assert shared and shared[0].when
    assert any(world.teacher.full_name in who for told in shared for who in told.who)


def test_the_pdf_is_tagged_with_language_title_and_bookmarks() -> None:
    record = build_record(every_kind(full_world()))
    structure = structure_of(exports.escalation_record_pdf(record))
    assert structure["struct_tree"]
    assert structure["marked"]
    assert structure["lang"] == "en-GB"
    assert structure["title"] == f"{record.title}, {record.partnership}"
    assert structure["display_title"]
    assert structure["outline"] == [record.title]  # with the sections nested beneath it


def test_the_partnership_holding_the_record_is_named_not_the_policys_author() -> None:
    world = make_world(policy_file="havering.yaml")
    escalation = services.raise_escalation(
        by=world.teacher, details=world.details(categories=["levels_of_need"])
    )
    record = build_record(escalation)
    assert record.partnership == world.partnership.name
    text = pdf_text(exports.escalation_record_pdf(record))
    assert f"Held by {world.partnership.name}, under" in text


def _assert_nothing_twice_and_no_empty_rows(record: Record) -> None:
    tables = [record.concern, record.outcome] + [stage.facts for stage in record.stages]
    tables += [entry.facts for stage in record.stages for entry in stage.entries]
    for facts in tables:
        labels = Counter(fact.label for fact in facts)
        assert max(labels.values(), default=1) == 1, labels
        assert all(fact.value.strip() for fact in facts)
    entry_ids = [entry.id for stage in record.stages for entry in stage.entries]
    if record.panel:
        entry_ids += [entry.id for entry in record.panel.representations]
    assert len(entry_ids) == len(set(entry_ids))
    said = {fact.value for fact in record.outcome if fact.key != "status"}
    for stage in record.stages:
        for entry in stage.entries:
            assert not said & {fact.value for fact in entry.facts}, entry


def test_nothing_appears_twice_and_no_row_is_empty() -> None:
    record = build_record(every_kind(full_world()))
    _assert_nothing_twice_and_no_empty_rows(record)
    assert "Circumstances" in [fact.label for fact in record.concern]
    plain = make_world(notifications=[])
    escalation = services.raise_escalation(by=plain.teacher, details=plain.details())
    assert "Circumstances" not in [fact.label for fact in build_record(escalation).concern]


def test_an_entry_kind_the_builder_does_not_know_shows_every_fact_it_holds() -> None:
    world = make_world(notifications=[])
    escalation = services.raise_escalation(by=world.teacher, details=world.details())
    ChronologyEntryFactory(
        escalation=escalation,
        kind="proposal_declined",
        actor=world.teacher,
        stage_key="stage_1",
        text="The raiser declined the proposed resolution.",
        data={"proposal": "Close with advice", "answer_due": "2026-12-04", "attempt": 2},
    )
    record = build_record(escalation)
    entry = next(e for e in record.stages[0].entries if e.kind == "proposal_declined")
    assert entry.title == "Proposal declined"
    assert [(fact.label, fact.value) for fact in entry.facts] == [
        ("Details", "The raiser declined the proposed resolution."),
        ("Answer due", "4 December 2026"),
        ("Attempt", "2"),
        ("Proposal", "Close with advice"),
    ]


def test_no_table_row_is_cut_across_a_page_break_on_the_demos_longest_escalation() -> None:
    """Laid out exactly as the PDF is made (PDF/UA-1), a table row sits on one page, and a
    table that runs onto a further page repeats its header row there (checked in the layout's
    boxes and again in the PDF's own page text)."""
    from escalate.directory.demo import create_demo_directory
    from escalate.escalations.demo import create_demo_escalations
    from escalate.policies.demo import load_demo_policies

    riverside, eastmoor = create_demo_directory()
    load_demo_policies(riverside.partnership, eastmoor.partnership)
    create_demo_escalations(riverside)
    longest = max(
        Escalation.objects.filter(partnership=riverside.partnership),
        key=lambda escalation: escalation.chronology.count(),
    )
    html = exports.escalation_record_html(build_record(longest))
    document = exports.layout(html, variant="pdf/ua-1")
    assert len(document.pages) >= 2
    row_pages: dict[int, set[int]] = {}
    rows: dict[int, Any] = {}
    body_pages: dict[int, set[int]] = {}  # a table (by its element) -> pages with its body rows
    header_pages: dict[int, set[int]] = {}  # a table -> pages where its header row is drawn
    headers: dict[int, str] = {}
    for number, page in enumerate(document.pages):
        for table, group in _row_groups(page._page_box):
            table_key = id(table.element)
            if group.is_header:
                header_pages.setdefault(table_key, set()).add(number)
                headers[table_key] = squash(" ".join(group.element.itertext()))
                continue
            for box in group.children:
                rows[id(box.element)] = box.element
                row_pages.setdefault(id(box.element), set()).add(number)
                body_pages.setdefault(table_key, set()).add(number)
    assert len(rows) > 20
    split = [
        squash(" ".join(rows[key].itertext())) for key, pages in row_pages.items() if len(pages) > 1
    ]
    assert split == []
    # Each table with a header row repeats it on every page its rows run onto ...
    running_on = {key for key in header_pages if len(body_pages.get(key, set())) > 1}
    assert running_on, (
        "the longest demo escalation should have a table that runs onto a second page"
    )
    for key in header_pages:
        assert body_pages.get(key, set()) <= header_pages[key], headers[key]
    # ... and the PDF itself shows the header's words on each of those pages.
    pdf = exports.escalation_record_pdf(build_record(longest))
    page_texts = [squash(page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]
    assert len(page_texts) == len(document.pages)
    for key in running_on:
        for number in body_pages[key]:
            assert headers[key] in page_texts[number], (headers[key], number + 1)


def _row_groups(box: Any, table: Any = None) -> Iterator[tuple[Any, Any]]:
    """Each table row group laid out in `box`, with the table box it belongs to."""
    if type(box).__name__ == "TableBox":
        table = box
    if type(box).__name__ == "TableRowGroupBox":
        yield table, box
        return
    for child in getattr(box, "children", []) or []:
        yield from _row_groups(child, table)


ACTIONS = st.lists(
    st.sampled_from(
        [
            "discuss",
            "rationale",
            "answer",
            "pause",
            "resume",
            "escalate",
            "action",
            "view",
            "propose",
            "accept",
            "decline",
            "timescale",
            "reopen",
        ]
    ),
    min_size=1,
    max_size=14,
)


def _try(world: World, escalation: Escalation, step: str, number: int) -> None:
    escalation.refresh_from_db()
    version = escalation.version
    stage_people = {
        "stage_1": (world.teacher, world.social_worker),
        "stage_2": (world.dsl, world.team_manager),
        "stage_3": (world.head, world.service_manager),
        "stage_4": (world.school_director, world.csc_director),
    }
    raiser_side, respondent_side = stage_people.get(
        escalation.current_stage_key, (world.teacher, world.social_worker)
    )
    calls = {
        "discuss": lambda: services.record_discussion(
            escalation=escalation,
            by=raiser_side,
            expected_version=version,
            held_on=timezone.localdate(),
            with_whom=f"Colleague {number}",
            method="in_person",
            summary=f"Said {number}",
            outcome=f"Outcome {number}",
        ),
        "rationale": lambda: services.request_rationale(
            escalation=escalation,
            by=world.teacher,
            expected_version=version,
            message=f"Ask {number}",
        ),
        "answer": lambda: services.give_rationale(
            escalation=escalation,
            by=world.social_worker,
            expected_version=version,
            rationale=f"Because {number}",
        ),
        "pause": lambda: services.pause_escalation(
            escalation=escalation, by=raiser_side, expected_version=version, reason=f"Wait {number}"
        ),
        "resume": lambda: services.resume_escalation(
            escalation=escalation, by=raiser_side, expected_version=version, reason=f"Go {number}"
        ),
        "escalate": lambda: services.escalate_to_next_stage(
            escalation=escalation, by=raiser_side, expected_version=version, reason=f"Up {number}"
        ),
        "action": lambda: services.add_action(
            escalation=escalation,
            by=raiser_side,
            owner=respondent_side,
            description=f"Do {number}",
            due_on=timezone.localdate() + timedelta(days=number + 1),
        ),
        "view": lambda: services.add_view(
            escalation=escalation, by=world.iro, view=f"View {number}"
        ),
        "propose": lambda: services.propose_resolution(
            escalation=escalation,
            by=respondent_side,
            expected_version=version,
            decision=f"Proposal {number}",
            learning=f"Learning {number}",
            learning_themes=[f"theme {number}"],
            actions=[
                services.ActionSpec(
                    owner=respondent_side,
                    description=f"Proposed action {number}",
                    due_on=timezone.localdate() + timedelta(days=number + 2),
                )
            ],
        ),
        "accept": lambda: services.accept_resolution(
            escalation=escalation, by=raiser_side, expected_version=version
        ),
        "decline": lambda: services.decline_resolution(
            escalation=escalation,
            by=raiser_side,
            expected_version=version,
            reason=f"Declined {number}",
        ),
        "timescale": lambda: services.change_timescale(
            escalation=escalation,
            by=respondent_side,
            expected_version=version,
            due_on=timezone.localdate() + timedelta(days=1),
            reason=f"Sooner {number}",
        ),
        "reopen": lambda: services.reopen_escalation(
            escalation=escalation,
            by=world.teacher,
            expected_version=version,
            grounds="recurred",
            reason=f"Back {number}",
        ),
    }
    with contextlib.suppress(ActionRefused):  # a step the rules do not allow now: walk on
        calls[step]()


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=ACTIONS, closing=st.sampled_from(["resolve", "withdraw", "open"]))
def test_random_escalations_through_many_stages_keep_every_fact(
    steps: list[str], closing: str
) -> None:
    world = full_world()
    escalation = services.raise_escalation(
        by=world.teacher, details=world.details(cp_plan=True, allocated_iro=world.iro)
    )
    for number, step in enumerate(steps):
        _try(world, escalation, step, number)
        escalation.refresh_from_db()
        # The escalation page builds the state from what it has loaded: the same answer.
        loaded = state_from_loaded(
            escalation,
            list(escalation.chronology.all()),
            list(escalation.stages.all()),
            Panel.objects.filter(escalation=escalation).first(),
        )
        assert loaded == state_of(escalation)
    if closing == "withdraw":
        _close_by_withdrawing(world, escalation)
    record = build_record(escalation)
    _assert_nothing_twice_and_no_empty_rows(record)
    assert [words for words, count in _written_words(record).items() if count > 1] == []
    assert _missing(stored_strings(escalation), " ".join(record_strings(record))) == []
    text = docx_text(exports.escalation_record_docx(record))
    assert _missing(record_strings(record), text) == []
    assert re.findall(r"\b[a-z]+_[a-z_]+\b", text) == []  # no stored vocabulary
    stage_names = [stage.name for stage in record.stages]
    assert stage_names == [f"Stage {number}" for number in range(1, escalation.stages.count() + 1)]


def _close_by_withdrawing(world: World, escalation: Escalation) -> None:
    with contextlib.suppress(ActionRefused):
        services.withdraw_escalation(
            escalation=escalation,
            by=world.teacher,
            expected_version=escalation.version,
            reason="Resolved outside the process.",
        )
    escalation.refresh_from_db()
