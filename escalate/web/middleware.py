"""Session and response controls: absolute lifetime, MFA before anything else, no-store."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from escalate.audit.services import record_audit
from escalate.directory.models import Person

SIGNED_IN_AT = "escalate_signed_in_at"
# When the session's idle timeout was last pushed back: saving the session on every request
# (a write and a transaction per page) bought nothing a save once a minute does not.
REFRESHED_AT = "escalate_refreshed_at"
# Pages a signed-in person who has not yet given a one-time code may reach.
MFA_EXEMPT_URL_NAMES = frozenset(
    {"mfa_set_up", "mfa_verify", "logout", "login", "health", "oidc_start", "oidc_callback"}
)


def mark_signed_in(session: Any) -> None:
    session[SIGNED_IN_AT] = session[REFRESHED_AT] = int(time.time())


class SessionLifetimeMiddleware:
    """Ends a session 12 hours after sign-in however active it is, and keeps an active one
    alive: the idle timeout (the cookie's and the stored session's age) restarts when the
    session is saved, at most once every SESSION_REFRESH_SECONDS."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        person = getattr(request, "user", None)
        if isinstance(person, Person):
            signed_in_at = request.session.get(SIGNED_IN_AT)
            if signed_in_at is None:
                mark_signed_in(request.session)
            elif time.time() - signed_in_at > settings.SESSION_ABSOLUTE_LIFETIME_SECONDS:
                record_audit(
                    actor=person,
                    action="session_expired",
                    partnership=person.partnership,
                    obj=person,
                    request=request,
                )
                logout(request)
                messages.info(request, "You have been signed out after 12 hours. Sign in again.")
                return redirect(f"{reverse('login')}?next={request.path}")
            now = int(time.time())
            if now - request.session.get(REFRESHED_AT, 0) >= settings.SESSION_REFRESH_SECONDS:
                request.session[REFRESHED_AT] = now  # saved, so its age starts again
        return self.get_response(request)


class MFARequiredMiddleware:
    """A signed-in person reaches nothing but the one-time-code pages until they give one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        if not settings.ESCALATE_REQUIRE_MFA:
            return None
        if getattr(view_func, "authenticates_itself", False):
            return None  # the API: a token, never the session, is the credential
        person = getattr(request, "user", None)
        if not isinstance(person, Person) or getattr(person, "is_verified", lambda: False)():
            return None
        match = request.resolver_match
        if match is not None and match.url_name in MFA_EXEMPT_URL_NAMES:
            return None
        from escalate.web.mfa import has_confirmed_device

        target = "mfa_verify" if has_confirmed_device(person) else "mfa_set_up"
        return redirect(f"{reverse(target)}?next={request.get_full_path()}")


class NoStoreMiddleware:
    """Nothing the application itself serves may be kept by a browser or proxy cache.

    Static files are served by WhiteNoise before this runs and stay cacheable. Also sets a
    Permissions-Policy that turns off device features the service never uses.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        add_never_cache_headers(response)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
