"""Escalations: one professional disagreement taken through a partnership's stages.

The rules live in workflow.py (plain Python); writes go through services.py, reads through
selectors.py. These models hold the state and the append-only record of what happened.
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from escalate.directory.models import Agency, Partnership
from escalate.policies.models import PolicyVersion

# Statuses and parts are defined in escalate/vocabulary.py (shared with the core).
from escalate.vocabulary import CLOSED_STATUSES as CLOSED_STATUSES
from escalate.vocabulary import MANAGER_PARTS as MANAGER_PARTS
from escalate.vocabulary import Part as Part
from escalate.vocabulary import Status as Status


class SubjectKind(models.TextChoices):
    CHILD = "child", "Child"
    ADULT = "adult", "Adult"


class StageOutcome(models.TextChoices):
    ESCALATED = "escalated", "Escalated to the next stage"
    RESOLVED = "resolved", "Resolved"
    WITHDRAWN = "withdrawn", "Withdrawn"


class EntryKind(models.TextChoices):
    RAISED = "raised", "Raised"
    DISCUSSION = "discussion", "Discussion"
    RATIONALE_REQUESTED = "rationale_requested", "Rationale requested"
    RATIONALE = "rationale", "Rationale given"
    ESCALATED = "escalated", "Escalated"
    PAUSED = "paused", "Paused"
    RESUMED = "resumed", "Resumed"
    RESOLVED = "resolved", "Resolved"
    WITHDRAWN = "withdrawn", "Withdrawn"
    PANEL_CONVENED = "panel_convened", "Resolution Panel convened"
    REPRESENTATION = "representation", "Representation to the panel"
    PANEL_DECISION = "panel_decision", "Panel decision"
    ACTION_ADDED = "action_added", "Action agreed"
    ACTION_DONE = "action_done", "Action done"
    VIEW = "view", "View added"
    CORRECTION = "correction", "Correction"
    NOTIFICATION = "notification", "Notification"
    URGENT_GUIDANCE = "urgent_guidance", "Emergency guidance shown"
    RESOLUTION_PROPOSED = "resolution_proposed", "Resolution proposed"
    RESOLUTION_ACCEPTED = "resolution_accepted", "Resolution accepted"
    RESOLUTION_DECLINED = "resolution_declined", "Resolution declined"
    RESOLUTION_UNANSWERED = "resolution_unanswered", "Proposed resolution not answered"
    RATIONALE_LAPSED = "rationale_lapsed", "No rationale given"
    REOPENED = "reopened", "Reopened"
    TIER_UP = "tier_up", "Next tier of management"
    TIMESCALE_CHANGED = "timescale_changed", "Due date changed"
    REASSIGNED = "reassigned", "Part reassigned"
    LINK_REMOVED = "link_removed", "Link to another escalation removed (made in error)"
    FORM_ATTACHED = "form_attached", "Form prepared for the chair"


class EscalationQuerySet(models.QuerySet["Escalation"]):
    """Writes through the queryset keep the partnership's figures (figures.py) in step."""

    def _figure_rows(self) -> dict[int, Any]:
        from escalate.escalations.figures import FIGURE_FIELDS

        return {row[0]: row[1:] for row in self.order_by().values_list("pk", *FIGURE_FIELDS)}

    def update(self, **kwargs: Any) -> int:
        from escalate.escalations import figures

        if not figures.FIELD_NAMES & set(kwargs):
            return super().update(**kwargs)
        with transaction.atomic(savepoint=False):
            before = self._figure_rows()
            updated = super().update(**kwargs)
            if before:
                after = figures.updated(list(before.values()), kwargs)
                if after is None:  # an expression: read what it made
                    rows = type(self)(self.model, using=self.db).filter(pk__in=list(before))
                    after = list(rows._figure_rows().values())
                figures.changed(list(before.values()), after)
        return updated

    def delete(self) -> tuple[int, dict[str, int]]:
        from escalate.escalations import figures

        with transaction.atomic(savepoint=False):
            before = list(self._figure_rows().values())
            deleted = super().delete()
            figures.changed(before, [])
        return deleted

    def bulk_create(  # type: ignore[override]  # passes everything on
        self, objs: Any, *args: Any, **kwargs: Any
    ) -> list[Escalation]:
        from escalate.escalations import figures

        with transaction.atomic(savepoint=False):
            made: list[Escalation] = super().bulk_create(objs, *args, **kwargs)  # type: ignore[assignment]
            figures.changed([], [figures.snapshot(row) for row in made])
        return made

    def bulk_update(self, objs: Any, fields: Any, *args: Any, **kwargs: Any) -> int:
        from escalate.escalations import figures

        objs = list(objs)
        if not figures.FIELD_NAMES & set(fields):
            return super().bulk_update(objs, fields, *args, **kwargs)
        with transaction.atomic(savepoint=False):
            ids = [row.pk for row in objs]
            before = list(self.filter(pk__in=ids)._figure_rows().values())
            updated = super().bulk_update(objs, fields, *args, **kwargs)
            after = list(self.filter(pk__in=ids)._figure_rows().values())
            figures.changed(before, after)
        return updated


def new_fingerprint_salt() -> str:
    """A new escalation's fingerprint salt: 128 random bits, as hex."""
    return secrets.token_hex(16)


class Escalation(models.Model):
    partnership = models.ForeignKey(
        Partnership, on_delete=models.PROTECT, related_name="escalations"
    )
    reference = models.CharField(max_length=30)
    policy_version = models.ForeignKey(
        PolicyVersion, on_delete=models.PROTECT, related_name="escalations"
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="escalations_raised"
    )
    raiser_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="escalations_raised"
    )
    respondent_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="escalations_received"
    )
    respondent_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="escalations_received",
    )
    respondent_name = models.CharField(max_length=150, blank=True)
    respondent_email = models.EmailField(blank=True)
    # The child's own IRO and CP chair, from the directory (at raise, or later by the business
    # unit); empty is "not known": the reviewing service's team is told instead (recipients.py).
    allocated_iro = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    allocated_cp_chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    subject_kind = models.CharField(
        max_length=10, choices=SubjectKind.choices, default=SubjectKind.CHILD
    )
    subject_name = models.CharField(max_length=150)
    subject_date_of_birth = models.DateField(null=True, blank=True)
    case_references = models.CharField(max_length=300, blank=True)
    cp_plan = models.BooleanField(default=False)
    looked_after = models.BooleanField(default=False)
    cp_conference = models.BooleanField(default=False)
    immediate_harm = models.BooleanField(default=False)
    categories = models.JSONField(default=list, blank=True)
    disputed = models.TextField()
    risk = models.TextField()
    outcome_wanted = models.TextField()
    already_tried = models.TextField(blank=True)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    current_stage_key = models.CharField(max_length=40)
    stage_due_at = models.DateTimeField(null=True, blank=True)
    raised_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    started_at_later_stage_reason = models.TextField(blank=True)

    # The outcome (reports read learning and themes from here).
    decision = models.TextField(blank=True)
    decided_by_text = models.CharField(max_length=300, blank=True)
    learning = models.TextField(blank=True)
    learning_themes = models.JSONField(default=list, blank=True)

    # Linked to an earlier escalation about the same person (a repeat escalation: the dashboard
    # counts these), and linked to any other at all (only then does the page look for links).
    # Kept through disposal, like the other figures (docs/privacy.md, "Linking"). A database
    # default too, for the bulk loader (escalate/scale/loader.py) that names its columns.
    is_repeat = models.BooleanField(default=False, db_default=False)
    has_links = models.BooleanField(default=False, db_default=False)

    # A random salt mixed into the fingerprints of this escalation's text in the audit trail,
    # kept only here (never in an audit row, a page or an export); disposal blanks it, so no
    # guess can be checked against those fingerprints afterwards (ADR 0014, point 2).
    fingerprint_salt = models.CharField(
        max_length=64, blank=True, default=new_fingerprint_salt, editable=False
    )

    objects = EscalationQuerySet.as_manager()

    class Meta:
        base_manager_name = "objects"  # disposal's base-manager updates keep the figures too
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "reference"], name="escalation_reference_unique"
            )
        ]
        indexes = [
            models.Index(fields=["partnership", "status"], name="escalation_status_idx"),
            models.Index(fields=["status", "stage_due_at"], name="escalation_due_idx"),
            # The dashboard's counts read only these columns: on PostgreSQL they come from the
            # index alone, not from rows spread over the whole table (docs/performance.md).
            models.Index(
                fields=["partnership", "raised_at"],
                include=[
                    "id",
                    "status",
                    "categories",
                    "current_stage_key",
                    "stage_due_at",
                    "closed_at",
                    "raiser_agency",
                    "respondent_agency",
                    "is_repeat",
                ],
                name="escalation_figures_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Saved with the partnership's figures moved from what the row was to what it is."""
        from escalate.escalations import figures

        update_fields = kwargs.get("update_fields")
        if update_fields is not None and not figures.FIELD_NAMES & set(update_fields):
            super().save(*args, **kwargs)
            return
        with transaction.atomic(savepoint=False):
            # The row as stored (not as loaded: a queryset update may have changed it since).
            before = None
            if not self._state.adding and self.pk is not None:
                before = next(
                    iter(type(self).objects.filter(pk=self.pk)._figure_rows().values()), None
                )
            super().save(*args, **kwargs)
            figures.changed([before] if before is not None else [], [figures.snapshot(self)])

    def get_absolute_url(self) -> str:
        return f"/escalations/{self.reference}/"

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        from escalate.escalations import figures

        with transaction.atomic(savepoint=False):
            before = next(iter(type(self).objects.filter(pk=self.pk)._figure_rows().values()), None)
            deleted = super().delete(*args, **kwargs)
            figures.changed([before] if before is not None else [], [])
        return deleted

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES

    @property
    def respondent_display(self) -> str:
        if self.respondent_person is not None:
            return self.respondent_person.full_name
        return self.respondent_name


class EscalationFigure(models.Model):
    """One count of the partnership's dashboard figures (escalations/figures.py): how many of
    its escalations are in `cell` of `dimension` (a status, a stage, a month raised...).
    Written only with the escalations, in the same transaction; rebuilt by
    `manage.py rebuild_figures`."""

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="+")
    dimension = models.CharField(max_length=16)
    cell = models.CharField(max_length=64)
    count = models.IntegerField(default=0)
    # The agency a raising or respondent agency's count is of (the dashboard shows its name,
    # read in the same query).
    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "dimension", "cell"], name="escalation_figure_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.partnership_id} {self.dimension} {self.cell}: {self.count}"


class EscalationLink(models.Model):
    """A later escalation about the same child or adult as an earlier one (issue 21, item 3).

    Made at raise: the raiser confirms a match they may see (`RAISER`); a match they may not see
    is recorded without telling them (`IDENTIFIERS`), so the partnership's repeat figures are
    whole and nobody learns of an escalation they may not see. Each side is shown only to people
    who may see both. No personal data here: the link survives disposal as a figure.
    """

    class Kind(models.TextChoices):
        RAISER = "raiser", "Linked by the person who raised it"
        IDENTIFIERS = "identifiers", "Same identifiers (not confirmed by the raiser)"

    earlier = models.ForeignKey(Escalation, on_delete=models.PROTECT, related_name="links_to_later")
    later = models.ForeignKey(Escalation, on_delete=models.PROTECT, related_name="links_to_earlier")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    made_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["earlier", "later"], name="escalation_link_unique"),
            models.CheckConstraint(
                condition=~models.Q(earlier=models.F("later")), name="escalation_link_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.later_id} repeats {self.earlier_id}"


class ReferenceCounter(models.Model):
    """The last reference number used by a partnership in a year (locked while incremented)."""

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partnership", "year"], name="reference_counter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.partnership_id}/{self.year}: {self.last_number}"


class StageRecord(models.Model):
    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="stages")
    stage_key = models.CharField(max_length=40)
    index = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.PositiveBigIntegerField(
        default=0, help_text="Total time spent paused in this stage (already added to due_at)."
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=StageOutcome.choices, blank=True)

    class Meta:
        ordering = ["escalation", "index"]
        constraints = [
            models.UniqueConstraint(
                fields=["escalation", "index"], name="stage_record_index_unique"
            )
        ]
        # The deadline sweep reads only open stages: a few thousand of millions of records.
        indexes = [
            models.Index(
                fields=["due_at"],
                condition=models.Q(ended_at__isnull=True),
                name="stage_record_open_due_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.escalation} stage {self.stage_key}"


class Participant(models.Model):
    escalation = models.ForeignKey(
        Escalation, on_delete=models.CASCADE, related_name="participants"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="participations"
    )
    part = models.CharField(max_length=30, choices=Part.choices)
    stage_key = models.CharField(max_length=40, blank=True)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["added_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["escalation", "person", "part"], name="participant_unique"
            )
        ]
        indexes = [models.Index(fields=["person", "part"], name="participant_person_idx")]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_part_display()}) on {self.escalation}"


class ChronologyEntry(models.Model):
    """One event on an escalation's timeline. Never changed: a correction is a new entry."""

    escalation = models.ForeignKey(Escalation, on_delete=models.PROTECT, related_name="chronology")
    kind = models.CharField(max_length=30, choices=EntryKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    stage_key = models.CharField(max_length=40, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)
    recorded_at = models.DateTimeField(default=timezone.now)
    text = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections"
    )

    class Meta:
        ordering = ["recorded_at", "pk"]
        verbose_name_plural = "chronology entries"
        indexes = [models.Index(fields=["escalation", "recorded_at"], name="chronology_idx")]

    def __str__(self) -> str:
        return f"{self.escalation}: {self.get_kind_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("A chronology entry is never changed; record a correction instead.")
        super().save(*args, **kwargs)


class Action(models.Model):
    escalation = models.ForeignKey(Escalation, on_delete=models.PROTECT, related_name="actions")
    description = models.TextField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="escalation_actions"
    )
    due_on = models.DateField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    done_note = models.TextField(blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [
            models.Index(fields=["owner", "done_at", "due_on"], name="action_owner_idx"),
            # The deadline sweep reads only actions not done.
            models.Index(
                fields=["due_on"],
                condition=models.Q(done_at__isnull=True),
                name="action_open_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.description[:60]

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    def is_overdue(self, today: date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.done_at is None and self.due_on < today


class Panel(models.Model):
    escalation = models.OneToOneField(Escalation, on_delete=models.PROTECT, related_name="panel")
    convened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    convened_at = models.DateTimeField(default=timezone.now)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="panels")
    agencies = models.ManyToManyField(Agency, related_name="panels")
    decision = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Resolution Panel for {self.escalation}"


class RaiseDraft(models.Model):
    """Everything typed so far on the raise pages, so nothing is lost."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="raise_drafts"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return f"Draft by {self.person}"


class DecisionDraft(models.Model):
    """Answers typed so far on a decision's question pages (resolve, propose, panel decision).

    Record data about a child: only its author reads it (selectors.decision_draft_for), it is
    deleted when the decision is made, when the escalation is disposed of, and by the routine
    disposal like a raise draft. `version` is the escalation's version when it was started."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="decision_drafts"
    )
    escalation = models.ForeignKey(
        Escalation, on_delete=models.CASCADE, related_name="decision_drafts"
    )
    action = models.CharField(max_length=40)
    version = models.PositiveIntegerField()
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "escalation", "action"], name="one_decision_draft"
            )
        ]

    def __str__(self) -> str:
        return f"Draft {self.action} by {self.person}"
