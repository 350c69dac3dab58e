"""The app's runtime database role cannot rewrite the audit trail (issue 19's probe, refused).

The probe ran as an ordinary role that owned its database: `SET LOCAL pgtrigger.ignore` + UPDATE,
`ALTER TABLE … DISABLE TRIGGER` and TRUNCATE all succeeded. Here the role is set up by
`manage.py grant_runtime_role`, and each of those is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client

from escalate.audit.checks import runtime_role_cannot_rewrite_the_trail
from escalate.audit.models import AuditChain, AuditEvent
from escalate.audit.roles import audit_refusals, create_runtime_role
from escalate.audit.services import record_audit
from escalate.audit.verification import verify_chain
from escalate.directory.tests.factories import PartnershipFactory
from escalate.escalations.tests.factories import EscalationFactory, ParticipantFactory
from escalate.web.testing import sign_in

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.database_owner,  # creates roles, then switches to the runtime role itself
    pytest.mark.skipif(connection.vendor != "postgresql", reason="database roles: PostgreSQL"),
]
IGNORE = "SET LOCAL pgtrigger.ignore = '{pgtrigger_audit_event_append_only_27797}'"


@pytest.fixture
def runtime_role() -> str:
    # Roles belong to the cluster: one name per test database, created in the test's
    # transaction and so gone with it.
    name = f"{connection.settings_dict['NAME']}_runtime"[:60]
    create_runtime_role(name)
    call_command("grant_runtime_role", name, stdout=StringIO())
    return name


@contextmanager
def as_role(role: str) -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {connection.ops.quote_name(role)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")


def _chain() -> list[AuditEvent]:
    partnership = PartnershipFactory(slug="probe")
    return [record_audit(actor=None, action=f"a{n}", partnership=partnership) for n in range(3)]


def _refused(role: str, *statements: str, match: str) -> None:
    with (
        as_role(role),
        pytest.raises(DatabaseError, match=match),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        for statement in statements:
            cursor.execute(statement)


@pytest.mark.parametrize(
    ("statements", "match"),
    [
        pytest.param(
            (IGNORE, "UPDATE audit_auditevent SET reason = 'tidied'"),
            "permission denied for table audit_auditevent",
            id="pgtrigger-ignore-then-update",
        ),
        pytest.param(
            (IGNORE, "DELETE FROM audit_auditevent"),
            "permission denied for table audit_auditevent",
            id="pgtrigger-ignore-then-delete",
        ),
        pytest.param(
            ("ALTER TABLE audit_auditevent DISABLE TRIGGER ALL",),
            "must be owner of table audit_auditevent",
            id="disable-trigger",
        ),
        pytest.param(
            ("DROP TRIGGER pgtrigger_audit_event_append_only_27797 ON audit_auditevent",),
            "must be owner of (table|relation) audit_auditevent",
            id="drop-trigger",
        ),
        pytest.param(
            ("TRUNCATE audit_auditevent",),
            "permission denied for table audit_auditevent",
            id="truncate",
        ),
        pytest.param(
            ("TRUNCATE audit_auditchain",),
            "permission denied for table audit_auditchain",
            id="truncate-heads",
        ),
        pytest.param(
            ("SET session_replication_role = replica",),
            "permission denied to set parameter",
            id="replica-mode-skips-triggers",
        ),
        pytest.param(
            ("UPDATE audit_auditchain SET length = length - 1, last_hash = ''",),
            "cannot move back",
            id="rewind-chain-head",
        ),
        pytest.param(
            ("UPDATE audit_auditchain SET key = 'elsewhere'",),
            "permission denied for table audit_auditchain",
            id="rename-chain-head",
        ),
        pytest.param(
            ("DELETE FROM audit_auditchain",),
            "permission denied for table audit_auditchain",
            id="delete-chain-head",
        ),
        pytest.param(
            ("ALTER TABLE audit_auditchain DISABLE TRIGGER audit_chain_head_forward_only",),
            "must be owner of table audit_auditchain",
            id="disable-head-trigger",
        ),
        pytest.param(
            (
                "CREATE OR REPLACE FUNCTION audit_chain_head_forward_only() RETURNS trigger "
                "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
            ),
            "must be owner of function|permission denied for schema public",
            id="replace-head-trigger-function",
        ),
    ],
)
def test_the_runtime_role_cannot_rewrite_the_audit_trail(
    runtime_role: str, statements: tuple[str, ...], match: str
) -> None:
    events = _chain()
    _refused(runtime_role, *statements, match=match)
    chain = AuditChain.objects.get(key=events[0].chain_key)
    assert chain.length == 3
    assert [event.reason for event in AuditEvent.objects.filter(chain_key=chain.key)] == [""] * 3
    assert verify_chain(chain) is None


def test_the_runtime_role_appends_and_the_app_works_as_it(runtime_role: str) -> None:
    participant = ParticipantFactory(escalation=EscalationFactory())
    escalation = participant.escalation
    client = Client()
    sign_in(client, participant.person)
    with as_role(runtime_role):
        for _ in range(2):
            assert client.get(f"/escalations/{escalation.reference}/").status_code == 200
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone()[0] == runtime_role
    views = AuditEvent.objects.filter(
        action="escalation_viewed", object_reference=escalation.reference
    )
    assert views.count() == 2
    assert verify_chain(AuditChain.objects.get(key=views.first().chain_key)) is None


def test_grant_checks_every_refusal_and_names_none_allowed(runtime_role: str) -> None:
    refusals = audit_refusals(runtime_role)
    assert len(refusals) >= 10
    assert not [refusal.what for refusal in refusals if refusal.allowed]


def test_a_role_that_owns_the_tables_is_refused_as_runtime_role() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
    with pytest.raises(CommandError, match=r"superuser|owns the audit tables"):
        call_command("grant_runtime_role", owner)


def test_a_missing_role_is_explained() -> None:
    with pytest.raises(CommandError, match="There is no database role 'nobody_here'"):
        call_command("grant_runtime_role", "nobody_here")


def test_the_deploy_check_warns_when_the_app_could_rewrite_the_trail(runtime_role: str) -> None:
    warnings = runtime_role_cannot_rewrite_the_trail(databases=["default"])
    assert [w.id for w in warnings] == ["escalate.W010"]  # the tests' owner role
    assert "can rewrite the audit trail" in warnings[0].msg
    with as_role(runtime_role):
        assert runtime_role_cannot_rewrite_the_trail(databases=["default"]) == []
