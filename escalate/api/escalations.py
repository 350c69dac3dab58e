"""/api/v1/escalations and /api/v1/actions: the same selectors and services as the pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Path, Query, Router, Status

from escalate.api import presenters
from escalate.api.auth import READ, WRITE, person_of
from escalate.api.errors import ApiError, documented
from escalate.api.schemas import (
    ActionIn,
    ActionOut,
    ActionPage,
    CompleteActionIn,
    DiscussionIn,
    EscalationDetail,
    EscalationFilters,
    EscalationPage,
    Id,
    ListName,
    PageIn,
    RaiseIn,
    RationaleIn,
    RationaleRequestIn,
    ReasonIn,
    Reference,
    ResolveIn,
)
from escalate.audit.services import record_escalation_view
from escalate.directory import selectors as directory
from escalate.directory.models import Person
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


def _refused(refused: services.ActionRefused, fields: dict[str, str] | None = None) -> ApiError:
    """A refusal from the services as a 409 (stale) or 422 with the API's name for the field."""
    if isinstance(refused, services.StaleEscalation):
        return ApiError(409, refused.message, code="stale")
    field = getattr(refused, "field", None)
    if field:
        field = (fields or {}).get(field, field)
    return ApiError(422, str(getattr(refused, "message", refused)), code="refused", field=field)


def _detail(request: HttpRequest, escalation: Escalation, person: Person) -> dict[str, Any]:
    """The escalation as it is now (after an action): shown, so audited as the page would be."""
    fresh = selectors.access_escalation(person, escalation.reference)
    record_escalation_view(person=person, escalation=fresh, request=request)
    return presenters.detail(selectors.escalation_page(fresh, person))


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
        raise _refused(
            refused,
            {
                "respondent_agency": "respondent_agency_id",
                "respondent_person": "respondent_person_id",
            },
        ) from None
    return Status(201, _detail(request, escalation, person))


@router.get("/escalations/{reference}", response={200: EscalationDetail, **READ_ERRORS}, auth=READ)
def read_escalation(request: HttpRequest, reference: Path[Reference]) -> Any:
    """One escalation: its stage, deadline, what you may do now, actions and timeline (audited)."""
    person = person_of(request)
    escalation = selectors.access_escalation(person, reference)
    record_escalation_view(person=person, escalation=escalation, request=request)
    return presenters.detail(selectors.escalation_page(escalation, person))


def _stage_action(
    request: HttpRequest,
    reference: Path[Reference],
    perform: Callable[[Escalation, Person], object],
    fields: dict[str, str] | None = None,
) -> dict[str, Any]:
    person = person_of(request)
    escalation = selectors.access_escalation(person, reference)
    try:
        perform(escalation, person)
    except services.ActionRefused as refused:
        raise _refused(refused, fields) from None
    return _detail(request, escalation, person)


ACTION: dict[str, Any] = {"response": {200: EscalationDetail, **WRITE_ERRORS}, "auth": WRITE}


@router.post("/escalations/{reference}/discussions", **ACTION)
def record_discussion(
    request: HttpRequest, reference: Path[Reference], payload: DiscussionIn
) -> Any:
    """Record a discussion held at the current stage."""
    return _stage_action(
        request,
        reference,
        lambda escalation, person: services.record_discussion(
            escalation=escalation,
            by=person,
            expected_version=payload.expected_version,
            held_on=payload.held_on,
            with_whom=payload.with_whom,
            method=payload.method.value,
            summary=payload.summary,
            outcome=payload.outcome,
        ),
    )


@router.post("/escalations/{reference}/rationale-requests", **ACTION)
def request_rationale(
    request: HttpRequest, reference: Path[Reference], payload: RationaleRequestIn
) -> Any:
    """Ask the respondent for their rationale in writing (the raiser's side)."""
    return _stage_action(
        request,
        reference,
        lambda escalation, person: services.request_rationale(
            escalation=escalation,
            by=person,
            expected_version=payload.expected_version,
            message=payload.message,
        ),
    )


@router.post("/escalations/{reference}/rationale", **ACTION)
def give_rationale(request: HttpRequest, reference: Path[Reference], payload: RationaleIn) -> Any:
    """Give the respondent side's rationale."""
    return _stage_action(
        request,
        reference,
        lambda escalation, person: services.give_rationale(
            escalation=escalation,
            by=person,
            expected_version=payload.expected_version,
            rationale=payload.rationale,
        ),
    )


def _reason_action(name: str, summary: str) -> None:
    service = getattr(services, name)

    def endpoint(request: HttpRequest, reference: Path[Reference], payload: ReasonIn) -> Any:
        return _stage_action(
            request,
            reference,
            lambda escalation, person: service(
                escalation=escalation,
                by=person,
                expected_version=payload.expected_version,
                reason=payload.reason,
            ),
        )

    slug = name.split("_")[0]
    endpoint.__name__ = name
    endpoint.__doc__ = summary
    router.post(f"/escalations/{{reference}}/{slug}", operation_id=name, **ACTION)(endpoint)


_reason_action("escalate_to_next_stage", "Escalate to the policy's next stage, with the reason.")
_reason_action("pause_escalation", "Pause the escalation; its deadline stops until resumed.")
_reason_action("resume_escalation", "Resume a paused escalation.")
_reason_action("withdraw_escalation", "Withdraw the escalation (the raiser or their manager).")


@router.post("/escalations/{reference}/resolve", **ACTION)
def resolve_escalation(request: HttpRequest, reference: Path[Reference], payload: ResolveIn) -> Any:
    """Resolve the escalation: the decision, who made it, learning and agreed actions."""
    person = person_of(request)
    selectors.access_escalation(person, reference)  # 404 first, whatever the body says
    owners = [
        _person_in_partnership(person, action.owner_id, f"actions.{index}.owner_id")
        for index, action in enumerate(payload.actions)
    ]
    specs = [
        services.ActionSpec(owner=owner, description=action.description, due_on=action.due_on)
        for owner, action in zip(owners, payload.actions, strict=True)
    ]
    return _stage_action(
        request,
        reference,
        lambda escalation, by: services.resolve_escalation(
            escalation=escalation,
            by=by,
            expected_version=payload.expected_version,
            decision=payload.decision,
            decided_by=payload.decided_by,
            learning=payload.learning,
            learning_themes=[theme.strip() for theme in payload.learning_themes if theme.strip()],
            actions=specs,
        ),
        {"owner": "actions", "due_on": "actions", "description": "actions"},
    )


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


@router.post(
    "/escalations/{reference}/actions",
    response={201: ActionOut, **WRITE_ERRORS},
    auth=WRITE,
)
def add_action(request: HttpRequest, reference: Path[Reference], payload: ActionIn) -> Any:
    """Agree an action with an owner in the partnership and a due date."""
    person = person_of(request)
    escalation = selectors.access_escalation(person, reference)
    owner = _person_in_partnership(person, payload.owner_id, "owner_id")
    try:
        action = services.add_action(
            escalation=escalation,
            by=person,
            owner=owner,
            description=payload.description,
            due_on=payload.due_on,
        )
    except services.ActionRefused as refused:
        raise _refused(refused, {"owner": "owner_id"}) from None
    return Status(201, presenters.action_out(action, escalation.reference))


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


@router.post("/actions/{action_id}/done", response={200: ActionOut, **WRITE_ERRORS}, auth=WRITE)
def complete_action(request: HttpRequest, action_id: Path[Id], payload: CompleteActionIn) -> Any:
    """Mark an action done (its owner, or whoever agreed it)."""
    person = person_of(request)
    action = selectors.access_action(person, action_id)
    try:
        done = services.complete_action(action=action, by=person, note=payload.note)
    except services.ActionRefused as refused:
        raise _refused(refused) from None
    done.owner = action.owner
    return presenters.action_out(done, action.escalation.reference)
