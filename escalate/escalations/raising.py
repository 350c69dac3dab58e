"""The raise journey: GOV.UK question pages, one thing per page, each saved to a draft.

Each page reads its starting values from the person's RaiseDraft and writes what was accepted
back to it, so nothing typed is lost between pages or sessions. The check-your-answers page
turns the draft into `RaiseDetails` and calls `services.raise_escalation`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from escalate.directory import selectors as directory
from escalate.directory.models import Agency, Person, Role
from escalate.directory.requests import person_of
from escalate.escalations import forms as raise_forms
from escalate.escalations import selectors, services
from escalate.escalations.models import RaiseDraft
from escalate.escalations.workflow import ActionRefused
from escalate.policies import selectors as policy_selectors
from escalate.policies.models import PolicyVersion
from escalate.policies.schema import PolicySpec
from escalate.privacy.search import Identifiers, offered_links

FLAG_LABELS = dict(raise_forms.FlagsForm.base_fields["flags"].choices)  # type: ignore[attr-defined]


def current_policy(person: Person) -> PolicyVersion | None:
    """The policy version a new escalation by `person` would start under."""
    return policy_selectors.current_policy(person.partnership)


def open_draft(person: Person) -> RaiseDraft | None:
    return selectors.raise_draft_for(person)


def _save(person: Person, data: dict[str, Any]) -> None:
    services.save_raise_draft(by=person, data=data)


def _agencies(person: Person) -> QuerySet[Agency]:
    return directory.agencies_of(person)


def _reviewers(context: Context, role: str) -> QuerySet[Person]:
    """The partnership's IROs (or CP chairs), to choose the child's own from."""
    return directory.people_holding(context.person, role)


def _people_of(agency_id: Any, person: Person) -> QuerySet[Person]:
    """The active people of `agency_id` in the person's partnership, other than them."""
    try:
        agency = int(agency_id)
    except (TypeError, ValueError):
        return Person.objects.none()
    people = directory.people_of(person).select_related(None)
    return people.filter(agency_id=agency).exclude(pk=person.pk)


@dataclass(frozen=True)
class Context:
    person: Person
    policy: PolicySpec
    data: dict[str, Any]

    @property
    def urgent(self) -> bool:
        return self.data.get("immediate_harm") == "yes"

    @property
    def asks_iro(self) -> bool:
        # A Looked After child or one on a CP Plan has an IRO (seed 004, paragraph 2.5).
        return bool({"cp_plan", "looked_after"} & set(self.data.get("flags") or []))

    @property
    def asks_cp_chair(self) -> bool:
        return bool({"cp_plan", "cp_conference"} & set(self.data.get("flags") or []))

    @property
    def may_start_later(self) -> bool:
        first = self.policy.stages[0].key
        return self.urgent and any(key != first for key in self.policy.urgent.may_start_at)


@dataclass(frozen=True)
class Step:
    slug: str
    title: str
    fields: tuple[str, ...]
    form: Callable[[Context, Any, dict[str, Any]], forms.Form]
    applies: Callable[[Context], bool] = lambda context: True
    heading: str = ""  # the page's h1 where it asks more than one thing


def _plain(form_class: type[forms.Form]) -> Callable[[Context, Any, dict[str, Any]], forms.Form]:
    def build(context: Context, data: Any, initial: dict[str, Any]) -> forms.Form:
        return form_class(data, initial=initial)

    return build


STEPS: list[Step] = [
    Step(
        "immediate-danger",
        "Immediate danger",
        ("immediate_harm",),
        _plain(raise_forms.ImmediateDangerForm),
    ),
    Step(
        "agency",
        "Agency",
        ("respondent_agency",),
        # Not the person's own agency: an escalation is between agencies.
        lambda c, d, i: raise_forms.AgencyForm(
            d, initial=i, agencies=_agencies(c.person).exclude(pk=c.person.agency_id or 0)
        ),
    ),
    Step(
        "professional",
        "Professional",
        ("respondent_choice",),
        lambda c, d, i: raise_forms.ProfessionalForm(
            d, initial=i, people=_people_of(c.data.get("respondent_agency"), c.person)
        ),
    ),
    Step(
        "professional-details",
        "Professional not listed",
        ("respondent_name", "respondent_email"),
        _plain(raise_forms.ProfessionalDetailsForm),
        applies=lambda context: context.data.get("respondent_choice") == raise_forms.SOMEONE_ELSE,
        heading="Who is the professional you disagree with?",
    ),
    Step(
        "child-or-adult",
        "Who it is about",
        ("subject_kind", "subject_name", "subject_date_of_birth", "case_references"),
        lambda c, d, i: raise_forms.SubjectForm(d, initial=i, covers=c.policy.covers.value),
        heading="Who is the disagreement about?",
    ),
    Step("flags", "Plans and conferences", ("flags",), _plain(raise_forms.FlagsForm)),
    Step(
        "reviewers",
        "The child's IRO and conference chair",
        ("allocated_iro", "allocated_cp_chair"),
        lambda c, d, i: raise_forms.ReviewersForm(
            d,
            initial=i,
            iros=_reviewers(c, Role.IRO) if c.asks_iro else None,
            cp_chairs=_reviewers(c, Role.CP_CHAIR) if c.asks_cp_chair else None,
        ),
        applies=lambda context: context.asks_iro or context.asks_cp_chair,
        heading="Who reviews the child's plan?",
    ),
    Step(
        "categories",
        "What it is about",
        ("categories",),
        lambda c, d, i: raise_forms.CategoriesForm(d, initial=i, policy=c.policy),
    ),
    Step("disputed", "Decision disputed", ("disputed",), _plain(raise_forms.DisputedForm)),
    Step("risk", "Risk", ("risk",), _plain(raise_forms.RiskForm)),
    Step("outcome", "Outcome wanted", ("outcome_wanted",), _plain(raise_forms.OutcomeForm)),
    Step(
        "already-tried", "Already tried", ("already_tried",), _plain(raise_forms.AlreadyTriedForm)
    ),
    Step(
        "start-stage",
        "Stage to start at",
        ("start_stage", "start_reason"),
        lambda c, d, i: raise_forms.StartStageForm(d, initial=i, policy=c.policy),
        applies=lambda context: context.may_start_later,
        heading="Where should this escalation start?",
    ),
]
STEP_BY_SLUG = {step.slug: step for step in STEPS}


def _answered(step: Step, data: dict[str, Any]) -> bool:
    return step.fields[0] in data


def _first_unanswered(context: Context) -> str:
    if context.urgent and not context.data.get("urgent_guidance_shown"):
        return reverse("escalations:raise_emergency")
    for step in STEPS:
        if step.applies(context) and not _answered(step, context.data):
            return reverse("escalations:raise_step", args=[step.slug])
    return reverse("escalations:raise_check")


def _next_after(step: Step, context: Context) -> str:
    if step.slug == "immediate-danger" and context.urgent:
        return reverse("escalations:raise_emergency")
    index = STEPS.index(step)
    for later in STEPS[index + 1 :]:
        if later.applies(context):
            return reverse("escalations:raise_step", args=[later.slug])
    return reverse("escalations:raise_check")


def _to_json(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, list | tuple):
        return [_to_json(item) for item in value]
    return value


def _initial(step: Step, data: dict[str, Any]) -> dict[str, Any]:
    initial = {name: data[name] for name in step.fields if name in data}
    for name, value in initial.items():
        if name.endswith("date_of_birth") and value:
            initial[name] = date.fromisoformat(value)
    return initial


def _setup(request: HttpRequest) -> Context | HttpResponse:
    person = person_of(request)
    version = current_policy(person)
    if version is None:
        return render(request, "escalations/raise/no_policy.html", status=200)
    draft = open_draft(person)
    return Context(person=person, policy=version.spec, data=dict(draft.data) if draft else {})


@require_http_methods(["GET"])
def raise_start(request: HttpRequest) -> HttpResponse:
    """The start page: explains the process; the button goes to the first unanswered question."""
    person = request.user
    assert isinstance(person, Person)
    version = current_policy(person)
    if version is None:
        return render(request, "escalations/raise/no_policy.html")
    return render(
        request,
        "escalations/raise/start.html",
        {"policy": version.spec, "draft": open_draft(person)},
    )


@require_http_methods(["GET"])
def raise_continue(request: HttpRequest) -> HttpResponse:
    setup = _setup(request)
    if isinstance(setup, HttpResponse):
        return setup
    context = setup
    return redirect(_first_unanswered(context))


@require_http_methods(["POST"])
def raise_discard(request: HttpRequest) -> HttpResponse:
    services.discard_raise_draft(by=person_of(request))
    return redirect("escalations:raise_start")


@require_http_methods(["GET", "POST"])
def raise_step(request: HttpRequest, slug: str) -> HttpResponse:
    step = STEP_BY_SLUG.get(slug)
    if step is None:
        raise Http404("No such question")
    setup = _setup(request)
    if isinstance(setup, HttpResponse):
        return setup
    context = setup
    if not step.applies(context):
        return redirect(_first_unanswered(context))
    if step.slug == "professional" and "respondent_agency" not in context.data:
        return redirect("escalations:raise_step", "agency")
    changing = request.GET.get("change") == "1"
    typed = context.data.get("typed", {}).get(step.slug)
    if request.method == "POST":
        bound: QueryDict | None = request.POST
    elif typed:
        # Typed last time but not accepted: shown again, with what was wrong, rather than lost.
        bound = QueryDict(mutable=True)
        for name, values in typed.items():
            bound.setlist(name, values)
    else:
        bound = None
    form = step.form(context, bound, _initial(step, context.data))
    if request.method == "POST" and not form.is_valid():
        _keep_typed(context, step.slug, request.POST)
    if request.method == "POST" and form.is_valid():
        data = dict(context.data)
        typed_by_step = dict(data.get("typed", {}))
        typed_by_step.pop(step.slug, None)
        data["typed"] = typed_by_step
        previous_agency = data.get("respondent_agency")
        for name in step.fields:
            data[name] = _to_json(form.cleaned_data.get(name))
        if step.slug == "immediate-danger" and data["immediate_harm"] != "yes":
            for name in ("start_stage", "start_reason"):
                data.pop(name, None)
        if step.slug == "professional" and data["respondent_choice"] != raise_forms.SOMEONE_ELSE:
            data.pop("respondent_name", None)
            data.pop("respondent_email", None)
        agency_changed = step.slug == "agency" and previous_agency != data["respondent_agency"]
        if agency_changed:
            for name in ("respondent_choice", "respondent_name", "respondent_email"):
                data.pop(name, None)
        _save(context.person, data)
        context = Context(person=context.person, policy=context.policy, data=data)
        if changing and not agency_changed:
            return redirect(_first_unanswered(context))
        return redirect(_next_after(step, context))
    return render(
        request,
        "escalations/raise/question.html",
        {
            "form": form,
            "step": step,
            "policy": context.policy,
            "back_url": _back_url(step, context),
            "agency": _agency_name(context.data, context.person),
        },
    )


def _keep_typed(context: Context, slug: str, post: QueryDict) -> None:
    """Save what was typed on a page that was not accepted, so it is there next time."""
    raw = {name: post.getlist(name) for name in post if name != "csrfmiddlewaretoken"}
    typed = {**context.data.get("typed", {}), slug: raw}
    _save(context.person, {**context.data, "typed": typed})


def _agency_name(data: dict[str, Any], person: Person) -> str:
    """The chosen agency's name, only from the person's own partnership's list."""
    agency_id = data.get("respondent_agency")
    if not agency_id:
        return ""
    agency = _agencies(person).filter(pk=agency_id).only("name").first()
    return agency.name if agency else ""


def _back_url(step: Step, context: Context) -> str:
    index = STEPS.index(step)
    for earlier in reversed(STEPS[:index]):
        if earlier.applies(context):
            if earlier.slug == "immediate-danger" and context.urgent:
                return reverse("escalations:raise_emergency")
            return reverse("escalations:raise_step", args=[earlier.slug])
    return reverse("escalations:raise_start")


@require_http_methods(["GET", "POST"])
def raise_emergency(request: HttpRequest) -> HttpResponse:
    """Shown first when a child or adult is in immediate danger; continuing records it was read."""
    setup = _setup(request)
    if isinstance(setup, HttpResponse):
        return setup
    context = setup
    if not context.urgent:
        return redirect(_first_unanswered(context))
    initial = {
        "protective_actions": context.data.get("protective_actions") or [],
        "protective_action": context.data.get("protective_action") or "",
    }
    form = raise_forms.ProtectiveActionForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        choices=context.policy.urgent.protective_action_choices,
    )
    if request.method == "POST" and form.is_valid():
        # What was already done to protect them is recorded with the escalation (guide 001:
        # "Document your actions and rationale").
        data = {
            **context.data,
            "urgent_guidance_shown": True,
            "protective_actions": list(form.cleaned_data["protective_actions"]),
            "protective_action": form.cleaned_data["protective_action"].strip(),
        }
        _save(context.person, data)
        if request.GET.get("change") == "1":
            return redirect(_first_unanswered(Context(context.person, context.policy, data)))
        return redirect("escalations:raise_step", "agency")
    # Recorded when they continue from it (a GET writes nothing); until then every way into the
    # journey comes back here.
    partnership = context.person.partnership
    return render(
        request,
        "escalations/raise/emergency.html",
        {"partnership": partnership, "policy": context.policy, "form": form},
    )


def summary_rows(context: Context) -> list[dict[str, str]]:
    """The check-your-answers rows, each with the page that changes it."""
    data = context.data
    policy = context.policy

    def change(slug: str) -> str:
        return reverse("escalations:raise_step", args=[slug]) + "?change=1"

    agency = _agency_name(data, context.person)
    choice = data.get("respondent_choice")
    if choice and choice != raise_forms.SOMEONE_ELSE:
        chosen = (
            _people_of(data.get("respondent_agency"), context.person)
            .filter(pk=choice)
            .only("full_name")
            .first()
        )
        professional = chosen.full_name if chosen else ""
    else:
        professional = " ".join(
            part
            for part in (data.get("respondent_name", ""), data.get("respondent_email", ""))
            if part
        )
    dob = data.get("subject_date_of_birth")
    categories = {category.key: category.name for category in policy.categories}
    rows: list[tuple[str, str, str]] = [
        ("Immediate danger", "Yes" if context.urgent else "No", "immediate-danger"),
        ("Agency you disagree with", agency, "agency"),
        ("Professional", professional, "professional"),
        (
            "Child or adult",
            {"child": "Child", "adult": "Adult"}.get(data.get("subject_kind", ""), ""),
            "child-or-adult",
        ),
        ("Name", data.get("subject_name", ""), "child-or-adult"),
        (
            "Date of birth",
            date.fromisoformat(dob).strftime("%-d %B %Y") if dob else "Not known",
            "child-or-adult",
        ),
        ("Case references", data.get("case_references") or "None given", "child-or-adult"),
        (
            "Plans and conferences",
            "; ".join(str(FLAG_LABELS.get(flag, flag)) for flag in data.get("flags") or [])
            or "None",
            "flags",
        ),
        (
            "What it is about",
            "; ".join(categories.get(key, key) for key in data.get("categories") or []),
            "categories",
        ),
        ("Decision, action or inaction disputed", data.get("disputed", ""), "disputed"),
        ("Risk to the child or adult", data.get("risk", ""), "risk"),
        ("Outcome wanted", data.get("outcome_wanted", ""), "outcome"),
        ("Already tried", data.get("already_tried", ""), "already-tried"),
    ]
    if policy.covers.value != "both":
        rows = [row for row in rows if row[0] != "Child or adult"]
    for asked, role, name, label in (
        (context.asks_iro, Role.IRO, "allocated_iro", "Their IRO"),
        (context.asks_cp_chair, Role.CP_CHAIR, "allocated_cp_chair", "Their conference chair"),
    ):
        if asked:
            reviewer = _chosen_reviewer(context, role, name)
            rows.append((label, reviewer.full_name if reviewer else "Not known", "reviewers"))
    if context.urgent:
        taken = dict(policy.urgent.protective_action_choices)
        rows.insert(
            1,
            (
                "Already done to protect them",
                "; ".join(taken.get(key, key) for key in data.get("protective_actions") or []),
                "emergency",
            ),
        )
        rows.insert(2, ("What you did, and why", data.get("protective_action", ""), "emergency"))
    if context.may_start_later:
        stage_key = data.get("start_stage") or policy.stages[0].key
        rows.append(("Stage to start at", policy.stage(stage_key).name, "start-stage"))
        if data.get("start_reason"):
            rows.append(("Why start there", data["start_reason"], "start-stage"))
    return [
        {
            "key": key,
            "value": value,
            "change_url": reverse("escalations:raise_emergency") + "?change=1"
            if slug == "emergency"
            else change(slug),
            "slug": slug,
        }
        for key, value, slug in rows
    ]


def _details(context: Context) -> services.RaiseDetails:
    """The draft as the services' RaiseDetails."""
    data = context.data
    choice = data.get("respondent_choice")
    respondent = None
    if choice and choice != raise_forms.SOMEONE_ELSE:
        respondent = (
            _people_of(data.get("respondent_agency"), context.person).filter(pk=choice).first()
        )
    agency = _agencies(context.person).filter(pk=data.get("respondent_agency") or 0).first()
    if agency is None:
        raise ActionRefused("Choose the agency you disagree with", field="respondent_agency")
    dob = data.get("subject_date_of_birth")
    flags = set(data.get("flags") or [])
    first = context.policy.stages[0].key
    start = data.get("start_stage") if context.may_start_later else None
    return services.RaiseDetails(
        respondent_agency=agency,
        respondent_person=respondent,
        respondent_name="" if respondent else data.get("respondent_name") or "",
        respondent_email="" if respondent else data.get("respondent_email") or "",
        subject_kind=data.get("subject_kind", ""),
        subject_name=data.get("subject_name", ""),
        subject_date_of_birth=date.fromisoformat(dob) if dob else None,
        case_references=data.get("case_references") or "",
        cp_plan="cp_plan" in flags,
        looked_after="looked_after" in flags,
        cp_conference="cp_conference" in flags,
        immediate_harm=context.urgent,
        urgent_guidance_shown=bool(data.get("urgent_guidance_shown")),
        protective_actions=[str(k) for k in data.get("protective_actions") or []]
        if context.urgent
        else [],
        protective_action=str(data.get("protective_action") or "") if context.urgent else "",
        categories=list(data.get("categories") or []),
        disputed=data.get("disputed", ""),
        risk=data.get("risk", ""),
        outcome_wanted=data.get("outcome_wanted", ""),
        already_tried=data.get("already_tried", ""),
        start_stage_key=start if start and start != first else "",
        later_stage_reason=(data.get("start_reason") or "") if start and start != first else "",
        allocated_iro=_chosen_reviewer(context, Role.IRO, "allocated_iro")
        if context.asks_iro
        else None,
        allocated_cp_chair=_chosen_reviewer(context, Role.CP_CHAIR, "allocated_cp_chair")
        if context.asks_cp_chair
        else None,
    )


def _chosen_reviewer(context: Context, role: str, name: str) -> Person | None:
    """The IRO (or CP chair) chosen on the reviewers page; None for "I do not know"."""
    chosen = str(context.data.get(name) or "")
    if not chosen.isdigit():
        return None
    return _reviewers(context, role).filter(pk=int(chosen)).first()


@require_http_methods(["GET", "POST"])
def raise_check(request: HttpRequest) -> HttpResponse:
    """Check your answers, then raise."""
    setup = _setup(request)
    if isinstance(setup, HttpResponse):
        return setup
    context = setup
    missing = _first_unanswered(context)
    if missing != reverse("escalations:raise_check"):
        return redirect(missing)
    errors: list[dict[str, str]] = []
    earlier = _offered_links(context)
    chosen = request.POST.getlist("link_to") if request.method == "POST" else []
    if request.method == "POST":
        try:
            details = replace(_details(context), link_to=tuple(chosen))
            escalation = services.raise_escalation(
                by=context.person, details=details, discard_draft=True
            )
        except ActionRefused as refused:
            slug = _slug_for_field(refused.field)
            href = reverse("escalations:raise_step", args=[slug]) + "?change=1" if slug else ""
            if refused.field == "link_to":  # asked on this page
                href = "#link_to"
            errors.append({"href": href, "message": str(refused.message)})
        else:
            return redirect("escalations:raise_done", escalation.reference)
    return render(
        request,
        "escalations/raise/check.html",
        {
            "rows": summary_rows(context),
            "errors": errors,
            "back_url": _back_url_check(context),
            "earlier": earlier,
            "chosen": chosen,
        },
        status=200,
    )


def _offered_links(context: Context) -> list[Any]:
    """Earlier escalations about the same person that the raiser may see, offered for linking.

    Only those: one they may not see is never mentioned (the service links it without them)."""
    dob = context.data.get("subject_date_of_birth")
    return offered_links(
        context.person,
        Identifiers(
            subject_kind=context.data.get("subject_kind") or "child",
            name=context.data.get("subject_name") or "",
            date_of_birth=date.fromisoformat(dob) if dob else None,
            case_references=context.data.get("case_references") or "",
        ),
    )


FIELD_ALIASES = {"respondent_person": "respondent_choice", "later_stage_reason": "start_reason"}


def _slug_for_field(field: str | None) -> str:
    """The question page where a refused answer can be changed."""
    name = FIELD_ALIASES.get(field or "", field or "")
    return next((step.slug for step in STEPS if name in step.fields), "")


def _back_url_check(context: Context) -> str:
    for step in reversed(STEPS):
        if step.applies(context):
            return reverse("escalations:raise_step", args=[step.slug])
    return reverse("escalations:raise_start")


@require_http_methods(["GET"])
def raise_done(request: HttpRequest, reference: str) -> HttpResponse:
    """The confirmation: the reference, the stage and its due date, and who was told."""
    escalation = selectors.access_escalation(person_of(request), reference)
    spec = escalation.policy_version.spec
    return render(
        request,
        "escalations/raise/done.html",
        {
            "escalation": escalation,
            "stage": spec.stage(escalation.current_stage_key),
            "working_days_left": selectors.working_days_left(
                escalation.stage_due_at, spec.nation.value
            ),
            "told": selectors.people_told(escalation),
        },
    )
