"""Changes made in the administration pages go to the audit trail, in the admin's transaction.

`AuditedAdmin` is mixed into a ModelAdmin. Adding or changing an object writes one row
("<app>_<model>_added" / "_changed") with the old and new value of every field changed,
including its inlines (e.g. a person's roles, an agency's contacts); deleting writes one row
per object ("_deleted") with its last values. Password fields are never recorded, and names
are redacted by `record_audit`'s field-name hints like everywhere else.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.db import transaction
from django.db.models import Model, QuerySet
from django.forms.models import BaseModelFormSet, model_to_dict
from django.http import HttpRequest

from escalate.audit.services import record_audit
from escalate.directory.models import Partnership, Person

Changes = dict[str, tuple[Any, Any]]
_PENDING = "_escalate_admin_changes"
_NOT_RECORDED = ("id", "DELETE")


def _skipped(name: str) -> bool:
    return name in _NOT_RECORDED or "password" in name


def _plain(value: Any) -> Any:
    """A value as an audit row keeps it: objects by id, lists of objects as sorted ids."""
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, (QuerySet, list, tuple, set, frozenset)):
        items = [_plain(item) for item in value]
        return sorted(items, key=str)
    return value


def form_changes(form: forms.BaseForm, *, adding: bool, prefix: str = "") -> Changes:
    """`field -> (old, new)` for each field the person changed in `form` (no passwords)."""
    return {
        f"{prefix}{name}": (
            None if adding else _plain(form.initial.get(name)),
            _plain(form.cleaned_data.get(name)),
        )
        for name in form.changed_data
        if not _skipped(name)
    }


def readable(message: Any) -> str:
    """The admin's change message as words ("Changed Email and Roles.")."""
    text = message if isinstance(message, str) else json.dumps(message)
    return str(LogEntry(change_message=text).get_change_message())[:500]


class AuditedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def audit_partnership(self, obj: Model) -> Partnership | None:
        if isinstance(obj, Partnership):
            return obj
        partnership = getattr(obj, "partnership", None)
        return partnership if isinstance(partnership, Partnership) else None

    def pending_changes(self, request: HttpRequest) -> Changes:
        """What this save has changed so far; written as one row when the admin logs it."""
        if not hasattr(request, _PENDING):
            setattr(request, _PENDING, {})
        pending: Changes = getattr(request, _PENDING)
        return pending

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        self.pending_changes(request).update(form_changes(form, adding=not change))
        super().save_model(request, obj, form, change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        assert isinstance(formset, BaseModelFormSet)
        assert formset.model is not None
        label = formset.model._meta.model_name
        parent = getattr(getattr(formset, "fk", None), "name", "")
        deleted = {id(f) for f in formset.deleted_forms}
        touched = [(f, f.instance.pk) for f in formset.forms if id(f) in deleted or f.has_changed()]
        super().save_formset(request, form, formset, change)
        pending = self.pending_changes(request)
        for inline_form, pk in touched:
            if id(inline_form) in deleted:
                if pk is None:
                    continue  # added and removed in the same save
                pending.update(
                    {
                        f"{label}[{pk}].{name}": (_plain(value), None)
                        for name, value in inline_form.initial.items()
                        if name != parent and not _skipped(name)
                    }
                )
            else:
                prefix = f"{label}[{inline_form.instance.pk}]."
                changes = form_changes(inline_form, adding=pk is None, prefix=prefix)
                pending.update({k: v for k, v in changes.items() if k != prefix + parent})

    def _audit(
        self, request: HttpRequest, obj: Model, verb: str, changes: Changes, why: str
    ) -> None:
        record_audit(
            actor=request.user if isinstance(request.user, Person) else None,
            action=f"{obj._meta.app_label}_{obj._meta.model_name}_{verb}",
            partnership=self.audit_partnership(obj),
            obj=obj,
            changes=changes,
            reason=why,
            request=request,
        )

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        entry = super().log_addition(request, obj, message)
        self._audit(request, obj, "added", self.pending_changes(request), readable(message))
        setattr(request, _PENDING, {})
        return entry

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        entry = super().log_change(request, obj, message)
        self._audit(request, obj, "changed", self.pending_changes(request), readable(message))
        setattr(request, _PENDING, {})
        return entry

    def _audit_deletion(self, request: HttpRequest, obj: Model) -> None:
        values = {
            name: (_plain(value), None)
            for name, value in model_to_dict(obj).items()
            if not _skipped(name)
        }
        self._audit(request, obj, "deleted", values, "")

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            self._audit_deletion(request, obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        with transaction.atomic():
            for obj in list(queryset):
                self._audit_deletion(request, obj)
            super().delete_queryset(request, queryset)
