"""GOV.UK Notify's delivery receipts: what happened to an email after Notify took it.

Notify calls our callback URL (set on its "Callbacks" page) with a bearer token we choose
(NOTIFY_CALLBACK_TOKEN) and a JSON body per message: `id` (its notification id), `reference`
(ours, `notification:<pk>`), `status` and `completed_at`. A receipt is applied only to the row
whose last hand-over it describes (`provider_id`), so a late receipt for a message that was sent
again changes nothing. A failure receipt marks the row failed: it then shows on the business
unit's page of notices that could not be delivered, to be sent again.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from escalate.notifications.models import Channel, Notification, Receipt, Status

logger = logging.getLogger(__name__)

REFERENCE_PREFIX = "notification:"
PROVIDER_ID = re.compile(r"[A-Za-z0-9-]{1,64}")


class BadReceipt(ValueError):
    """The callback's body is not a receipt we understand (the caller answers 400)."""


@dataclass(frozen=True)
class DeliveryReceipt:
    provider_id: str
    notification_pk: int
    status: Receipt
    completed_at: datetime


def parse_receipt(body: Any) -> DeliveryReceipt:
    """The receipt in Notify's callback body, or BadReceipt naming what is wrong."""
    if not isinstance(body, dict):
        raise BadReceipt("The body must be a JSON object.")
    provider_id, reference, status = (body.get(key) for key in ("id", "reference", "status"))
    if not isinstance(provider_id, str) or not PROVIDER_ID.fullmatch(provider_id):
        raise BadReceipt("`id` must be Notify's notification id.")
    if not isinstance(reference, str) or not reference.startswith(REFERENCE_PREFIX):
        raise BadReceipt("`reference` must be the one Escalate sent, notification:<number>.")
    number = reference.removeprefix(REFERENCE_PREFIX)
    if not (number.isascii() and number.isdigit() and len(number) <= 18):
        raise BadReceipt("`reference` must be the one Escalate sent, notification:<number>.")
    if status not in Receipt.values:
        raise BadReceipt(f"`status` must be one of {', '.join(Receipt.values)}.")
    completed_at = None
    completed = body.get("completed_at") or body.get("sent_at")
    if isinstance(completed, str) and "\x00" not in completed:
        try:
            completed_at = parse_datetime(completed)
        except ValueError:
            completed_at = None
    if completed_at is not None and timezone.is_naive(completed_at):
        completed_at = timezone.make_aware(completed_at, UTC)
    return DeliveryReceipt(
        provider_id=provider_id,
        notification_pk=int(number),
        status=Receipt(status),
        completed_at=completed_at or timezone.now(),
    )


@transaction.atomic
def record_receipt(receipt: DeliveryReceipt) -> bool:
    """Apply a receipt to the notification it is about. False when there is none to apply it to
    (unknown, not a Notify email, or since sent again under another id)."""
    row = (
        Notification.objects.select_for_update()
        .filter(
            pk=receipt.notification_pk,
            provider_id=receipt.provider_id,
            channel__in=[Channel.EMAIL, Channel.NOTIFY],
        )
        .exclude(status=Status.PENDING)
        .first()
    )
    if row is None:
        logger.info("Delivery receipt for no current notification: %s", receipt.notification_pk)
        return False
    row.receipt = receipt.status
    row.receipt_at = receipt.completed_at
    fields = ["receipt", "receipt_at"]
    if receipt.status != Receipt.DELIVERED:
        row.status = Status.FAILED
        row.last_error = f"GOV.UK Notify: {receipt.status.label} ({receipt.status.value})"
        fields += ["status", "last_error"]
        logger.warning("Notification %s not delivered: %s", row.pk, receipt.status.value)
    row.save(update_fields=fields)
    return True
