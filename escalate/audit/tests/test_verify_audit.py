"""verify_audit names the first altered or missing row (SQLite has no triggers to get past)."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from escalate.audit.models import AuditEvent
from escalate.audit.services import record_audit
from escalate.directory.tests.factories import PartnershipFactory

pytestmark = pytest.mark.django_db


def _chain(slug: str = "audited", length: int = 4) -> list[AuditEvent]:
    partnership = PartnershipFactory(slug=slug)
    return [
        record_audit(actor=None, action=f"step {n}", partnership=partnership, changes={"n": (n, n)})
        for n in range(length)
    ]


def _raw(sql: str, params: list[object]) -> None:
    # A DBA's edit, straight to the table.
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_intact_chains_pass(capsys) -> None:
    _chain()
    call_command("verify_audit", "--partnership", "audited")
    assert "Audit trail intact" in capsys.readouterr().out


@pytest.mark.skipif(connection.vendor == "postgresql", reason="PostgreSQL refuses the edit")
def test_an_altered_row_is_named() -> None:
    events = _chain()
    _raw("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["nothing", events[1].pk])
    with pytest.raises(CommandError) as failure:
        call_command("verify_audit")
    assert f"#2 (row id {events[1].pk}): altered" in str(failure.value)


@pytest.mark.skipif(connection.vendor == "postgresql", reason="PostgreSQL refuses the delete")
def test_a_removed_row_is_named() -> None:
    events = _chain()
    _raw("DELETE FROM audit_auditevent WHERE id = %s", [events[2].pk])
    with pytest.raises(CommandError) as failure:
        call_command("verify_audit")
    assert "#3 (no row): missing" in str(failure.value)


@pytest.mark.skipif(connection.vendor == "postgresql", reason="PostgreSQL refuses the delete")
def test_removing_the_newest_row_is_noticed() -> None:
    events = _chain()
    _raw("DELETE FROM audit_auditevent WHERE id = %s", [events[-1].pk])
    with pytest.raises(CommandError, match="missing: the chain head records 4 rows, 3 found"):
        call_command("verify_audit")


def test_an_unknown_partnership_is_an_error() -> None:
    with pytest.raises(CommandError, match="No partnership"):
        call_command("verify_audit", "--partnership", "nowhere")
