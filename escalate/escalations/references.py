"""Escalation references like RIV-2026-0042: one counter per partnership per year."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from escalate.directory.models import Partnership
from escalate.escalations.models import ReferenceCounter
from escalate.policies.calendar import LONDON


def next_reference(partnership: Partnership, at: datetime) -> str:
    """The partnership's next reference for the year of `at` (London time).

    The counter row is locked (SELECT ... FOR UPDATE) until the caller's transaction ends, so
    two escalations raised at the same instant wait for each other and get different numbers;
    the unique constraint on Escalation(partnership, reference) is the backstop.
    """
    year = at.astimezone(LONDON).year
    with transaction.atomic():
        # get_or_create survives two first-of-the-year raises racing to create the row.
        ReferenceCounter.objects.get_or_create(partnership=partnership, year=year)
        counter = ReferenceCounter.objects.select_for_update().get(
            partnership=partnership, year=year
        )
        counter.last_number += 1
        counter.save(update_fields=["last_number"])
    return f"{partnership.reference_prefix}-{year}-{counter.last_number:04d}"
