"""The legal pages, linked from every page's footer, and their editing by the business unit."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from escalate.directory.models import Person, Role
from escalate.privacy import selectors, services
from escalate.privacy.forms import LegalPageForm
from escalate.privacy.models import LegalPageKind


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
