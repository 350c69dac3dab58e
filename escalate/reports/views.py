"""The partnership's reports: dashboard, charts, learning, briefing, board report, exports.

Partnership-level pages answer 403 to anyone without a partnership role; the record for the
child's file answers 404 to anyone who may not see the escalation (as the escalation page does).
"""

from __future__ import annotations

import re

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from escalate.directory.models import Person
from escalate.directory.requests import person_of
from escalate.escalations.selectors import access_escalation
from escalate.reports import selectors, services
from escalate.reports.charts import chart_svg
from escalate.reports.forms import (
    BoardReportForm,
    DashboardFilterForm,
    ExportReasonForm,
    FormTemplateUploadForm,
)
from escalate.reports.policy_forms import FIELDS, LISTS, FormTemplateError, availability_text
from escalate.reports.selectors import Quarter

FILTER_FIELDS = ("date_from", "date_to", "agency", "category", "stage")


def _is_filter_key(key: str) -> bool:
    return any(key == name or key.startswith(f"{name}_") for name in FILTER_FIELDS)


def _filter_form(request: HttpRequest, person: Person) -> DashboardFilterForm:
    agencies, names = selectors.filter_choices(person)
    bound = any(_is_filter_key(key) for key in request.GET)
    return DashboardFilterForm(request.GET if bound else None, agencies=agencies, names=names)


def _filter_query(request: HttpRequest) -> str:
    query = request.GET.copy()
    for key in list(query):
        if not _is_filter_key(key):
            query.pop(key)
    return query.urlencode()


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    person = person_of(request)
    selectors.require_partnership_reports(person)
    form = _filter_form(request, person)
    valid = not form.is_bound or form.is_valid()
    figures = selectors.dashboard(person, form.filters()) if valid else None
    return render(
        request,
        "reports/dashboard.html",
        {"form": form, "figures": figures, "query": _filter_query(request)},
        status=200 if valid else 400,
    )


@require_GET
def chart(request: HttpRequest, key: str) -> HttpResponse:
    person = person_of(request)
    selectors.require_partnership_reports(person)
    form = _filter_form(request, person)
    if form.is_bound and not form.is_valid():
        return HttpResponse("The filters are not valid.", status=400, content_type="text/plain")
    table = selectors.dashboard(person, form.filters()).tables.get(key)
    if table is None:
        raise Http404("No such chart")
    response = HttpResponse(chart_svg(table), content_type="image/svg+xml")
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
def figures_download(request: HttpRequest, file_format: str) -> HttpResponse:
    person = person_of(request)
    selectors.require_partnership_reports(person)
    if file_format not in ("csv", "xlsx"):
        raise Http404("No such format")
    filter_form = _filter_form(request, person)
    if filter_form.is_bound and not filter_form.is_valid():
        return render(
            request,
            "reports/dashboard.html",
            {"form": filter_form, "figures": None, "query": _filter_query(request)},
            status=400,
        )
    form = ExportReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return services.export_figures(
            by=person,
            filters=filter_form.filters(),
            file_format="csv" if file_format == "csv" else "xlsx",
            reason=form.cleaned_data["reason"],
            request=request,
        ).response()
    return render(
        request,
        "reports/export_reason.html",
        {
            "form": form,
            "title": f"Download the figures ({file_format.upper()})",
            "what": "the anonymised figures on the dashboard, with the filters you chose",
            "describe": filter_form.filters().describe(),
            "query": _filter_query(request),
        },
        status=400 if form.is_bound else 200,
    )


def _quarter_from(slug: str) -> Quarter | None:
    match = re.fullmatch(r"(\d{4})-q([1-4])", slug or "")
    if match is None:
        return None
    return Quarter(int(match.group(1)), int(match.group(2)))


@require_GET
def learning(request: HttpRequest) -> HttpResponse:
    person = person_of(request)
    selectors.require_partnership_reports(person)
    quarter = _quarter_from(request.GET.get("quarter", ""))
    theme = request.GET.get("theme", "")[:100]
    lessons = selectors.learning(person, theme=theme, quarter=quarter)
    return render(request, "reports/learning.html", {"lessons": lessons})


@require_GET
def briefing(request: HttpRequest, quarter: str) -> HttpResponse:
    person = person_of(request)
    selectors.require_partnership_reports(person)
    chosen = _quarter_from(quarter)
    if chosen is None:
        raise Http404("No such quarter")
    return render(
        request,
        "reports/briefing.html",
        {"briefing": selectors.quarterly_briefing(person, chosen)},
    )


@require_http_methods(["GET", "POST"])
def board_report(request: HttpRequest) -> HttpResponse:
    person = person_of(request)
    selectors.require_partnership_reports(person)
    form = BoardReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        title, filters = form.span()
        return services.export_board_report(
            by=person,
            title=title,
            filters=filters,
            reason=form.cleaned_data["reason"],
            request=request,
        ).response()
    return render(
        request, "reports/board_report.html", {"form": form}, status=400 if form.is_bound else 200
    )


@require_http_methods(["GET", "POST"])
def escalation_record(request: HttpRequest, reference: str, file_format: str) -> HttpResponse:
    person = person_of(request)
    if file_format not in ("pdf", "docx"):
        raise Http404("No such format")
    escalation = access_escalation(person, reference)
    form = ExportReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return services.export_escalation_record(
            by=person,
            reference=escalation.reference,
            file_format="pdf" if file_format == "pdf" else "docx",
            reason=form.cleaned_data["reason"],
            request=request,
        ).response()
    return render(
        request,
        "reports/export_reason.html",
        {
            "form": form,
            "title": f"Download the record of {escalation.reference} ({file_format.upper()})",
            "what": "the full record of this escalation for the child's or adult's case file. "
            "It names the child or adult and the professionals involved: keep it as securely as "
            "the case file",
            "describe": [],
            "query": "",
            "escalation": escalation,
        },
        status=400 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
def escalation_form(request: HttpRequest, reference: str, kind: str) -> HttpResponse:
    """One of the policy's forms for this escalation, filled in from the record (audited)."""
    person = person_of(request)
    escalation = access_escalation(person, reference)
    form_rule = next(
        (f for f in services.forms_offered(person=person, escalation=escalation) if f.kind == kind),
        None,
    )
    if form_rule is None:
        raise Http404("This form is not available to you for this escalation")
    form = ExportReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            return services.export_form(
                by=person,
                reference=escalation.reference,
                kind=kind,
                reason=form.cleaned_data["reason"],
                request=request,
            ).response()
        except FormTemplateError as error:
            form.add_error("reason", f"The form could not be made: {error}")
    return render(
        request,
        "reports/export_reason.html",
        {
            "form": form,
            "title": f"Download the {form_rule.title} for {escalation.reference}",
            "what": f"the {form_rule.title}, filled in from the record of this escalation. "
            f"{form_rule.purpose}",
            "describe": [],
            "query": "",
            "escalation": escalation,
        },
        status=400 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
def form_templates(request: HttpRequest) -> HttpResponse:
    """The business unit's page for its policy's forms: fields, templates, upload."""
    person = person_of(request)
    spec = selectors.business_unit_policy(person)  # 403 for anyone but the business unit
    choices = [(form.kind.value, form.title) for form in spec.forms]
    upload = FormTemplateUploadForm(request.POST or None, request.FILES or None, choices=choices)
    if request.method == "POST" and upload.is_valid():
        file = upload.cleaned_data["file"]
        try:
            template = services.upload_form_template(
                by=person,
                kind=upload.cleaned_data["kind"],
                name=str(file.name),
                content=file.read(),
            )
        except FormTemplateError as error:
            upload.add_error("file", str(error))
        else:
            messages.success(
                request,
                f"{template.name} has been checked. Download the preview, then choose to use it.",
            )
            return redirect("reports:form_templates")
    uploaded = selectors.form_templates(person)
    in_use = {template.kind: template.name for template in uploaded if template.in_use}
    return render(
        request,
        "reports/form_templates.html",
        {
            "spec": spec,
            "upload": upload,
            "uploaded": uploaded,
            "rows": [
                (form, availability_text(form, spec), in_use.get(form.kind.value, ""))
                for form in spec.forms
            ],
            "fields": FIELDS,
            "lists": LISTS,
        },
        status=400 if upload.is_bound else 200,
    )


@require_POST
def form_template_preview(request: HttpRequest, template_id: int) -> HttpResponse:
    """The uploaded template filled in with an invented escalation (audited; a POST, since the
    first preview is what makes the template usable)."""
    person = person_of(request)
    try:
        return services.preview_form_template(
            by=person, template_id=template_id, request=request
        ).response()
    except FormTemplateError as error:
        messages.error(request, f"The preview could not be made: {error}")
        return redirect("reports:form_templates")


@require_http_methods(["GET", "POST"])
def form_template_use(request: HttpRequest, template_id: int) -> HttpResponse:
    """Confirm, then use a previewed template for the form's downloads from now on."""
    person = person_of(request)
    spec = selectors.business_unit_policy(person)  # 403 for anyone but the business unit
    template = selectors.form_template(person, template_id)
    if request.method == "POST":
        try:
            services.use_form_template(by=person, template_id=template.pk, request=request)
        except FormTemplateError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"{template.name} is now used for this form.")
        return redirect("reports:form_templates")
    form = next((form for form in spec.forms if form.kind == template.kind), None)
    return render(
        request,
        "reports/form_template_use.html",
        {"template": template, "form_title": form.title if form else template.kind},
    )


@require_http_methods(["GET", "POST"])
def escalation_attached_form(request: HttpRequest, reference: str, kind: str) -> HttpResponse:
    """The chair's form as it was made at the referral (Havering 004 §2.11), audited."""
    person = person_of(request)
    escalation = access_escalation(person, reference)
    form_rule = services.attached_form_offered(person=person, escalation=escalation, kind=kind)
    form = ExportReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return services.export_attached_form(
            by=person,
            reference=escalation.reference,
            kind=kind,
            reason=form.cleaned_data["reason"],
            request=request,
        ).response()
    return render(
        request,
        "reports/export_reason.html",
        {
            "form": form,
            "title": f"Download the {form_rule.title} for {escalation.reference}, as made at "
            "the referral",
            "what": f"the {form_rule.title} as it was made when the escalation was referred to "
            "the chair. It names the child and the professionals involved: keep it as securely "
            "as the case file",
            "describe": [],
            "query": "",
            "escalation": escalation,
        },
        status=400 if form.is_bound else 200,
    )
