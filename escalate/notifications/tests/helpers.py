"""Small builders shared by the notification tests."""

from __future__ import annotations

from typing import Any

from escalate.escalations.models import Escalation
from escalate.escalations.tests.factories import EscalationFactory
from escalate.notifications.services import enqueue_notification


def escalation_raised_with_notice(**fields: Any) -> Escalation:
    """An escalation and the notice to its respondent, written together as a raise does."""
    escalation: Escalation = EscalationFactory(**fields)
    enqueue_notification(
        partnership=escalation.partnership,
        escalation=escalation,
        event="raised",
        event_key=f"raised:{escalation.pk}",
        subject=f"Escalation {escalation.reference} has been raised with you",
        body=f"Escalation {escalation.reference} has been raised with your agency.",
        recipient=escalation.respondent_person,
    )
    return escalation
