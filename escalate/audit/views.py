"""The auditor's read-only view of their partnership's audit trail."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from escalate.audit.forms import AuditFilterForm
from escalate.audit.selectors import audit_events_visible_to
from escalate.directory.models import Person

PAGE_SIZE = 50


@require_GET
def audit_events(request: HttpRequest) -> HttpResponse:
    person = request.user
    assert isinstance(person, Person)
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    events = audit_events_visible_to(
        person,
        reference=filters.get("reference", ""),
        actor=filters.get("actor", ""),
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
    )
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/events.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )
