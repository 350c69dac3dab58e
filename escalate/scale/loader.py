"""Writing generated rows fast: COPY on PostgreSQL, executemany on other databases.

On PostgreSQL the load runs in one transaction that, while it writes:
- turns off foreign-key and trigger checks (`session_replication_role = replica`; the generator
  makes every id itself, so the references are right by construction),
- drops every index but the primary keys of the big tables and rebuilds them at the end (one
  sort per index instead of millions of inserts), with two cores for each build,
- truncates the big tables when they start empty, so COPY can write frozen, all-visible rows
  (`COPY ... FREEZE`: no later VACUUM rewriting every page),
- does not wait for the WAL to reach the disk (`synchronous_commit = off`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from django.db import connection

from escalate.scale.generator import TABLES, Row

# Tables that hold rows per escalation; their secondary indexes are rebuilt after the load.
BIG_TABLES = (
    "escalations_escalation",
    "escalations_stagerecord",
    "escalations_participant",
    "escalations_chronologyentry",
    "escalations_action",
    "notifications_notification",
    "audit_auditevent",
)


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def next_ids(tables: Iterable[str]) -> dict[str, int]:
    with connection.cursor() as cursor:
        start = {}
        for table in tables:
            name = connection.ops.quote_name(table)
            cursor.execute(f"SELECT MAX(id) FROM {name}")  # noqa: S608 (our table names)
            start[table] = (cursor.fetchone()[0] or 0) + 1
    return start


class Writer:
    """Writes rows table by table; `prepare` and `finish` wrap the load on PostgreSQL."""

    def __init__(self) -> None:
        self.frozen: set[str] = set()
        self.rebuild: list[str] = []
        self.rows_written = 0

    def prepare(self) -> None:
        if not is_postgres():
            return
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            cursor.execute("SET LOCAL max_parallel_maintenance_workers = 1")
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if cursor.fetchone()[0]:  # only a superuser may; otherwise the checks stay on
                cursor.execute("SET LOCAL session_replication_role = replica")
            for table in BIG_TABLES:
                self.rebuild += _drop_secondary_indexes(cursor, table)

    def freeze_empty_tables(self) -> None:
        """Truncate the big tables that are empty, so COPY may freeze what it writes.

        TRUNCATE must take every table that refers to them too, so only when those are empty
        as well; a big table that already has rows (the audit trail, once policies are loaded
        through the audited service) is written without FREEZE and vacuumed afterwards.
        """
        if not is_postgres():
            return
        with connection.cursor() as cursor:

            def empty(table: str) -> bool:
                cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")  # noqa: S608
                return not cursor.fetchone()[0]

            chosen = {table for table in BIG_TABLES if empty(table)}
            tables = set(chosen)
            frontier = set(chosen)
            while frontier:
                cursor.execute(
                    "SELECT DISTINCT conrelid::regclass::text FROM pg_constraint "
                    "WHERE contype = 'f' AND confrelid::regclass::text = ANY(%s)",
                    [list(frontier)],
                )
                frontier = {row[0] for row in cursor.fetchall()} - tables
                tables |= frontier
            if not chosen or not all(empty(table) for table in tables - chosen):
                return
            cursor.execute(f"TRUNCATE {', '.join(sorted(tables))}")
            self.frozen.update(chosen)

    def write(self, table: str, rows: Sequence[Row]) -> None:
        if not rows:
            return
        columns = TABLES[table]
        self.rows_written += len(rows)
        if is_postgres():
            options = " WITH (FREEZE)" if table in self.frozen else ""
            names = ", ".join(f'"{column}"' for column in columns)
            with connection.cursor() as cursor:
                raw = cursor.cursor  # the psycopg cursor under Django's wrapper
                with raw.copy(f"COPY {table} ({names}) FROM STDIN{options}") as copy:
                    write_row = copy.write_row
                    for row in rows:
                        write_row(row)
            return
        adapt = connection.ops.adapt_datetimefield_value
        placeholders = ", ".join(["%s"] * len(columns))
        names = ", ".join(connection.ops.quote_name(column) for column in columns)
        insert = f"INSERT INTO {table} ({names}) VALUES ({placeholders})"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.executemany(
                insert,
                [tuple(_sqlite_value(value, adapt) for value in row) for row in rows],
            )

    def finish(self, log: Any) -> None:
        """Rebuild the dropped indexes and move every id sequence past the rows written."""
        if not is_postgres():
            return
        with connection.cursor() as cursor:
            for statement in self.rebuild:
                started = time.monotonic()
                cursor.execute(statement)
                log(f"  {statement[:90]}… {time.monotonic() - started:.1f} s")
            cursor.execute("SET LOCAL session_replication_role = origin")
            for table in (*TABLES, "directory_partnership", "policies_policyversion"):
                largest = f"SELECT COALESCE(MAX(id), 1) FROM {table}"  # noqa: S608
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence(%s, 'id'), ({largest}))", [table]
                )


def analyze(tables: Iterable[str]) -> None:
    """Fresh planner statistics (and, outside the frozen tables, the visibility map)."""
    if not is_postgres():
        return
    # VACUUM cannot run in a transaction (the tests run in one); ANALYZE can.
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"{command} {table}")


def _drop_secondary_indexes(cursor: Any, table: str) -> list[str]:
    """Drop every index and unique constraint of `table` but its primary key; return how to
    make them again."""
    statements = []
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'u'",
        [table],
    )
    for name, definition in cursor.fetchall():
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        statements.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    cursor.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary",
        [table],
    )
    for name, definition in cursor.fetchall():
        cursor.execute(f"DROP INDEX {name}")
        statements.append(definition)
    return statements


def _sqlite_value(value: Any, adapt: Any) -> Any:
    if isinstance(value, datetime):
        return adapt(value)
    if isinstance(value, date):
        return value.isoformat()
    return value
