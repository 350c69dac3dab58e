"""Reports: a working-day calendar table, so working days to resolution are counted in SQL.

Working days between two dates = ordinal(later day) - ordinal(earlier day), where `ordinal` is the
number of working days (of that nation) from the table's first day up to and including `day`.
See docs/decisions/0004-working-days-to-resolution.md.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

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


class FormTemplate(models.Model):
    """A partnership's own Word template for one of its policy's forms.

    Checked for unknown placeholders when uploaded; used for downloads only once someone has
    previewed it and chosen to use it (`in_use`). Until then the shipped template is used.
    """

    partnership = models.ForeignKey(
        "directory.Partnership", on_delete=models.CASCADE, related_name="form_templates"
    )
    kind = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    content = models.BinaryField()
    uploaded_by = models.ForeignKey("directory.Person", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)
    previewed_at = models.DateTimeField(
        null=True, blank=True, help_text="When its preview was first downloaded: only then usable."
    )
    in_use = models.BooleanField(default=False)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "kind"],
                condition=models.Q(in_use=True),
                name="one_form_template_in_use",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.name}"


class AttachedForm(models.Model):
    """A form made when an escalation reached the stage the policy names, kept as it was then
    for the partnership chair (Havering 004 §2.10-2.11: the details of the dispute referred to
    the Board Chair), downloaded from the escalation page instead of sent by e-mail."""

    escalation = models.ForeignKey(
        "escalations.Escalation", on_delete=models.CASCADE, related_name="attached_forms"
    )
    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    stage_key = models.CharField(max_length=50)
    content = models.BinaryField()
    made_at = models.DateTimeField(default=timezone.now)
    made_by = models.ForeignKey(
        "directory.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-made_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["escalation", "kind", "stage_key"], name="one_attached_form_per_stage"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} at {self.stage_key}"
