"""The record for the child's file as a Word document (python-docx), from the one Record.

Real heading styles (Heading 1-3, so the navigation pane and screen readers see the structure),
real table styles with header rows that repeat on each page and rows that never split, and the
document's title and language set.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from escalate.reports.record import Record, RecordEntry, RecordFact, when

TABLE_STYLE = "Table Grid"


def _mark_row(row: Any, *, header: bool) -> None:
    from docx.oxml import OxmlElement

    properties = row._tr.get_or_add_trPr()
    no_split = OxmlElement("w:cantSplit")
    properties.append(no_split)
    if header:
        repeat = OxmlElement("w:tblHeader")
        properties.append(repeat)


def _table(document: Any, headings: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    table = document.add_table(rows=1, cols=len(headings))
    table.style = TABLE_STYLE
    _mark_row(table.rows[0], header=True)
    for cell, heading in zip(table.rows[0].cells, headings, strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(heading).bold = True
    for values in rows:
        row = table.add_row()
        _mark_row(row, header=False)
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value


def _facts(
    document: Any, facts: Sequence[RecordFact], first: tuple[str, str] | None = None
) -> None:
    rows = ([first] if first else []) + [(fact.label, fact.value) for fact in facts]
    if not rows:
        return
    table = document.add_table(rows=0, cols=2)
    table.style = TABLE_STYLE
    for label, value in rows:
        row = table.add_row()
        _mark_row(row, header=False)
        row.cells[0].text = ""
        row.cells[0].paragraphs[0].add_run(label).bold = True
        row.cells[1].text = value


def _entry(document: Any, entry: RecordEntry) -> None:
    document.add_heading(f"{entry.when}: {entry.title}", level=3)
    _facts(document, entry.facts, (entry.by_label, entry.recorded_by))


def _set_language(document: Any, language: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    run_properties = document.styles["Normal"].element.get_or_add_rPr()
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), language)
    run_properties.append(lang)
    document.core_properties.language = language


def record_docx(record: Record) -> bytes:
    from docx import Document

    document = Document()
    document.core_properties.title = f"{record.title}, {record.partnership}"
    document.core_properties.author = record.partnership
    document.core_properties.subject = f"Escalation under {record.policy}"
    _set_language(document, "en-GB")
    document.add_paragraph().add_run(
        f"OFFICIAL-SENSITIVE. For the case file. Made {when(record.made_at)}."
    ).bold = True
    document.add_heading(record.title, level=0)
    document.add_paragraph(
        f"Held by {record.partnership}, under {record.policy}. Status: {record.status}."
    )

    document.add_heading("The concern", level=1)
    _facts(document, record.concern)

    document.add_heading("People and agencies", level=1)
    _table(
        document,
        ("Name", "Job title", "Agency", "Part in this escalation"),
        [
            (p.name, p.job_title or "Not recorded", p.agency or "Not recorded", "; ".join(p.parts))
            for p in record.people
        ],
    )

    document.add_heading("Stages, discussions and decisions", level=1)
    for stage in record.stages:
        document.add_heading(stage.name, level=2)
        _facts(document, stage.facts)
        for entry in stage.entries:
            _entry(document, entry)
        if not stage.entries:
            document.add_paragraph("Nothing was recorded at this stage.")

    if record.panel is not None:
        document.add_heading("Resolution Panel", level=1)
        _facts(document, record.panel.facts)
        document.add_heading("Panel members", level=2)
        _table(
            document,
            ("Name", "Job title", "Agency"),
            [
                (m.name, m.job_title or "Not recorded", m.agency or "Not recorded")
                for m in record.panel.members
            ],
        )
        document.add_heading("Representations", level=2)
        for entry in record.panel.representations:
            _entry(document, entry)
        if not record.panel.representations:
            document.add_paragraph("No representations were recorded.")

    document.add_heading("Outcome", level=1)
    _facts(document, record.outcome)

    document.add_heading("Agreed actions", level=1)
    if record.actions:
        _table(
            document,
            ("Action", "Owner", "Due", "Agreed", "Status"),
            [(a.description, a.owner, a.due, a.agreed, a.status) for a in record.actions],
        )
    else:
        document.add_paragraph("No actions were agreed.")

    document.add_heading("Who was told", level=1)
    if record.told:
        _table(
            document,
            ("When", "Stage", "About", "Who"),
            [(t.when, t.stage, t.what, "; ".join(t.who)) for t in record.told],
        )
    else:
        document.add_paragraph("Nobody has been sent a notice about this escalation.")

    document.add_heading("Evidence", level=1)
    if record.evidence:
        _table(
            document,
            ("Name", "Type", "Added by", "Added"),
            [(e.name, e.file_type, e.added_by, e.when) for e in record.evidence],
        )
        document.add_paragraph(
            "The files themselves are not part of this record: they are kept in Escalate."
        )
    else:
        document.add_paragraph("No evidence was added.")

    document.add_heading("Copies of this record", level=1)
    if record.copies:
        _table(document, ("When", "By", "What"), [(c.when, c.by, c.what) for c in record.copies])
    else:
        document.add_paragraph("This is the first copy made.")

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
