"""The directory in the browser: the business unit manages agencies, people and contacts;
every signed-in person sees who to contact at Level 2 and Level 3."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from escalate.accounts.services import AccountRefused, invite_person, reset_authenticator
from escalate.directory import importing, selectors, services
from escalate.directory.forms import (
    AgencyForm,
    ContactForm,
    ImportForm,
    PersonForm,
    ReasonForm,
)
from escalate.directory.models import Partnership, Person
from escalate.directory.permissions import may_manage_directory

PEOPLE_PER_PAGE = 50


def _manager(request: HttpRequest) -> tuple[Person, Partnership]:
    """The signed-in business manager and their partnership; 403 for anyone else."""
    person = request.user
    if not isinstance(person, Person) or not may_manage_directory(person, person.partnership_id):
        raise PermissionDenied("Only the partnership's business unit manages the directory.")
    assert person.partnership is not None
    return person, person.partnership


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    by, _ = _manager(request)
    return render(
        request,
        "directory/index.html",
        {
            "agencies": selectors.directory_agencies(by),
            "people_count": selectors.directory_people(by).count(),
            "import_url": reverse("directory:import"),
        },
    )


@require_http_methods(["GET", "POST"])
def agency(request: HttpRequest, agency_id: int | None = None) -> HttpResponse:
    by, partnership = _manager(request)
    existing = selectors.manage_agency(by, agency_id) if agency_id is not None else None
    initial = (
        {
            "name": existing.name,
            "agency_type": existing.agency_type,
            "email": existing.email,
            "is_active": existing.is_active,
            "is_board_member": existing.is_board_member,
        }
        if existing is not None
        else {"is_active": True}
    )
    form = AgencyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_agency(
                by=by, partnership=partnership, agency=existing, details=form.details()
            )
        except services.DirectoryRefused as refused:
            form.add_error("name", str(refused))
        else:
            messages.success(request, f"{saved.name} is saved.")
            return redirect("directory:agency", agency_id=saved.pk)
    context: dict[str, object] = {"form": form, "agency": existing}
    if existing is not None:
        context["contacts"] = selectors.contacts_of(existing)
        context["leads"] = selectors.safeguarding_leads(existing)
    return render(request, "directory/agency.html", context)


@require_http_methods(["GET", "POST"])
def contact(request: HttpRequest, agency_id: int, contact_id: int | None = None) -> HttpResponse:
    by, _ = _manager(request)
    owner = selectors.manage_agency(by, agency_id)
    existing = selectors.manage_contact(by, contact_id) if contact_id is not None else None
    if existing is not None and existing.agency_id != owner.pk:
        raise Http404("No contact found")
    initial = {}
    if existing is not None:
        initial = {
            key: getattr(existing, key)
            for key in ("level", "service", "name", "job_title", "email", "phone")
        }
    form = ContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and request.POST.get("remove") and existing is not None:
        services.remove_contact(by=by, contact=existing)
        messages.success(request, f"{existing.name} is no longer a contact.")
        return redirect("directory:agency", agency_id=owner.pk)
    if request.method == "POST" and form.is_valid():
        services.save_contact(by=by, agency=owner, contact=existing, details=form.details())
        messages.success(request, "The contact is saved.")
        return redirect("directory:agency", agency_id=owner.pk)
    return render(
        request, "directory/contact.html", {"form": form, "agency": owner, "contact": existing}
    )


@require_GET
def people(request: HttpRequest) -> HttpResponse:
    by, _ = _manager(request)
    search = request.GET.get("q", "").strip()[:100]
    found = selectors.directory_people(by, search=search)
    page = Paginator(found, PEOPLE_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "directory/people.html", {"page": page, "search": search})


@require_http_methods(["GET", "POST"])
def person(request: HttpRequest, person_id: int | None = None) -> HttpResponse:
    by, partnership = _manager(request)
    existing = selectors.manage_person(by, person_id) if person_id is not None else None
    initial = PersonForm.initial_for(existing) if existing is not None else {"level": 1}
    form = PersonForm(request.POST or None, initial=initial, partnership=partnership)
    if request.method == "POST" and form.is_valid():
        try:
            saved, _ = services.save_person(
                by=by, partnership=partnership, person=existing, details=form.details()
            )
            if existing is None:
                invite_person(person=saved, by=by)
        except services.DirectoryRefused as refused:
            message = str(refused)
            field = (
                "email" if "email" in message else "roles" if "role" in message else "line_manager"
            )
            form.add_error(field, message)
        else:
            if existing is None:
                messages.success(
                    request, f"{saved.full_name} is added and has been emailed an invitation."
                )
            else:
                messages.success(request, f"{saved.full_name} is saved.")
            return redirect("directory:person", person_id=saved.pk)
    return render(request, "directory/person.html", {"form": form, "subject": existing})


@require_http_methods(["GET", "POST"])
def person_access(request: HttpRequest, person_id: int, change: str) -> HttpResponse:
    """Deactivate, reactivate, re-invite, or reset the authenticator of one person."""
    by, _ = _manager(request)
    subject = selectors.manage_person(by, person_id)
    if change not in {"deactivate", "reactivate", "invite", "reset-authenticator"}:
        raise Http404("No such change")
    form = ReasonForm(request.POST or None)
    needs_reason = change != "invite"
    if request.method == "POST" and (form.is_valid() or not needs_reason):
        reason = form.cleaned_data.get("reason", "") if needs_reason else ""
        try:
            if change == "deactivate":
                ended = services.deactivate_person(person=subject, by=by, reason=reason)
                note = f"{subject.full_name} is deactivated; {ended} session(s) ended."
            elif change == "reactivate":
                services.reactivate_person(person=subject, by=by, reason=reason)
                note = f"{subject.full_name} can sign in again."
            elif change == "invite":
                invite_person(person=subject, by=by)
                note = f"{subject.full_name} has been emailed a new invitation."
            else:
                reset_authenticator(person=subject, by=by, reason=reason)
                note = f"{subject.full_name} sets up a new authenticator app at next sign-in."
        except (services.DirectoryRefused, AccountRefused) as refused:
            form.add_error(None if not needs_reason else "reason", str(refused))
        else:
            messages.success(request, note)
            return redirect("directory:person", person_id=subject.pk)
    return render(
        request,
        "directory/person_access.html",
        {"form": form, "subject": subject, "change": change, "needs_reason": needs_reason},
    )


IMPORT_SESSION_KEY = "directory_import"


@require_GET
def import_template(request: HttpRequest, file_format: str) -> HttpResponse:
    _manager(request)
    if file_format == "csv":
        response = HttpResponse(importing.template_csv(), content_type="text/csv; charset=utf-8")
    elif file_format == "xlsx":
        response = HttpResponse(
            importing.template_xlsx(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        raise Http404("No such template")
    response["Content-Disposition"] = f'attachment; filename="people-template.{file_format}"'
    return response


@require_http_methods(["GET", "POST"])
def import_people(request: HttpRequest) -> HttpResponse:
    """Upload, then a preview: every row's error, or what would be added and changed."""
    _, partnership = _manager(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    plan = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            rows = importing.read_people_file(upload, name=upload.name, size=upload.size)
        except importing.ImportRefused as refused:
            form.add_error("file", str(refused))
        else:
            plan = importing.plan_import(partnership=partnership, rows=rows)
            if plan.is_valid:
                request.session[IMPORT_SESSION_KEY] = {
                    "rows": rows,
                    "invite": bool(form.cleaned_data["invite"]),
                }
    return render(request, "directory/import.html", {"form": form, "plan": plan})


@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    by, partnership = _manager(request)
    pending = request.session.get(IMPORT_SESSION_KEY)
    if not pending:
        messages.error(request, "Upload the file again: nothing was waiting to be imported.")
        return redirect("directory:import")
    try:
        with transaction.atomic():
            result = importing.apply_import(by=by, partnership=partnership, rows=pending["rows"])
            if pending.get("invite"):
                for person in result.added:
                    invite_person(person=person, by=by)
    except (ValueError, services.DirectoryRefused) as refused:
        messages.error(request, f"Nothing was imported: {refused}")
        return redirect("directory:import")
    del request.session[IMPORT_SESSION_KEY]
    messages.success(
        request,
        f"Imported: {len(result.added)} added, {result.changed} changed, "
        f"{result.unchanged} unchanged.",
    )
    return redirect("directory:people")


@require_GET
def contacts(request: HttpRequest) -> HttpResponse:
    """Who to contact at Level 2 and Level 3 in each agency and service (every signed-in person)."""
    person = request.user
    assert isinstance(person, Person)
    return render(
        request, "directory/contacts.html", {"agencies": selectors.contacts_by_agency(person)}
    )
