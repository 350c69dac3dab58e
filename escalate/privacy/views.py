"""The legal pages, linked from every page's footer, and their editing by the business unit."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from escalate.directory import selectors as directory
from escalate.directory.models import Person, Role
from escalate.directory.requests import person_of
from escalate.escalations.selectors import access_escalation
from escalate.privacy import selectors, services
from escalate.privacy.forms import (
    DisposeForm,
    KeepLongerForm,
    LegalHoldForm,
    LegalPageForm,
    LiftHoldForm,
    ProfessionalExportForm,
    ProfessionalSearchForm,
    SubjectSearchForm,
)
from escalate.privacy.models import LegalPageKind, RetentionDecision
from escalate.privacy.review import LOOKAHEAD, decisions_on, may_review, review_due_on
from escalate.privacy.review import retention_review as retention_review_of
from escalate.privacy.search import MOST_RESULTS, SubjectQuery, may_search


def _kind(kind: str) -> LegalPageKind:
    if kind not in LegalPageKind.values:
        raise Http404
    return LegalPageKind(kind)


@login_not_required
@require_GET
def legal_page(request: HttpRequest, kind: str) -> HttpResponse:
    """Open to everyone: people must be able to read these before they sign in."""
    page = selectors.legal_page_for(request.user, _kind(kind))
    person = request.user
    may_edit = isinstance(person, Person) and person.has_role(Role.BUSINESS_MANAGER)
    return render(request, "privacy/legal_page.html", {"page": page, "may_edit": may_edit})


@require_http_methods(["GET", "POST"])
def edit_legal_page(request: HttpRequest, kind: str) -> HttpResponse:
    person = request.user
    page_kind = _kind(kind)
    if not (isinstance(person, Person) and person.has_role(Role.BUSINESS_MANAGER)):
        raise PermissionDenied
    page = selectors.legal_page_for(person, page_kind)
    form = LegalPageForm(
        request.POST or None, initial={"body": page.custom.body if page.custom else ""}
    )
    if request.method == "POST" and form.is_valid():
        services.save_legal_page(by=person, kind=page_kind, body=form.cleaned_data["body"])
        return redirect("privacy:page", kind=page_kind.value)
    return render(request, "privacy/edit_legal_page.html", {"page": page, "form": form})


EXPORT_KEYS = (
    "name",
    "date_of_birth_day",
    "date_of_birth_month",
    "date_of_birth_year",
    "case_reference",
    "reason",
    "request_reference",
)


@require_http_methods(["GET", "POST"])
def search_subject(request: HttpRequest) -> HttpResponse:
    """Find a child's or adult's escalations: the business unit and safeguarding leads only."""
    person = person_of(request)
    if not may_search(person):
        raise PermissionDenied
    form = SubjectSearchForm(request.POST or None)
    results = None
    exporting = request.POST.get("export") == "yes"
    if exporting and not person.has_role(Role.BUSINESS_MANAGER):
        raise PermissionDenied
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        query = SubjectQuery(
            name=data["name"],
            date_of_birth=data["date_of_birth"],
            case_reference=data["case_reference"],
        )
        if exporting:
            export = services.export_subject_access(
                by=person,
                query=query,
                reason=data["reason"],
                request_reference=data["request_reference"],
                withhold_names=data["withhold_names"],
            )
            response = HttpResponse(export.zip_bytes, content_type="application/zip")
            response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
            return response
        results = services.search_for_subject(
            by=person,
            query=query,
            reason=data["reason"],
            request_reference=data["request_reference"],
        )
    return render(
        request,
        "privacy/search.html",
        {
            "form": form,
            "results": None if results is None else results[:MOST_RESULTS],
            "more": results is not None and len(results) > MOST_RESULTS,
            "most": MOST_RESULTS,
            "may_export": person.has_role(Role.BUSINESS_MANAGER),
            # The search as typed, sent again with the export button.
            "export_values": [
                (key, request.POST.get(key, "")) for key in EXPORT_KEYS if request.POST.get(key, "")
            ],
        },
    )


def _business_unit(request: HttpRequest) -> Person:
    person = person_of(request)
    if not person.has_role(Role.BUSINESS_MANAGER):
        raise PermissionDenied
    return person


@require_GET
def find_professional(request: HttpRequest) -> HttpResponse:
    """Choose the professional a subject access request is about (the business unit only)."""
    person = _business_unit(request)
    form = ProfessionalSearchForm(request.GET if "name" in request.GET else None)
    people = None
    if form.is_bound and form.is_valid():
        people = list(directory.directory_people(person, search=form.cleaned_data["name"])[:50])
    return render(request, "privacy/professional_search.html", {"form": form, "people": people})


@require_http_methods(["GET", "POST"])
def professional_export(request: HttpRequest, person_id: int) -> HttpResponse:
    """Subject access export about one professional in the partnership's directory."""
    person = _business_unit(request)
    subject = directory.manage_person(person, person_id)  # another partnership's: 404
    form = ProfessionalExportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        export = services.export_professional_access(
            by=person,
            subject=subject,
            reason=form.cleaned_data["reason"],
            request_reference=form.cleaned_data["request_reference"],
            withhold_names=form.cleaned_data["withhold_names"],
        )
        response = HttpResponse(export.zip_bytes, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
        return response
    return render(request, "privacy/professional_export.html", {"form": form, "subject": subject})


def _reviewer(request: HttpRequest) -> Person:
    person = person_of(request)
    if not may_review(person):
        raise PermissionDenied
    return person


@require_GET
def retention_review(request: HttpRequest) -> HttpResponse:
    """The business unit's list: records falling due for review, and those on legal hold."""
    person = _reviewer(request)
    today = timezone.localdate()
    review = retention_review_of(person, today=today)
    return render(
        request,
        "privacy/retention_review.html",
        {"review": review, "lookahead_days": LOOKAHEAD.days, "today": today},
    )


@require_http_methods(["GET", "POST"])
def retention_decision(request: HttpRequest, reference: str) -> HttpResponse:
    """Place or lift a legal hold on one record, or keep it longer."""
    person = _reviewer(request)
    escalation = access_escalation(person, reference)
    posted = request.POST if request.method == "POST" else None
    action = posted.get("action", "") if posted is not None else ""
    hold_form = LegalHoldForm(posted if action == "hold" else None, prefix="hold")
    longer_form = KeepLongerForm(posted if action == "extend" else None, prefix="extend")
    lift_form = LiftHoldForm(posted if action == "lift" else None, prefix="lift")
    dispose_form = DisposeForm(posted if action == "dispose" else None, prefix="dispose")
    refusal = services.disposal_refusal(escalation, today=timezone.localdate())
    if action == "dispose" and not refusal and dispose_form.is_valid():
        services.dispose_escalation(
            by=person,
            escalation=escalation,
            reason=dispose_form.cleaned_data["reason"],
            dry_run=False,
        )
        return redirect("retention:review")
    if action == "hold" and hold_form.is_valid():
        services.place_legal_hold(
            by=person, escalation=escalation, reason=hold_form.cleaned_data["reason"]
        )
        return redirect("retention:decide", reference=reference)
    if action == "extend" and longer_form.is_valid():
        services.keep_record_longer(
            by=person,
            escalation=escalation,
            until=longer_form.cleaned_data["keep_until"],
            reason=longer_form.cleaned_data["reason"],
        )
        return redirect("retention:decide", reference=reference)
    decisions = decisions_on(escalation)
    if action == "lift" and lift_form.is_valid():
        hold = next(
            (
                d
                for d in decisions
                if d.pk == lift_form.cleaned_data["hold"]
                and d.kind == RetentionDecision.Kind.HOLD
                and d.lifted_at is None
            ),
            None,
        )
        if hold is None:
            lift_form.add_error("reason", "This hold has already been lifted")
        else:
            services.lift_legal_hold(
                by=person, decision=hold, reason=lift_form.cleaned_data["reason"]
            )
            return redirect("retention:decide", reference=reference)
    return render(
        request,
        "privacy/retention_decision.html",
        {
            "escalation": escalation,
            "due_on": review_due_on(escalation),
            "decisions": decisions,
            "hold_form": hold_form,
            "longer_form": longer_form,
            "lift_form": lift_form,
            "dispose_form": dispose_form,
            "refusal": refusal,
            "dry_run": None
            if refusal
            else services.dispose_escalation(
                by=person, escalation=escalation, reason="", dry_run=True
            ),
            "errors": [f for f in (hold_form, longer_form, lift_form, dispose_form) if f.errors],
        },
    )
