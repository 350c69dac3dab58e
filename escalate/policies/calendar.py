"""Working days in each UK nation, and stage deadlines computed from them.

The rule (also in docs/decisions/0003-working-days.md): *N working days after an event is the
Nth working day after the day of the event; the day of the event does not count, whatever time
it happened.* Working days are Monday to Friday, less the bank holidays of the partnership's
nation. Zero working days means "the same working day" (or the next one, if the event happened
on a day that is not a working day). A deadline falls at the end of its day (23:59:59 local).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

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
