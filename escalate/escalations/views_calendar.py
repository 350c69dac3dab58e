"""Thin views: one person's deadline calendar (the page, the download and the private feed).

The feed is built from escalations (escalations/calendar.py); the revocable address that calendar
apps use as their credential is the outbox's CalendarToken (notifications/).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from escalate.directory.requests import person_of
from escalate.escalations.calendar import deadline_calendar
from escalate.notifications.models import CalendarToken
from escalate.notifications.selectors import active_calendar_token, calendar_token_owner
from escalate.notifications.services import create_calendar_token, revoke_calendar_tokens


def _feed_url(request: HttpRequest, token: CalendarToken | None) -> str:
    """The address of a token just created; a stored token's address is not known (hashed)."""
    if token is None or not token.secret:
        return ""
    return request.build_absolute_uri(reverse("calendar:feed", kwargs={"token": token.secret}))


@require_http_methods(["GET", "POST"])
def calendar_settings(request: HttpRequest) -> HttpResponse:
    person = person_of(request)
    token: CalendarToken | None
    if request.method == "POST" and request.POST.get("action") == "revoke":
        revoke_calendar_tokens(person=person)
        messages.success(request, "Your calendar address has been turned off")
        return redirect("calendar:settings")
    if request.method == "POST":
        # Shown on this response only (like an API token): only its hash is kept.
        token = create_calendar_token(person=person)
    else:
        token = active_calendar_token(person)
    feed_url = _feed_url(request, token)
    return render(
        request,
        "escalations/calendar.html",
        {
            "token": token,
            "feed_url": feed_url,
            "webcal_url": feed_url.replace("https://", "webcal://", 1).replace(
                "http://", "webcal://", 1
            ),
        },
    )


def _ics_response(body: bytes, *, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def calendar_download(request: HttpRequest) -> HttpResponse:
    return _ics_response(deadline_calendar(person_of(request)), filename="escalate-deadlines.ics")


@login_not_required  # calendar apps cannot sign in: the private token is the credential
@never_cache
@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    person = calendar_token_owner(token)
    if person is None:
        raise Http404("No such calendar")
    return _ics_response(deadline_calendar(person), filename="escalate-deadlines.ics")
