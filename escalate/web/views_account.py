"""Account pages: setting up and giving a one-time code, changing a password, being locked out."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import django_otp
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods
from django_otp.plugins.otp_totp.models import TOTPDevice

from escalate.audit.services import record_audit
from escalate.directory.requests import person_of
from escalate.policies.calendar import govuk_date, govuk_time
from escalate.web import mfa
from escalate.web.forms_account import ChangePasswordForm, OneTimeCodeForm


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    # Only a path on this site: anything else (a bare word) would be read as a URL name.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return str(settings.LOGIN_REDIRECT_URL)


def _is_verified(request: HttpRequest) -> bool:
    return bool(getattr(request.user, "is_verified", lambda: False)())


def _check_code(request: HttpRequest, device_pk: int) -> tuple[OneTimeCodeForm, TOTPDevice]:
    # The device row is locked so the same code sent twice at once is accepted only once.
    device = TOTPDevice.objects.select_for_update().get(pk=device_pk)
    form = OneTimeCodeForm(request.POST, device=device)
    form.is_valid()
    return form, device


@require_http_methods(["GET", "POST"])
def mfa_set_up(request: HttpRequest) -> HttpResponse:
    """First sign-in: scan the QR code (or type the secret), then prove it with a code."""
    person = person_of(request)
    if mfa.has_confirmed_device(person):
        return redirect(f"{reverse('mfa_verify')}?next={_next_url(request)}")
    device = mfa.pending_device(person)
    form = OneTimeCodeForm(device=device)
    if request.method == "POST":
        with transaction.atomic():
            form, device = _check_code(request, device.pk)
            if form.is_valid():
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                django_otp.login(request, device)
                # A new session id once the second factor is given: an id seen before the
                # code (e.g. planted) is worth nothing afterwards.
                request.session.cycle_key()
                record_audit(
                    actor=person,
                    action="mfa_set_up",
                    partnership=person.partnership,
                    obj=person,
                    request=request,
                )
        if form.is_valid():
            messages.success(request, "Your authenticator app is set up.")
            return redirect(_next_url(request))
    return render(
        request,
        "web/account/mfa_set_up.html",
        {
            "form": form,
            "qr_svg": mfa.qr_code_svg(device),
            "secret": mfa.secret_text(device),
            "next": _next_url(request),
        },
    )


@require_http_methods(["GET", "POST"])
def mfa_verify(request: HttpRequest) -> HttpResponse:
    """Every sign-in: the newest code from the person's authenticator app."""
    person = person_of(request)
    if _is_verified(request):
        return redirect(_next_url(request))
    device = mfa.confirmed_device(person)
    if device is None:
        return redirect(f"{reverse('mfa_set_up')}?next={_next_url(request)}")
    form = OneTimeCodeForm(device=device)
    if request.method == "POST":
        with transaction.atomic():
            form, device = _check_code(request, device.pk)
            record_audit(
                actor=person,
                action="mfa_verified" if form.is_valid() else "mfa_failed",
                partnership=person.partnership,
                obj=person,
                request=request,
            )
            if form.is_valid():
                django_otp.login(request, device)
                # A new session id once the second factor is given: an id seen before the
                # code (e.g. planted) is worth nothing afterwards.
                request.session.cycle_key()
        if form.is_valid():
            return redirect(_next_url(request))
    return render(
        request, "web/account/mfa_verify.html", {"form": form, "next": _next_url(request)}
    )


@require_http_methods(["GET", "POST"])
def change_password(request: HttpRequest) -> HttpResponse:
    person = person_of(request)
    form = ChangePasswordForm(person, request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            record_audit(
                actor=person,
                action="password_changed",
                partnership=person.partnership,
                obj=person,
                request=request,
            )
        # Keeps this session (its key is rotated); every other session of the person ends.
        update_session_auth_hash(request, person)
        messages.success(request, "Your password has been changed.")
        return redirect("home")
    return render(request, "web/account/change_password.html", {"form": form})


@login_not_required
def locked_out(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """django-axes calls this when an account is locked: say why, and when to try again."""
    cool_off = get_cool_off(request) or timedelta(minutes=15)
    username = get_client_username(request, credentials)
    last_failure = (
        AccessAttempt.objects.filter(
            username=username, ip_address=getattr(request, "axes_ip_address", None)
        )
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    ) or timezone.now()
    try_again_at = timezone.localtime(last_failure + cool_off)
    return render(
        request,
        "web/account/locked_out.html",
        {
            "minutes": int(cool_off.total_seconds() // 60),
            # GOV.UK style: "3:15pm on 1 June 2026"
            "try_again_at": f"{govuk_time(try_again_at)} on {govuk_date(try_again_at)}",
        },
        status=429,
    )
