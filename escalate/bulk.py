"""Writing many new rows at once: `bulk_create`'s rows, by COPY on PostgreSQL.

`bulk_create` on PostgreSQL sends its rows as one `INSERT ... SELECT * FROM UNNEST(...)`, whose
arrays psycopg quotes value by value on the client: for the deadline sweep's first catch-up
(thousands of outbox rows, entries and audit rows at once) that quoting was a large part of the
time (docs/performance.md, "The deadline sweep's writing with COPY"). COPY streams the same
values in psycopg's C encoder instead. The values are prepared exactly as `bulk_create` prepares
them (each field's `pre_save` and `get_db_prep_save`), so the rows are the same; elsewhere
(SQLite, the demo and test default) it is `bulk_create`.

Unlike `bulk_create`, the objects do not get their primary keys back: callers that need them
use `bulk_create`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from django.db import connection, models, transaction

# COPY on PostgreSQL; False writes by `bulk_create` there too (the tests compare the two).
COPY = True


def copy_rows(
    model: type[models.Model], objs: Sequence[models.Model], *, ignore_conflicts: bool = False
) -> int:
    """Insert `objs` (new, unsaved) as `bulk_create(objs, ignore_conflicts=...)` would.

    Returns how many rows were written (with `ignore_conflicts`, those that did not conflict;
    without a database that says, as `bulk_create` does, all of them). Call it inside the
    caller's transaction. With `ignore_conflicts` on PostgreSQL the rows go by COPY into a
    temporary table dropped at commit and then one `INSERT ... SELECT ... ON CONFLICT DO
    NOTHING`, so the table's unique constraints decide as they do for `bulk_create`.
    """
    if not objs:
        return 0
    if connection.vendor != "postgresql" or not COPY:
        model._default_manager.bulk_create(objs, ignore_conflicts=ignore_conflicts)
        return len(objs)
    meta = model._meta
    fields = [
        field
        for field in meta.concrete_fields
        if not (field.primary_key and getattr(objs[0], field.attname) is None)
    ]
    if any(field.primary_key for field in fields):
        raise ValueError(f"copy_rows: {meta.label} objects with their primary keys set")
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(field.column)) for field in fields)
    table = quote(str(meta.db_table))
    # In a transaction (the caller's, or its own): the staging table is dropped at commit.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        # Names from the model's own metadata, quoted: no outside text reaches the SQL.
        if ignore_conflicts:
            staging = quote(f"copy_{meta.db_table}_{uuid.uuid4().hex[:12]}")
            made = f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS SELECT {columns} FROM"
            cursor.execute(f"{made} {table} WITH NO DATA")
            target = staging
        else:
            target = table
        prepare = [_preparer(field) for field in fields]
        with cursor.copy(f"COPY {target} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row([each(obj) for each in prepare])
        if not ignore_conflicts:
            return len(objs)
        moved = f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {staging}"  # noqa: S608
        cursor.execute(f"{moved} ON CONFLICT DO NOTHING")
        return int(cursor.rowcount)


# Values `get_db_prep_save` passes through unchanged on PostgreSQL, by field: these skip it
# (it costs more than the rest of the COPY). Anything else goes through it.
_UNCHANGED: tuple[tuple[type[models.Field[Any, Any]], tuple[type, ...]], ...] = (
    (models.ForeignKey, (int,)),
    (models.CharField, (str,)),
    (models.TextField, (str,)),
    (models.IntegerField, (int,)),
    (models.BooleanField, (bool,)),
)


def _preparer(field: Any) -> Callable[[models.Model], Any]:
    """How `field`'s value is sent: as SQLInsertCompiler prepares it for `bulk_create`."""

    def prepared(obj: models.Model) -> Any:
        return field.get_db_prep_save(field.pre_save(obj, True), connection)

    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return prepared
    attname = field.attname
    if isinstance(field, models.JSONField):
        dumps = partial(json.dumps, cls=field.encoder)

        def as_json(obj: models.Model) -> Any:
            value = getattr(obj, attname)
            # NULL for None, as get_db_prep_save; expressions the slow way.
            if value is None or isinstance(value, dict | list | str | int | float | bool):
                return None if value is None else dumps(value)
            return prepared(obj)

        return as_json
    if isinstance(field, models.DateTimeField):

        def as_time(obj: models.Model) -> Any:
            value = getattr(obj, attname)
            if value is None or (type(value) is datetime and value.tzinfo is not None):
                return value
            return prepared(obj)

        return as_time
    for kind, types in _UNCHANGED:
        if isinstance(field, kind) and not (
            isinstance(field, models.ForeignKey)
            and not isinstance(field.target_field, models.IntegerField)
        ):

            def as_is(obj: models.Model, types: tuple[type, ...] = types) -> Any:
                value = getattr(obj, attname)
                if value is None or type(value) in types:
                    return value
                return prepared(obj)

            return as_is
    return prepared
