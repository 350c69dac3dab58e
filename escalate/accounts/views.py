"""Pages: a platform administrator starts a partnership; anyone resets a forgotten password."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from escalate.accounts import reset_limits, services
from escalate.accounts.forms import NewPasswordForm, PartnershipForm, PasswordResetRequestForm
from escalate.accounts.selectors import partnerships_for_platform
from escalate.directory.models import Person
from escalate.directory.permissions import is_platform_admin


def _platform_admin(request: HttpRequest) -> Person:
    person = request.user
    if not is_platform_admin(person):
        raise PermissionDenied("Only a platform administrator can manage partnerships.")
    assert isinstance(person, Person)
    return person


@require_GET
def partnerships(request: HttpRequest) -> HttpResponse:
    _platform_admin(request)
    return render(
        request, "accounts/partnerships.html", {"partnerships": partnerships_for_platform()}
    )


@require_http_methods(["GET", "POST"])
def new_partnership(request: HttpRequest) -> HttpResponse:
    by = _platform_admin(request)
    form = PartnershipForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            partnership, manager = services.create_partnership(by=by, **form.cleaned_data)
        except services.AccountRefused as refused:
            form.add_error(refused.field, str(refused))
        else:
            return render(
                request,
                "accounts/partnership_created.html",
                {"partnership": partnership, "manager": manager},
            )
    return render(request, "accounts/new_partnership.html", {"form": form})


@login_not_required
@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        wait = reset_limits.seconds_to_wait_for_reset(request)
        if wait is not None:
            reset_limits.audit_refusal(request, wait)
            response = render(
                request,
                "accounts/too_many_resets.html",
                {"minutes": max(1, -(-wait // 60))},
                status=429,
            )
            response["Retry-After"] = str(wait)
            return response
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.request_password_reset(email=form.cleaned_data["email"])
        # The same page whether or not the address has an account (GOV.UK pattern).
        return render(
            request, "accounts/password_reset_sent.html", {"email": form.cleaned_data["email"]}
        )
    return render(request, "accounts/password_reset.html", {"form": form})


@login_not_required
@require_http_methods(["GET", "POST"])
def set_password(request: HttpRequest, token: str) -> HttpResponse:
    link = services.usable_link(token)
    if link is None:
        return render(request, "accounts/link_expired.html", status=404)
    form = NewPasswordForm(link.person, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_password_from_link(
                token=token, password=form.cleaned_data["new_password1"]
            )
        except services.AccountRefused:
            return render(request, "accounts/link_expired.html", status=404)
        return redirect("accounts:password_set")
    return render(
        request,
        "accounts/set_password.html",
        {"form": form, "person": link.person, "invitation": link.purpose == "invitation"},
    )


@login_not_required
@require_GET
def password_set(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/password_set.html")
