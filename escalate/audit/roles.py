"""The two PostgreSQL roles: the owner that migrates, and the runtime role the app connects as.

The runtime role may read and write the application's tables, but on the audit trail it may
only INSERT and SELECT (and move a chain head forward, which a trigger owned by the owner
checks). It owns nothing, so it cannot ALTER TABLE ... DISABLE TRIGGER, DROP TRIGGER or replace
the trigger functions; and because it has no UPDATE, DELETE or TRUNCATE privilege on the
events table, `SET pgtrigger.ignore` gains it nothing: the privilege check comes before any
trigger runs. See docs/operations.md ("Database roles").
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper

EVENTS_TABLE = "audit_auditevent"
CHAINS_TABLE = "audit_auditchain"
# Columns of the chain head the runtime role may update (forward only: see migration 0002).
CHAIN_HEAD_COLUMNS = ("length", "last_hash")
# Built-in roles that would give back what is revoked here.
POWERFUL_ROLES = ("pg_write_all_data", "pg_database_owner")


class RoleSetupError(Exception):
    """The runtime role cannot be made safe as things stand; the message says why."""


@dataclass(frozen=True)
class Refusal:
    """One thing the runtime role must not be able to do, and whether it can."""

    what: str
    allowed: bool


def _quote(conn: BaseDatabaseWrapper, name: str) -> str:
    return conn.ops.quote_name(name)


def _role_exists(cursor: CursorWrapper, role: str) -> bool:
    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
    return cursor.fetchone() is not None


def create_runtime_role(
    role: str, *, password: str = "", conn: BaseDatabaseWrapper = connection
) -> bool:
    """Create the role (LOGIN with the password, or NOLOGIN without one); False if it exists."""
    with conn.cursor() as cursor:
        if _role_exists(cursor, role):
            return False
        if password:
            cursor.execute(
                f"CREATE ROLE {_quote(conn, role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
                "NOBYPASSRLS NOINHERIT PASSWORD %s",
                [password],
            )
        else:
            cursor.execute(
                f"CREATE ROLE {_quote(conn, role)} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
                "NOBYPASSRLS"
            )
    return True


def _check_role_is_ordinary(cursor: CursorWrapper, role: str) -> None:
    cursor.execute(
        "SELECT rolsuper, rolbypassrls, "
        "pg_has_role(%s, (SELECT tableowner FROM pg_tables "
        "WHERE schemaname = 'public' AND tablename = %s), 'USAGE'), "
        "has_schema_privilege(%s, 'public', 'CREATE') "
        "FROM pg_roles WHERE rolname = %s",
        [role, EVENTS_TABLE, role, role],
    )
    row = cursor.fetchone()
    if row is None:
        raise RoleSetupError(
            f"There is no database role {role!r}: create it first, e.g. "
            f"CREATE ROLE {role} LOGIN PASSWORD '…' (or run this command with --create)"
        )
    superuser, bypass_rls, owner_powers, can_create = row
    if superuser:
        raise RoleSetupError(f"{role} is a superuser: the runtime role must be an ordinary role")
    if owner_powers:
        raise RoleSetupError(
            f"{role} owns the audit tables or is a member of their owner: the app must connect "
            "as a different role from the one that migrates"
        )
    if bypass_rls:
        raise RoleSetupError(f"{role} has BYPASSRLS: remove it (ALTER ROLE {role} NOBYPASSRLS)")
    if can_create:
        raise RoleSetupError(
            f"{role} may create objects in schema public: REVOKE CREATE ON SCHEMA public "
            f"FROM PUBLIC, {role}"
        )
    for powerful in POWERFUL_ROLES:
        cursor.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", [role, powerful])
        if cursor.fetchone()[0]:
            raise RoleSetupError(f"{role} is a member of {powerful}: revoke that membership")


def grant_runtime_role(role: str, *, conn: BaseDatabaseWrapper = connection) -> list[Refusal]:
    """Give `role` what the app needs and no more; return the audit refusals, all checked.

    Run as the owner of the tables (the role that migrates). Safe to run again after every
    migration (the audit app does so on post_migrate when DATABASE_RUNTIME_ROLE is set).
    Raises RoleSetupError if the role is unsafe or if, after granting, it could still change
    the audit trail (through a role it inherits from, say).
    """
    if conn.vendor != "postgresql":
        raise RoleSetupError("Database roles are a PostgreSQL feature; this database is not one")
    q = _quote(conn, role)
    with conn.cursor() as cursor:
        _check_role_is_ordinary(cursor, role)
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
        statements = [
            f"GRANT USAGE ON SCHEMA public TO {q}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {q}",
            f"REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM {q}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {q}",
            # Tables from later migrations are usable at once; post_migrate re-applies the rest.
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {_quote(conn, owner)} IN SCHEMA public "
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {q}",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {_quote(conn, owner)} IN SCHEMA public "
            f"GRANT USAGE, SELECT ON SEQUENCES TO {q}",
            # The audit trail: append and read only.
            f"REVOKE ALL ON {EVENTS_TABLE}, {CHAINS_TABLE} FROM {q}",
            f"REVOKE ALL ON {EVENTS_TABLE}, {CHAINS_TABLE} FROM PUBLIC",
            f"GRANT SELECT, INSERT ON {EVENTS_TABLE}, {CHAINS_TABLE} TO {q}",
            f"GRANT UPDATE ({', '.join(CHAIN_HEAD_COLUMNS)}) ON {CHAINS_TABLE} TO {q}",
        ]
        for statement in statements:
            cursor.execute(statement)
    refusals = audit_refusals(role, conn=conn)
    allowed = [refusal.what for refusal in refusals if refusal.allowed]
    if allowed:
        raise RoleSetupError(f"{role} could still: {'; '.join(allowed)}")
    return refusals


def audit_refusals(role: str, *, conn: BaseDatabaseWrapper = connection) -> list[Refusal]:
    """What `role` must not be able to do to the audit trail, each with whether it can."""
    checks: list[tuple[str, str, list[str]]] = []
    for table in (EVENTS_TABLE, CHAINS_TABLE):
        for privilege in ("DELETE", "TRUNCATE", "TRIGGER", "REFERENCES"):
            checks.append(
                (
                    f"{privilege} on {table}",
                    "SELECT has_table_privilege(%s, %s, %s)",
                    [role, table, privilege],
                )
            )
    checks.append(
        (
            f"UPDATE on {EVENTS_TABLE}",
            "SELECT has_table_privilege(%s, %s, 'UPDATE')",
            [role, EVENTS_TABLE],
        )
    )
    for column in ("id", "key"):
        checks.append(
            (
                f"UPDATE of {CHAINS_TABLE}.{column}",
                "SELECT has_column_privilege(%s, %s, %s, 'UPDATE')",
                [role, CHAINS_TABLE, column],
            )
        )
    for table in (EVENTS_TABLE, CHAINS_TABLE):
        checks.append(
            (
                f"own {table} (so ALTER TABLE … DISABLE TRIGGER)",
                "SELECT pg_has_role(%s, (SELECT tableowner FROM pg_tables "
                "WHERE schemaname = 'public' AND tablename = %s), 'USAGE')",
                [role, table],
            )
        )
    refusals = []
    with conn.cursor() as cursor:
        for what, sql, params in checks:
            cursor.execute(sql, params)
            refusals.append(Refusal(what, bool(cursor.fetchone()[0])))
    return refusals
