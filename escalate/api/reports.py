"""/api/v1/reports/dashboard and the record for the child's file.

The dashboard's figures are for the roles that may see the dashboard; the record of an escalation
for anyone who may see the escalation (404 for anyone else, as on the pages).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router

from escalate.api import presenters
from escalate.api.auth import READ, REPORTS
from escalate.api.errors import ApiError, documented
from escalate.api.schemas import DashboardFilters, DashboardOut, ExportReasonIn, Reference
from escalate.directory.requests import person_of
from escalate.reports import selectors, services
from escalate.reports.record import Record

router = Router(tags=["reports"])


@router.get(
    "/reports/dashboard",
    response={200: DashboardOut, **documented(403, 422)},
    auth=REPORTS,
)
def dashboard(request: HttpRequest, filters: Query[DashboardFilters]) -> Any:
    """The partnership dashboard's figures (small numbers withheld as on the page).

    403 unless you hold a partnership role, exactly as for the dashboard page.
    """
    person = person_of(request)
    agencies, names = selectors.filter_choices(person)  # PermissionDenied (403) for others
    agency = None
    if filters.agency is not None:
        agency = next((a for a in agencies if a.pk == filters.agency), None)
        if agency is None:
            raise ApiError(422, "Select an agency of your partnership.", field="agency")
    if filters.category and filters.category not in names.categories:
        raise ApiError(422, "Select a category from the policy.", field="category")
    if filters.stage and filters.stage not in names.stages:
        raise ApiError(422, "Select a stage from the policy.", field="stage")
    if filters.date_from and filters.date_to and filters.date_to < filters.date_from:
        raise ApiError(422, "date_to must be the same as or after date_from.", field="date_to")
    figures = selectors.dashboard(
        person,
        selectors.Filters(
            date_from=filters.date_from,
            date_to=filters.date_to,
            agency=agency,
            category=filters.category or "",
            stage=filters.stage or "",
        ),
    )
    return presenters.dashboard(figures)


@router.post(
    "/escalations/{reference}/record",
    response={200: Record, **documented(403, 404, 422)},
    auth=READ,
    tags=["escalations"],
)
def escalation_record(
    request: HttpRequest, reference: Path[Reference], body: ExportReasonIn
) -> Any:
    """The record for the child's file as JSON, for filing in a case-management system.

    The same content as the PDF and Word record (one builder makes all three). Every copy is
    written to the audit trail with your reason, exactly as a download of the files is; 404 for
    an escalation you may not see.
    """
    reason = body.reason.strip()
    if len(reason) < 5:
        raise ApiError(422, "Reason must be at least 5 characters.", field="reason")
    return services.export_escalation_record_data(
        by=person_of(request), reference=reference, reason=reason, request=request
    )
