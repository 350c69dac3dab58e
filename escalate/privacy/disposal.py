"""Disposal of an escalation record past its retention (issue 21, item 2; ADR 0014).

The record is anonymised in place rather than deleted: the escalation row keeps what the
partnership's figures are made of (agencies, stages, dates, status, categories, learning themes),
so reports for past years do not change, and every piece of free text, the child's or adult's
identifiers, professionals' names and e-mail addresses, and the evidence files are removed.

Which fields go is decided by kind, not by a list of names, so a field added later is disposed of
too: every text field of the escalation and of every row that points at it is blanked, except
fields whose values come from a fixed list (`choices`), keys and references, and the few listed
in KEEP. JSON fields are emptied except the lists in KEEP_JSON and the chronology's structural
keys. The audit trail is not touched: it never held the data (identifying fields are redacted,
free text is a keyed fingerprint of the whole text), so its hash chains verify as before.
The escalation's `fingerprint_salt`, a text field like the others, is blanked with them, which
makes its fingerprints in the audit trail unconfirmable (ADR 0014, point 2).
"""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import models

from escalate.escalations.models import Escalation
from escalate.evidence.storage import evidence_storage

DISPOSED_NAME = "Disposed of"
# Text fields kept: identifiers of the record itself, not of a person.
KEEP = frozenset({"reference", "stored_name", "sha256", "content_type", "stage_key"})
KEEP_JSON = frozenset({"categories", "learning_themes"})
# Chronology data that says what happened, never who or what was written.
KEEP_DATA_KEYS = frozenset(
    {"from", "to", "stage", "event", "event_key", "method", "due_at", "due_on", "held_on",
     "paused_seconds", "review_on"}
)  # fmt: skip
PERSONAL_DATES = frozenset({"subject_date_of_birth"})
# Rows that point at the escalation but are about its retention, kept as the record of why.
KEPT_MODELS = frozenset({"privacy.RetentionDecision"})
# Rows that point at the escalation and go whole: a decision typed but never made.
DELETED_MODELS = frozenset({"escalations.DecisionDraft"})


@dataclass
class DisposalReport:
    reference: str
    fields: Counter[str] = field(default_factory=Counter)  # "Model.field" -> rows changed
    files: list[str] = field(default_factory=list)  # evidence files removed from storage

    @property
    def rows_changed(self) -> int:
        return sum(self.fields.values())


def _is_kept(model_field: models.Field[Any, Any]) -> bool:
    name = model_field.name
    return (
        name in KEEP
        or name.endswith("_key")
        or bool(model_field.choices)
        or name in KEEP_JSON
        or model_field.primary_key
    )


def _blank(model_field: models.Field[Any, Any], value: Any) -> Any:
    """What a disposed field holds instead of `value` (the same value: nothing to do)."""
    if isinstance(model_field, models.JSONField):
        if isinstance(value, dict):
            return {k: v for k, v in value.items() if k in KEEP_DATA_KEYS}
        return [] if isinstance(value, list) else value
    if isinstance(model_field, models.BinaryField):
        # A stored document (the chair's copy of a form) holds the child's details whole.
        return b"" if value else value
    if isinstance(model_field, models.CharField | models.TextField):
        if not value:
            return value
        return DISPOSED_NAME if not model_field.blank else ""
    if isinstance(model_field, models.DateField) and model_field.name in PERSONAL_DATES:
        return None
    return value


def _rows_of(escalation: Escalation) -> list[models.Model]:
    rows: list[models.Model] = [escalation]
    for relation in Escalation._meta.related_objects:
        if relation.one_to_many or relation.one_to_one:
            accessor = relation.get_accessor_name()
            assert accessor is not None
            if relation.one_to_one:
                with contextlib.suppress(ObjectDoesNotExist):
                    rows.append(getattr(escalation, accessor))
            else:
                rows.extend(getattr(escalation, accessor).all())
    return rows


def dispose(escalation: Escalation, *, apply: bool) -> DisposalReport:
    """Anonymise the record (or, with apply=False, report what would change). No audit here:
    the service that calls this writes the one audit event."""
    report = DisposalReport(reference=escalation.reference)
    for row in _rows_of(escalation):
        if row._meta.label in KEPT_MODELS:
            continue
        if row._meta.label in DELETED_MODELS:
            report.fields[f"{row._meta.label} (deleted)"] += 1
            if apply:
                type(row)._base_manager.filter(pk=row.pk).delete()
            continue
        changed: list[str] = []
        for model_field in row._meta.concrete_fields:
            if _is_kept(model_field) or isinstance(model_field, models.ForeignKey):
                continue
            before = getattr(row, model_field.attname)
            after = _blank(model_field, before)
            if after != before:
                changed.append(model_field.attname)
                report.fields[f"{row._meta.label}.{model_field.name}"] += 1
                if apply:
                    setattr(row, model_field.attname, after)
        stored = getattr(row, "stored_name", "")
        if row._meta.label == "evidence.Attachment" and stored:
            report.files.append(str(stored))
            if apply:
                storage = evidence_storage()
                if storage.exists(str(stored)):
                    storage.delete(str(stored))
        if apply and changed:
            type(row)._base_manager.filter(pk=row.pk).update(
                **{name: getattr(row, name) for name in changed}
            )
    return report


def is_due(escalation: Escalation, *, today: date) -> bool:
    from escalate.privacy.review import review_due_on

    due = review_due_on(escalation)
    return due is not None and due <= today
