"""Every read the partnership's reports make, scoped to the person asking.

The dashboard, learning pages and board report are for partnership roles only (the roles the
partnership's policy grants in access_roles, and the business manager, partnership chair and
auditor); everyone else is refused with PermissionDenied (403). They count every escalation of
the person's own partnership and show no child or adult identifiers: counts between 1 and 4 in
any breakdown by agency (or in any figure filtered to one agency) are shown as "fewer than 5".

The record for the child's file loads its escalation only through
escalations.selectors.access_escalation (404 for anyone who may not see it).

Every figure is computed in the database; the number of queries does not depend on how many
escalations there are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import (
    Count,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
)
from django.db.models.functions import Cast, TruncDate, TruncMonth, TruncQuarter
from django.utils import timezone

from escalate.directory.models import Agency, AgencyType, Person, Role
from escalate.escalations import figures
from escalate.escalations.models import (
    Escalation,
    Status,
)
from escalate.escalations.selectors import access_escalation, policy_versions_granting
from escalate.policies.calendar import LONDON
from escalate.policies.models import PolicyVersion
from escalate.policies.schema import PolicySpec
from escalate.reports.models import FormTemplate, WorkingDay
from escalate.reports.record import Record, build_record

QUARTER_NAMES = ("January to March", "April to June", "July to September", "October to December")
SMALL_NUMBER = 5
SUPPRESSED_TEXT = "fewer than 5"
REPORT_ROLES = (Role.BUSINESS_MANAGER, Role.PARTNERSHIP_CHAIR, Role.AUDITOR)


def can_see_partnership_reports(person: Person) -> bool:
    """True for a partnership role: REPORT_ROLES or a role the partnership's policy grants."""
    if not person.is_authenticated or not person.is_active or person.partnership_id is None:
        return False
    if person.has_role(*REPORT_ROLES):
        return True
    return bool(policy_versions_granting(person))


def require_partnership_reports(person: Person) -> int:
    """The person's partnership id; PermissionDenied (403) unless they hold a partnership role."""
    if not can_see_partnership_reports(person) or person.partnership_id is None:
        raise PermissionDenied
    return person.partnership_id


# --- filters and tables ------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    date_from: date | None = None
    date_to: date | None = None
    agency: Agency | None = None
    category: str = ""
    stage: str = ""

    def describe(self) -> list[str]:
        parts = []
        if self.date_from:
            parts.append(f"raised on or after {self.date_from:%-d %B %Y}")
        if self.date_to:
            parts.append(f"raised on or before {self.date_to:%-d %B %Y}")
        if self.agency:
            parts.append(f"raised by or about {self.agency.name}")
        if self.category:
            parts.append(f"category {self.category}")
        if self.stage:
            parts.append(f"stage {self.stage}")
        return parts


@dataclass(frozen=True)
class Row:
    label: str
    count: int | None  # None: suppressed (between 1 and 4)

    @property
    def display(self) -> str:
        return SUPPRESSED_TEXT if self.count is None else str(self.count)


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    heading: str  # the first column's heading
    rows: list[Row]
    by_agency: bool = False
    suppressed_any: bool = False


@dataclass
class Dashboard:
    partnership_name: str
    filters: Filters
    total: int | None
    open_now: int | None
    overdue_now: int | None
    resolved: int | None
    withdrawn: int | None
    # Repeat escalations: about the same child or adult as an earlier one (linked at raise).
    repeat: int | None
    repeat_share: int | None  # per cent of those raised, rounded; None: suppressed or none
    resolution_count: int
    median_days: float | None
    p90_days: int | None
    tables: dict[str, Table] = field(default_factory=dict)
    small_numbers_apply: bool = False

    def figure(self, value: int | None) -> str:
        return SUPPRESSED_TEXT if value is None else str(value)


def _shown(count: int, suppress: bool) -> int | None:
    return None if suppress and 0 < count < SMALL_NUMBER else count


def _share(count: int, total: int, suppress: bool) -> int | None:
    """`count` as a whole percentage of `total`; None when there is nothing to divide by or the
    count is suppressed (a share would give a small number away)."""
    if total == 0 or _shown(count, suppress) is None:
        return None
    return round(100 * count / total)


def _table(
    key: str, title: str, heading: str, pairs: list[tuple[str, int]], *, suppress: bool
) -> Table:
    rows = [Row(label, _shown(count, suppress)) for label, count in pairs]
    return Table(
        key=key,
        title=title,
        heading=heading,
        rows=rows,
        by_agency=suppress,
        suppressed_any=any(row.count is None for row in rows),
    )


@dataclass(frozen=True)
class PolicyNames:
    categories: dict[str, str]
    stages: dict[str, str]
    stage_order: list[str]


def policy_names(partnership_id: int) -> PolicyNames:
    """Category and stage names from every policy version of the partnership (latest wins)."""
    categories: dict[str, str] = {}
    stages: dict[str, str] = {}
    order: list[str] = []
    # The document and source are large and the spec is parsed once per process from the
    # checksum (PolicyVersion.spec reads the document only the first time).
    versions = PolicyVersion.objects.filter(partnership_id=partnership_id).order_by("number")
    for version in versions.defer("document", "source_text"):
        spec = version.spec
        for category in spec.categories:
            categories[category.key] = category.name
        for stage in spec.stages:
            stages[stage.key] = stage.name
            if stage.key not in order:
                order.append(stage.key)
    return PolicyNames(categories=categories, stages=stages, stage_order=order)


def partnership_escalations(person: Person, filters: Filters) -> QuerySet[Escalation]:
    """Every escalation of the person's partnership matching `filters` (no visibility check:
    callers have checked the person holds a partnership role and show only counts)."""
    partnership_id = require_partnership_reports(person)
    escalations = Escalation.objects.filter(partnership_id=partnership_id).annotate(
        categories_text=Cast("categories", TextField())
    )
    if filters.date_from:
        escalations = escalations.filter(
            raised_at__gte=datetime.combine(filters.date_from, time.min, LONDON)
        )
    if filters.date_to:
        escalations = escalations.filter(
            raised_at__lt=datetime.combine(filters.date_to + timedelta(days=1), time.min, LONDON)
        )
    if filters.agency is not None:
        escalations = escalations.filter(
            Q(raiser_agency=filters.agency) | Q(respondent_agency=filters.agency)
        )
    if filters.category:
        escalations = escalations.filter(categories_text__contains=f'"{filters.category}"')
    if filters.stage:
        escalations = escalations.filter(current_stage_key=filters.stage)
    return escalations.order_by()


def _category_counts(escalations: QuerySet[Escalation]) -> dict[str, int]:
    """Escalations per category key, from one query grouping by the list of categories (a few
    dozen distinct lists), so no row's JSON is searched as text."""
    counts: dict[str, int] = {}
    for categories, n in escalations.values_list("categories").annotate(n=Count("pk")).order_by():
        for key in set(categories or []):
            counts[str(key)] = counts.get(str(key), 0) + n
    return counts


def _grouped(escalations: QuerySet[Escalation], column: str) -> list[tuple[object, int]]:
    rows = escalations.values(column).annotate(n=Count("pk")).order_by("-n", column)
    return [(row[column], row["n"]) for row in rows]


def _trend(
    escalations: QuerySet[Escalation], trunc: type[TruncMonth] | type[TruncQuarter]
) -> list[tuple[datetime, int]]:
    rows = (
        escalations.annotate(period=trunc("raised_at", tzinfo=LONDON))
        .values("period")
        .annotate(n=Count("pk"))
        .order_by("period")
    )
    return [(row["period"], row["n"]) for row in rows]


def quarter_label(moment: date | datetime) -> str:
    return f"{QUARTER_NAMES[(moment.month - 1) // 3]} {moment.year}"


@dataclass(frozen=True)
class ResolutionTimes:
    count: int
    median: float | None
    p90: int | None


def resolution_days(escalations: QuerySet[Escalation], nation: str) -> QuerySet[Escalation]:
    """Resolved escalations annotated with `working_days` from the day raised to the day
    resolved (the day raised does not count; pauses are included: the child waited)."""

    def ordinal(day_field: str) -> Subquery:
        return Subquery(
            WorkingDay.objects.filter(nation=nation, day=OuterRef(day_field)).values("ordinal")[:1],
            output_field=IntegerField(),
        )

    return (
        escalations.filter(status=Status.RESOLVED, closed_at__isnull=False)
        .annotate(
            raised_day=TruncDate("raised_at", tzinfo=LONDON),
            closed_day=TruncDate("closed_at", tzinfo=LONDON),
        )
        .annotate(working_days=ordinal("closed_day") - ordinal("raised_day"))
        .filter(**{"working_days__isnull": False})
    )


# Resolution times by (query, nation), with the signature of the resolved set they came from.
_RESOLUTION_TIMES: dict[tuple[str, str], tuple[tuple[object, ...], ResolutionTimes]] = {}
_RESOLUTION_TIMES_LIMIT = 512


def resolution_times(escalations: QuerySet[Escalation], nation: str) -> ResolutionTimes:
    """Median (mean of the two middle values when the count is even) and 90th percentile
    (nearest rank: the value at rank ceil(0.9 n)) of the working days `resolution_days` counts.

    A resolved escalation never changes, so the figures are kept per process and used again
    while the resolved set's signature (how many, the largest id, the first and last days
    raised and resolved: one query from an index) is unchanged; any new resolution recomputes
    them. Computing them is two queries whatever the number of escalations: the resolved ones
    counted per (day raised, day resolved), and the calendar's ordinals for the days between;
    the subtraction and the ranks are done here. (A per-row subquery into the calendar took
    ~0.3 s per 5,000 rows.)
    """
    resolved = escalations.filter(status=Status.RESOLVED, closed_at__isnull=False)
    signature = tuple(
        resolved.aggregate(
            n=Count("pk"),
            top=Max("pk"),
            first_raised=Min("raised_at"),
            last_raised=Max("raised_at"),
            first_closed=Min("closed_at"),
            last_closed=Max("closed_at"),
        ).values()
    )
    key = (str(resolved.query), nation)
    cached = _RESOLUTION_TIMES.get(key)
    if cached is not None and cached[0] == signature:
        return cached[1]
    times = _resolution_times(resolved, nation)
    if len(_RESOLUTION_TIMES) >= _RESOLUTION_TIMES_LIMIT:
        _RESOLUTION_TIMES.clear()
    _RESOLUTION_TIMES[key] = (signature, times)
    return times


def _resolution_times(resolved: QuerySet[Escalation], nation: str) -> ResolutionTimes:
    pairs = list(
        resolved.annotate(
            raised_day=TruncDate("raised_at", tzinfo=LONDON),
            closed_day=TruncDate("closed_at", tzinfo=LONDON),
        )
        .values_list("raised_day", "closed_day")
        .annotate(n=Count("pk"))
        .order_by()
    )
    if not pairs:
        return ResolutionTimes(0, None, None)
    first = min(raised for raised, _closed, _n in pairs)
    last = max(closed for _raised, closed, _n in pairs)
    ordinal = dict(
        WorkingDay.objects.filter(nation=nation, day__gte=first, day__lte=last).values_list(
            "day", "ordinal"
        )
    )
    counts: dict[int, int] = {}
    for raised, closed, n in pairs:
        if raised in ordinal and closed in ordinal:
            days = ordinal[closed] - ordinal[raised]
            counts[days] = counts.get(days, 0) + n
    return _times_from(counts)


def _times_from(counts: dict[int, int]) -> ResolutionTimes:
    """Median and 90th percentile from how many resolutions took each number of days."""
    counts = {days: n for days, n in counts.items() if n}
    count = sum(counts.values())
    if count == 0:
        return ResolutionTimes(0, None, None)

    def at_rank(rank: int) -> int:  # 1-based rank in the sorted values
        seen = 0
        for days in sorted(counts):
            seen += counts[days]
            if seen >= rank:
                return days
        raise AssertionError("rank beyond the count")

    middle = (count + 1) // 2
    median = float(at_rank(middle)) if count % 2 else (at_rank(middle) + at_rank(middle + 1)) / 2
    return ResolutionTimes(count, median, at_rank(math.ceil(0.9 * count)))


@dataclass
class _Counts:
    """What the dashboard's tables are drawn from, counted live or read from the figures."""

    summary: dict[str, int]
    times: ResolutionTimes
    categories: dict[str, int]
    stages: list[tuple[str, int]]  # most first
    raising: list[tuple[str, int]]
    agency_types: list[tuple[str, int]]
    respondent: list[tuple[str, int]]
    statuses: list[tuple[str, int]]
    months: list[tuple[date, int]]  # the first day of each
    quarters: list[tuple[date, int]]


def _counted(escalations: QuerySet[Escalation], nation: str) -> _Counts:
    """Every count from the escalations themselves (any filters)."""
    now = timezone.now()
    return _Counts(
        categories=_category_counts(escalations),
        summary=escalations.aggregate(
            total=Count("pk"),
            open_now=Count("pk", filter=Q(status__in=[Status.OPEN, Status.PAUSED])),
            overdue_now=Count("pk", filter=Q(status=Status.OPEN, stage_due_at__lt=now)),
            resolved=Count("pk", filter=Q(status=Status.RESOLVED)),
            withdrawn=Count("pk", filter=Q(status=Status.WITHDRAWN)),
            repeat=Count("pk", filter=Q(is_repeat=True)),
        ),
        times=resolution_times(escalations, nation),
        stages=[(str(key), n) for key, n in _grouped(escalations, "current_stage_key")],
        raising=[(str(name), n) for name, n in _grouped(escalations, "raiser_agency__name")],
        agency_types=[
            (str(kind), n) for kind, n in _grouped(escalations, "raiser_agency__agency_type")
        ],
        respondent=[(str(name), n) for name, n in _grouped(escalations, "respondent_agency__name")],
        statuses=[(str(status), n) for status, n in _grouped(escalations, "status")],
        months=[(_day(period), n) for period, n in _trend(escalations, TruncMonth)],
        quarters=[(_day(period), n) for period, n in _trend(escalations, TruncQuarter)],
    )


def _day(period: date | datetime) -> date:
    return period.astimezone(LONDON).date() if isinstance(period, datetime) else period


def _most_first(
    counts: dict[str, int], rank: dict[str, int] | None = None
) -> list[tuple[str, int]]:
    """(key, count), most first, ties in `rank` order (the database's order of the names), or
    by key, as `_grouped` orders them."""
    return sorted(
        ((key, n) for key, n in counts.items() if n),
        key=lambda pair: (-pair[1], rank[pair[0]] if rank is not None else pair[0]),
    )


def _from_figures(partnership_id: int) -> _Counts:
    """Every count of the unfiltered dashboard from the figures kept with the escalations
    (escalations/figures.py), in one query. The same figures `_counted` computes;
    escalations/tests/test_figures.py checks they always agree."""
    stored = figures.figures_of(partnership_id)
    statuses = stored.of(figures.STATUS)
    agencies = stored.agencies
    name_rank: dict[str, int] = {}
    for name, _kind in agencies.values():  # in the database's order of names
        name_rank.setdefault(name, len(name_rank))

    def by_agency(dimension: str, column: int) -> dict[str, int]:
        counts: dict[str, int] = {}
        for pk, n in stored.of(dimension).items():
            label = str(agencies[pk][column]) if pk in agencies else "None"
            counts[label] = counts.get(label, 0) + n
        return counts

    months = sorted(
        (date(int(key[:4]), int(key[5:7]), 1), n) for key, n in stored.of(figures.MONTH).items()
    )
    quarters: dict[date, int] = {}
    for month, n in months:
        start = date(month.year, 3 * ((month.month - 1) // 3) + 1, 1)
        quarters[start] = quarters.get(start, 0) + n
    days = {int(key): n for key, n in stored.of(figures.DAYS).items()}
    return _Counts(
        summary={
            "total": sum(statuses.values()),
            "open_now": statuses.get(Status.OPEN, 0) + statuses.get(Status.PAUSED, 0),
            "overdue_now": stored.overdue(timezone.now()),
            "resolved": statuses.get(Status.RESOLVED, 0),
            "withdrawn": statuses.get(Status.WITHDRAWN, 0),
            "repeat": stored.of(figures.REPEAT).get(figures.REPEAT_CELL, 0),
        },
        times=_times_from(days),
        categories=dict(stored.of(figures.CATEGORY)),
        stages=_most_first(stored.of(figures.STAGE)),
        raising=_most_first(by_agency(figures.RAISER, 0), name_rank),
        agency_types=_most_first(by_agency(figures.RAISER, 1)),
        respondent=_most_first(by_agency(figures.RESPONDENT, 0), name_rank),
        statuses=_most_first(statuses),
        months=months,
        quarters=sorted(quarters.items()),
    )


def dashboard(person: Person, filters: Filters) -> Dashboard:
    """Every figure on the dashboard, for the person's partnership, in a fixed number of queries.

    Unfiltered, from the figures kept with the escalations (one small query); filtered, counted
    from the escalations (about ten)."""
    escalations = partnership_escalations(person, filters)
    assert person.partnership is not None
    names = policy_names(person.partnership.pk)
    one_agency = filters.agency is not None
    if filters == Filters():
        counts = _from_figures(person.partnership.pk)
    else:
        counts = _counted(escalations, person.partnership.nation)
    summary, times = counts.summary, counts.times
    agency_types = dict(AgencyType.choices)
    statuses = dict(Status.choices)
    stage_rows = dict(counts.stages)
    stage_pairs = [
        (names.stages[key], int(stage_rows.pop(key)))
        for key in names.stage_order
        if key in stage_rows
    ]
    stage_pairs += [(str(key), int(count)) for key, count in stage_rows.items()]
    tables = [
        _table(
            "categories",
            "Escalations by category",
            "Category",
            [(name, counts.categories.get(key, 0)) for key, name in names.categories.items()],
            suppress=one_agency,
        ),
        _table(
            "raising_agency",
            "Escalations by raising agency",
            "Raising agency",
            counts.raising,
            suppress=True,
        ),
        _table(
            "agency_type",
            "Escalations by type of raising agency",
            "Type of agency",
            [(agency_types.get(kind, kind), n) for kind, n in counts.agency_types],
            suppress=True,
        ),
        _table(
            "respondent_agency",
            "Escalations by respondent agency",
            "Respondent agency",
            counts.respondent,
            suppress=True,
        ),
        _table("stage", "Stage reached", "Stage", stage_pairs, suppress=one_agency),
        _table(
            "outcome",
            "Outcome",
            "Outcome",
            [(statuses.get(s, s), n) for s, n in counts.statuses],
            suppress=one_agency,
        ),
        _table(
            "month",
            "Escalations raised by month",
            "Month",
            [(f"{period:%B %Y}", n) for period, n in counts.months],
            suppress=one_agency,
        ),
        _table(
            "quarter",
            "Escalations raised by quarter",
            "Quarter",
            [(quarter_label(period), n) for period, n in counts.quarters],
            suppress=one_agency,
        ),
    ]
    return Dashboard(
        partnership_name=person.partnership.name,
        filters=filters,
        total=_shown(summary["total"], one_agency),
        open_now=_shown(summary["open_now"], one_agency),
        overdue_now=_shown(summary["overdue_now"], one_agency),
        resolved=_shown(summary["resolved"], one_agency),
        withdrawn=_shown(summary["withdrawn"], one_agency),
        repeat=_shown(summary["repeat"], one_agency),
        repeat_share=_share(summary["repeat"], summary["total"], one_agency),
        resolution_count=times.count,
        median_days=times.median if not one_agency or times.count >= SMALL_NUMBER else None,
        p90_days=times.p90 if not one_agency or times.count >= SMALL_NUMBER else None,
        tables={table.key: table for table in tables},
        small_numbers_apply=one_agency,
    )


def filter_choices(person: Person) -> tuple[list[Agency], PolicyNames]:
    """The agencies and the category/stage names the dashboard filters offer."""
    partnership_id = require_partnership_reports(person)
    agencies = list(Agency.objects.filter(partnership_id=partnership_id).order_by("name"))
    return agencies, policy_names(partnership_id)


# --- learning -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Quarter:
    year: int
    number: int  # 1..4

    @property
    def start(self) -> date:
        return date(self.year, 3 * (self.number - 1) + 1, 1)

    @property
    def end(self) -> date:
        if self.number == 4:
            return date(self.year, 12, 31)
        return date(self.year, 3 * self.number + 1, 1) - timedelta(days=1)

    @property
    def label(self) -> str:
        return quarter_label(self.start)

    @property
    def slug(self) -> str:
        return f"{self.year}-q{self.number}"

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)


@dataclass(frozen=True)
class LearningItem:
    closed_on: date
    stage: str
    categories: list[str]
    themes: list[str]
    learning: str


@dataclass
class Learning:
    themes: list[tuple[str, int]]
    quarters: list[Quarter]
    items: list[LearningItem]
    theme: str
    quarter: Quarter | None


def _with_learning(person: Person) -> QuerySet[Escalation]:
    partnership_id = require_partnership_reports(person)
    return (
        Escalation.objects.filter(partnership_id=partnership_id, status=Status.RESOLVED)
        .exclude(learning="")
        .annotate(themes_text=Cast("learning_themes", TextField()))
        .order_by()
    )


def theme_counts(escalations: QuerySet[Escalation]) -> list[tuple[str, int]]:
    """Each theme with the number of escalations tagged with it, most frequent first.

    One query reads the distinct theme lists, one counts every theme in the database."""
    combinations = escalations.values_list("learning_themes", flat=True).distinct()
    themes = sorted({str(theme) for combo in combinations for theme in (combo or [])})
    if not themes:
        return []
    counts = escalations.aggregate(
        **{
            f"theme_{index}": Count("pk", filter=Q(themes_text__contains=_json_string(theme)))
            for index, theme in enumerate(themes)
        }
    )
    pairs = [(theme, counts[f"theme_{index}"]) for index, theme in enumerate(themes)]
    return sorted(pairs, key=lambda pair: (-pair[1], pair[0]))


def _json_string(value: str) -> str:
    import json

    return json.dumps(value)


def _closed_between(
    escalations: QuerySet[Escalation], first: date, last: date
) -> QuerySet[Escalation]:
    return escalations.filter(
        closed_at__gte=datetime.combine(first, time.min, LONDON),
        closed_at__lt=datetime.combine(last + timedelta(days=1), time.min, LONDON),
    )


def _closed_in(escalations: QuerySet[Escalation], quarter: Quarter) -> QuerySet[Escalation]:
    return _closed_between(escalations, quarter.start, quarter.end)


def learning(
    person: Person,
    *,
    theme: str = "",
    quarter: Quarter | None = None,
    closed_from: date | None = None,
    closed_to: date | None = None,
) -> Learning:
    """The learning captured at resolution, browsable by theme and by quarter resolved
    (or, for the board report, resolved between `closed_from` and `closed_to`)."""
    escalations = _with_learning(person)
    quarters = [
        Quarter.of(row.astimezone(LONDON).date() if isinstance(row, datetime) else row)
        for row in escalations.annotate(period=TruncQuarter("closed_at", tzinfo=LONDON))
        .values_list("period", flat=True)
        .distinct()
        .order_by("-period")
    ]
    chosen = escalations
    if quarter is not None:
        chosen = _closed_in(chosen, quarter)
    if closed_from is not None and closed_to is not None:
        chosen = _closed_between(chosen, closed_from, closed_to)
    themes = theme_counts(chosen)
    if theme:
        chosen = chosen.filter(**{"themes_text__contains": _json_string(theme)})
    assert person.partnership_id is not None
    names = policy_names(person.partnership_id)
    items = [
        LearningItem(
            closed_on=timezone.localtime(escalation.closed_at).date(),
            stage=names.stages.get(escalation.current_stage_key, escalation.current_stage_key),
            categories=[names.categories.get(key, key) for key in escalation.categories],
            themes=list(escalation.learning_themes),
            learning=escalation.learning,
        )
        for escalation in chosen.only(
            "closed_at", "current_stage_key", "categories", "learning_themes", "learning"
        ).order_by("-closed_at", "-pk")[:200]
        if escalation.closed_at is not None
    ]
    return Learning(themes=themes, quarters=quarters, items=items, theme=theme, quarter=quarter)


@dataclass
class Briefing:
    partnership_name: str
    quarter: Quarter
    raised: int | None
    resolved: int | None
    median_days: float | None
    top_categories: list[Row]
    themes: list[tuple[str, int]]
    learning: list[LearningItem]
    what_you_should_do: list[str] = field(default_factory=list)


def quarterly_briefing(person: Person, quarter: Quarter) -> Briefing:
    """A one-page "7 minute briefing" for one quarter: figures, themes, learning."""
    period = Filters(date_from=quarter.start, date_to=quarter.end)
    figures = dashboard(person, period)
    assert person.partnership is not None
    resolved_in_quarter = _closed_in(
        Escalation.objects.filter(partnership=person.partnership), quarter
    )
    times = resolution_times(resolved_in_quarter, person.partnership.nation)
    lessons = learning(person, quarter=quarter)
    return Briefing(
        partnership_name=person.partnership.name,
        quarter=quarter,
        raised=figures.total,
        resolved=resolved_in_quarter.filter(status=Status.RESOLVED).count(),
        median_days=times.median,
        top_categories=[row for row in figures.tables["categories"].rows if row.count][:3],
        themes=lessons.themes[:5],
        learning=lessons.items[:4],
        what_you_should_do=_what_you_should_do(person),
    )


def _what_you_should_do(person: Person) -> list[str]:
    """The briefing's advice from the partnership's policy (its shipped default if none)."""
    from escalate.policies.schema_forms import DEFAULT_WHAT_YOU_SHOULD_DO
    from escalate.policies.selectors import current_policy

    version = current_policy(person.partnership)
    if version is None:
        return list(DEFAULT_WHAT_YOU_SHOULD_DO)
    return list(version.spec.briefing.what_you_should_do)


# --- the record for the child's file --------------------------------------------------------


def escalation_record(person: Person, reference: str) -> Record:
    """Everything the record for the child's file holds (Http404 if `person` may not see it)."""
    return build_record(access_escalation(person, reference), viewer=person)


# --- the forms the policy names -------------------------------------------------------------


def business_unit_policy(person: Person) -> PolicySpec:
    """The partnership's current policy, for its business unit (PermissionDenied for others)."""
    from escalate.policies.selectors import current_policy

    if not person.has_role(Role.BUSINESS_MANAGER) or person.partnership is None:
        raise PermissionDenied("Only the partnership's business unit manages its forms.")
    version = current_policy(person.partnership)
    if version is None:
        raise PermissionDenied("The partnership has no policy loaded yet.")
    return version.spec


def form_templates(person: Person) -> list[FormTemplate]:
    """The templates the person's partnership has uploaded, newest first (business unit only)."""
    business_unit_policy(person)
    return list(
        FormTemplate.objects.filter(partnership=person.partnership)
        .select_related("uploaded_by")
        .defer("content")
    )


def form_template(person: Person, template_id: int) -> FormTemplate:
    """One of the partnership's uploaded templates (business unit only; Http404 for another
    partnership's or none)."""
    from django.http import Http404

    business_unit_policy(person)
    template = (
        FormTemplate.objects.filter(partnership=person.partnership, pk=template_id)
        .select_related("uploaded_by")
        .defer("content")
        .first()
    )
    if template is None:
        raise Http404("No such template")
    return template
