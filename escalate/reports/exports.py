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

from escalate.reports.charts import chart_svg
from escalate.reports.record import Record
from escalate.reports.selectors import Dashboard, Learning

PDF_CSS = Path(__file__).with_name("pdf.css")
# WeasyPrint logs every layout step at INFO; the service's logs are for what matters.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def _cell(text: str) -> str:
    # A spreadsheet must not run text that starts like a formula (CSV injection, OWASP), also
    # after leading spaces, which some spreadsheets skip.
    starts_like_formula = text[:1] in FORMULA_STARTS or text.lstrip(" ")[:1] in FORMULA_STARTS
    return f"'{text}" if text and starts_like_formula else text


def _csv_row(values: list[Any]) -> list[Any]:
    """Every text cell of a CSV row neutralised: names people typed go into every table."""
    return [_cell(value) if isinstance(value, str) else value for value in values]


def _xlsx_append(sheet: Any, values: list[Any]) -> None:
    """Append a row whose text cells are stored as text, never as a formula (openpyxl would
    otherwise take any string starting with "=" as one)."""
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


REPEAT_LABEL = "Repeat escalations (same child as an earlier one)"


def figure_rows(dashboard: Dashboard) -> list[list[str]]:
    """Every anonymised figure as (table, row, value) rows, small numbers already suppressed."""
    rows = [["Table", "Row", "Escalations"]]
    summary = [
        ("Escalations raised", dashboard.total),
        ("Open now (including paused)", dashboard.open_now),
        ("Overdue now", dashboard.overdue_now),
        ("Resolved", dashboard.resolved),
        ("Withdrawn", dashboard.withdrawn),
        (REPEAT_LABEL, dashboard.repeat),
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
            rows.append([table.title, table_row.label, table_row.display])
    return rows


def _days(value: float | int | None) -> str:
    if value is None:
        return "not available"
    return f"{value:g}"


def figures_csv(dashboard: Dashboard) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_csv_row([f"{dashboard.partnership_name}: escalation figures"]))
    writer.writerow(_csv_row(["Filters", "; ".join(dashboard.filters.describe()) or "none"]))
    writer.writerow([])
    writer.writerows(_csv_row(row) for row in figure_rows(dashboard))
    return buffer.getvalue().encode("utf-8-sig")  # the BOM lets Excel read it as UTF-8


def figures_xlsx(dashboard: Dashboard) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Summary"
    _xlsx_append(sheet, [f"{dashboard.partnership_name}: escalation figures"])
    sheet["A1"].font = Font(bold=True, size=14)
    _xlsx_append(sheet, ["Filters", "; ".join(dashboard.filters.describe()) or "none"])
    sheet.append([])
    for summary_row in figure_rows(dashboard)[:9]:
        _xlsx_append(sheet, summary_row)
    for table in dashboard.tables.values():
        page = book.create_sheet(title=table.key.replace("_", " ").capitalize()[:31])
        _xlsx_append(page, [table.title])
        page["A1"].font = Font(bold=True)
        _xlsx_append(page, [table.heading, "Escalations"])
        for row in table.rows:
            count = row.count if row.count is not None else row.display
            _xlsx_append(page, [row.label, count])
        page.column_dimensions["A"].width = 45
    sheet.column_dimensions["A"].width = 30
    sheet.column_dimensions["B"].width = 40
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def chart_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def layout(html: str, *, variant: str | None = None) -> Any:
    """WeasyPrint's laid-out document (pages and boxes), before it is written as a PDF.

    `variant` is a WeasyPrint PDF variant, e.g. "pdf/ua-1" (tagged, for screen readers).
    """
    from weasyprint import CSS, HTML

    return HTML(string=html, base_url=str(PDF_CSS.parent)).render(
        stylesheets=[CSS(filename=str(PDF_CSS))], pdf_variant=variant
    )


def html_to_pdf(html: str, *, variant: str | None = None) -> bytes:
    pdf = layout(html, variant=variant).write_pdf(pdf_variant=variant)
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


def escalation_record_html(record: Record) -> str:
    return render_to_string("reports/pdf/escalation_record.html", {"record": record})


def escalation_record_pdf(record: Record) -> bytes:
    """The record as a tagged PDF (PDF/UA-1): language, title, headings and bookmarks."""
    return html_to_pdf(escalation_record_html(record), variant="pdf/ua-1")


def escalation_record_docx(record: Record) -> bytes:
    """The record as a Word document with real heading and table styles, in the same order."""
    from escalate.reports.record_docx import record_docx

    return record_docx(record)
