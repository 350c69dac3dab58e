from __future__ import annotations

from django import forms


class EvidenceForm(forms.Form):
    file = forms.FileField(
        label="Upload a file",
        help_text="PDF, Word, Excel, PNG, JPEG or plain text, smaller than 10MB. "
        "Do not include more about the child or adult than the disagreement needs.",
        error_messages={"required": "Select a file", "empty": "The selected file is empty"},
    )
