"""Forms for the account pages: one-time codes and changing a password, in GOV.UK wording."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordChangeForm
from django_otp.plugins.otp_totp.models import TOTPDevice


class OneTimeCodeForm(forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app",
        help_text="The 6-digit code, for example 123456.",
        error_messages={"required": "Enter the 6-digit code from your authenticator app"},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )

    def __init__(self, *args: Any, device: TOTPDevice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_code(self) -> str:
        code = re.sub(r"[\s-]", "", self.cleaned_data["code"])
        if not re.fullmatch(r"\d{6}", code):
            raise forms.ValidationError("The code must be 6 digits, for example 123456")
        allowed, _ = self.device.verify_is_allowed()
        if not allowed:
            raise forms.ValidationError(
                "Too many wrong codes. Wait a minute, then enter the newest code from your app"
            )
        # verify_token refuses a code already used (it remembers the last time step accepted).
        if not self.device.verify_token(code):
            raise forms.ValidationError(
                "The code is wrong or has already been used. Enter the newest code from your app"
            )
        return code


class ChangePasswordForm(PasswordChangeForm):
    error_messages = {
        **PasswordChangeForm.error_messages,
        "password_incorrect": "Your current password is wrong. Enter it again.",
        "password_mismatch": "The two new passwords do not match. Enter the same one twice.",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "Current password"
        self.fields["old_password"].error_messages["required"] = "Enter your current password"
        self.fields["new_password1"].label = "New password"
        self.fields[
            "new_password1"
        ].help_text = (
            "At least 12 characters. Long passphrases are welcome; common passwords are refused."
        )
        self.fields["new_password1"].error_messages["required"] = "Enter a new password"
        self.fields["new_password2"].label = "Confirm new password"
        self.fields["new_password2"].error_messages["required"] = "Enter the new password again"
