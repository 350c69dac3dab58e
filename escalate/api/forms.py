"""The form for a new API token."""

from __future__ import annotations

from django import forms

from escalate.api.models import Scope
from escalate.web.forms import DateField


class NewTokenForm(forms.Form):
    name = forms.CharField(
        label="Name",
        help_text="What the token is for, so you can recognise it. For example, case system link.",
        max_length=100,
        error_messages={
            "required": "Enter a name for the token",
            "max_length": "The name must be 100 characters or fewer",
        },
    )
    scopes = forms.MultipleChoiceField(
        label="What may it do?",
        widget=forms.CheckboxSelectMultiple,
        choices=Scope.choices,
        help_text="Choose only what the system using it needs.",
        error_messages={
            "required": "Select at least one thing the token may do",
            "invalid_choice": "Select from the list",
        },
    )
    expires_on = DateField(
        label="Stops working after",
        required=False,
        future_only=True,
        help_text="Optional. For example, 31 3 2027. Leave empty for a token that works until "
        "you revoke it.",
    )
