"""Fill the WorkingDay table from escalate.policies.calendar (the one source of working days)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from escalate.policies import calendar

FIRST_DAY = date(2015, 1, 1)
LAST_DAY = date(2040, 12, 31)
NATIONS = ("england", "wales", "scotland", "northern_ireland")


def working_day_rows(model: Any, first: date = FIRST_DAY, last: date = LAST_DAY) -> list[Any]:
    """Unsaved `model` rows (WorkingDay or its historical migration version), every nation."""
    rows = []
    for nation in NATIONS:
        ordinal = 0
        day = first
        while day <= last:
            working = calendar.is_working_day(day, nation)
            ordinal += int(working)
            rows.append(model(nation=nation, day=day, is_working_day=working, ordinal=ordinal))
            day += timedelta(days=1)
    return rows
