"""Minimisation checks (issue 21, item 6).

Lists every field that can hold the child's identifiers, and checks that none of them reaches
the logs, the emails sent, the audit rows, the dashboard or the figures exports. The places
where identifiers do go are listed with the reason they may (`STATED_REASONS`).
"""

from __future__ import annotations

import json
import logging
from datetime import date

import pytest
from django.core import mail
from django.db import models

from escalate.audit.models import AuditEvent
from escalate.escalations import services
from escalate.escalations.models import Escalation
from escalate.escalations.tests.factories import make_world
from escalate.notifications.delivery import deliver_due_notifications
from escalate.notifications.models import Channel, Notification
from escalate.reports import exports
from escalate.reports.selectors import Filters, dashboard

pytestmark = pytest.mark.django_db

# Every field of an escalation that can hold the child's identifiers: their name, date of birth,
# local identifiers (NHS number, case number) and the free text a raiser writes about them.
CHILD_IDENTIFIER_FIELDS = frozenset(
    {
        "subject_name",
        "subject_date_of_birth",
        "case_references",
        "disputed",
        "risk",
        "outcome_wanted",
        "already_tried",
        "started_at_later_stage_reason",
        "decision",
        "learning",
    }
)

# Where the identifiers may go, and why.
STATED_REASONS = {
    "the escalation's own pages and record export": "read by those the policy lets see it",
    "in-app notices": "read signed in, by a person who may see the escalation",
    "subject access exports and searches": "the business unit, with a reason, audited",
    "learning, quoted in the board report": "free text the chair writes for the board to read",
}

_TEXT_KINDS = (models.CharField, models.TextField, models.DateField, models.JSONField)

# Free-text or date fields of an escalation that cannot hold the child's identifiers: chosen
# from lists, or written by Escalate itself.
NOT_IDENTIFYING = frozenset(
    {
        "subject_kind",
        "categories",
        "status",
        "current_stage_key",
        "reference",
        "learning_themes",  # chosen from the policy's list of themes
        # The professionals' own names and addresses, not the child's (subject access to them:
        # `escalate/privacy/subject_access.py`).
        "respondent_name",
        "respondent_email",
        "decided_by_text",
        # Random, written by Escalate: the key to this escalation's audit fingerprints.
        "fingerprint_salt",
    }
)


def test_every_field_that_could_hold_identifiers_is_classified() -> None:
    """A new text or date field on an escalation fails here until someone says what it holds."""
    free = {
        field.name
        for field in Escalation._meta.concrete_fields
        if isinstance(field, _TEXT_KINDS)
        and not isinstance(field, models.DateTimeField)
        and field.name not in NOT_IDENTIFYING
    }
    unclassified = free - CHILD_IDENTIFIER_FIELDS
    assert not unclassified, (
        f"Say whether {sorted(unclassified)} can hold the child's identifiers: add each to "
        "CHILD_IDENTIFIER_FIELDS or NOT_IDENTIFYING"
    )
    assert {f.name for f in Escalation._meta.concrete_fields} >= CHILD_IDENTIFIER_FIELDS


def test_the_childs_identifiers_reach_no_log_email_audit_row_or_figures(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    world = make_world()
    secrets = {
        "subject_name": "Quillon Marrowby",
        "subject_date_of_birth": date(2013, 7, 19),
        "case_references": "LCS 8806421, NHS 943 476 5919",
        "disputed": "Quillon Marrowby was not seen at home.",
        "risk": "Quillon Marrowby may be harmed.",
        "outcome_wanted": "A strategy discussion for Quillon Marrowby.",
        "already_tried": "Spoke to Quillon Marrowby's social worker.",
    }
    assert set(secrets) <= CHILD_IDENTIFIER_FIELDS
    escalation = services.raise_escalation(by=world.teacher, details=world.details(**secrets))
    deliver_due_notifications()
    figures = dashboard(world.business_manager, Filters())
    needles = ["Quillon", "Marrowby", "2013-07-19", "19/07/2013", "8806421", "943 476 5919"]

    places = {
        "logs": "\n".join(
            f"{record.getMessage()} {record.__dict__.get('extra', '')}" for record in caplog.records
        ),
        "emails": "\n".join(f"{m.subject}\n{m.body}" for m in mail.outbox),
        "audit rows": json.dumps(
            [
                {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields}
                for row in AuditEvent.objects.all()
            ],
            default=str,
        ),
        "dashboard": repr(figures),
        "figures export": exports.figures_csv(figures).decode("utf-8"),
    }
    assert AuditEvent.objects.filter(object_reference=escalation.reference).exists()
    assert Notification.objects.exclude(channel=Channel.IN_APP).exists()
    for place, text in places.items():
        for needle in needles:
            assert needle not in text, f"{needle!r} reached the {place}"
