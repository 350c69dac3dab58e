"""Forms for the business unit's directory pages, scoped to the partnership being managed."""

from __future__ import annotations

from typing import Any

from django import forms

from escalate.directory import selectors
from escalate.directory.models import Agency, AgencyType, Level, Partnership, Person, Role
from escalate.directory.services import AgencyDetails, ContactDetails, PersonDetails

EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.org"


class AgencyForm(forms.Form):
    name = forms.CharField(
        label="Agency name", max_length=200, error_messages={"required": "Enter the agency's name"}
    )
    agency_type = forms.ChoiceField(
        label="Kind of agency",
        choices=[("", "Choose a kind"), *AgencyType.choices],
        error_messages={"required": "Select the kind of agency"},
    )
    email = forms.EmailField(
        label="Safeguarding mailbox",
        help_text="Where the agency's safeguarding team reads escalations, if it has one.",
        required=False,
        error_messages={"invalid": EMAIL_FORMAT},
    )
    is_active = forms.BooleanField(
        label="The agency takes part in escalations", required=False, initial=True
    )
    is_board_member = forms.BooleanField(
        label="The agency is a member of the partnership's Board",
        help_text="Its senior officers can sit on a Resolution Panel.",
        required=False,
    )

    def details(self) -> AgencyDetails:
        data = self.cleaned_data
        return AgencyDetails(
            name=data["name"],
            agency_type=data["agency_type"],
            email=data["email"] or "",
            is_active=bool(data["is_active"]),
            is_board_member=bool(data["is_board_member"]),
        )


class PersonForm(forms.Form):
    full_name = forms.CharField(
        label="Full name", max_length=150, error_messages={"required": "Enter the full name"}
    )
    email = forms.EmailField(
        label="Work email address",
        max_length=254,
        error_messages={"required": "Enter the work email address", "invalid": EMAIL_FORMAT},
    )
    job_title = forms.CharField(label="Job title", max_length=150, required=False)
    phone = forms.CharField(label="Phone", max_length=40, required=False)
    agency = forms.ModelChoiceField(
        label="Agency",
        queryset=Agency.objects.none(),
        empty_label="Choose an agency",
        error_messages={"required": "Select the agency", "invalid_choice": "Select the agency"},
    )
    level = forms.TypedChoiceField(
        label="Level",
        help_text="Where they stand in the escalation stages.",
        coerce=int,
        choices=Level.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the level"},
    )
    line_manager = forms.ModelChoiceField(
        label="Line manager",
        queryset=Person.objects.none(),
        required=False,
        empty_label="No line manager",
        error_messages={"invalid_choice": "Select a line manager from the list"},
    )
    is_senior_officer = forms.BooleanField(
        label="A senior officer of their agency",
        help_text="Of a Board member agency: a Resolution Panel candidate.",
        required=False,
    )
    roles = forms.MultipleChoiceField(
        label="Roles",
        help_text="What they do beyond their own cases.",
        choices=[(value, label) for value, label in Role.choices if value != Role.PRACTITIONER],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args: Any, partnership: Partnership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        agencies = self.fields["agency"]
        managers = self.fields["line_manager"]
        assert isinstance(agencies, forms.ModelChoiceField)
        assert isinstance(managers, forms.ModelChoiceField)
        agencies.queryset = selectors.every_agency_in(partnership.pk)
        managers.queryset = selectors.active_people_in(partnership.pk)
        managers.label_from_instance = lambda p: f"{p.full_name} ({p.email})"  # type: ignore[method-assign,assignment]

    @classmethod
    def initial_for(cls, person: Person) -> dict[str, Any]:
        return {
            "full_name": person.full_name,
            "email": person.email,
            "job_title": person.job_title,
            "phone": person.phone,
            "agency": person.agency_id,
            "level": person.level,
            "line_manager": person.line_manager_id,
            "roles": sorted(person.role_set),
            "is_senior_officer": person.is_senior_officer,
        }

    def details(self) -> PersonDetails:
        data = self.cleaned_data
        return PersonDetails(
            email=data["email"],
            full_name=data["full_name"],
            agency=data["agency"],
            job_title=data["job_title"],
            phone=data["phone"],
            level=data["level"],
            line_manager=data["line_manager"],
            roles=frozenset(data["roles"]),
            is_senior_officer=bool(data["is_senior_officer"]),
        )


class ContactForm(forms.Form):
    level = forms.TypedChoiceField(
        label="Level",
        coerce=int,
        choices=[(Level.LINE_MANAGER, "Level 2"), (Level.SENIOR_MANAGER, "Level 3")],
        widget=forms.RadioSelect,
        error_messages={"required": "Select the level"},
    )
    service = forms.CharField(
        label="Service or team",
        help_text="If the agency has several, for example Early Help or the 0 to 5 service.",
        max_length=150,
        required=False,
    )
    name = forms.CharField(
        label="Name or role", max_length=150, error_messages={"required": "Enter the name"}
    )
    job_title = forms.CharField(label="Job title", max_length=150, required=False)
    email = forms.EmailField(
        label="Email address",
        error_messages={"required": "Enter the email address", "invalid": EMAIL_FORMAT},
    )
    phone = forms.CharField(label="Phone", max_length=40, required=False)

    def details(self) -> ContactDetails:
        data = self.cleaned_data
        return ContactDetails(
            level=data["level"],
            service=data["service"],
            name=data["name"],
            job_title=data["job_title"],
            email=data["email"],
            phone=data["phone"],
        )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Why?",
        help_text="Kept in the audit trail.",
        max_length=500,
        widget=forms.Textarea,
        error_messages={"required": "Say why"},
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Upload a CSV or XLSX file",
        help_text="One person a row, with the template's column names in the first row. "
        "Smaller than 2MB, at most 5,000 people.",
        error_messages={"required": "Select a CSV or XLSX file", "empty": "The file is empty"},
    )
    invite = forms.BooleanField(
        label="Email each new person an invitation to set their password",
        required=False,
        initial=True,
    )
