"""The outbox: every notification is a row written in the transaction of the event that caused it.

A background worker sends pending rows and records delivery. The unique constraint on
(event_key, recipient_key, channel) makes "at most one notification per event, recipient and
channel" a database fact rather than a hope.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone

from escalate.directory.models import Partnership


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    NOTIFY = "notify", "GOV.UK Notify"
    IN_APP = "in_app", "In Escalate"


class Status(models.TextChoices):
    PENDING = "pending", "Waiting to send"
    SENT = "sent", "Delivered"
    FAILED = "failed", "Could not be delivered"
    # A routine email to someone who chose the daily email: sent inside it (`digest`).
    HELD = "held", "Held for the daily email"
    # Held, then no longer theirs to see when the daily email was made: never sent.
    WITHHELD = "withheld", "Not sent: no longer theirs to see"


class Receipt(models.TextChoices):
    """What GOV.UK Notify said happened after it took the message (its callback's `status`)."""

    DELIVERED = "delivered", "Delivered to the mailbox"
    PERMANENT_FAILURE = "permanent-failure", "The address does not exist or refused the email"
    TEMPORARY_FAILURE = "temporary-failure", "The inbox was full or not accepting email"
    TECHNICAL_FAILURE = "technical-failure", "GOV.UK Notify could not send it (a problem there)"


class Notification(models.Model):
    partnership = models.ForeignKey(
        Partnership, on_delete=models.PROTECT, related_name="notifications"
    )
    escalation = models.ForeignKey(
        "escalations.Escalation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notifications",
    )
    event = models.CharField(max_length=40, help_text="A policies.schema.Event value.")
    event_key = models.CharField(
        max_length=200, help_text="Names the one event that caused this, e.g. chronology:123."
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notifications",
    )
    recipient_email = models.EmailField(blank=True)
    recipient_key = models.CharField(
        max_length=254, help_text="person:<id> or email:<address>; part of the uniqueness rule."
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    # Which GOV.UK Notify template says this (a key of settings.NOTIFY_TEMPLATE_IDS, from
    # escalations/messages.py) and the words its placeholders take; empty: the generic template.
    template_key = models.CharField(max_length=80, blank=True)
    personalisation = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # The provider's id for the message last handed over (GOV.UK Notify's notification id), and
    # what its delivery receipt said (notifications/receipts.py).
    provider_id = models.CharField(max_length=64, blank=True, db_index=True)
    receipt = models.CharField(max_length=20, choices=Receipt.choices, blank=True)
    receipt_at = models.DateTimeField(null=True, blank=True)
    # The daily email a held row went out in (escalations/digest.py).
    digest = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="digested"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["event_key", "recipient_key", "channel"],
                name="notification_once_per_event_recipient_channel",
            )
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notification_due_idx"),
            models.Index(fields=["recipient", "channel", "read_at"], name="notification_inbox_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} to {self.recipient_key}: {self.subject}"

    @property
    def recipient_label(self) -> str:
        """Who was told, for the timeline: the person's name or the mailbox address."""
        if self.recipient is not None:
            return self.recipient.full_name or self.recipient.email
        return self.recipient_email


class CalendarToken(models.Model):
    """A private, revocable address for one person's deadline calendar (iCalendar feed).

    Calendar apps cannot sign in, so the token in the address is the credential: it is long and
    random, it shows only dates and escalation references, and a revoked token stops working at
    once. Only its SHA-256 is stored (like API tokens): someone who reads the database cannot
    subscribe to anyone's calendar. The address is shown once, when it is created.
    """

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_tokens"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    # The token itself, on the instance create_calendar_token returns only (never stored).
    secret: str = ""

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Calendar address for {self.person}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()
