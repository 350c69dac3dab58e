"""Escalation pages: home lists, the escalation page and the small form for each stage action.

Views are thin: load through the selectors (access_escalation / access_action and nothing else),
check what was typed with a form, call one service, and show a refusal in the error summary with
everything the person typed kept.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET, require_http_methods

from escalate.audit.services import record_escalation_view
from escalate.directory import selectors as directory
from escalate.directory.models import Role
from escalate.directory.requests import person_of
from escalate.escalations import forms as stage_forms
from escalate.escalations import selectors, services, steps
from escalate.escalations.actions import (
    BY_NAME,
    STAGE_ACTIONS,
)
from escalate.escalations.forms import action_form, action_values
from escalate.escalations.models import ChronologyEntry, Escalation, Panel
from escalate.escalations.raising import open_draft
from escalate.escalations.services.allocation import may_allocate_reviewers

# Reads, not writes: whether a link may be removed (services lists only audited writes).
from escalate.escalations.services.linking import find_link, may_remove_links
from escalate.escalations.workflow import ActionRefused
from escalate.evidence.selectors import escalation_evidence
from escalate.notifications.services import mark_read_on_opening
from escalate.policies.schema import PolicySpec
from escalate.policies.selectors import awaiting_approval_by
from escalate.reports import record
from escalate.web.templatetags.govuk import govuk_error_summary

LIST_LIMIT = 50
# What the list rows show; added here so a list never costs a query per row. Only these are
# joined: every extra join costs PostgreSQL planning time on each list (docs/performance.md).
LIST_RELATED = ("policy_version", "raiser_agency", "respondent_agency")


def _list_rows(rows: QuerySet[Escalation], limit: int) -> list[Escalation]:
    return list(
        rows.select_related(None).select_related(*LIST_RELATED).only(*selectors.LIST_FIELDS)[:limit]
    )


def _whole_number(raw: str, *, low: int, high: int) -> int | None:
    raw = raw.strip()
    if not raw.isdigit():
        return None
    value = int(raw)
    return value if low <= value <= high else None


MAX_STAGES_OFFERED = 6


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Home: raise, continue a draft, find by reference, "Needs your action", then "Following"."""
    person = person_of(request)
    # Search by reference: straight to the escalation when the person may see it.
    searched = " ".join(str(request.GET.get("reference", "")).split())[:40]
    search_error = ""
    if "reference" in request.GET:
        found = (
            selectors.escalations_visible_to(person)
            .filter(reference__iexact=searched)
            .values_list("reference", flat=True)
            .first()
            if searched
            else None
        )
        if found:
            return redirect("escalations:detail", found)
        search_error = (
            f"No escalation you can see has the reference {searched}"
            if searched
            else "Enter a reference, like RIV-2026-0001"
        )
    agencies = list(directory.agencies_of(person).only("pk", "name"))
    agency_ids = {agency.pk for agency in agencies}
    chosen_agency = _whole_number(str(request.GET.get("agency", "")), low=1, high=2**31 - 1)
    statuses = dict(Escalation._meta.get_field("status").choices or [])
    status = str(request.GET.get("status", ""))
    filters = selectors.FollowingFilters(
        stage=_whole_number(str(request.GET.get("stage", "")), low=1, high=MAX_STAGES_OFFERED),
        status=status if status in statuses else "",
        agency=chosen_agency if chosen_agency in agency_ids else None,
        overdue=request.GET.get("overdue") == "1",
    )
    page_number = _whole_number(str(request.GET.get("page", "1")), low=1, high=10_000) or 1
    # Each escalation once: what waits for the person, then the rest they follow.
    waiting = selectors.needs_action_for(person)
    rows, has_next = selectors.following(
        person,
        filters,
        page=page_number,
        leave_out=[row.escalation.pk for row in waiting],
    )
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("reference", None)
    return render(
        request,
        "escalations/home.html",
        {
            "person": person,
            "draft": open_draft(person),
            "policies_awaiting": awaiting_approval_by(person),
            "waiting": waiting,
            "following": rows,
            "filters": filters,
            "filtered": filters != selectors.FollowingFilters(),
            "stages": range(1, MAX_STAGES_OFFERED + 1),
            "statuses": statuses,
            "agencies": agencies,
            "page_number": page_number,
            "has_next": has_next,
            "query": query.urlencode(),
            "searched": searched,
            "search_error": search_error,
        },
    )


@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """The manager's queue: open escalations waiting on this person at the current stage; for
    the partnership chair and the business unit, everything at a stage the chair decides
    (Havering Stage 4); for the business unit, everything overdue in the partnership."""
    person = person_of(request)
    rows = _list_rows(selectors.manager_queue(person), LIST_LIMIT * 4)
    keeps_decisions = person.has_role(*selectors.DECISION_QUEUE_ROLES)
    business_unit = person.has_role(Role.BUSINESS_MANAGER)
    return render(
        request,
        "escalations/queue.html",
        {
            "rows": rows,
            "keeps_decisions": keeps_decisions,
            "decision_rows": _list_rows(selectors.decision_queue(person), LIST_LIMIT * 4)
            if keeps_decisions
            else [],
            "business_unit": business_unit,
            "overdue_rows": _list_rows(selectors.overdue_in_partnership(person), LIST_LIMIT * 4)
            if business_unit
            else [],
        },
    )


@require_GET
def my_actions(request: HttpRequest) -> HttpResponse:
    """The actions this person owns, overdue first."""
    person = person_of(request)
    return render(
        request,
        "escalations/actions.html",
        {
            "actions": list(
                selectors.actions_for(person).select_related("escalation")[: LIST_LIMIT * 4]
            )
        },
    )


@require_GET
def escalation_detail(request: HttpRequest, reference: str) -> HttpResponse:
    person = person_of(request)
    escalation = selectors.access_escalation(person, reference)
    record_escalation_view(person=person, escalation=escalation, request=request)
    mark_read_on_opening(person=person, escalation_id=escalation.pk)
    page = selectors.escalation_page(escalation, person)
    allowed = set(page.allowed_actions)
    tasks = _task_links(escalation, page)
    # What a task's button already offers is not listed again.
    offered = {item["task"].action for item in tasks if item["url"]}
    links = [
        {
            "label": spec.title,
            "url": reverse("escalations:stage_action", args=[escalation.reference, slug]),
        }
        for slug, spec in STAGE_ACTIONS.items()
        if spec.name in allowed and spec.name not in offered
    ]
    return render(
        request,
        "escalations/detail.html",
        {
            "escalation": escalation,
            "page": page,
            "allowed": allowed,
            "action_links": links,
            "tasks": tasks,
            "timeline": _timeline_with_corrections(
                page.timeline, page.spec, escalation, page.panel
            ),
            # Evidence is for whoever may see the escalation (access_escalation above).
            "evidence": list(escalation_evidence(escalation)),
            "dsl_not_reached": selectors.dsl_not_reached(escalation, page.timeline),
            "may_allocate_reviewers": may_allocate_reviewers(person, escalation),
            "may_remove_links": bool(page.linked) and may_remove_links(person, escalation),
        },
    )


# Each stage action's page, by the action's name.
SLUG_OF = {spec.name: slug for slug, spec in STAGE_ACTIONS.items()}


def _task_links(escalation: Escalation, page: selectors.EscalationPage) -> list[dict[str, Any]]:
    """The person's tasks ("What you need to do"), each with the page that does it."""
    if page.to_do is None:
        return []
    found = []
    for task in page.to_do.tasks:
        url = label = ""
        if task.action == "complete_action" and task.item_id is not None:
            url = reverse("escalations:complete_action", args=[escalation.reference, task.item_id])
            label = "Mark as done"
        elif task.action in SLUG_OF:
            url = reverse(
                "escalations:stage_action", args=[escalation.reference, SLUG_OF[task.action]]
            )
            label = STAGE_ACTIONS[SLUG_OF[task.action]].title
        found.append({"task": task, "url": url, "label": label})
    return found


# Facts the page shows in its own place: what the record puts in the entry's heading, the
# entry's text, and what a correction corrects (linked under the entry).
SHOWN_ELSEWHERE = record.IN_THE_HEADING | {"text", "corrects"}


def _minute(moment: datetime | None) -> tuple[int, ...] | None:
    """The local minute of `moment`, as the template's `date:"YmdHi"` compared them."""
    if moment is None:
        return None
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return moment.timetuple()[:5]


def _timeline_with_corrections(
    entries: Any, spec: PolicySpec, escalation: Escalation, panel: Panel | None = None
) -> list[ChronologyEntry]:
    """Each entry with its details and the corrections made to it, matched in memory (the
    panel's members are prefetched with the page). The details are the record's own facts
    (reports.record.entry_facts), so the page and the record for the child's file say the same."""
    timeline = list(entries)
    names = record.Names(
        spec,
        {
            escalation.raiser_agency_id: escalation.raiser_agency.name,
            escalation.respondent_agency_id: escalation.respondent_agency.name,
        },
    )
    if panel is not None:
        names.people = {member.pk: member.full_name for member in panel.members.all()}
    by_id = {entry.pk: entry for entry in timeline}
    for entry in timeline:
        entry.corrected_by = []  # type: ignore[attr-defined]
        # Recorded in another minute than it happened (local time): the page says when.
        entry.recorded_later = _minute(entry.recorded_at) != _minute(entry.occurred_at)  # type: ignore[attr-defined]
        entry.details = [  # type: ignore[attr-defined]
            (fact.label, fact.value)
            for fact in record.entry_facts(entry, names)
            if fact.key not in SHOWN_ELSEWHERE
        ]
    for entry in timeline:
        target = by_id.get(entry.corrects_id) if entry.corrects_id else None
        entry.corrected_entry = target  # type: ignore[attr-defined]
        if target is not None:
            target.corrected_by.append(entry)  # type: ignore[attr-defined]
    return timeline


# --- Stage actions: made from their declarations (escalations/actions.py) -------------------

# The pages that answer a proposed resolution show it.
ANSWERS = ("accept_resolution", "decline_resolution")


def _show_refusal(form: forms.Form, refused: ActionRefused) -> None:
    field = getattr(refused, "field", None)
    message = str(getattr(refused, "message", refused))
    form.add_error(field if field in form.fields else None, message)


@require_http_methods(["GET", "POST"])
def stage_action(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    spec = STAGE_ACTIONS.get(action)
    if spec is None:
        raise Http404("No such action")
    person = person_of(request)
    escalation = selectors.access_escalation(person, reference)
    if steps.is_stepped(spec):
        # Asked one thing per page (steps.py), from its first page.
        return redirect(steps.first_step_url(escalation.reference, action))
    data = request.POST if request.method == "POST" else None
    form = action_form(
        spec, person=person, data=data, version=escalation.version, escalation=escalation
    )
    if request.method == "POST" and form.is_valid():
        try:
            spec.perform(escalation, person, action_values(spec, form, []))
        except services.StaleEscalation as stale:
            # Same text, the version now on record, so a second try can succeed.
            escalation.refresh_from_db()
            fresh = request.POST.copy()
            fresh["expected_version"] = str(escalation.version)
            form = action_form(
                spec,
                person=person,
                data=fresh,
                version=escalation.version,
                escalation=escalation,
            )
            form.is_valid()
            _show_refusal(form, stale)
        except ActionRefused as refused:
            _show_refusal(form, refused)
        else:
            messages.success(request, spec.done)
            return redirect("escalations:detail", escalation.reference)
    return render(
        request,
        "escalations/stage_action.html",
        {
            "escalation": escalation,
            "spec": spec,
            "form": form,
            "error_summary": _error_summary(form),
            "panel_rule": escalation.policy_version.spec.panel
            if spec.name == "convene_panel"
            else None,
            "proposal": selectors.proposal_of(escalation) if spec.name in ANSWERS else None,
            "question": selectors.rationale_question_of(escalation)
            if spec.name == "give_rationale"
            else "",
        },
    )


def _error_summary(*forms_to_check: forms.Form) -> SafeString:
    return govuk_error_summary(*forms_to_check)


@require_http_methods(["GET", "POST"])
def complete_action(request: HttpRequest, reference: str, action_id: int) -> HttpResponse:
    person = person_of(request)
    action = selectors.access_action(person, action_id)
    if action.escalation.reference != reference:
        raise Http404("No such action")
    spec = BY_NAME["complete_action"]
    data = request.POST if request.method == "POST" else None
    form = action_form(spec, person=person, data=data, version=None)
    if request.method == "POST" and form.is_valid():
        try:
            spec.perform(action, person, action_values(spec, form, []))
        except ActionRefused as refused:
            _show_refusal(form, refused)
        else:
            messages.success(request, spec.done)
            return redirect("escalations:detail", reference)
    return render(
        request,
        "escalations/complete_action.html",
        {
            "escalation": action.escalation,
            "action": action,
            "form": form,
            "error_summary": _error_summary(form),
        },
    )


@require_http_methods(["GET", "POST"])
def correct_entry(request: HttpRequest, reference: str, entry_id: int) -> HttpResponse:
    person = person_of(request)
    entry = selectors.access_entry(person, reference, entry_id)
    escalation = entry.escalation
    spec = BY_NAME["correct_entry"]
    data = request.POST if request.method == "POST" else None
    form = action_form(spec, person=person, data=data, version=None)
    if request.method == "POST" and form.is_valid():
        try:
            spec.perform(entry, person, action_values(spec, form, []))
        except ActionRefused as refused:
            _show_refusal(form, refused)
        else:
            messages.success(request, spec.done)
            return redirect("escalations:detail", reference)
    return render(
        request,
        "escalations/correct_entry.html",
        {
            "escalation": escalation,
            "entry": entry,
            "form": form,
            "error_summary": _error_summary(form),
        },
    )


@require_http_methods(["GET", "POST"])
def remove_link(request: HttpRequest, reference: str, other: str) -> HttpResponse:
    """The business unit removes a link to another escalation made in error, with a reason.
    Not found unless the person may see both escalations and they are linked."""
    person = person_of(request)
    escalation = selectors.access_escalation(person, reference)
    try:
        sides = find_link(person, escalation, other)
    except services.LinkNotFound:
        raise Http404("No such link") from None
    if not (may_remove_links(person, sides.earlier) and may_remove_links(person, sides.later)):
        raise PermissionDenied("Only the partnership's business unit removes a link.")
    form = stage_forms.RemoveLinkForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.remove_link(
                escalation=escalation,
                other_reference=other,
                by=person,
                reason=form.cleaned_data["reason"],
            )
        except services.LinkNotFound:
            raise Http404("No such link") from None
        except ActionRefused as refused:
            _show_refusal(form, refused)
        else:
            messages.success(request, f"The link to {other} has been removed.")
            return redirect("escalations:detail", escalation.reference)
    return render(
        request,
        "escalations/remove_link.html",
        {
            "escalation": escalation,
            "other": sides.other(escalation),
            "form": form,
            "error_summary": _error_summary(form),
        },
    )


@require_http_methods(["GET", "POST"])
def allocate_reviewers(request: HttpRequest, reference: str) -> HttpResponse:
    """The business unit names the child's IRO and CP chair; only they are then told."""
    person = person_of(request)
    escalation = selectors.access_escalation(person, reference)
    if not may_allocate_reviewers(person, escalation):
        raise PermissionDenied("Only the partnership's business unit allocates the IRO.")
    form = stage_forms.AllocateReviewersForm(
        request.POST if request.method == "POST" else None,
        initial={
            "expected_version": escalation.version,
            "iro": str(escalation.allocated_iro_id or stage_forms.NOT_KNOWN),
            "cp_chair": str(escalation.allocated_cp_chair_id or stage_forms.NOT_KNOWN),
        },
        iros=directory.people_holding(person, Role.IRO),
        cp_chairs=directory.people_holding(person, Role.CP_CHAIR),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.allocate_reviewers(
                escalation=escalation,
                by=person,
                expected_version=int(form.cleaned_data["expected_version"]),
                iro=form.chosen("iro"),
                cp_chair=form.chosen("cp_chair"),
            )
        except ActionRefused as refused:
            _show_refusal(form, refused)
        else:
            messages.success(request, "The IRO and conference chair have been recorded.")
            return redirect("escalations:detail", escalation.reference)
    return render(
        request,
        "escalations/reviewers.html",
        {"escalation": escalation, "form": form, "error_summary": _error_summary(form)},
    )
