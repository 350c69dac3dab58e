"""The notification settings form."""

from __future__ import annotations

from django import forms

EACH = "each"
DAILY = "daily"


class EmailSettingsForm(forms.Form):
    emails = forms.ChoiceField(
        label="How do you want emails about escalations?",
        choices=[
            (EACH, "One email for each notice, when it happens"),
            (DAILY, "One email a day listing every escalation with news"),
        ],
        help_text="Urgent notices (a child or adult at immediate risk) are always sent at once. "
        "Notices in Escalate still appear at once.",
        widget=forms.RadioSelect,
        error_messages={"required": "Select how you want emails about escalations"},
    )
