from __future__ import annotations

from datetime import date

import pytest

from escalate.reports.calendar_table import working_day_rows
from escalate.reports.models import WorkingDay


@pytest.fixture(autouse=True)
def _working_day_table(db: None) -> None:
    # The data migration fills the table; a transactional test elsewhere may have flushed it.
    if not WorkingDay.objects.exists():
        WorkingDay.objects.bulk_create(
            working_day_rows(WorkingDay, date(2025, 1, 1), date(2027, 12, 31))
        )
