"""Forms for starting a partnership, asking for a password reset and setting a password."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import SetPasswordForm

from escalate.directory.models import Covers, Nation, reference_prefix_validator


class PartnershipForm(forms.Form):
    name = forms.CharField(
        label="Partnership name",
        max_length=200,
        help_text="For example, Riverside Safeguarding Children Partnership",
        error_messages={"required": "Enter the partnership's name"},
    )
    nation = forms.ChoiceField(
        label="Nation",
        help_text="Its bank holidays decide the working days of every deadline.",
        choices=Nation.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the nation"},
    )
    covers = forms.ChoiceField(
        label="Who does it safeguard?",
        choices=Covers.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select who the partnership safeguards"},
    )
    reference_prefix = forms.CharField(
        label="Reference prefix",
        help_text="2 to 6 capital letters that start every escalation reference, for example RIV",
        max_length=6,
        error_messages={"required": "Enter a reference prefix"},
    )
    manager_name = forms.CharField(
        label="Business manager's full name",
        max_length=150,
        error_messages={"required": "Enter the business manager's full name"},
    )
    manager_email = forms.EmailField(
        label="Business manager's email address",
        help_text="They will get an email with a link to set their password.",
        error_messages={
            "required": "Enter the business manager's email address",
            "invalid": "Enter an email address in the correct format, like name@example.org",
        },
    )

    def clean_reference_prefix(self) -> str:
        prefix = str(self.cleaned_data["reference_prefix"]).strip().upper()
        reference_prefix_validator(prefix)
        return prefix


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.org",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )


class NewPasswordForm(SetPasswordForm):
    error_messages = {
        **SetPasswordForm.error_messages,
        "password_mismatch": "The two passwords do not match. Enter the same one twice.",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        first, second = self.fields["new_password1"], self.fields["new_password2"]
        first.label = "New password"
        first.help_text = (
            "At least 12 characters. Long passphrases are welcome; common passwords are refused."
        )
        first.error_messages["required"] = "Enter a new password"
        second.label = "Confirm new password"
        second.error_messages["required"] = "Enter the new password again"
