"""The reports' forms: dashboard filters, the reason for an export, the board report's period."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from escalate.directory import selectors as directory
from escalate.directory.models import Agency
from escalate.reports.policy_forms import MAX_TEMPLATE_BYTES
from escalate.reports.selectors import Filters, PolicyNames, Quarter
from escalate.web.forms import DateField


class DashboardFilterForm(forms.Form):
    date_from = DateField(label="Raised from", required=False, past_only=False)
    date_to = DateField(label="Raised to", required=False)
    agency = forms.ModelChoiceField(
        label="Agency (raised by or about)",
        queryset=Agency.objects.none(),
        required=False,
        empty_label="All agencies",
        error_messages={"invalid_choice": "Select an agency from the list"},
    )
    category = forms.ChoiceField(label="Category", required=False)
    stage = forms.ChoiceField(label="Stage reached", required=False)

    def __init__(
        self, *args: Any, agencies: list[Agency], names: PolicyNames, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        agency_field = self.fields["agency"]
        assert isinstance(agency_field, forms.ModelChoiceField)
        agency_field.queryset = directory.agencies_among(agencies)
        category_field = self.fields["category"]
        assert isinstance(category_field, forms.ChoiceField)
        category_field.choices = [("", "All categories"), *names.categories.items()]
        category_field.error_messages["invalid_choice"] = "Select a category from the list"
        stage_field = self.fields["stage"]
        assert isinstance(stage_field, forms.ChoiceField)
        stage_field.choices = [("", "All stages")] + [
            (key, names.stages[key]) for key in names.stage_order
        ]
        stage_field.error_messages["invalid_choice"] = "Select a stage from the list"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "Raised to must be the same as or after raised from")
        return data

    def filters(self) -> Filters:
        """The filters typed (an unbound or invalid form filters nothing)."""
        if not self.is_bound or not self.is_valid():
            return Filters()
        data = self.cleaned_data
        return Filters(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            agency=data.get("agency"),
            category=data.get("category") or "",
            stage=data.get("stage") or "",
        )


class ExportReasonForm(forms.Form):
    reason = forms.CharField(
        label="Why do you need this export?",
        help_text="For example: for the child's file at the school; for the board meeting on "
        "12 March. This is written to the audit trail.",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "Enter why you need this export",
            "max_length": "Reason must be 500 characters or fewer",
        },
    )

    def clean_reason(self) -> str:
        reason = str(self.cleaned_data["reason"]).strip()
        if len(reason) < 5:
            raise forms.ValidationError("Reason must be at least 5 characters")
        return reason


PERIOD_CHOICES = [
    ("q1", "January to March"),
    ("q2", "April to June"),
    ("q3", "July to September"),
    ("q4", "October to December"),
    ("year", "The whole year"),
]


class BoardReportForm(ExportReasonForm):
    year = forms.IntegerField(
        label="Year",
        min_value=2015,
        max_value=2040,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "maxlength": "4"}),
        error_messages={
            "required": "Enter the year",
            "invalid": "Year must be a number, like 2026",
            "min_value": "Year must be 2015 or later",
            "max_value": "Year must be 2040 or earlier",
        },
    )
    period = forms.ChoiceField(
        label="Period",
        choices=PERIOD_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the period the report covers"},
    )
    field_order = ["year", "period", "reason"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year

    def span(self) -> tuple[str, Filters]:
        """The report's title and the date filters of its period."""
        year = int(self.cleaned_data["year"])
        period = str(self.cleaned_data["period"])
        if period == "year":
            return f"Annual report {year}", Filters(
                date_from=Quarter(year, 1).start, date_to=Quarter(year, 4).end
            )
        quarter = Quarter(year, int(period[1]))
        return f"Quarterly report, {quarter.label}", Filters(
            date_from=quarter.start, date_to=quarter.end
        )


FORM_TEMPLATE_MAX_BYTES = MAX_TEMPLATE_BYTES


class FormTemplateUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label="Which form is this template for?",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select the form this template is for",
            "invalid_choice": "Select one of the forms your policy names",
        },
    )
    file = forms.FileField(
        label="Upload the Word template (.docx)",
        help_text="Use only the placeholders listed on this page. It is checked now and "
        "previewed with an invented escalation before you choose to use it.",
        error_messages={
            "required": "Select a Word template to upload",
            "empty": "The selected file is empty",
        },
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind = self.fields["kind"]
        assert isinstance(kind, forms.ChoiceField)
        kind.choices = choices

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > FORM_TEMPLATE_MAX_BYTES:
            raise forms.ValidationError("The selected file must be smaller than 2MB")
        if upload.name.lower().endswith((".docm", ".dotm")):
            raise forms.ValidationError(
                "The template must not contain macros: save it as a Word document (.docx)"
            )
        if not upload.name.lower().endswith(".docx"):
            raise forms.ValidationError("The selected file must be a Word document (.docx)")
        return upload
