"""Each escalation's salt for the fingerprints of its text in the audit trail (ADR 0014, point 2):
a fingerprint can be confirmed with the salt and the audit key until disposal, and not after it
(the salt is destroyed); the chain still verifies; existing escalations were given salts."""

from __future__ import annotations

import importlib
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from escalate.audit.models import AuditEvent
from escalate.audit.services import fingerprint
from escalate.escalations import services
from escalate.escalations.models import Escalation, Status
from escalate.escalations.tests.factories import World, make_world
from escalate.privacy import services as privacy
from escalate.privacy.models import RetentionDecision

pytestmark = pytest.mark.django_db

DISPUTED = "Zebedee Quorndon was not seen at home."
salt_migration = importlib.import_module(
    "escalate.escalations.migrations.0012_escalation_fingerprint_salt"
)


def _raised(world: World, *, disputed: str = DISPUTED, closed_years_ago: int = 0) -> Escalation:
    escalation = services.raise_escalation(
        by=world.teacher,
        details=world.details(
            subject_name="Zebedee Quorndon",
            subject_date_of_birth=date(2001, 2, 3),
            disputed=disputed,
        ),
    )
    if closed_years_ago:
        closed = timezone.now() - timedelta(days=int(365.25 * closed_years_ago))
        Escalation.objects.filter(pk=escalation.pk).update(status=Status.RESOLVED, closed_at=closed)
    escalation.refresh_from_db()
    return escalation


def _raise_row(escalation: Escalation) -> AuditEvent:
    return AuditEvent.objects.get(action="escalation_raised", object_id=str(escalation.pk))


def test_a_fingerprint_is_confirmed_with_the_salt_before_disposal_and_never_after() -> None:
    world = make_world()
    escalation = _raised(world, closed_years_ago=36)
    salt = escalation.fingerprint_salt
    held = _raise_row(escalation).new_values["disputed"]
    # Before disposal: the salt and the audit key confirm the text; the key alone does not.
    assert held == fingerprint(DISPUTED, salt=salt)
    assert held != fingerprint(DISPUTED)
    assert salt not in str(list(AuditEvent.objects.values_list("old_values", "new_values")))

    privacy.dispose_escalation(
        by=world.business_manager, escalation=escalation, reason="Past retention", dry_run=False
    )

    escalation.refresh_from_db()
    assert escalation.fingerprint_salt == ""  # destroyed
    assert _raise_row(escalation).new_values["disputed"] == held  # the row is unchanged ...
    # ... but a guess, even the exact text, can no longer be checked against it.
    assert held not in {
        fingerprint(DISPUTED, salt=escalation.fingerprint_salt),
        fingerprint(DISPUTED),
    }
    disposed = AuditEvent.objects.get(action="escalation_disposed")
    assert disposed.new_values["fields_disposed"]["escalations.Escalation.fingerprint_salt"] == 1
    call_command("verify_audit")  # raises if a chain is broken


def test_identical_text_in_two_escalations_has_different_fingerprints() -> None:
    world = make_world()
    first, second = _raised(world), _raised(world)
    assert first.fingerprint_salt and second.fingerprint_salt
    assert first.fingerprint_salt != second.fingerprint_salt
    assert _raise_row(first).new_values["disputed"] != _raise_row(second).new_values["disputed"]


def test_the_migration_gives_each_existing_escalation_a_salt_but_not_a_disposed_one() -> None:
    world = make_world()
    older, other, disposed = _raised(world), _raised(world), _raised(world)
    RetentionDecision.objects.create(
        escalation=disposed,
        kind=RetentionDecision.Kind.DISPOSED,
        reason="Past retention",
        made_by=world.business_manager,
    )
    # As they were before the migration: no salt.
    Escalation.objects.update(fingerprint_salt="")

    editor = SimpleNamespace(connection=connection, quote_name=connection.ops.quote_name)
    salt_migration.give_salts(apps, editor)

    salts = dict(Escalation.objects.values_list("pk", "fingerprint_salt"))
    assert len(salts[older.pk]) == 32 and len(salts[other.pk]) == 32
    assert int(salts[older.pk], 16) and salts[older.pk] != salts[other.pk]
    assert salts[disposed.pk] == ""
