"""Turning figures and records into files: CSV, XLSX, PDF (WeasyPrint) and DOCX (python-docx).

Pure rendering: no database writes and no access checks (services.py does both).
"""

from __future__ import annotations

import base64
import csv
import io
import logging
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from escalate.policies.calendar import govuk_date, govuk_date_time
from escalate.reports.charts import chart_svg
from escalate.reports.selectors import Dashboard, EscalationRecord, Learning

PDF_CSS = Path(__file__).with_name("pdf.css")
# WeasyPrint logs every layout step at INFO; the service's logs are for what matters.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def _cell(text: str) -> str:
    # A spreadsheet must not run a name that starts like a formula (CSV injection).
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def figure_rows(dashboard: Dashboard) -> list[list[str]]:
    """Every anonymised figure as (table, row, value) rows, small numbers already suppressed."""
    rows = [["Table", "Row", "Escalations"]]
    summary = [
        ("Escalations raised", dashboard.total),
        ("Open now (including paused)", dashboard.open_now),
        ("Overdue now", dashboard.overdue_now),
        ("Resolved", dashboard.resolved),
        ("Withdrawn", dashboard.withdrawn),
    ]
    for label, value in summary:
        rows.append(["Summary", label, dashboard.figure(value)])
    rows.append(
        [
            "Working days to resolution",
            "Resolved escalations timed",
            str(dashboard.resolution_count),
        ]
    )
    rows.append(["Working days to resolution", "Median", _days(dashboard.median_days)])
    rows.append(["Working days to resolution", "90th percentile", _days(dashboard.p90_days)])
    for table in dashboard.tables.values():
        for table_row in table.rows:
            rows.append([table.title, _cell(table_row.label), table_row.display])
    return rows


def _days(value: float | int | None) -> str:
    if value is None:
        return "not available"
    return f"{value:g}"


def figures_csv(dashboard: Dashboard) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([f"{dashboard.partnership_name}: escalation figures"])
    writer.writerow(["Filters", "; ".join(dashboard.filters.describe()) or "none"])
    writer.writerow([])
    writer.writerows(figure_rows(dashboard))
    return buffer.getvalue().encode("utf-8-sig")  # the BOM lets Excel read it as UTF-8


def figures_xlsx(dashboard: Dashboard) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Summary"
    sheet.append([f"{dashboard.partnership_name}: escalation figures"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(["Filters", "; ".join(dashboard.filters.describe()) or "none"])
    sheet.append([])
    for summary_row in figure_rows(dashboard)[:9]:
        sheet.append(summary_row)
    for table in dashboard.tables.values():
        page = book.create_sheet(title=table.key.replace("_", " ").capitalize()[:31])
        page.append([table.title])
        page["A1"].font = Font(bold=True)
        page.append([table.heading, "Escalations"])
        for row in table.rows:
            page.append([_cell(row.label), row.count if row.count is not None else row.display])
        page.column_dimensions["A"].width = 45
    sheet.column_dimensions["A"].width = 30
    sheet.column_dimensions["B"].width = 40
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def chart_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def html_to_pdf(html: str) -> bytes:
    from weasyprint import CSS, HTML

    pdf = HTML(string=html, base_url=str(PDF_CSS.parent)).write_pdf(
        stylesheets=[CSS(filename=str(PDF_CSS))]
    )
    assert pdf is not None
    return bytes(pdf)


def board_report_pdf(*, title: str, dashboard: Dashboard, lessons: Learning) -> bytes:
    charts = [
        {"table": table, "image": chart_data_uri(chart_svg(table))}
        for table in dashboard.tables.values()
    ]
    html = render_to_string(
        "reports/pdf/board_report.html",
        {
            "title": title,
            "dashboard": dashboard,
            "charts": charts,
            "lessons": lessons,
            "made_at": timezone.localtime(),
        },
    )
    return html_to_pdf(html)


def escalation_record_pdf(record: EscalationRecord) -> bytes:
    html = render_to_string(
        "reports/pdf/escalation_record.html",
        {"record": record, "made_at": timezone.localtime()},
    )
    return html_to_pdf(html)


def _when(moment: Any) -> str:
    if moment is None:
        return ""
    if hasattr(moment, "hour"):
        return govuk_date_time(moment)
    return govuk_date(moment)


def escalation_record_docx(record: EscalationRecord) -> bytes:
    """The record as a Word document laid out like the Escalation Form / Agency Report."""
    from docx import Document

    escalation = record.escalation
    document = Document()
    document.add_heading(f"Escalation record {escalation.reference}", level=0)
    document.add_paragraph(
        "OFFICIAL-SENSITIVE. For the child's or adult's case file. "
        f"Made {_when(timezone.now())} under {record.policy_name}."
    )

    def form(rows: list[tuple[str, str]]) -> None:
        table = document.add_table(rows=0, cols=2)
        table.style = "Table Grid"
        for label, value in rows:
            cells = table.add_row().cells
            cells[0].text = label
            cells[1].text = value or ""

    document.add_heading("1. The concern", level=1)
    form(
        [
            ("Reference", escalation.reference),
            ("Raised", _when(escalation.raised_at)),
            ("Status", escalation.get_status_display()),
            (f"{escalation.get_subject_kind_display()}'s name", escalation.subject_name),
            ("Date of birth", _when(escalation.subject_date_of_birth)),
            ("Case references", escalation.case_references),
            ("Categories", ", ".join(record.categories)),
            ("What is disputed", escalation.disputed),
            ("Risk to the child or adult", escalation.risk),
            ("Outcome wanted", escalation.outcome_wanted),
            ("Already tried", escalation.already_tried),
        ]
    )
    document.add_heading("2. People and agencies", level=1)
    form(
        [
            ("Raised by", f"{escalation.raised_by.full_name}, {escalation.raiser_agency.name}"),
            (
                "Respondent",
                f"{escalation.respondent_display}, {escalation.respondent_agency.name}",
            ),
        ]
        + [
            (
                participant.get_part_display(),
                f"{participant.person.full_name}"
                + (f", {participant.person.agency.name}" if participant.person.agency else ""),
            )
            for participant in record.participants
        ]
    )
    document.add_heading("3. Stages, discussions and decisions", level=1)
    for section in record.stages:
        stage = section.record
        document.add_heading(section.name, level=2)
        document.add_paragraph(
            f"Started {_when(stage.started_at)}; due {_when(stage.due_at)}; "
            + (
                f"ended {_when(stage.ended_at)} ({stage.get_outcome_display()})"
                if stage.ended_at
                else "not ended"
            )
        )
        for entry in section.entries:
            paragraph = document.add_paragraph()
            paragraph.add_run(
                f"{_when(entry.occurred_at)} — {entry.get_kind_display()}"
            ).bold = True
            if entry.actor is not None:
                paragraph.add_run(f" ({entry.actor.full_name})")
            if entry.text:
                document.add_paragraph(entry.text)
    document.add_heading("4. Actions", level=1)
    if record.actions:
        table = document.add_table(rows=1, cols=4)
        table.style = "Table Grid"
        for cell, heading in zip(
            table.rows[0].cells, ("Action", "Owner", "Due", "Done"), strict=True
        ):
            cell.text = heading
        for action in record.actions:
            cells = table.add_row().cells
            cells[0].text = action.description
            cells[1].text = action.owner.full_name
            cells[2].text = _when(action.due_on)
            cells[3].text = _when(action.done_at) + (
                f": {action.done_note}" if action.done_note else ""
            )
    else:
        document.add_paragraph("No actions were agreed.")
    document.add_heading("5. Outcome", level=1)
    form(
        [
            ("Outcome", escalation.get_status_display()),
            ("Closed", _when(escalation.closed_at)),
            ("Decision", escalation.decision),
            ("Decided by", escalation.decided_by_text),
            ("Learning", escalation.learning),
            ("Learning themes", ", ".join(escalation.learning_themes)),
        ]
        + (
            [
                ("Resolution Panel convened", _when(record.panel.convened_at)),
                (
                    "Panel members",
                    ", ".join(member.full_name for member in record.panel_members),
                ),
                ("Panel decision", record.panel.decision),
            ]
            if record.panel
            else []
        )
    )
    document.add_heading("6. Timeline", level=1)
    table = document.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    for cell, heading in zip(table.rows[0].cells, ("When", "What", "Details"), strict=True):
        cell.text = heading
    for entry in record.timeline:
        cells = table.add_row().cells
        cells[0].text = _when(entry.occurred_at)
        cells[1].text = entry.get_kind_display() + (
            f" ({entry.actor.full_name})" if entry.actor else ""
        )
        cells[2].text = entry.text
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
