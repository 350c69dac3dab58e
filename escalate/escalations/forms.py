"""Forms for raising an escalation and for the work at each stage.

Forms only check what a person typed (present, the right shape, from the right list); every rule
of the policy is the services' job, and a refusal from them is shown against the form.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.db.models import QuerySet

from escalate.directory.models import Agency, Person
from escalate.escalations.actions import CHOICES, ActionDeclaration, Input
from escalate.escalations.models import Escalation
from escalate.escalations.selectors import seated_panel_member_ids
from escalate.escalations.services import ActionSpec
from escalate.escalations.state import handled_by
from escalate.policies.schema import PolicySpec
from escalate.web.forms import DateField

YES_NO = [("yes", "Yes"), ("no", "No")]
SOMEONE_ELSE = "someone-else"


def _required(message: str) -> dict[str, str]:
    return {"required": message}


class PersonChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        person: Person = obj
        agency = person.agency.name if person.agency_id and person.agency else ""
        title = f", {person.job_title}" if person.job_title else ""
        return f"{person.full_name}{title}" + (f" ({agency})" if agency else "")


class PersonMultipleChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        person: Person = obj
        agency = person.agency.name if person.agency_id and person.agency else ""
        return f"{person.full_name}" + (f" ({agency})" if agency else "")


# --- Raising an escalation: one question per page --------------------------------------------


class ImmediateDangerForm(forms.Form):
    immediate_harm = forms.ChoiceField(
        label="Is a child or adult in immediate danger?",
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages=_required("Select yes if a child or adult is in immediate danger"),
    )


class ProtectiveActionForm(forms.Form):
    """On the emergency page: what was already done to protect them (workflow's rule)."""

    protective_actions = forms.MultipleChoiceField(
        label="What have you already done to protect them?",
        widget=forms.CheckboxSelectMultiple,
        choices=[],  # the policy's urgent.protective_actions, set per form
        help_text="Select all that apply.",
        error_messages={
            "required": "Select what you have already done to protect the child or adult",
            "invalid_choice": "Select actions from the list",
        },
    )
    protective_action = forms.CharField(
        label="What did you do, and why?",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        help_text="For example, who you spoke to and when, and any reference you were given.",
        error_messages={
            "required": "Enter what you did to protect them, and why",
            "max_length": "What you did must be 5,000 characters or fewer",
        },
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["protective_actions"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = choices


class AgencyForm(forms.Form):
    respondent_agency = forms.ModelChoiceField(
        label="Which agency do you disagree with?",
        queryset=Agency.objects.none(),
        empty_label="Choose an agency",
        error_messages={
            "required": "Select the agency you disagree with",
            "invalid_choice": "Select an agency from the list",
        },
    )

    def __init__(self, *args: Any, agencies: QuerySet[Agency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["respondent_agency"].queryset = agencies  # type: ignore[attr-defined]


class ProfessionalForm(forms.Form):
    respondent_choice = forms.ChoiceField(
        label="Who do you disagree with?",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select the professional, or choose someone not listed",
            "invalid_choice": "Select a professional from the list",
        },
    )

    def __init__(self, *args: Any, people: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = {str(person.pk): person for person in people}
        choices = [
            (pk, f"{person.full_name}" + (f", {person.job_title}" if person.job_title else ""))
            for pk, person in self.people.items()
        ]
        choices.append((SOMEONE_ELSE, "Someone not listed"))
        self.fields["respondent_choice"].choices = choices  # type: ignore[attr-defined]

    def respondent(self) -> Person | None:
        return self.people.get(self.cleaned_data.get("respondent_choice", ""))


class ProfessionalDetailsForm(forms.Form):
    """Asked only after "Someone not listed": who they are, so they can be told."""

    respondent_name = forms.CharField(
        label="Their name",
        max_length=150,
        error_messages={
            "required": "Enter the name of the professional",
            "max_length": "Their name must be 150 characters or fewer",
        },
    )
    respondent_email = forms.EmailField(
        label="Their email address",
        required=False,
        help_text="So they can be told. For example, name@agency.example.org",
        error_messages={
            "invalid": "Enter an email address in the correct format, like name@example.org"
        },
    )


class SubjectForm(forms.Form):
    subject_kind = forms.ChoiceField(
        label="Is this about a child or an adult?",
        choices=[("child", "A child"), ("adult", "An adult")],
        widget=forms.RadioSelect,
        error_messages=_required("Select whether this is about a child or an adult"),
    )
    subject_name = forms.CharField(
        label="Their full name",
        max_length=150,
        error_messages={
            **_required("Enter the full name of the child or adult"),
            "max_length": "The name must be 150 characters or fewer",
        },
    )
    subject_date_of_birth = DateField(
        label="Date of birth",
        past_only=True,
        required=False,
        help_text="For example, 27 3 2015. Leave empty if you do not know it.",
    )
    case_references = forms.CharField(
        label="Case references",
        required=False,
        max_length=300,
        help_text="The agencies' own references, for example an LCS or NHS number.",
        error_messages={"max_length": "Case references must be 300 characters or fewer"},
    )

    def __init__(self, *args: Any, covers: str = "both", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Asked only when the policy covers both; otherwise it can only be one.
        self.only_kind = {"children": "child", "adults": "adult"}.get(covers, "")
        if self.only_kind:
            del self.fields["subject_kind"]
            self.fields["subject_name"].label = f"The {self.only_kind}'s full name"
            self.fields["subject_name"].error_messages["required"] = (
                f"Enter the full name of the {self.only_kind}"
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.only_kind:
            data["subject_kind"] = self.only_kind
        return data


class FlagsForm(forms.Form):
    flags = forms.MultipleChoiceField(
        label="Does any of this apply?",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[
            ("cp_plan", "They are subject to a Child Protection Plan"),
            ("looked_after", "They are Looked After"),
            ("cp_conference", "They are the subject of a Child Protection conference"),
        ],
        help_text="Select all that apply, or none.",
    )


NOT_KNOWN = "not-known"


class ReviewersForm(forms.Form):
    """The child's own IRO and CP chair, from the directory, or "I do not know"."""

    allocated_iro = forms.ChoiceField(
        label="Who is the child's Independent Reviewing Officer (IRO)?",
        help_text="Only they are told. If you do not know, the reviewing service's team is told.",
        error_messages={
            "required": "Select the child's IRO, or 'I do not know'",
            "invalid_choice": "Select someone from the list",
        },
    )
    allocated_cp_chair = forms.ChoiceField(
        label="Who chairs the child's child protection conferences?",
        help_text="Only they are told. If you do not know, the reviewing service's team is told.",
        error_messages={
            "required": "Select the child's conference chair, or 'I do not know'",
            "invalid_choice": "Select someone from the list",
        },
    )

    def __init__(
        self,
        *args: Any,
        iros: QuerySet[Person] | None,
        cp_chairs: QuerySet[Person] | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        for name, people in (("allocated_iro", iros), ("allocated_cp_chair", cp_chairs)):
            if people is None:
                del self.fields[name]
                continue
            self.fields[name].choices = [  # type: ignore[attr-defined]
                ("", "Choose a person"),
                *[
                    (str(p.pk), f"{p.full_name}, {p.agency.name if p.agency else ''}")
                    for p in people
                ],
                (NOT_KNOWN, "I do not know"),
            ]


class CategoriesForm(forms.Form):
    categories = forms.MultipleChoiceField(
        label="What is the disagreement about?",
        widget=forms.CheckboxSelectMultiple,
        help_text="Select all that apply.",
        error_messages={
            **_required("Select at least one thing the disagreement is about"),
            "invalid_choice": "Select from the list",
        },
    )

    def __init__(self, *args: Any, policy: PolicySpec, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["categories"]
        field.choices = [  # type: ignore[attr-defined]
            (category.key, category.name) for category in policy.categories
        ]
        field.choice_hints = {  # type: ignore[attr-defined]
            category.key: category.description for category in policy.categories
        }


def text_form(name: str, label: str, hint: str, required_message: str) -> type[forms.Form]:
    """A page with one long answer."""
    field = forms.CharField(
        label=label,
        help_text=hint,
        widget=forms.Textarea,
        max_length=10000,
        error_messages={
            **_required(required_message),
            "max_length": "Your answer must be 10,000 characters or fewer",
        },
    )
    return type(f"{name.title().replace('_', '')}Form", (forms.Form,), {name: field})


DisputedForm = text_form(
    "disputed",
    "What decision, action or inaction do you disagree with?",
    "Say what was decided or not done, by whom and when.",
    "Enter the decision, action or inaction you disagree with",
)
RiskForm = text_form(
    "risk",
    "What is the risk to the child or adult?",
    "Say what could happen to them if nothing changes.",
    "Enter the risk to the child or adult",
)
OutcomeForm = text_form(
    "outcome_wanted",
    "What outcome do you want?",
    "For example, a strategy discussion, or the case to be reopened.",
    "Enter the outcome you want",
)
AlreadyTriedForm = text_form(
    "already_tried",
    "What have you already tried?",
    "For example, a phone call with the professional, and when it took place.",
    "Enter what you have already tried, or write 'nothing yet'",
)


class StartStageForm(forms.Form):
    start_stage = forms.ChoiceField(
        label="Which stage should this escalation start at?",
        widget=forms.RadioSelect,
        error_messages=_required("Select the stage to start at"),
    )
    start_reason = forms.CharField(
        label="Why does it need to start at a later stage?",
        required=False,
        widget=forms.Textarea,
        max_length=5000,
        help_text="Needed if you choose a later stage than the first.",
        error_messages={"max_length": "The reason must be 5,000 characters or fewer"},
    )

    def __init__(self, *args: Any, policy: PolicySpec, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.first_stage = policy.stages[0].key
        self.reason_required = policy.urgent.reason_required
        allowed = [self.first_stage] + [
            key for key in policy.urgent.may_start_at if key != self.first_stage
        ]
        self.fields["start_stage"].choices = [  # type: ignore[attr-defined]
            (key, policy.stage(key).name) for key in allowed
        ]
        self.fields["start_stage"].help_text = policy.urgent.guidance

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        stage = data.get("start_stage")
        later = stage and stage != self.first_stage
        if later and self.reason_required and not (data.get("start_reason") or "").strip():
            self.add_error("start_reason", "Enter why the escalation needs to start at this stage")
        return data


# --- Stage work ------------------------------------------------------------------------------


class VersionedForm(forms.Form):
    """Every stage action carries the version of the escalation the person saw."""

    expected_version = forms.IntegerField(
        widget=forms.HiddenInput,
        error_messages=_required("Reload the page and try again"),
    )


def _long_text(label: str, message: str, hint: str = "", required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=hint,
        required=required,
        widget=forms.Textarea,
        max_length=10000,
        error_messages={
            **_required(message),
            "max_length": f"{label} must be 10,000 characters or fewer",
        },
    )


class ActionRowForm(forms.Form):
    """One agreed action; a row left empty is ignored."""

    description = forms.CharField(
        label="Action",
        required=False,
        max_length=1000,
        error_messages={"max_length": "The action must be 1,000 characters or fewer"},
    )
    owner = PersonChoiceField(
        label="Owner",
        required=False,
        queryset=Person.objects.none(),
        empty_label="Choose the owner",
        error_messages={
            "invalid_choice": "Choose an owner from this partnership",
        },
    )
    due_on = DateField(label="Due date", required=False, future_only=True)

    def __init__(self, *args: Any, people: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = people  # type: ignore[attr-defined]

    def is_empty(self) -> bool:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return not any(data.get(name) for name in ("description", "owner", "due_on"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        filled = [name for name in ("description", "owner", "due_on") if data.get(name)]
        if filled and not self.errors:
            if not data.get("description"):
                self.add_error("description", "Enter what the action is")
            if not data.get("owner"):
                self.add_error("owner", "Choose who owns the action")
            if not data.get("due_on"):
                self.add_error("due_on", "Enter the date the action is due")
        return data


# --- The form of each action, made from its declaration (escalations/actions.py) ------------


def _form_field(spec: Input) -> forms.Field | None:
    required = {"required": spec.required_message} if spec.required else {}
    messages = {**required, **spec.messages}
    if spec.kind in ("text", "long_text", "themes"):
        return forms.CharField(
            label=spec.label,
            help_text=spec.hint,
            required=spec.required,
            max_length=spec.max_length,
            widget=forms.Textarea if spec.kind == "long_text" else None,
            error_messages={**messages, "max_length": spec.too_long_message},
        )
    if spec.kind in ("past_date", "future_date"):
        return DateField(
            label=spec.label,
            help_text=spec.hint,
            required=spec.required,
            past_only=spec.kind == "past_date",
            future_only=spec.kind == "future_date",
            error_name=spec.error_name,
            error_messages=messages,
        )
    if spec.kind == "choice":
        return forms.ChoiceField(
            label=spec.label,
            help_text=spec.hint,
            required=spec.required,
            widget=forms.RadioSelect,
            choices=list(spec.choices),
            error_messages=messages,
        )
    if spec.kind == "person":
        return PersonChoiceField(
            label=spec.label,
            help_text=spec.hint,
            required=spec.required,
            queryset=Person.objects.none(),
            empty_label="Choose the owner",
            error_messages=messages,
        )
    if spec.kind == "panel_people":
        return PersonMultipleChoiceField(
            label=spec.label,
            help_text=spec.hint,
            required=spec.required,
            queryset=Person.objects.none(),
            widget=forms.CheckboxSelectMultiple,
            error_messages=messages,
        )
    if spec.kind == "agency":
        return forms.ModelChoiceField(
            label=spec.label,
            help_text=spec.hint,
            required=spec.required,
            queryset=Agency.objects.none(),
            empty_label="Choose an agency",
            error_messages=messages,
        )
    return None  # action_rows: a set of ActionRowForms beside the form


_FORM_CLASSES: dict[str, type[forms.Form]] = {}


def panel_candidate_hint(person: Person, *, handled: bool = False) -> str:
    """'Service manager, Riverside Children's Social Care. Agency on the Board. Senior officer'
    (004 2.12); 'Already handled this escalation' for someone the chair seats only with a
    reason."""
    roles = {assignment.role for assignment in person.role_assignments.all()}
    where = ", ".join(
        part for part in (person.job_title, person.agency.name if person.agency else "") if part
    )
    board = [
        words
        for shown, words in (
            (bool(person.agency and person.agency.is_board_member), "Agency on the Board"),
            ("partnership_chair" in roles, "Partnership chair"),
            (person.is_senior_officer, "Senior officer"),
            ("panel_member" in roles, "On the Resolution Panel list"),
            (handled, "Already handled this escalation: give a reason to seat them"),
        )
        if shown
    ]
    return ". ".join(part for part in (where, *board) if part)


def action_form_class(declaration: ActionDeclaration) -> type[forms.Form]:
    """The Django form of a declared action (made once per process)."""
    made = _FORM_CLASSES.get(declaration.name)
    if made is None:
        fields = {
            spec.name: field
            for spec in declaration.inputs
            if (field := _form_field(spec)) is not None
        }
        base = VersionedForm if declaration.versioned else forms.Form
        name = "".join(part.title() for part in declaration.name.split("_")) + "Form"
        made = type(name, (base,), fields)
        _FORM_CLASSES[declaration.name] = made
    return made


def action_form(
    declaration: ActionDeclaration,
    *,
    person: Person,
    data: Any,
    version: int | None,
    escalation: Escalation | None = None,
) -> forms.Form:
    """The form for `declaration`, its choices from `person`'s partnership.

    Convening a panel on `escalation` whose policy says so offers only the senior officers of
    the Board's member agencies (Havering 2.12), those who already handled it flagged.
    """
    initial = {"expected_version": version} if declaration.versioned else {}
    form = action_form_class(declaration)(data, initial=initial)
    for spec in declaration.inputs:
        if spec.kind in CHOICES:
            field = form.fields[spec.name]
            choices = CHOICES[spec.kind](person)
            if spec.kind == "panel_people":
                handled: frozenset[int] = frozenset()
                if declaration.name == "convene_panel" and escalation is not None:
                    choices = board_candidates(choices, escalation.policy_version.spec)
                    handled = handled_by(escalation)
                elif declaration.name == "record_panel_decision" and escalation is not None:
                    # Only the members seated on the panel (the service refuses anyone else).
                    choices = choices.filter(pk__in=seated_panel_member_ids(escalation))
                choices = choices.select_related("agency").prefetch_related("role_assignments")
                # Each candidate's role, agency and whether they sit on the Board (004 2.12).
                field.choice_hints = {  # type: ignore[attr-defined]
                    str(candidate.pk): panel_candidate_hint(
                        candidate, handled=candidate.pk in handled
                    )
                    for candidate in choices
                }
            field.queryset = choices  # type: ignore[attr-defined]
    return form


def board_candidates(people: QuerySet[Person], spec: PolicySpec) -> QuerySet[Person]:
    """The panel candidates among `people` the policy allows: where it says so, the senior
    officers of the Board's member agencies (Havering 2.12)."""
    if spec.panel is not None and spec.panel.candidates_board_senior_officers:
        return people.filter(is_senior_officer=True, agency__is_board_member=True)
    return people


def action_values(
    declaration: ActionDeclaration, form: forms.Form, rows: Sequence[ActionRowForm]
) -> dict[str, Any]:
    """What a valid form (and its action rows) gives the service, by keyword."""
    values: dict[str, Any] = {}
    if declaration.versioned:
        values["expected_version"] = int(form.cleaned_data["expected_version"])
    for spec in declaration.inputs:
        if spec.kind == "action_rows":
            values[spec.name] = [
                ActionSpec(
                    owner=row.cleaned_data["owner"],
                    description=row.cleaned_data["description"],
                    due_on=row.cleaned_data["due_on"],
                )
                for row in rows
                if not row.is_empty()
            ]
        elif spec.kind == "themes":
            raw = form.cleaned_data.get(spec.name) or ""
            values[spec.name] = [theme.strip() for theme in raw.split(",") if theme.strip()]
        elif spec.kind == "panel_people":
            values[spec.name] = list(form.cleaned_data[spec.name])
        else:
            values[spec.name] = form.cleaned_data[spec.name]
    return values


class AllocateReviewersForm(VersionedForm):
    """The business unit names the child's IRO and CP chair ("Not known" leaves it open)."""

    iro = forms.ChoiceField(
        label="The child's Independent Reviewing Officer (IRO)",
        error_messages={"invalid_choice": "Select someone from the list, or 'Not known'"},
    )
    cp_chair = forms.ChoiceField(
        label="The child's child protection conference chair",
        error_messages={"invalid_choice": "Select someone from the list, or 'Not known'"},
    )

    def __init__(
        self, *args: Any, iros: QuerySet[Person], cp_chairs: QuerySet[Person], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.people: dict[str, Person] = {}
        for name, people in (("iro", iros), ("cp_chair", cp_chairs)):
            choices = [(NOT_KNOWN, "Not known")]
            for person in people:
                self.people[str(person.pk)] = person
                agency = person.agency.name if person.agency else ""
                choices.append((str(person.pk), f"{person.full_name}, {agency}"))
            self.fields[name].choices = choices  # type: ignore[attr-defined]

    def chosen(self, name: str) -> Person | None:
        return self.people.get(self.cleaned_data.get(name, ""))


class RemoveLinkForm(forms.Form):
    """Why a link between two escalations was made in error (kept on both timelines)."""

    reason = forms.CharField(
        label="Why was the link made in error?",
        help_text="For example, two children with the same name and date of birth. This is "
        "shown on both escalations' timelines to people who may see both.",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        error_messages={
            "required": "Enter why the link was made in error",
            "max_length": "The reason must be 2,000 characters or fewer",
        },
    )

    def clean_reason(self) -> str:
        reason = str(self.cleaned_data["reason"]).strip()
        if not reason:
            raise forms.ValidationError("Enter why the link was made in error")
        return reason


def step_form(
    declaration: ActionDeclaration,
    names: tuple[str, ...],
    *,
    person: Person,
    data: Any,
    escalation: Escalation,
) -> forms.Form:
    """The part of `declaration`'s form asked on one question page: only the inputs `names`
    (the version is the draft's, not the page's). "(optional)" is the page's to say."""
    form = action_form(declaration, person=person, data=data, version=None, escalation=escalation)
    for name in list(form.fields):
        if name not in names:
            del form.fields[name]
    for field in form.fields.values():
        field.label = str(field.label or "").removesuffix(" (optional)")
    return form


class AddAnotherForm(forms.Form):
    """GOV.UK "add another": whether there is another thing to add."""

    add_another = forms.ChoiceField(
        label="Do you need to add an action?",
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages=_required("Select yes if you need to add an action"),
    )


class KnownPersonChoiceField(PersonChoiceField):
    """A person chosen from people already loaded (`known`, by id): no query per answer."""

    known: dict[str, Person] | None = None

    def to_python(self, value: Any) -> Any:
        if self.known is None or value in self.empty_values:
            return super().to_python(value)
        found = self.known.get(str(value))
        if found is None:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return found


class RequiredActionForm(ActionRowForm):
    """One agreed action on its own page: all three answers are needed. With `known` (the
    owners to choose, loaded once), the owner is checked without a query."""

    def __init__(
        self,
        *args: Any,
        people: QuerySet[Person],
        known: dict[str, Person] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, people=people, **kwargs)
        owner = KnownPersonChoiceField(
            label="Owner",
            queryset=people,
            empty_label="Choose the owner",
            error_messages=self.fields["owner"].error_messages,
        )
        owner.known = known
        self.fields["owner"] = owner
        self.fields["description"].label = "What is the action?"
        self.fields["description"].widget = forms.Textarea(attrs={"rows": 3})
        self.fields["owner"].label = "Who owns it?"
        self.fields["owner"].help_text = "Someone in one of the two agencies involved."
        self.fields["due_on"].label = "When is it due?"
        self.fields["due_on"].help_text = "For example, 27 3 2027"
        for name, message in (
            ("description", "Enter what the action is"),
            ("owner", "Choose who owns the action"),
            ("due_on", "Enter the date the action is due"),
        ):
            self.fields[name].required = True
            self.fields[name].error_messages["required"] = message
