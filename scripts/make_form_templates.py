"""Write the shipped Word templates of the forms the policies name (escalate/reports/forms/).

Run after changing a form's layout: `.venv/bin/python scripts/make_form_templates.py`. The
placeholders are the fields in escalate/reports/policy_forms.py (FIELDS); docs/policies.md says
where each form's fields come from.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

OUT = Path(__file__).resolve().parent.parent / "escalate" / "reports" / "forms"


def _header_row(row: Any) -> None:
    properties = row._tr.get_or_add_trPr()
    properties.append(OxmlElement("w:tblHeader"))


def _start(title: str, intro: str) -> Any:
    document = Document()
    document.core_properties.title = title
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "en-GB")
    document.styles["Normal"].element.get_or_add_rPr().append(lang)
    document.add_paragraph().add_run("OFFICIAL-SENSITIVE when completed").bold = True
    document.add_heading("{{ form_title }}", level=0)
    document.add_paragraph(
        "{{ partnership }}. Escalation {{ reference }}, under {{ policy }}. Made {{ made }}."
    )
    document.add_paragraph(intro)
    return document


def _facts(document: Any, rows: Sequence[tuple[str, str]]) -> None:
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, placeholder in rows:
        cells = table.add_row().cells
        cells[0].paragraphs[0].add_run(label).bold = True
        cells[1].text = placeholder


def _loop_table(document: Any, items: str, var: str, columns: Sequence[tuple[str, str]]) -> None:
    table = document.add_table(rows=1, cols=len(columns))
    table.style = "Table Grid"
    _header_row(table.rows[0])
    for cell, (heading, _) in zip(table.rows[0].cells, columns, strict=True):
        cell.paragraphs[0].add_run(heading).bold = True
    table.add_row().cells[0].text = f"{{%tr for {var} in {items} %}}"
    cells = table.add_row().cells
    for cell, (_, field) in zip(cells, columns, strict=True):
        cell.text = f"{{{{ {var}.{field} }}}}"
    table.add_row().cells[0].text = "{%tr endfor %}"


CHILD = [
    ("Name", "{{ concern.subject_name }}"),
    ("Date of birth", "{{ concern.subject_date_of_birth }}"),
    ("Case references", "{{ concern.case_references }}"),
    ("Circumstances", "{{ concern.circumstances }}"),
]
AGENCIES = [
    ("Raised by", "{{ concern.raised_by }}"),
    ("Raising agency", "{{ concern.raiser_agency }}"),
    ("Decision challenged by", "{{ concern.respondent }}"),
    ("Agency whose decision is challenged", "{{ concern.respondent_agency }}"),
]
DISAGREEMENT = [
    ("Raised", "{{ concern.raised_at }}"),
    ("Categories", "{{ concern.categories }}"),
    ("What is disputed", "{{ concern.disputed }}"),
    ("The risk", "{{ concern.risk }}"),
    ("Outcome wanted", "{{ concern.outcome_wanted }}"),
    ("Already tried", "{{ concern.already_tried }}"),
]
STAGES = [
    ("Stage", "name"),
    ("Started", "started"),
    ("Due", "due"),
    ("Ended", "ended"),
    ("Outcome", "outcome"),
]
DISCUSSIONS = [
    ("When", "when"),
    ("Who took part", "with_whom"),
    ("How", "method"),
    ("What was said", "said"),
    ("Outcome", "outcome"),
]
OUTCOME = [
    ("Decision", "{{ outcome.decision }}"),
    ("Decided by", "{{ outcome.decided_by }}"),
    ("Closed", "{{ outcome.closed_at }}"),
    ("Learning", "{{ outcome.learning }}"),
    ("Learning themes", "{{ outcome.learning_themes }}"),
]
ACTIONS = [("Action", "description"), ("Owner", "owner"), ("Due", "due"), ("Status", "status")]


def agency_report() -> Any:
    document = _start(
        "Agency Report",
        "An agency's account, for the partnership, of a professional disagreement it took part "
        "in: the child, the disagreement, how each stage went, the outcome and what it learned.",
    )
    document.add_heading("1. The child", level=1)
    _facts(document, CHILD)
    document.add_heading("2. The agencies", level=1)
    _facts(document, AGENCIES)
    document.add_heading("3. The disagreement", level=1)
    _facts(document, DISAGREEMENT)
    document.add_heading("4. Stages", level=1)
    _loop_table(document, "stages", "s", STAGES)
    document.add_heading("5. Discussions", level=1)
    _loop_table(document, "discussions", "d", DISCUSSIONS)
    document.add_heading("6. Outcome and learning", level=1)
    _facts(document, OUTCOME)
    document.add_heading("7. Agreed actions", level=1)
    _loop_table(document, "actions", "a", ACTIONS)
    return document


def professionals_escalation_report() -> Any:
    document = _start(
        "Professionals Escalation Report",
        "The practitioner's report of an escalation: the concern for the child, what has been "
        "tried, who was spoken to and when, and where it stands now.",
    )
    document.add_heading("1. The child", level=1)
    _facts(document, CHILD)
    document.add_heading("2. Who is raising it, about whom", level=1)
    _facts(document, AGENCIES)
    document.add_heading("3. The concern", level=1)
    _facts(document, DISAGREEMENT)
    document.add_heading("4. Discussions so far", level=1)
    _loop_table(document, "discussions", "d", DISCUSSIONS)
    document.add_heading("5. Where it stands", level=1)
    _facts(
        document,
        [("Current stage", "{{ current_stage }}"), ("Status", "{{ status }}"), *OUTCOME[:2]],
    )
    return document


def escalation_form() -> Any:
    document = _start(
        "Escalation Form",
        "Telling the partnership about escalations lets it find the common issues behind "
        "professional disagreements and act to prevent them. This form does not name the "
        "child: the reference and case references are enough for the business unit.",
    )
    document.add_heading("1. The escalation", level=1)
    _facts(
        document,
        [
            ("Reference", "{{ reference }}"),
            ("Case references", "{{ concern.case_references }}"),
            ("Raising agency", "{{ concern.raiser_agency }}"),
            ("Agency whose decision is challenged", "{{ concern.respondent_agency }}"),
            ("Raised", "{{ concern.raised_at }}"),
            ("Categories", "{{ concern.categories }}"),
            ("What is disputed", "{{ concern.disputed }}"),
        ],
    )
    document.add_heading("2. Stages reached", level=1)
    _loop_table(document, "stages", "s", STAGES)
    document.add_heading("3. Outcome and learning", level=1)
    _facts(document, [("Status", "{{ status }}"), *OUTCOME])
    return document


def board_chair_details() -> Any:
    document = _start(
        "Details of the dispute for the Board Chair",
        "What the agency raising the dispute sends to the partnership's chair when it is "
        "referred at Stage 4, so the chair can resolve it with the senior managers or convene "
        "a Resolution Panel.",
    )
    document.add_heading("1. The child", level=1)
    _facts(document, CHILD)
    document.add_heading("2. The agencies in dispute", level=1)
    _facts(document, AGENCIES)
    document.add_heading("3. The dispute", level=1)
    _facts(document, DISAGREEMENT)
    document.add_heading("4. Stages so far", level=1)
    _loop_table(document, "stages", "s", STAGES)
    document.add_heading("5. What happened at each stage", level=1)
    _loop_table(
        document,
        "entries",
        "e",
        [("When", "when"), ("Stage", "stage"), ("What", "title"), ("Details", "details")],
    )
    document.add_heading("6. People involved", level=1)
    _loop_table(
        document,
        "people",
        "p",
        [("Name", "name"), ("Job title", "job_title"), ("Agency", "agency"), ("Part", "parts")],
    )
    return document


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, build in (
        ("agency_report", agency_report),
        ("professionals_escalation_report", professionals_escalation_report),
        ("escalation_form", escalation_form),
        ("board_chair_details", board_chair_details),
    ):
        build().save(OUT / f"{name}.docx")
        print(f"wrote {OUT / name}.docx")
    return 0


if __name__ == "__main__":
    sys.exit(main())
