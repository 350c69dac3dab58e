from __future__ import annotations

from django import forms

from escalate.privacy.search import SEARCH_REASONS
from escalate.web.forms import DateField


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


class SubjectSearchForm(forms.Form):
    """Who to look for, and why: a search without a reason is refused (issue 21)."""

    name = forms.CharField(
        label="Full name of the child or adult",
        required=False,
        max_length=150,
        help_text="Every word you enter must be in the name. Capitals do not matter.",
        error_messages={"max_length": "The name must be 150 characters or fewer"},
    )
    date_of_birth = DateField(
        label="Date of birth",
        past_only=True,
        required=False,
        help_text="For example, 27 3 2015. Leave empty if you do not know it.",
    )
    case_reference = forms.CharField(
        label="Case reference",
        required=False,
        max_length=100,
        help_text="An agency's own reference, for example an NHS or case number.",
        error_messages={"max_length": "The case reference must be 100 characters or fewer"},
    )
    reason = forms.ChoiceField(
        label="Why are you searching?",
        choices=SEARCH_REASONS,
        widget=forms.RadioSelect,
        error_messages={"required": "Select why you are searching"},
    )
    request_reference = forms.CharField(
        label="Reference of the request or review (optional)",
        required=False,
        max_length=100,
        help_text="For example, the subject access request's number. Do not enter a name.",
        error_messages={
            "max_length": "The reference must be 100 characters or fewer",
        },
    )

    withhold_names = forms.BooleanField(
        label="Withhold professionals' names (replace each by their job title and agency)",
        required=False,
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        name = " ".join(str(data.get("name") or "").split())
        data["name"] = name
        data["case_reference"] = str(data.get("case_reference") or "").strip()
        if not (name or data.get("date_of_birth") or data["case_reference"]):
            self.add_error("name", "Enter a name, a date of birth or a case reference")
        elif name and len(name) < 2:
            self.add_error("name", "The name must be 2 characters or more")
        return data


class ProfessionalSearchForm(forms.Form):
    name = forms.CharField(
        label="Name or email address of the professional",
        max_length=150,
        error_messages={
            "required": "Enter a name or email address",
            "max_length": "The name must be 150 characters or fewer",
        },
    )


class ProfessionalExportForm(forms.Form):
    """Why the export is made: one without a reason is refused (issue 21)."""

    reason = forms.ChoiceField(
        label="Why are you making this export?",
        choices=SEARCH_REASONS,
        widget=forms.RadioSelect,
        error_messages={"required": "Select why you are making this export"},
    )
    request_reference = forms.CharField(
        label="Reference of the request (optional)",
        required=False,
        max_length=100,
        help_text="For example, the subject access request's number. Do not enter a name.",
        error_messages={"max_length": "The reference must be 100 characters or fewer"},
    )
    withhold_names = forms.BooleanField(
        label="Withhold other people's names (replace each by their job title and agency)",
        required=False,
    )


def _reason(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Do not include the child's or adult's name.",
        error_messages={
            "required": "Enter the reason",
            "max_length": "The reason must be 1,000 characters or fewer",
        },
    )


class LegalHoldForm(forms.Form):
    reason = _reason("Why must the record be kept?")


class KeepLongerForm(forms.Form):
    keep_until = DateField(
        label="Review it again on", future_only=True, help_text="For example, 27 3 2031."
    )
    reason = _reason("Why keep it longer?")

    def clean_keep_until(self) -> object:
        value = self.cleaned_data.get("keep_until")
        if value is None:
            raise forms.ValidationError("Enter the date to review the record again")
        return value


class LiftHoldForm(forms.Form):
    hold = forms.IntegerField(widget=forms.HiddenInput)
    reason = _reason("Why can the hold be lifted?")


class DisposeForm(forms.Form):
    reason = _reason("Why can the record be disposed of now?")
    confirm = forms.BooleanField(
        label="I have checked the record is past its retention and nothing requires it to be kept",
        error_messages={"required": "Confirm the record can be disposed of"},
    )
