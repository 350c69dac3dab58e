"""The partnership's dashboard figures, kept as counts written with each escalation (issue 22).

The dashboard's unfiltered figures are sums over every escalation of a partnership: how many in
each status, stage, category, raising and respondent agency, month raised, how many working
days each resolved one took, when each open one falls due, and how many are repeat escalations
(`is_repeat`, set and cleared as links are made and removed). Instead of counting the
escalations on every view, `EscalationFigure` holds one count per (partnership, dimension,
cell), and every write that changes what an escalation counts towards changes those counts in
the same transaction:

- `Escalation.save()` (raising, factories, any instance saved with a figure field),
- the escalation queryset's `update()`, `delete()`, `bulk_create()` and `bulk_update()`
  (a stage change, resolution, withdrawal or reopening is a queryset update in
  services/transition.py; disposal's anonymisation updates through the base manager, which is
  the same manager),
- `Escalation.delete()`.

What an escalation counts towards is `cells_of` its figure fields (`FIGURE_FIELDS`): a write
subtracts the cells of the row as it was and adds the cells of the row as it is now, in one
upsert (`INSERT ... ON CONFLICT DO UPDATE SET count = count + delta`, PostgreSQL and SQLite),
its rows in a fixed order so two writers never wait on each other in a cycle. Writes that go
around the ORM (the scale seeder's COPY) rebuild the counts afterwards: `rebuild()`, also
`manage.py rebuild_figures`. Changing the working-day calendar rebuilds them too (the days to
resolution are counted with it). tests/test_figures.py checks the counts always equal a count
from scratch after random sequences of writes, disposal included.

Working days to resolution are counted as reports.selectors.resolution_days counts them: from
the day raised to the day resolved, in London, by the calendar of the partnership's nation;
an escalation whose days are not both in the calendar is left out, as the dashboard leaves it
out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction

from escalate.policies.calendar import LONDON
from escalate.vocabulary import Status

if TYPE_CHECKING:
    from escalate.escalations.models import Escalation

# The escalation's columns the figures are made of (attribute names), in snapshot order.
FIGURE_FIELDS = (
    "partnership_id",
    "status",
    "current_stage_key",
    "categories",
    "raiser_agency_id",
    "respondent_agency_id",
    "raised_at",
    "closed_at",
    "stage_due_at",
    "is_repeat",
)
# The same, as a write may name them (`update(raiser_agency=...)`).
FIELD_NAMES = frozenset(FIGURE_FIELDS) | {
    "partnership",
    "raiser_agency",
    "respondent_agency",
}
DUE_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"  # UTC; sorts as it compares

STATUS = "status"
STAGE = "stage"
CATEGORY = "category"
RAISER = "raiser"
RESPONDENT = "respondent"
MONTH = "month"
DAYS = "days"  # working days to resolution
DUE = "due"  # when an open escalation's stage falls due
REPEAT = "repeat"  # a repeat escalation: the same child or adult as an earlier one (issue 21)
REPEAT_CELL = "yes"  # the one cell counted; the others are the total less these

Snapshot = tuple[Any, ...]  # the FIGURE_FIELDS values of one escalation
Cell = tuple[int, str, str]  # (partnership id, dimension, cell)


def snapshot(escalation: Escalation) -> Snapshot:
    return tuple(getattr(escalation, name) for name in FIGURE_FIELDS)


def _day(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


def _resolved_days(row: Snapshot) -> tuple[date, date] | None:
    """(day raised, day resolved) for a resolved escalation, or None."""
    _p, status, _s, _c, _r, _a, raised_at, closed_at, _d, _repeat = row
    if status != Status.RESOLVED or closed_at is None or raised_at is None:
        return None
    return _day(raised_at), _day(closed_at)


def cells_of(row: Snapshot, ordinals: dict[tuple[int, date], int]) -> list[Cell]:
    """Every cell one escalation counts towards. `ordinals`: (partnership id, day) -> the
    day's ordinal in the calendar of the partnership's nation (`_ordinals`)."""
    partnership, status, stage, categories, raiser, respondent, raised_at, _c, due_at, repeat = row
    cells = [
        (partnership, STATUS, str(status)),
        (partnership, STAGE, str(stage)),
        (partnership, RAISER, str(raiser)),
        (partnership, RESPONDENT, str(respondent)),
    ]
    if raised_at is not None:
        raised = raised_at.astimezone(LONDON)
        cells.append((partnership, MONTH, f"{raised.year:04d}-{raised.month:02d}"))
    cells += [(partnership, CATEGORY, key) for key in sorted({str(c) for c in categories or []})]
    days = _resolved_days(row)
    if days is not None:
        first, last = (ordinals.get((partnership, day)) for day in days)
        if first is not None and last is not None:
            cells.append((partnership, DAYS, str(last - first)))
    if status == Status.OPEN and due_at is not None:
        cells.append((partnership, DUE, due_at.astimezone(UTC).strftime(DUE_FORMAT)))
    if repeat:
        cells.append((partnership, REPEAT, REPEAT_CELL))
    return cells


def _ordinals(rows: Iterable[Snapshot]) -> dict[tuple[int, date], int]:
    """The calendar ordinals of the days the resolved rows were raised and resolved on (two
    small queries, only when a resolved escalation is among them)."""
    from escalate.directory.models import Partnership
    from escalate.reports.models import WorkingDay

    wanted: dict[int, set[date]] = {}
    for row in rows:
        days = _resolved_days(row)
        if days is not None:
            wanted.setdefault(row[0], set()).update(days)
    if not wanted:
        return {}
    nations = dict(Partnership.objects.filter(pk__in=wanted).values_list("pk", "nation").order_by())
    all_days = set().union(*wanted.values())
    found: dict[tuple[int, date], int] = {}
    by_nation: dict[str, dict[date, int]] = {}
    for nation, day, ordinal in WorkingDay.objects.filter(
        nation__in=set(nations.values()), day__in=all_days
    ).values_list("nation", "day", "ordinal"):
        by_nation.setdefault(nation, {})[day] = ordinal
    for partnership, its_days in wanted.items():
        calendar = by_nation.get(nations.get(partnership, ""), {})
        for day in its_days:
            if day in calendar:
                found[(partnership, day)] = calendar[day]
    return found


def updated(rows: Sequence[Snapshot], values: dict[str, Any]) -> list[Snapshot] | None:
    """`rows` after `update(**values)`, or None when a value is an expression (F(), ...)."""
    index = {name: i for i, name in enumerate(FIGURE_FIELDS)}
    changes: dict[int, Any] = {}
    for name, value in values.items():
        if hasattr(value, "resolve_expression"):
            return None
        attname = name if name in index else f"{name}_id"
        if attname in index:
            changes[index[attname]] = getattr(value, "pk", value)
    return [tuple(changes.get(i, value) for i, value in enumerate(row)) for row in rows]


def _plain(row: Snapshot) -> Snapshot:
    return tuple(str(value) if isinstance(value, str) else value for value in row)


def changed(before: Sequence[Snapshot], after: Sequence[Snapshot]) -> None:
    """Move the counts from the rows as they were (`before`) to the rows as they are."""
    before = [_plain(row) for row in before if row is not None]
    after = [_plain(row) for row in after if row is not None]
    if sorted(map(repr, before)) == sorted(map(repr, after)):
        return
    ordinals = _ordinals([*before, *after])
    delta: Counter[Cell] = Counter()
    for row in after:
        delta.update(cells_of(row, ordinals))
    for row in before:
        delta.subtract(cells_of(row, ordinals))
    _apply({cell: n for cell, n in delta.items() if n})


def _agency(dimension: str, cell: str) -> int | None:
    return int(cell) if dimension in (RAISER, RESPONDENT) else None


def _apply(delta: dict[Cell, int]) -> None:
    if not delta:
        return
    from escalate.escalations.models import EscalationFigure

    table = connection.ops.quote_name(EscalationFigure._meta.db_table)
    cells = sorted(delta.items())  # one order for every writer: no deadlock between two
    values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(cells))
    params = [value for (partnership, dimension, cell), n in cells for value in
              (partnership, dimension, cell, n, _agency(dimension, cell))]  # fmt: skip
    # The table's name comes from the model; every value is a parameter.
    sql = (
        f"INSERT INTO {table} (partnership_id, dimension, cell, count, agency_id) "  # noqa: S608
        f"VALUES {values} "
        f"ON CONFLICT (partnership_id, dimension, cell) "
        f"DO UPDATE SET count = {table}.count + excluded.count"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# --- rebuilding -----------------------------------------------------------------------------


def recount(partnership_ids: Iterable[int] | None = None) -> Counter[Cell]:
    """The counts from scratch, from the escalations (what the table must equal)."""
    from escalate.escalations.models import Escalation

    rows = Escalation._base_manager.all()
    if partnership_ids is not None:
        rows = rows.filter(partnership_id__in=list(partnership_ids))
    counts: Counter[Cell] = Counter()
    batch: list[Snapshot] = []

    def flush() -> None:
        ordinals = _ordinals(batch)
        for row in batch:
            counts.update(cells_of(row, ordinals))
        batch.clear()

    for row in rows.order_by().values_list(*FIGURE_FIELDS).iterator(chunk_size=5000):
        batch.append(row)
        if len(batch) >= 5000:
            flush()
    flush()
    return counts


def stored(partnership_ids: Iterable[int] | None = None) -> Counter[Cell]:
    """The counts the table holds (zero counts left out)."""
    from escalate.escalations.models import EscalationFigure

    rows = EscalationFigure.objects.exclude(count=0)
    if partnership_ids is not None:
        rows = rows.filter(partnership_id__in=list(partnership_ids))
    return Counter(
        {
            (p, dimension, cell): n
            for p, dimension, cell, n in rows.values_list(
                "partnership_id", "dimension", "cell", "count"
            )
        }
    )


def rebuild(partnership_ids: Iterable[int] | None = None) -> int:
    """Replace the stored counts with a count from scratch; returns the cells written. On
    PostgreSQL the count is one `INSERT ... SELECT ... GROUP BY` in the database (`_COUNT_SQL`:
    seconds at 1,000,000, where counting row by row in Python took most of the seeding); on
    SQLite, `recount`. tests/test_figures.py checks both equal the recount."""
    from escalate.escalations.models import EscalationFigure

    ids = None if partnership_ids is None else list(partnership_ids)
    with transaction.atomic():
        old = EscalationFigure.objects.all()
        if ids is not None:
            old = old.filter(partnership_id__in=ids)
        old.delete()
        if connection.vendor == "postgresql":
            return _rebuild_in_sql(ids)
        counts = recount(ids)
        EscalationFigure.objects.bulk_create(
            [
                EscalationFigure(
                    partnership_id=p,
                    dimension=dimension,
                    cell=cell,
                    count=n,
                    agency_id=_agency(dimension, cell),
                )
                for (p, dimension, cell), n in sorted(counts.items())
            ],
            batch_size=2000,
        )
    return len(counts)


# `cells_of` in SQL, for every escalation at once ({where} narrows to some partnerships). The
# days of the month, resolution and due date are London's and UTC's as in `cells_of`.
_COUNT_SQL = """
WITH e AS (
    SELECT id, partnership_id AS p, status, current_stage_key, categories, raiser_agency_id,
           respondent_agency_id, raised_at, closed_at, stage_due_at, is_repeat
    FROM escalations_escalation {where}
), cells AS (
    SELECT p, %(status)s AS d, status::text AS c FROM e
    UNION ALL SELECT p, %(stage)s, current_stage_key::text FROM e
    UNION ALL SELECT p, %(raiser)s, COALESCE(raiser_agency_id::text, 'None') FROM e
    UNION ALL SELECT p, %(respondent)s, COALESCE(respondent_agency_id::text, 'None') FROM e
    UNION ALL SELECT p, %(month)s, to_char(raised_at AT TIME ZONE %(tz)s, 'YYYY-MM') FROM e
        WHERE raised_at IS NOT NULL
    UNION ALL SELECT p, %(category)s, category FROM (
        SELECT DISTINCT e.id, e.p, category FROM e, jsonb_array_elements_text(
            CASE WHEN jsonb_typeof(e.categories) = 'array' THEN e.categories ELSE '[]' END
        ) AS category
    ) AS categories
    UNION ALL SELECT p, %(days)s, (resolved - raised)::text FROM (
        SELECT e.p,
            (SELECT ordinal FROM reports_workingday day WHERE day.nation = partnership.nation
                AND day.day = (e.raised_at AT TIME ZONE %(tz)s)::date) AS raised,
            (SELECT ordinal FROM reports_workingday day WHERE day.nation = partnership.nation
                AND day.day = (e.closed_at AT TIME ZONE %(tz)s)::date) AS resolved
        FROM e JOIN directory_partnership partnership ON partnership.id = e.p
        WHERE e.status = %(resolved)s
    ) AS ordinals WHERE raised IS NOT NULL AND resolved IS NOT NULL
    UNION ALL SELECT p, %(due)s,
            to_char(stage_due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') FROM e
        WHERE status = %(open)s AND stage_due_at IS NOT NULL
    UNION ALL SELECT p, %(repeat)s, %(yes)s FROM e WHERE is_repeat
)
INSERT INTO escalations_escalationfigure (partnership_id, dimension, cell, count, agency_id)
SELECT p, d, c, count(*),
       CASE WHEN d IN (%(raiser)s, %(respondent)s) AND c <> 'None' THEN c::bigint END
FROM cells GROUP BY p, d, c ORDER BY p, d, c
"""


def _rebuild_in_sql(partnership_ids: list[int] | None) -> int:
    params: dict[str, Any] = {
        "status": STATUS,
        "stage": STAGE,
        "raiser": RAISER,
        "respondent": RESPONDENT,
        "month": MONTH,
        "category": CATEGORY,
        "days": DAYS,
        "due": DUE,
        "repeat": REPEAT,
        "yes": REPEAT_CELL,
        "tz": str(LONDON),
        "resolved": Status.RESOLVED.value,
        "open": Status.OPEN.value,
        "ids": partnership_ids,
    }
    where = "" if partnership_ids is None else "WHERE partnership_id = ANY(%(ids)s)"
    with connection.cursor() as cursor:
        # One pass over the table: compiling it (JIT, ~0.7 s at 20,000) costs more than it saves.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(_COUNT_SQL.format(where=where), params)
        return int(cursor.rowcount)


# --- reading --------------------------------------------------------------------------------


@dataclass
class Figures:
    """One partnership's counts by dimension (cell -> count), as the dashboard reads them, and
    the agencies counted (cell -> (name, type)) in the database's order of their names."""

    by: dict[str, dict[str, int]] = field(default_factory=dict)
    agencies: dict[str, tuple[str, str]] = field(default_factory=dict)

    def of(self, dimension: str) -> dict[str, int]:
        return self.by.get(dimension, {})

    def overdue(self, now: datetime) -> int:
        """Open escalations whose stage fell due before `now`."""
        moment = now.astimezone(UTC).strftime(DUE_FORMAT)
        return sum(n for due, n in self.of(DUE).items() if due < moment)


def figures_of(partnership_id: int) -> Figures:
    """The partnership's stored counts and the names of the agencies counted, in one query."""
    from escalate.escalations.models import EscalationFigure

    figures = Figures()
    for dimension, cell, n, name, kind in (
        EscalationFigure.objects.filter(partnership_id=partnership_id)
        .exclude(count=0)
        .values_list("dimension", "cell", "count", "agency__name", "agency__agency_type")
        .order_by("agency__name", "agency_id")
    ):
        figures.by.setdefault(dimension, {})[cell] = n
        if name is not None:
            figures.agencies[cell] = (name, kind)
    return figures
