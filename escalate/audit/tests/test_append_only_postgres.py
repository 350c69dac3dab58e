"""On PostgreSQL the audit table refuses UPDATE and DELETE; a DBA who gets past that is caught."""

from __future__ import annotations

import threading

import pgtrigger
import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction

from escalate.audit.models import AuditChain, AuditEvent
from escalate.audit.services import record_audit
from escalate.audit.verification import verify_chain
from escalate.directory.tests.factories import PartnershipFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="triggers are PostgreSQL only"),
]
TRIGGER = "audit.AuditEvent:audit_event_append_only"


def _chain(length: int = 3) -> list[AuditEvent]:
    partnership = PartnershipFactory(slug="tamper")
    return [
        record_audit(actor=None, action=f"a{n}", partnership=partnership) for n in range(length)
    ]


def test_the_database_refuses_an_update() -> None:
    event = _chain()[0]
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="changed")


def test_the_database_refuses_a_delete() -> None:
    event = _chain()[0]
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])


@pytest.mark.database_owner
def test_a_dba_edit_past_the_trigger_is_named_by_verify_audit() -> None:
    events = _chain()
    with pgtrigger.ignore(TRIGGER), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET reason = %s WHERE id = %s", ["tidied", events[1].pk]
        )
    with pytest.raises(CommandError) as failure:
        call_command("verify_audit", "--partnership", "tamper")
    assert f"#2 (row id {events[1].pk}): altered" in str(failure.value)


@pytest.mark.database_owner
def test_a_dba_delete_past_the_trigger_is_named_by_verify_audit() -> None:
    events = _chain()
    with pgtrigger.ignore(TRIGGER), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[0].pk])
    with pytest.raises(CommandError, match=r"#1 \(no row\): missing"):
        call_command("verify_audit")


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_cannot_fork_the_chain() -> None:
    partnership = PartnershipFactory(slug="busy")
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for _ in range(10):
                with transaction.atomic():
                    record_audit(actor=None, action="busy", partnership=partnership)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    chain = AuditChain.objects.get(key=f"partnership:{partnership.pk}")
    assert chain.length == 40
    assert verify_chain(chain) is None
