from __future__ import annotations

from django import forms


class LegalPageForm(forms.Form):
    body = forms.CharField(
        label="Page text",
        help_text="Plain text. Leave a blank line between paragraphs.",
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 20}),
        error_messages={
            "required": "Enter the page text",
            "max_length": "Page text must be 50,000 characters or fewer",
        },
    )
