"""Every export: checked, rendered and written to the audit trail with the reason given.

Each function is keyword-only and runs in one transaction: if the audit row cannot be written,
no file is handed out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.text import slugify

from escalate.audit.models import AuditEvent
from escalate.audit.services import record_audit
from escalate.directory.models import Partnership, Person
from escalate.escalations.selectors import access_escalation
from escalate.reports import exports, selectors
from escalate.reports.calendar_table import working_day_rows
from escalate.reports.models import WorkingDay
from escalate.reports.record import Record, build_record

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


@dataclass(frozen=True)
class ExportFile:
    filename: str
    file_format: str
    content: bytes

    def response(self) -> HttpResponse:
        response = HttpResponse(self.content, content_type=CONTENT_TYPES[self.file_format])
        response["Content-Disposition"] = f'attachment; filename="{self.filename}"'
        response["Cache-Control"] = "no-store"
        return response


def record_export(
    *,
    actor: Person,
    kind: str,
    reason: str,
    partnership: Partnership | None,
    reference: str = "",
    details: str = "",
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Write one export to the audit trail: who, what (`kind`), which record, why."""
    return record_audit(
        actor=actor,
        action=f"export_{kind}",
        partnership=partnership,
        object_type="reports.export",
        object_id=details[:100],
        reference=reference,
        reason=reason,
        request=request,
    )


@transaction.atomic
def export_escalation_record(
    *,
    by: Person,
    reference: str,
    file_format: Literal["pdf", "docx"],
    reason: str,
    request: HttpRequest | None = None,
) -> ExportFile:
    """The record for the child's file (Http404 if `by` may not see the escalation)."""
    escalation = access_escalation(by, reference)
    record = build_record(escalation)
    if file_format == "pdf":
        content = exports.escalation_record_pdf(record)
    else:
        content = exports.escalation_record_docx(record)
    record_export(
        actor=by,
        kind=f"escalation_record_{file_format}",
        reason=reason,
        partnership=escalation.partnership,
        reference=record.reference,
        request=request,
    )
    return ExportFile(f"{record.filename_stem}.{file_format}", file_format, content)


@transaction.atomic
def export_escalation_record_data(
    *, by: Person, reference: str, reason: str, request: HttpRequest | None = None
) -> Record:
    """The record as data (the API's JSON), audited with the reason exactly as the files are."""
    escalation = access_escalation(by, reference)
    record = build_record(escalation)
    record_export(
        actor=by,
        kind="escalation_record_json",
        reason=reason,
        partnership=escalation.partnership,
        reference=record.reference,
        request=request,
    )
    return record


@transaction.atomic
def export_figures(
    *,
    by: Person,
    filters: selectors.Filters,
    file_format: Literal["csv", "xlsx"],
    reason: str,
    request: HttpRequest | None = None,
) -> ExportFile:
    """The dashboard's anonymised figures (PermissionDenied without a partnership role)."""
    figures = selectors.dashboard(by, filters)
    content = (
        exports.figures_csv(figures) if file_format == "csv" else exports.figures_xlsx(figures)
    )
    record_export(
        actor=by,
        kind=f"figures_{file_format}",
        reason=reason,
        partnership=by.partnership,
        details="; ".join(filters.describe()) or "all escalations",
        request=request,
    )
    return ExportFile(f"escalation-figures.{file_format}", file_format, content)


@transaction.atomic
def export_board_report(
    *,
    by: Person,
    title: str,
    filters: selectors.Filters,
    reason: str,
    request: HttpRequest | None = None,
) -> ExportFile:
    """The board report PDF for a quarter or a year: charts, tables and learning themes."""
    figures = selectors.dashboard(by, filters)
    lessons = selectors.learning(by, closed_from=filters.date_from, closed_to=filters.date_to)
    content = exports.board_report_pdf(title=title, dashboard=figures, lessons=lessons)
    record_export(
        actor=by,
        kind="board_report_pdf",
        reason=reason,
        partnership=by.partnership,
        details=title,
        request=request,
    )
    return ExportFile(f"{slugify(title)}.pdf", "pdf", content)


@transaction.atomic
def fill_working_days() -> int:
    """Rebuild the working-day table from the calendar (run when bank holidays change)."""
    WorkingDay.objects.all().delete()
    return len(WorkingDay.objects.bulk_create(working_day_rows(WorkingDay), batch_size=2000))
