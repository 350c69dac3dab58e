"""The auditor's filter form."""

from __future__ import annotations

from django import forms

from escalate.web.forms import DateField


class AuditFilterForm(forms.Form):
    reference = forms.CharField(
        label="Escalation reference",
        required=False,
        max_length=64,
        help_text="For example RIV-2026-0001",
    )
    actor = forms.CharField(
        label="Person", required=False, max_length=150, help_text="Part of their name or email"
    )
    date_from = DateField(label="From", required=False)
    date_to = DateField(label="To", required=False)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:  # type: ignore[operator]
            self.add_error("date_to", "The to date must be the same as or after the from date")
        return data
