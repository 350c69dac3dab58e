"""The sign-in form, with GOV.UK wording."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm


class SignInForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "Enter a correct email address and password. Both are case-sensitive "
        "after the @.",
        "inactive": "This account has been disabled. Ask your partnership administrator.",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Email address"
        self.fields["username"].widget = forms.EmailInput(
            attrs={"autocomplete": "email", "spellcheck": "false"}
        )
        self.fields["username"].error_messages["required"] = "Enter your email address"
        self.fields["password"].error_messages["required"] = "Enter your password"
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"
