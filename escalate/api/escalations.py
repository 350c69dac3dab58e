"""/api/v1/escalations and /api/v1/actions: the same selectors and services as the pages.

The endpoints for actions (discussions, rationale, escalate, the panel, agreed actions, views,
corrections...) are made from their declarations by escalate/api/actions.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Path, Query, Router, Status

from escalate.api import presenters
from escalate.api.actions import add_action_endpoints, detail_now, refused_error
from escalate.api.auth import READ, WRITE
from escalate.api.errors import ApiError, documented
from escalate.api.schemas import (
    ActionOut,
    ActionPage,
    EscalationDetail,
    EscalationFilters,
    EscalationPage,
    ListName,
    PageIn,
    RaiseIn,
    Reference,
)
from escalate.audit.services import record_escalation_view
from escalate.directory import selectors as directory
from escalate.directory.models import Person
from escalate.directory.requests import person_of
from escalate.escalations import selectors, services
from escalate.escalations.models import Escalation

router = Router(tags=["escalations"])

READ_ERRORS: dict[int, Any] = documented(403, 404, 422)
WRITE_ERRORS: dict[int, Any] = documented(403, 404, 409, 422)
LISTS: dict[ListName, Callable[[Person], QuerySet[Escalation]]] = {
    ListName.ALL: selectors.escalations_visible_to,
    ListName.WAITING: selectors.waiting_for,
    ListName.RAISED: selectors.raised_by,
    ListName.AGENCY: selectors.agency_escalations,
    ListName.TEAM: selectors.team_escalations,
    ListName.QUEUE: selectors.manager_queue,
}
# What the list rows show, fetched with the rows so a page never costs a query per row. Only
# these are joined (select_related(None) first): the selectors' six joins cost PostgreSQL about
# 15 ms of planning on every page (docs/performance.md).
LIST_RELATED = ("policy_version", "raiser_agency", "respondent_agency")


def _person_in_partnership(person: Person, person_id: int, field: str) -> Person:
    """Someone in the asker's partnership; anyone else is refused (whether or not they exist)."""
    found = directory.people_of(person).filter(pk=person_id).first()
    if found is None:
        raise ApiError(422, "Choose someone who works in your partnership.", field=field)
    return found


@router.get("/escalations", response={200: EscalationPage, **READ_ERRORS}, auth=READ)
def list_escalations(request: HttpRequest, filters: Query[EscalationFilters]) -> Any:
    """Escalations you may see, newest first: one of your lists, filtered, a page at a time."""
    person = person_of(request)
    rows = LISTS[filters.view](person)
    if filters.status is not None:
        rows = rows.filter(status=filters.status.value)
    if filters.stage:
        rows = rows.filter(current_stage_key=filters.stage)
    if filters.raised_from:
        rows = rows.filter(raised_at__date__gte=filters.raised_from)
    if filters.raised_to:
        rows = rows.filter(raised_at__date__lte=filters.raised_to)
    count = rows.count()
    start = (filters.page - 1) * filters.page_size
    page = rows.select_related(None).select_related(*LIST_RELATED)
    page = page[start : start + filters.page_size]
    return {
        "count": count,
        "page": filters.page,
        "page_size": filters.page_size,
        "results": [presenters.summary(escalation) for escalation in page],
    }


@router.post("/escalations", response={201: EscalationDetail, **WRITE_ERRORS}, auth=WRITE)
def raise_escalation(request: HttpRequest, payload: RaiseIn) -> Any:
    """Raise an escalation under your partnership's current policy (as the raise pages do)."""
    person = person_of(request)
    agency = directory.agencies_of(person).filter(pk=payload.respondent_agency_id).first()
    if agency is None:
        raise ApiError(422, "Choose an agency in your partnership.", field="respondent_agency_id")
    respondent = (
        _person_in_partnership(person, payload.respondent_person_id, "respondent_person_id")
        if payload.respondent_person_id is not None
        else None
    )
    details = services.RaiseDetails(
        respondent_agency=agency,
        respondent_person=respondent,
        respondent_name=payload.respondent_name,
        respondent_email=payload.respondent_email,
        subject_kind=payload.subject_kind.value,
        subject_name=payload.subject_name,
        subject_date_of_birth=payload.subject_date_of_birth,
        case_references=payload.case_references,
        cp_plan=payload.cp_plan,
        looked_after=payload.looked_after,
        cp_conference=payload.cp_conference,
        immediate_harm=payload.immediate_harm,
        urgent_guidance_shown=payload.urgent_guidance_shown,
        protective_actions=list(payload.protective_actions),
        protective_action=payload.protective_action,
        start_stage_key=payload.start_stage_key,
        later_stage_reason=payload.later_stage_reason,
        categories=list(payload.categories),
        disputed=payload.disputed,
        risk=payload.risk,
        outcome_wanted=payload.outcome_wanted,
        already_tried=payload.already_tried,
    )
    try:
        escalation = services.raise_escalation(by=person, details=details)
    except services.ActionRefused as refused:
        raise refused_error(
            refused,
            {
                "respondent_agency": "respondent_agency_id",
                "respondent_person": "respondent_person_id",
            },
        ) from None
    return Status(201, detail_now(request, escalation, person))


@router.get("/escalations/{reference}", response={200: EscalationDetail, **READ_ERRORS}, auth=READ)
def read_escalation(request: HttpRequest, reference: Path[Reference]) -> Any:
    """One escalation: its stage, deadline, what you may do now, actions and timeline (audited)."""
    person = person_of(request)
    escalation = selectors.access_escalation(person, reference)
    record_escalation_view(person=person, escalation=escalation, request=request)
    return presenters.detail(selectors.escalation_page(escalation, person))


# --- actions ------------------------------------------------------------------------------


@router.get(
    "/escalations/{reference}/actions", response={200: list[ActionOut], **READ_ERRORS}, auth=READ
)
def escalation_actions(request: HttpRequest, reference: Path[Reference]) -> Any:
    """The actions agreed on an escalation."""
    person = person_of(request)
    escalation = selectors.access_escalation(person, reference)
    actions = escalation.actions.select_related("owner").order_by("done_at", "due_on", "pk")
    return [presenters.action_out(action, escalation.reference) for action in actions]


@router.get(
    "/actions",
    response={200: ActionPage, **documented(403, 422)},
    auth=READ,
)
def my_actions(request: HttpRequest, paging: Query[PageIn]) -> Any:
    """The actions you own: overdue first, then open ones by due date, then done ones."""
    person = person_of(request)
    page, page_size = paging.page, paging.page_size
    rows = selectors.actions_for(person).select_related("owner")
    start = (page - 1) * page_size
    return {
        "count": rows.count(),
        "page": page,
        "page_size": page_size,
        "results": [
            presenters.action_out(action, action.escalation.reference)
            for action in rows[start : start + page_size]
        ],
    }


add_action_endpoints(router)
