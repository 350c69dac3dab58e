"""Escalation pages: home lists, the escalation page and the small form for each stage action.

Views are thin: load through the selectors (access_escalation / access_action and nothing else),
check what was typed with a form, call one service, and show a refusal in the error summary with
everything the person typed kept.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.forms.utils import ErrorDict
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET, require_http_methods

from escalate.audit.services import record_escalation_view
from escalate.directory.models import Agency, Person
from escalate.escalations import forms as stage_forms
from escalate.escalations import selectors, services
from escalate.escalations.models import ChronologyEntry, Escalation
from escalate.escalations.raising import open_draft
from escalate.escalations.services.allocation import may_allocate_reviewers
from escalate.escalations.workflow import ActionRefused
from escalate.policies.schema import PolicySpec
from escalate.web.templatetags.govuk import govuk_error_summary

LIST_LIMIT = 50
# What the list rows show; added here so a list never costs a query per row. Only these are
# joined: every extra join costs PostgreSQL planning time on each list (docs/performance.md).
LIST_RELATED = ("policy_version", "raiser_agency", "respondent_agency")


def _list_rows(rows: QuerySet[Escalation], limit: int) -> list[Escalation]:
    return list(rows.select_related(None).select_related(*LIST_RELATED)[:limit])


def _person(request: HttpRequest) -> Person:
    person = request.user
    assert isinstance(person, Person)
    return person


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Home: raise, continue a draft, and the person's lists."""
    person = _person(request)
    lists = [
        ("Waiting for you", selectors.waiting_for(person), "waiting"),
        ("Raised by you", selectors.raised_by(person), "raised"),
        ("Your agency's", selectors.agency_escalations(person), "agency"),
    ]
    if person.reports.exists():
        lists.append(("Your team's", selectors.team_escalations(person), "team"))
    return render(
        request,
        "escalations/home.html",
        {
            "person": person,
            "draft": open_draft(person),
            "lists": [
                {
                    "title": title,
                    "rows": _list_rows(rows, LIST_LIMIT),
                    "key": key,
                }
                for title, rows, key in lists
            ],
        },
    )


@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """The manager's queue: open escalations waiting on this person at the current stage."""
    person = _person(request)
    return render(
        request,
        "escalations/queue.html",
        {"rows": _list_rows(selectors.manager_queue(person), LIST_LIMIT * 4)},
    )


@require_GET
def my_actions(request: HttpRequest) -> HttpResponse:
    """The actions this person owns, overdue first."""
    person = _person(request)
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
    person = _person(request)
    escalation = selectors.access_escalation(person, reference)
    record_escalation_view(person=person, escalation=escalation, request=request)
    page = selectors.escalation_page(escalation, person)
    allowed = set(page.allowed_actions)
    links = [
        {
            "label": spec.title,
            "url": reverse("escalations:stage_action", args=[escalation.reference, slug]),
        }
        for slug, spec in STAGE_ACTIONS.items()
        if spec.key in allowed
    ]
    return render(
        request,
        "escalations/detail.html",
        {
            "escalation": escalation,
            "page": page,
            "allowed": allowed,
            "action_links": links,
            "timeline": _timeline_with_corrections(page.timeline, page.spec),
            "dsl_not_reached": selectors.dsl_not_reached(escalation, page.timeline),
            "may_allocate_reviewers": may_allocate_reviewers(person, escalation),
        },
    )


METHOD_LABELS = dict(stage_forms.DiscussionForm.base_fields["method"].choices)  # type: ignore[attr-defined]
# The facts an entry's data holds that a reader needs, in the order shown.
DETAIL_LABELS = (
    ("with_whom", "Who took part"),
    ("method", "How"),
    ("outcome", "Outcome"),
    ("agency", "Agency"),
    ("decided_by", "Decided by"),
    ("learning", "Learning"),
    ("started_at_later_stage_reason", "Why it started at this stage"),
    ("due_on", "Due"),
)


def _details_of(entry: ChronologyEntry, spec: PolicySpec) -> list[tuple[str, str]]:
    data = entry.data if isinstance(entry.data, dict) else {}
    details = []
    if entry.kind == "escalated" and data.get("to"):
        with contextlib.suppress(KeyError):
            details.append(("Moved to", spec.stage(str(data["to"])).name))
    for key, label in DETAIL_LABELS:
        value = data.get(key)
        if value in (None, "", []):
            continue
        if key == "method":
            value = METHOD_LABELS.get(value, value)
        if key == "due_on":
            with contextlib.suppress(ValueError):
                value = date.fromisoformat(str(value)).strftime("%-d %B %Y")
        details.append((label, str(value)))
    return details


def _timeline_with_corrections(entries: Any, spec: PolicySpec) -> list[ChronologyEntry]:
    """Each entry with its details and the corrections made to it, matched in memory."""
    timeline = list(entries)
    by_id = {entry.pk: entry for entry in timeline}
    for entry in timeline:
        entry.corrected_by = []  # type: ignore[attr-defined]
        entry.details = _details_of(entry, spec)  # type: ignore[attr-defined]
    for entry in timeline:
        target = by_id.get(entry.corrects_id) if entry.corrects_id else None
        entry.corrected_entry = target  # type: ignore[attr-defined]
        if target is not None:
            target.corrected_by.append(entry)  # type: ignore[attr-defined]
    return timeline


# --- Stage actions -----------------------------------------------------------------------------


def _partnership_people(escalation: Escalation) -> QuerySet[Person]:
    return (
        Person.objects.filter(partnership_id=escalation.partnership_id, is_active=True)
        .select_related("agency")
        .order_by("full_name")
    )


def _possible_panel_members(escalation: Escalation) -> QuerySet[Person]:
    """Managers and the partnership's panel members: a panel is never made of practitioners."""
    return (
        _partnership_people(escalation)
        .filter(
            Q(level__gte=2) | Q(role_assignments__role__in=["panel_member", "partnership_chair"])
        )
        .distinct()
    )


def _partnership_agencies(escalation: Escalation) -> QuerySet[Agency]:
    return Agency.objects.filter(partnership_id=escalation.partnership_id, is_active=True)


@dataclass(frozen=True)
class StageAction:
    """One stage action page: its form, the service it calls and what it says."""

    key: str  # the service's name, as in selectors.ACTION_NAMES
    slug: str
    title: str
    button: str
    done: str
    form: Callable[[Escalation, Any], forms.Form]
    perform: Callable[[Escalation, Person, forms.Form, list[stage_forms.ActionRowForm]], Any]
    hint: str = ""
    action_rows: bool = False


def _plain(form_class: type[forms.Form]) -> Callable[[Escalation, Any], forms.Form]:
    return lambda escalation, data: form_class(
        data, initial={"expected_version": escalation.version}
    )


def _specs(rows: list[stage_forms.ActionRowForm]) -> list[services.ActionSpec]:
    return [
        services.ActionSpec(
            owner=row.cleaned_data["owner"],
            description=row.cleaned_data["description"],
            due_on=row.cleaned_data["due_on"],
        )
        for row in rows
        if not row.is_empty()
    ]


def _v(form: forms.Form) -> int:
    return int(form.cleaned_data["expected_version"])


STAGE_ACTIONS: dict[str, StageAction] = {
    action.slug: action
    for action in [
        StageAction(
            key="record_discussion",
            slug="record-discussion",
            title="Record a discussion",
            button="Save the discussion",
            done="The discussion has been recorded.",
            form=_plain(stage_forms.DiscussionForm),
            perform=lambda e, by, f, rows: services.record_discussion(
                escalation=e,
                by=by,
                expected_version=_v(f),
                held_on=f.cleaned_data["held_on"],
                with_whom=f.cleaned_data["with_whom"],
                method=f.cleaned_data["method"],
                summary=f.cleaned_data["summary"],
                outcome=f.cleaned_data["outcome"],
            ),
        ),
        StageAction(
            key="request_rationale",
            slug="request-rationale",
            title="Ask for the rationale in writing",
            button="Send the request",
            done="The professional has been asked for their rationale.",
            form=_plain(stage_forms.RequestRationaleForm),
            perform=lambda e, by, f, rows: services.request_rationale(
                escalation=e, by=by, expected_version=_v(f), message=f.cleaned_data["message"]
            ),
        ),
        StageAction(
            key="give_rationale",
            slug="give-rationale",
            title="Give your rationale",
            button="Send your rationale",
            done="Your rationale has been recorded.",
            form=_plain(stage_forms.GiveRationaleForm),
            perform=lambda e, by, f, rows: services.give_rationale(
                escalation=e, by=by, expected_version=_v(f), rationale=f.cleaned_data["rationale"]
            ),
        ),
        StageAction(
            key="escalate_to_next_stage",
            slug="escalate",
            title="Escalate to the next stage",
            button="Escalate",
            done="The escalation has moved to the next stage.",
            form=_plain(stage_forms.ReasonForm),
            hint="Say why the disagreement could not be resolved at this stage.",
            perform=lambda e, by, f, rows: services.escalate_to_next_stage(
                escalation=e, by=by, expected_version=_v(f), reason=f.cleaned_data["reason"]
            ),
        ),
        StageAction(
            key="pause_escalation",
            slug="pause",
            title="Pause the escalation",
            button="Pause",
            done="The escalation has been paused; its deadline stops until it is resumed.",
            form=_plain(stage_forms.ReasonForm),
            hint="For example, waiting for a strategy meeting.",
            perform=lambda e, by, f, rows: services.pause_escalation(
                escalation=e, by=by, expected_version=_v(f), reason=f.cleaned_data["reason"]
            ),
        ),
        StageAction(
            key="resume_escalation",
            slug="resume",
            title="Resume the escalation",
            button="Resume",
            done="The escalation has been resumed.",
            form=_plain(stage_forms.ReasonForm),
            perform=lambda e, by, f, rows: services.resume_escalation(
                escalation=e, by=by, expected_version=_v(f), reason=f.cleaned_data["reason"]
            ),
        ),
        StageAction(
            key="resolve_escalation",
            slug="resolve",
            title="Resolve the escalation",
            button="Resolve",
            done="The escalation has been resolved.",
            form=_plain(stage_forms.ResolveForm),
            action_rows=True,
            perform=lambda e, by, f, rows: services.resolve_escalation(
                escalation=e,
                by=by,
                expected_version=_v(f),
                decision=f.cleaned_data["decision"],
                decided_by=f.cleaned_data["decided_by"],
                learning=f.cleaned_data["learning"],
                learning_themes=f.themes(),  # type: ignore[attr-defined]
                actions=_specs(rows),
            ),
        ),
        StageAction(
            key="withdraw_escalation",
            slug="withdraw",
            title="Withdraw the escalation",
            button="Withdraw",
            done="The escalation has been withdrawn.",
            form=_plain(stage_forms.ReasonForm),
            perform=lambda e, by, f, rows: services.withdraw_escalation(
                escalation=e, by=by, expected_version=_v(f), reason=f.cleaned_data["reason"]
            ),
        ),
        StageAction(
            key="convene_panel",
            slug="convene-panel",
            title="Convene a Resolution Panel",
            button="Convene the panel",
            done="The Resolution Panel has been convened.",
            form=lambda e, data: stage_forms.ConvenePanelForm(
                data, initial={"expected_version": e.version}, people=_possible_panel_members(e)
            ),
            perform=lambda e, by, f, rows: services.convene_panel(
                escalation=e,
                by=by,
                expected_version=_v(f),
                members=list(f.cleaned_data["members"]),
            ),
        ),
        StageAction(
            key="record_representation",
            slug="representation",
            title="Record a representation to the panel",
            button="Save the representation",
            done="The representation has been recorded.",
            form=lambda e, data: stage_forms.RepresentationForm(
                data, initial={"expected_version": e.version}, agencies=_partnership_agencies(e)
            ),
            perform=lambda e, by, f, rows: services.record_representation(
                escalation=e,
                by=by,
                expected_version=_v(f),
                agency=f.cleaned_data["agency"],
                summary=f.cleaned_data["summary"],
            ),
        ),
        StageAction(
            key="record_panel_decision",
            slug="panel-decision",
            title="Record the panel's decision",
            button="Save the decision",
            done="The panel's decision has been recorded.",
            form=_plain(stage_forms.PanelDecisionForm),
            action_rows=True,
            perform=lambda e, by, f, rows: services.record_panel_decision(
                escalation=e,
                by=by,
                expected_version=_v(f),
                decision=f.cleaned_data["decision"],
                learning=f.cleaned_data["learning"],
                learning_themes=f.themes(),  # type: ignore[attr-defined]
                actions=_specs(rows),
            ),
        ),
        StageAction(
            key="add_action",
            slug="add-action",
            title="Add an action",
            button="Add the action",
            done="The action has been added.",
            form=lambda e, data: stage_forms.AddActionForm(data, people=_partnership_people(e)),
            perform=lambda e, by, f, rows: services.add_action(
                escalation=e,
                by=by,
                owner=f.cleaned_data["owner"],
                description=f.cleaned_data["description"],
                due_on=f.cleaned_data["due_on"],
            ),
        ),
        StageAction(
            key="add_view",
            slug="add-view",
            title="Add your view",
            button="Add your view",
            done="Your view has been added to the timeline.",
            form=lambda e, data: stage_forms.ViewForm(data),
            perform=lambda e, by, f, rows: services.add_view(
                escalation=e, by=by, view=f.cleaned_data["view"]
            ),
        ),
    ]
}
ACTION_ROWS = 3
MAX_ACTION_ROWS = 10


def _action_rows(escalation: Escalation, request: HttpRequest) -> list[stage_forms.ActionRowForm]:
    count = ACTION_ROWS
    raw = request.POST.get("action_rows") or request.GET.get("rows") or ""
    if raw.isdigit():
        count = max(1, min(int(raw), MAX_ACTION_ROWS))
    if request.method == "POST" and "add_row" in request.POST:
        count = min(count + 1, MAX_ACTION_ROWS)
    people = _partnership_people(escalation)
    data = request.POST if request.method == "POST" else None
    return [
        stage_forms.ActionRowForm(data, prefix=f"action-{index}", people=people)
        for index in range(count)
    ]


def _show_refusal(form: forms.Form, refused: ActionRefused) -> None:
    field = getattr(refused, "field", None)
    message = str(getattr(refused, "message", refused))
    form.add_error(field if field in form.fields else None, message)


@require_http_methods(["GET", "POST"])
def stage_action(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    spec = STAGE_ACTIONS.get(action)
    if spec is None:
        raise Http404("No such action")
    person = _person(request)
    escalation = selectors.access_escalation(person, reference)
    data = request.POST if request.method == "POST" else None
    form = spec.form(escalation, data)
    rows = _action_rows(escalation, request) if spec.action_rows else []
    adding_row = request.method == "POST" and "add_row" in request.POST
    if adding_row:
        # Another empty row asked for: show what was typed, not yet checked.
        for unchecked in (form, *rows):
            unchecked._errors = ErrorDict()  # type: ignore[attr-defined]
    if request.method == "POST" and not adding_row:
        valid = form.is_valid()
        valid = all([row.is_valid() for row in rows]) and valid
        if valid:
            try:
                spec.perform(escalation, person, form, rows)
            except services.StaleEscalation as stale:
                # Same text, the version now on record, so a second try can succeed.
                escalation.refresh_from_db()
                fresh = request.POST.copy()
                fresh["expected_version"] = str(escalation.version)
                form = spec.form(escalation, fresh)
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
            "rows": rows,
            "error_summary": _error_summary(form, *rows),
            "panel_rule": escalation.policy_version.spec.panel
            if spec.key == "convene_panel"
            else None,
        },
    )


def _error_summary(*forms_to_check: forms.Form) -> SafeString:
    return govuk_error_summary(*forms_to_check)


@require_http_methods(["GET", "POST"])
def complete_action(request: HttpRequest, reference: str, action_id: int) -> HttpResponse:
    person = _person(request)
    action = selectors.access_action(person, action_id)
    if action.escalation.reference != reference:
        raise Http404("No such action")
    form = stage_forms.CompleteActionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.complete_action(action=action, by=person, note=form.cleaned_data["note"])
        except ActionRefused as refused:
            _show_refusal(form, refused)
        else:
            messages.success(request, "The action has been marked as done.")
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
    person = _person(request)
    escalation = selectors.access_escalation(person, reference)
    entry = (
        ChronologyEntry.objects.filter(escalation=escalation, pk=entry_id)
        .select_related("actor")
        .first()
    )
    if entry is None:
        raise Http404("No such entry")
    form = stage_forms.CorrectionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.correct_entry(
                entry=entry, by=person, correction=form.cleaned_data["correction"]
            )
        except ActionRefused as refused:
            _show_refusal(form, refused)
        else:
            messages.success(request, "Your correction has been added to the timeline.")
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


def _reviewers_of(escalation: Escalation, role: str) -> QuerySet[Person]:
    return (
        Person.objects.filter(
            partnership_id=escalation.partnership_id, is_active=True, role_assignments__role=role
        )
        .select_related("agency")
        .distinct()
        .order_by("full_name")
    )


@require_http_methods(["GET", "POST"])
def allocate_reviewers(request: HttpRequest, reference: str) -> HttpResponse:
    """The business unit names the child's IRO and CP chair; only they are then told."""
    person = _person(request)
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
        iros=_reviewers_of(escalation, "iro"),
        cp_chairs=_reviewers_of(escalation, "cp_chair"),
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
