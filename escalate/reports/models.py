"""Reports: a working-day calendar table, so working days to resolution are counted in SQL.

Working days between two dates = ordinal(later day) - ordinal(earlier day), where `ordinal` is the
number of working days (of that nation) from the table's first day up to and including `day`.
See docs/decisions/0004-working-days-to-resolution.md.
"""

from __future__ import annotations

from django.db import models

from escalate.directory.models import Nation


class WorkingDay(models.Model):
    nation = models.CharField(max_length=20, choices=Nation.choices)
    day = models.DateField()
    is_working_day = models.BooleanField()
    ordinal = models.PositiveIntegerField(
        help_text="Working days from the first day of the table up to and including this day."
    )

    class Meta:
        ordering = ["nation", "day"]
        constraints = [models.UniqueConstraint(fields=["nation", "day"], name="working_day_unique")]

    def __str__(self) -> str:
        return f"{self.nation} {self.day}: {self.ordinal}"
