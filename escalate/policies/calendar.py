"""Working days in each UK nation, and stage deadlines computed from them.

The rule (also in docs/decisions/0003-working-days.md): *N working days after an event is the
Nth working day after the day of the event; the day of the event does not count, whatever time
it happened.* Working days are Monday to Friday, less the bank holidays of the partnership's
nation. Zero working days means "the same working day" (or the next one, if the event happened
on a day that is not a working day). A deadline falls at the end of its day (23:59:59 local).

Hour-based timescales ("within 48 hours") are clock hours from the moment of the event, weekends
and bank holidays included: they are used where a child cannot wait for the next working day.

Pauses stop the clock. A working-day deadline is moved on by the working days lost to the pause:
those after the day it was paused, up to and including the day it resumed (the same rule as
above: the day of the pause still counts, the day of resuming does not count towards the stage).
An hour-based deadline is moved on by the pause's clock duration.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from escalate.policies.schema import Timescale

LONDON = ZoneInfo("Europe/London")

SUBDIVISION = {
    "england": "ENG",
    "wales": "WLS",
    "scotland": "SCT",
    "northern_ireland": "NIR",
}


@lru_cache(maxsize=64)
def _bank_holidays(nation: str, year: int) -> frozenset[date]:
    try:
        subdivision = SUBDIVISION[nation]
    except KeyError:
        expected = ", ".join(SUBDIVISION)
        raise ValueError(f"unknown nation {nation!r}; expected one of {expected}") from None
    return frozenset(holidays.country_holidays("GB", subdiv=subdivision, years=year).keys())


def bank_holidays(nation: str, year: int) -> frozenset[date]:
    """The bank holidays of `nation` in `year`."""
    return _bank_holidays(nation, year)


def is_working_day(day: date, nation: str) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(nation, day.year)


def next_working_day_on_or_after(day: date, nation: str) -> date:
    while not is_working_day(day, nation):
        day += timedelta(days=1)
    return day


def add_working_days(start: date, days: int, nation: str) -> date:
    """The `days`-th working day after `start` (`start` itself never counts).

    Zero gives `start` if it is a working day, else the next working day.
    """
    if days < 0:
        raise ValueError("working days must not be negative")
    if days == 0:
        return next_working_day_on_or_after(start, nation)
    day = start
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day, nation):
            counted += 1
    return day


def working_days_between(start: date, end: date, nation: str) -> int:
    """Working days after `start` up to and including `end`; negative when `end` is earlier."""
    if end == start:
        return 0
    sign = 1
    if end < start:
        start, end, sign = end, start, -1
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day, nation):
            count += 1
    return sign * count


def end_of_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=LONDON)


def deadline(
    started: datetime, *, nation: str, working_days: int | None = None, hours: int | None = None
) -> datetime:
    """When a stage (or action) started at `started` falls due, from its timescale."""
    if (working_days is None) == (hours is None):
        raise ValueError("give exactly one of working_days or hours")
    if hours is not None:
        return started + timedelta(hours=hours)
    assert working_days is not None
    local_day = started.astimezone(LONDON).date()
    return end_of_day(add_working_days(local_day, working_days, nation))


def local_date(moment: datetime) -> date:
    """The calendar day of `moment` in the UK (naive datetimes are taken as UK local time)."""
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(LONDON).date()


def stage_deadline(started: datetime, timescale: Timescale, *, nation: str) -> datetime:
    """When a stage started at `started` falls due under its policy `timescale`."""
    return deadline(
        started, nation=nation, working_days=timescale.working_days, hours=timescale.hours
    )


def paused_working_days(paused_at: datetime, resumed_at: datetime, nation: str) -> int:
    """Working days a pause took off the clock: after the day it was paused, up to and
    including the day it resumed (zero if it paused and resumed on the same day)."""
    if resumed_at < paused_at:
        raise ValueError("a pause cannot end before it starts")
    return working_days_between(local_date(paused_at), local_date(resumed_at), nation)


def extend_for_pause(
    due: datetime,
    *,
    paused_at: datetime,
    resumed_at: datetime,
    nation: str,
    in_hours: bool = False,
) -> datetime:
    """The due moment after a pause from `paused_at` to `resumed_at` stopped the clock.

    Working-day timescales move on by `paused_working_days`; hour-based ones (`in_hours`) by the
    pause's clock duration. A stage paused and resumed on the same day keeps its deadline.
    """
    if resumed_at < paused_at:
        raise ValueError("a pause cannot end before it starts")
    if in_hours:
        return due + (resumed_at - paused_at)
    lost = paused_working_days(paused_at, resumed_at, nation)
    if lost == 0:
        return due
    return end_of_day(add_working_days(local_date(due), lost, nation))


def extend_for_pauses(
    due: datetime,
    pauses: Iterable[tuple[datetime, datetime | None]],
    *,
    nation: str,
    now: datetime,
    in_hours: bool = False,
) -> datetime:
    """`due` moved on by every pause, in order; a pause not yet over counts up to `now`."""
    for paused_at, resumed_at in sorted(pauses, key=lambda pause: pause[0]):
        due = extend_for_pause(
            due,
            paused_at=paused_at,
            resumed_at=resumed_at if resumed_at is not None else max(now, paused_at),
            nation=nation,
            in_hours=in_hours,
        )
    return due


# How dates and times are written, everywhere (pages, notices, PDF, Word): the GOV.UK style guide,
# "5 January 2027", "11:59pm", "midday", "midnight"; always in UK time.
def govuk_date(day: date | datetime, *, short_month: bool = False) -> str:
    """'5 January 2027' (or '5 Jan 2027' for tables). A datetime is read in UK time."""
    if isinstance(day, datetime):
        day = day.astimezone(LONDON).date()
    return f"{day.day} {day:%b %Y}" if short_month else f"{day.day} {day:%B %Y}"


def govuk_time(moment: datetime) -> str:
    """'11:59pm', '9am', 'midday', 'midnight', in UK time."""
    local = moment.astimezone(LONDON)
    if local.hour == 0 and local.minute == 0:
        return "midnight"
    if local.hour == 12 and local.minute == 0:
        return "midday"
    hour = local.hour % 12 or 12
    minutes = f":{local.minute:02d}" if local.minute else ""
    return f"{hour}{minutes}{'am' if local.hour < 12 else 'pm'}"


def govuk_date_time(moment: datetime, *, short_month: bool = False) -> str:
    """'5 January 2027, 11:59pm' in UK time."""
    return f"{govuk_date(moment, short_month=short_month)}, {govuk_time(moment)}"
