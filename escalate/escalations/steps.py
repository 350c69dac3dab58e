"""A decision as GOV.UK question pages, one thing per page (issue 16, deliver 5).

Resolving, proposing a resolution and recording the panel's decision (the declarations with
agreed actions, escalations/actions.py) are asked in four steps, made from the declaration:

1. the decision: every input that is not learning, themes or actions;
2. learning for the partnership and its themes;
3. the agreed actions, added one at a time (GOV.UK "add another"): a list, and a page per action;
4. check your answers, whose button calls the same service as the API (`spec.perform` with
   `action_values`), so the core still decides and audits everything.

What was accepted on each page is kept in the person's DecisionDraft (only theirs to read; gone
when the decision is made or the escalation disposed of), as it was typed, and checked again
whole on the check page. The draft keeps the escalation's version from when it was started: the
check page says when the escalation has changed since, and the service's version check refuses
the write until the person has seen it.

Only someone the core allows to take the action opens any of these pages (403 otherwise).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.forms.utils import ErrorDict
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from escalate.directory.models import Person
from escalate.directory.requests import person_of
from escalate.escalations import selectors, services
from escalate.escalations.actions import STAGE_ACTIONS, ActionDeclaration, Input, owners_to_choose
from escalate.escalations.forms import (
    AddAnotherForm,
    RequiredActionForm,
    action_form,
    action_values,
    step_form,
)
from escalate.escalations.models import DecisionDraft, Escalation
from escalate.escalations.workflow import ActionRefused

QUESTIONS = ("decision", "learning")
MOST_ACTIONS = 20
TITLES = {"decision": "", "learning": "Learning for the partnership"}


def page_of(spec: Input) -> str:
    """Which page asks `spec`."""
    if spec.kind == "action_rows":
        return "actions"
    if spec.kind == "themes" or spec.name == "learning":
        return "learning"
    return "decision"


def names_on(declaration: ActionDeclaration, page: str) -> tuple[str, ...]:
    return tuple(spec.name for spec in declaration.inputs if page_of(spec) == page)


def is_stepped(declaration: ActionDeclaration) -> bool:
    """Declarations with agreed actions are asked one thing per page."""
    return declaration.action_rows


def first_step_url(reference: str, slug: str) -> str:
    return reverse("escalations:decision_step", args=[reference, slug, "decision"])


@dataclass
class Journey:
    spec: ActionDeclaration
    slug: str
    person: Person
    escalation: Escalation
    draft: DecisionDraft | None
    _known: dict[str, Person] | None = None

    @property
    def data(self) -> dict[str, Any]:
        return dict(self.draft.data) if self.draft else {}

    @property
    def version(self) -> int:
        return self.draft.version if self.draft else self.escalation.version

    @property
    def done(self) -> list[str]:
        return list(self.data.get("done") or [])

    @property
    def actions(self) -> list[dict[str, list[str]]]:
        return list(self.data.get("actions") or [])

    def save(self, data: dict[str, Any]) -> None:
        self.draft = services.save_decision_draft(
            by=self.person,
            escalation=self.escalation,
            action=self.spec.name,
            version=self.version,
            data=data,
        )

    def action_url(self, number: int, *, remove: bool = False) -> str:
        """The page that changes (or removes) agreed action `number` (from 1)."""
        name = "escalations:decision_action_remove" if remove else "escalations:decision_action"
        return reverse(name, args=[self.escalation.reference, self.slug, number])

    def url(self, page: str, *, change: bool = False) -> str:
        ref, slug = self.escalation.reference, self.slug
        if page == "check":
            return reverse("escalations:decision_check", args=[ref, slug])
        if page == "actions":
            return reverse("escalations:decision_actions", args=[ref, slug])
        if page == "add":
            return reverse("escalations:decision_action_add", args=[ref, slug])
        return reverse("escalations:decision_step", args=[ref, slug, page]) + (
            "?change=1" if change else ""
        )

    def first_unanswered(self) -> str:
        for page in (*QUESTIONS, "actions"):
            if page not in self.done:
                return self.url(page)
        return self.url("check")

    def after(self, page: str, request: HttpRequest) -> str:
        """Where a page goes once answered: back to the check page when changing an answer."""
        if request.GET.get("change") == "1":
            return self.first_unanswered()
        following = {"decision": "learning", "learning": "actions", "actions": "check"}[page]
        return self.url(following) if following not in self.done else self.first_unanswered()

    def owners(self) -> Any:
        return owners_to_choose(self.person, self.escalation).select_related("agency")

    def known_owners(self) -> dict[str, Person]:
        """The owners to choose, loaded once: every action is checked against them."""
        if self._known is None:
            self._known = {str(person.pk): person for person in self.owners()}
        return self._known


def _journey(request: HttpRequest, reference: str, action: str) -> Journey | HttpResponse:
    """The journey, for someone the core allows to take the action now (403 with the core's
    reason otherwise, 404 for an escalation they may not see)."""
    spec = STAGE_ACTIONS.get(action)
    if spec is None or not is_stepped(spec):
        raise Http404("No such action")
    person = person_of(request)
    escalation = selectors.access_escalation(person, reference)
    refused = selectors.refusal_of(escalation, person, spec.name)
    if refused is not None:
        return render(
            request,
            "escalations/steps/not_allowed.html",
            {"escalation": escalation, "spec": spec, "reason": refused},
            status=403,
        )
    draft = selectors.decision_draft_for(person, escalation, spec.name)
    return Journey(spec, action, person, escalation, draft)


def journey_page(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """A page of the journey: `view(request, journey, **rest)`, for the allowed person only."""

    @wraps(view)
    def page(request: HttpRequest, reference: str, action: str, **rest: Any) -> HttpResponse:
        journey = _journey(request, reference, action)
        if isinstance(journey, HttpResponse):
            return journey
        return view(request, journey, **rest)

    return require_http_methods(["GET", "POST"])(page)


def _typed(raw: dict[str, list[str]] | None) -> QueryDict | None:
    if raw is None:
        return None
    bound = QueryDict(mutable=True)
    for name, values in raw.items():
        bound.setlist(name, [str(value) for value in values])
    return bound


def _raw(post: QueryDict, form: forms.Form) -> dict[str, list[str]]:
    """What was typed into `form`'s fields, as typed (a date's three boxes each)."""
    names = set()
    for bound in form:
        names.add(bound.html_name)
        names.update(f"{bound.html_name}_{part}" for part in ("day", "month", "year"))
    return {name: post.getlist(name) for name in post if name in names}


def _context(journey: Journey, **more: Any) -> dict[str, Any]:
    return {"escalation": journey.escalation, "spec": journey.spec, "journey": journey, **more}


@journey_page
def decision_step(request: HttpRequest, journey: Journey, page: str) -> HttpResponse:
    """Page 1 (the decision) or 2 (learning and themes)."""
    if page not in QUESTIONS:
        raise Http404("No such question")
    names = names_on(journey.spec, page)
    pages = journey.data.get("pages") or {}
    bound = request.POST if request.method == "POST" else _typed(pages.get(page))
    form = step_form(
        journey.spec, names, person=journey.person, data=bound, escalation=journey.escalation
    )
    if request.method == "GET" and bound is not None:
        form.is_valid()
        form._errors = ErrorDict()  # type: ignore[attr-defined]  # shown as typed, not judged
    if request.method == "POST" and form.is_valid():
        data = journey.data
        data["pages"] = {**pages, page: _raw(request.POST, form)}
        data["done"] = sorted({*journey.done, page})
        journey.save(data)
        return redirect(journey.after(page, request))
    back = journey.url("decision") if page == "learning" else _detail(journey)
    single = len(form.visible_fields()) == 1
    return render(
        request,
        "escalations/steps/question.html",
        _context(
            journey,
            form=form,
            page=page,
            single=single,
            heading=TITLES[page] or journey.spec.title,
            back_url=journey.url("check") if request.GET.get("change") == "1" else back,
        ),
    )


def _detail(journey: Journey) -> str:
    return reverse("escalations:detail", args=[journey.escalation.reference])


def _action_rows(journey: Journey) -> list[dict[str, Any]]:
    """The actions added so far, as the list and the check page show them."""
    by_id = journey.known_owners()
    rows = []
    for index, raw in enumerate(journey.actions):
        form = RequiredActionForm(_typed(raw), people=journey.owners(), known=by_id)
        valid = form.is_valid()
        owner = by_id.get((raw.get("owner") or [""])[0])
        due = form.cleaned_data.get("due_on") if valid else None
        rows.append(
            {
                "number": index + 1,
                "description": (raw.get("description") or [""])[0],
                "owner": owner.full_name + (f" ({owner.agency.name})" if owner.agency else "")
                if owner
                else "",
                "due_on": due.strftime("%-d %B %Y") if isinstance(due, date) else "",
                "valid": valid,
                "change_url": journey.action_url(index + 1),
                "remove_url": journey.action_url(index + 1, remove=True),
            }
        )
    return rows


@journey_page
def decision_actions(request: HttpRequest, journey: Journey) -> HttpResponse:
    """Page 3: the actions added so far, and "Do you need to add an action?"."""
    form = AddAnotherForm(request.POST if request.method == "POST" else None)
    rows = _action_rows(journey)
    if len(rows) >= MOST_ACTIONS:
        form.fields["add_another"].choices = [("no", "No")]  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["add_another"] == "yes":
            return redirect(journey.url("add"))
        data = journey.data
        data["done"] = sorted({*journey.done, "actions"})
        journey.save(data)
        return redirect(journey.first_unanswered())
    return render(
        request,
        "escalations/steps/actions.html",
        _context(
            journey,
            form=form,
            rows=rows,
            most=MOST_ACTIONS,
            back_url=journey.url("learning"),
        ),
    )


@journey_page
def decision_action(
    request: HttpRequest, journey: Journey, number: int | None = None
) -> HttpResponse:
    """Add an action (what, owner, due date), or change action `number`."""
    actions = journey.actions
    if number is not None and not 1 <= number <= len(actions):
        raise Http404("No such action")
    if number is None and len(actions) >= MOST_ACTIONS:
        return redirect(journey.url("actions"))
    owners = journey.owners()
    if request.method == "POST":
        bound: QueryDict | None = request.POST
    else:
        bound = _typed(actions[number - 1]) if number else None
    form = RequiredActionForm(bound, people=owners)
    if request.method == "POST" and form.is_valid():
        typed = _raw(request.POST, form)
        if number:
            actions[number - 1] = typed
        else:
            actions.append(typed)
        data = journey.data
        data["actions"] = actions
        journey.save(data)
        if request.GET.get("change") == "1":
            return redirect(journey.url("check"))
        return redirect(journey.url("actions"))
    return render(
        request,
        "escalations/steps/action.html",
        _context(
            journey,
            form=form,
            number=number,
            back_url=journey.url("check")
            if request.GET.get("change") == "1"
            else journey.url("actions"),
        ),
    )


@journey_page
def decision_action_remove(request: HttpRequest, journey: Journey, number: int) -> HttpResponse:
    """Remove action `number`, after asking."""
    actions = journey.actions
    if not 1 <= number <= len(actions):
        raise Http404("No such action")
    form = forms.Form(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        del actions[number - 1]
        data = journey.data
        data["actions"] = actions
        journey.save(data)
        messages.success(request, "The action has been removed.")
        return redirect(journey.url("actions"))
    row = _action_rows(journey)[number - 1]
    return render(
        request,
        "escalations/steps/remove.html",
        _context(journey, row=row, back_url=journey.url("actions")),
    )


def _whole_form(journey: Journey) -> tuple[forms.Form, list[RequiredActionForm]]:
    """Every page's answers as one bound form of the declaration, with the draft's version:
    checked again whole, as the one-page form and the API are."""
    merged = QueryDict(mutable=True)
    for raw in (journey.data.get("pages") or {}).values():
        for name, values in raw.items():
            merged.setlist(name, [str(value) for value in values])
    merged["expected_version"] = str(journey.version)
    form = action_form(
        journey.spec,
        person=journey.person,
        data=merged,
        version=journey.version,
        escalation=journey.escalation,
    )
    owners, known = journey.owners(), journey.known_owners()
    rows = [RequiredActionForm(_typed(raw), people=owners, known=known) for raw in journey.actions]
    return form, rows


def _summary(journey: Journey, form: forms.Form) -> list[dict[str, str]]:
    """The check page's rows: each answer with the page that changes it."""
    rows = []
    for spec in journey.spec.inputs:
        page = page_of(spec)
        if page == "actions":
            continue
        field = form.fields[spec.name]
        value = form.cleaned_data.get(spec.name) if form.is_bound else None
        if spec.kind == "panel_people":
            shown = "\n".join(person.full_name for person in value or [])
        elif isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
            shown = str(dict(field.choices).get(value, value or ""))  # type: ignore[arg-type]
        else:
            shown = str(value or "")
        label = str(field.label or "").removesuffix(" (optional)")
        rows.append(
            {
                "key": label,
                "value": shown or ("None" if not spec.required else ""),
                "change_url": journey.url(page, change=True),
            }
        )
    return rows


@journey_page
def decision_check(request: HttpRequest, journey: Journey) -> HttpResponse:
    """Check your answers, then make the decision through the service."""
    missing = journey.first_unanswered()
    if missing != journey.url("check"):
        return redirect(missing)
    form, rows = _whole_form(journey)
    valid = form.is_valid()
    valid = all([row.is_valid() for row in rows]) and valid
    errors: list[dict[str, str]] = _page_errors(journey, form, rows)
    if request.method == "POST" and valid:
        try:
            journey.spec.perform(
                journey.escalation, journey.person, action_values(journey.spec, form, rows)
            )
        except services.StaleEscalation as stale:
            # Shown once with the answers kept; the draft takes the version now on record, so
            # a second press, having seen the escalation changed, can succeed.
            journey.escalation.refresh_from_db()
            errors.append({"href": _detail(journey), "message": str(stale.message)})
            _set_version(journey, journey.escalation.version)
        except ActionRefused as refused:
            errors.append({"href": "", "message": str(getattr(refused, "message", refused))})
        else:
            services.discard_decision_draft(
                by=journey.person, escalation=journey.escalation, action=journey.spec.name
            )
            messages.success(request, journey.spec.done)
            return redirect("escalations:detail", journey.escalation.reference)
    return render(
        request,
        "escalations/steps/check.html",
        _context(
            journey,
            rows=_summary(journey, form),
            actions=_action_rows(journey),
            errors=errors,
            changed=journey.escalation.version != journey.version,
            actions_url=journey.url("actions"),
            back_url=journey.url("actions"),
        ),
    )


def _set_version(journey: Journey, version: int) -> None:
    journey.draft = services.save_decision_draft(
        by=journey.person,
        escalation=journey.escalation,
        action=journey.spec.name,
        version=version,
        data=journey.data,
    )


def _page_errors(
    journey: Journey, form: forms.Form, rows: list[RequiredActionForm]
) -> list[dict[str, str]]:
    """What is wrong with the answers as a whole, each linked to the page that changes it."""
    found = []
    for name, errors in form.errors.items():
        spec = next((spec for spec in journey.spec.inputs if spec.name == name), None)
        page = page_of(spec) if spec else "decision"
        for message in errors:
            found.append({"href": journey.url(page, change=True), "message": str(message)})
    for index, row in enumerate(rows):
        if row.errors:
            url = journey.action_url(index + 1)
            for errors in row.errors.values():
                for message in errors:
                    found.append(
                        {"href": url + "?change=1", "message": f"Action {index + 1}: {message}"}
                    )
    return found
