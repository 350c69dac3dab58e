"""Thin views: the in-app notifications page, mark read, failed notices and Notify receipts."""

from __future__ import annotations

import hmac
import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from escalate.directory.permissions import may_choose_daily_digest
from escalate.directory.requests import person_of
from escalate.notifications.forms import DAILY, EACH, EmailSettingsForm
from escalate.notifications.receipts import BadReceipt, parse_receipt, record_receipt
from escalate.notifications.selectors import (
    failed_notices_for,
    inbox_for,
    unread_count,
)
from escalate.notifications.services import (
    choose_daily_digest,
    mark_notifications_read,
    send_again,
)

PAGE_SIZE = 50


@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    person = person_of(request)
    page = Paginator(inbox_for(person), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/inbox.html",
        {"page": page, "unread": unread_count(person)},
    )


@require_http_methods(["GET", "POST"])
def email_settings(request: HttpRequest) -> HttpResponse:
    """How a person gets emails about escalations: one each, or (managers) one a day."""
    person = person_of(request)
    may_choose = may_choose_daily_digest(person)
    current = DAILY if person.daily_digest else EACH
    form = EmailSettingsForm(
        request.POST if request.method == "POST" else None, initial={"emails": current}
    )
    if request.method == "POST" and may_choose and form.is_valid():
        choose_daily_digest(person=person, daily=form.cleaned_data["emails"] == DAILY)
        messages.success(request, "Your notification settings have been saved.")
        return redirect("notifications:settings")
    return render(
        request,
        "notifications/settings.html",
        {"form": form, "may_choose": may_choose, "daily": person.daily_digest},
    )


@require_POST
def mark_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    person = person_of(request)
    # Someone else's, not in-app or unknown: "not here". Already read: nothing to do.
    marked = mark_notifications_read(person=person, ids=[notification_id])
    if not marked and not inbox_for(person).filter(pk=notification_id).exists():
        raise Http404("No such notification")
    return redirect("notifications:inbox")


@require_POST
def open_escalation(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Open the escalation a notice is about, marking all its notices to this person read."""
    person = person_of(request)
    notice = inbox_for(person).filter(pk=notification_id, escalation__isnull=False).first()
    if notice is None or notice.escalation is None:
        raise Http404("No such notification")
    mark_notifications_read(person=person, escalation_id=notice.escalation_id)
    return redirect(notice.escalation.get_absolute_url())


@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = mark_notifications_read(person=person_of(request))
    if count:
        messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked as read")
    return redirect("notifications:inbox")


@require_GET
def failed(request: HttpRequest) -> HttpResponse:
    """For the business unit: notices that could not be delivered, to fix and send again."""
    page = Paginator(failed_notices_for(person_of(request)), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "notifications/failed.html", {"page": page})


@require_POST
def send_failed_again(request: HttpRequest, notification_id: int) -> HttpResponse:
    person = person_of(request)
    # Another partnership's notice, or one not failed (any more): "not here".
    if not failed_notices_for(person).filter(pk=notification_id).exists():
        raise Http404("No such failed notice")
    send_again(ids=[notification_id], by=person)
    messages.success(request, "The notice will be sent again in the next few minutes.")
    return redirect("notifications:failed")


RECEIPT_MAX_BYTES = 64 * 1024


def _receipt_error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


@login_not_required  # GOV.UK Notify cannot sign in: the bearer token we gave it is the credential
@csrf_exempt  # a server-to-server JSON call, no browser and no cookies
@require_POST
def notify_receipt(request: HttpRequest) -> HttpResponse:
    """GOV.UK Notify's delivery receipt for one email (notifications/receipts.py)."""
    expected = settings.NOTIFY_CALLBACK_TOKEN
    given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        return _receipt_error(401, "unauthorised", "A valid bearer token is needed.")
    body = request.body
    if len(body) > RECEIPT_MAX_BYTES:
        return _receipt_error(413, "too_large", "A receipt is a small JSON object.")
    try:
        receipt = parse_receipt(json.loads(body))
    except (ValueError, RecursionError) as error:  # not JSON (or too deep), or not a receipt
        message = str(error) if isinstance(error, BadReceipt) else "The body is not valid JSON."
        return _receipt_error(400, "bad_request", message)
    record_receipt(receipt)
    # Also for a receipt about nothing current: Notify would only send it again.
    return HttpResponse(status=204)
