"""Pages of sign-in through an identity provider: go to it, come back from it, sign out of both.

The callback never fails with a 500: whatever comes back (no parameters, garbage, the provider's
error, a network failure), the person sees a page saying what happened, and it is audited.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import django_otp
from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from escalate.accounts import oidc
from escalate.accounts.models import IdentityProvider, ProviderMFADevice
from escalate.accounts.selectors import whom_to_ask
from escalate.audit.services import record_audit

PENDING_KEY = "escalate_oidc_pending"
# For signing out of the provider too: its end_session_endpoint and the ID token as a hint.
SIGNED_IN_WITH_KEY = "escalate_oidc_signed_in_with"
# At most this many sign-ins started at once in one browser (tabs); older ones are forgotten.
MAX_PENDING = 5


def _next_url(request: HttpRequest) -> str:
    target = request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


def _refused(
    request: HttpRequest, reason: str, provider: IdentityProvider | None, status: int = 400
) -> HttpResponse:
    record_audit(
        actor=None,
        action="sign_in_refused_identity_provider",
        partnership=provider.partnership if provider else None,
        obj=provider,
        object_type="" if provider else "accounts.IdentityProvider",
        object_id="" if provider else "unknown provider",
        reason=reason,
        request=request,
    )
    return render(
        request,
        "accounts/oidc_refused.html",
        {"reason": reason, "provider": provider},
        status=status,
    )


@login_not_required
@require_GET
def start(request: HttpRequest, provider_id: int) -> HttpResponse:
    provider = IdentityProvider.objects.filter(pk=provider_id, is_active=True).first()
    if provider is None:
        raise Http404("No such identity provider.")
    try:
        url, pending = oidc.start(provider, next_url=_next_url(request))
    except oidc.SignInRefused as refused:
        return _refused(request, refused.reason, provider, status=502)
    waiting: dict[str, Any] = request.session.get(PENDING_KEY) or {}
    waiting = dict(list(waiting.items())[-(MAX_PENDING - 1) :])
    waiting[pending.state] = pending.as_dict()
    request.session[PENDING_KEY] = waiting
    return HttpResponseRedirect(url)


def _take_pending(request: HttpRequest, state: str) -> oidc.Pending | None:
    waiting = request.session.get(PENDING_KEY)
    if not isinstance(waiting, dict) or not state or state not in waiting:
        return None
    data = waiting.pop(state)
    request.session[PENDING_KEY] = waiting
    try:
        return oidc.Pending(**data)
    except TypeError:
        return None


@login_not_required
@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    params = {key: request.GET.get(key, "") for key in request.GET}
    pending = _take_pending(request, params.get("state", ""))
    if pending is None:
        return _refused(
            request,
            "This sign-in was not started here, or it has already been used. Start again.",
            None,
        )
    provider = (
        IdentityProvider.objects.select_related("partnership")
        .filter(pk=pending.provider_id, is_active=True)
        .first()
    )
    if provider is None:
        return _refused(request, "This identity provider is no longer trusted.", None)
    try:
        claims, id_token = oidc.finish(provider, pending, params)
        person = oidc.person_for(provider, claims)
    except oidc.SignInRefused as refused:
        if refused.unknown_person:
            record_audit(
                actor=None,
                action="sign_in_refused_identity_provider",
                partnership=provider.partnership,
                obj=provider,
                reason=refused.reason,
                request=request,
            )
            return render(
                request,
                "accounts/oidc_unknown.html",
                {"provider": provider, "reason": refused.reason, **whom_to_ask(provider)},
                status=403,
            )
        return _refused(request, refused.reason, provider)
    with transaction.atomic():
        login(request, person, backend="escalate.accounts.backends.PersonBackend")
        provider_mfa = provider.counts_as_mfa(claims)
        if provider_mfa:
            device, _ = ProviderMFADevice.objects.get_or_create(
                user=person, provider=provider, defaults={"name": provider.name, "confirmed": True}
            )
            django_otp.login(request, device)
        record_audit(
            actor=person,
            action="sign_in_identity_provider",
            partnership=person.partnership,
            obj=person,
            changes={
                "identity_provider": (None, provider.name),
                "second_factor": (None, "identity provider" if provider_mfa else "one-time code"),
            },
            request=request,
        )
    end_session = oidc.discovery(provider).get("end_session_endpoint")
    if isinstance(end_session, str) and end_session:
        request.session[SIGNED_IN_WITH_KEY] = {"end_session": end_session, "id_token": id_token}
    # Without the provider's second factor, MFARequiredMiddleware asks for the local code next.
    return redirect(pending.next_url)


class SignOutView(auth_views.LogoutView):
    """Ends the local session, then the provider's where it offers an end_session_endpoint."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        signed_in_with = request.session.get(SIGNED_IN_WITH_KEY)
        response = super().post(request, *args, **kwargs)
        if isinstance(signed_in_with, dict) and isinstance(signed_in_with.get("end_session"), str):
            query = urlencode(
                {
                    "id_token_hint": signed_in_with.get("id_token", ""),
                    "post_logout_redirect_uri": f"{settings.SITE_URL}/sign-in/",
                }
            )
            separator = "&" if "?" in signed_in_with["end_session"] else "?"
            return HttpResponseRedirect(f"{signed_in_with['end_session']}{separator}{query}")
        return response
