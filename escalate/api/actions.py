"""One API endpoint per declared action (escalations/actions.py), its schema made from the
declaration's inputs: the same input, service and rules as the page.

Records are sent by id (`owner_id`, `agency_id`, `members_ids`...) and must be among the choices
the page would offer (the asker's partnership): anything else is a 422 naming the field, whether
or not it exists. A refusal by the rules is a 422 (code "refused"), a stale version a 409, an
escalation, action or entry the token's person may not see a 404.
"""

# No `from __future__ import annotations`: the endpoints' annotations are the classes made here.

from typing import Annotated, Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Path, Router, Schema, Status
from pydantic import Field, StringConstraints, create_model

from escalate.api import presenters
from escalate.api.auth import WRITE
from escalate.api.errors import ApiError, documented
from escalate.api.schemas import (
    NO_NUL,
    ActionIn,
    ActionOut,
    BodyId,
    EscalationDetail,
    Id,
    IsoDate,
    Reference,
    Version,
)
from escalate.audit.services import record_escalation_view
from escalate.directory.models import Person
from escalate.directory.requests import person_of
from escalate.escalations import selectors, services
from escalate.escalations.actions import CHOICES, DECLARATIONS, ActionDeclaration, Input
from escalate.escalations.models import Escalation
from escalate.escalations.workflow import ActionRefused

WRITE_ERRORS: dict[int, Any] = documented(403, 404, 409, 422)
NOT_CHOSEN = {
    "person": "Choose someone who works in your partnership.",
    "panel_people": "Choose panel members from your partnership's managers and panel members.",
    "agency": "Choose an agency in your partnership.",
    "action_rows": "Choose an owner who works in your partnership.",
}


def _text(spec: Input) -> Any:
    return Annotated[
        str,
        StringConstraints(
            pattern=NO_NUL, min_length=1 if spec.required else 0, max_length=spec.max_length
        ),
    ]


def _field(spec: Input) -> tuple[Any, Any]:
    """The API's type of an input, and its default (`...` when it must be sent)."""
    required: Any = ...
    about = Field(description=spec.label)
    if spec.kind in ("text", "long_text"):
        return Annotated[_text(spec), about], required if spec.required else ""
    if spec.kind in ("past_date", "future_date"):
        return Annotated[IsoDate, about], required if spec.required else None
    if spec.kind == "choice":
        values = tuple(value for value, _ in spec.choices)
        return Annotated[Literal[values], about], required if spec.required else None  # type: ignore[valid-type]
    if spec.kind in ("person", "agency"):
        return Annotated[BodyId, about], required if spec.required else None
    if spec.kind == "panel_people":
        many = Field(description=spec.label, min_length=1 if spec.required else 0, max_length=50)
        return Annotated[list[BodyId], many], required if spec.required else []
    if spec.kind == "themes":
        theme = Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=100)]
        return Annotated[list[theme], Field(description=spec.label, max_length=20)], []  # type: ignore[valid-type]
    assert spec.kind == "action_rows"
    return Annotated[list[ActionIn], Field(description=spec.label, max_length=10)], []


def schema_of(declaration: ActionDeclaration) -> type[Schema]:
    """The request body of a declared action."""
    fields: dict[str, Any] = {}
    if declaration.versioned:
        fields["expected_version"] = (Version, ...)
    for spec in declaration.inputs:
        fields[spec.api_name] = _field(spec)
    name = "".join(part.title() for part in declaration.name.split("_")) + "In"
    made: type[Schema] = create_model(name, __base__=Schema, **fields)
    return made


def _chosen(queryset: QuerySet[Any], pk: int, spec: Input, field: str) -> Any:
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise ApiError(422, NOT_CHOSEN[spec.kind], field=field)
    return found


def values_of(declaration: ActionDeclaration, payload: Schema, person: Person) -> dict[str, Any]:
    """What the body gives the service, by keyword; ids become records of the partnership."""
    values: dict[str, Any] = {}
    if declaration.versioned:
        values["expected_version"] = payload.expected_version  # type: ignore[attr-defined]
    for spec in declaration.inputs:
        raw = getattr(payload, spec.api_name)
        if spec.kind in ("person", "agency"):
            values[spec.name] = (
                None
                if raw is None
                else _chosen(CHOICES[spec.kind](person), raw, spec, spec.api_name)
            )
        elif spec.kind == "panel_people":
            wanted = set(raw)
            found = list(CHOICES[spec.kind](person).filter(pk__in=wanted))
            if len(found) != len(wanted):
                raise ApiError(422, NOT_CHOSEN[spec.kind], field=spec.api_name)
            values[spec.name] = found
        elif spec.kind == "themes":
            values[spec.name] = [theme.strip() for theme in raw if theme.strip()]
        elif spec.kind == "action_rows":
            people = CHOICES["person"](person)
            values[spec.name] = [
                services.ActionSpec(
                    owner=_chosen(people, row.owner_id, spec, f"{spec.name}.{index}.owner_id"),
                    description=row.description,
                    due_on=row.due_on,
                )
                for index, row in enumerate(raw)
            ]
        else:
            values[spec.name] = raw
    return values


def refused_error(refused: ActionRefused, fields: dict[str, str] | None = None) -> ApiError:
    """A refusal as a 409 (stale) or a 422 with the API's name (`fields`) for the field."""
    if isinstance(refused, services.StaleEscalation):
        return ApiError(409, refused.message, code="stale")
    field = (fields or {}).get(refused.field, refused.field) if refused.field else None
    return ApiError(422, refused.message, code="refused", field=field)


def _refused(declaration: ActionDeclaration, refused: ActionRefused) -> ApiError:
    names = {spec.name: spec.api_name for spec in declaration.inputs}
    if declaration.action_rows:
        names.update({"owner": "actions", "due_on": "actions", "description": "actions"})
    return refused_error(refused, names)


def detail_now(request: HttpRequest, escalation: Escalation, person: Person) -> dict[str, Any]:
    """The escalation as it is now (after an action): shown, so audited as the page would be."""
    fresh = selectors.access_escalation(person, escalation.reference)
    record_escalation_view(person=person, escalation=fresh, request=request)
    return presenters.detail(selectors.escalation_page(fresh, person))


def _perform(declaration: ActionDeclaration, target: Any, person: Person, payload: Schema) -> Any:
    values = values_of(declaration, payload, person)
    try:
        return declaration.perform(target, person, values)
    except ActionRefused as refused:
        raise _refused(declaration, refused) from None


def _on_escalation(router: Router, declaration: ActionDeclaration) -> None:
    schema = schema_of(declaration)

    def endpoint(request: HttpRequest, reference: Path[Reference], payload: schema) -> Any:  # type: ignore[valid-type]
        person = person_of(request)
        escalation = selectors.access_escalation(person, reference)
        done = _perform(declaration, escalation, person, payload)
        if declaration.api_created:
            return Status(201, presenters.action_out(done, escalation.reference))
        return detail_now(request, escalation, person)

    response = {201: ActionOut} if declaration.api_created else {200: EscalationDetail}
    _register(
        router,
        declaration,
        f"/escalations/{{reference}}/{declaration.api_path}",
        endpoint,
        {**response, **WRITE_ERRORS},
    )


def _on_action(router: Router, declaration: ActionDeclaration) -> None:
    schema = schema_of(declaration)

    def endpoint(request: HttpRequest, action_id: Path[Id], payload: schema) -> Any:  # type: ignore[valid-type]
        person = person_of(request)
        action = selectors.access_action(person, action_id)
        done = _perform(declaration, action, person, payload)
        done.owner = action.owner
        return presenters.action_out(done, action.escalation.reference)

    _register(
        router,
        declaration,
        f"/actions/{{action_id}}/{declaration.api_path}",
        endpoint,
        {200: ActionOut, **WRITE_ERRORS},
    )


def _on_entry(router: Router, declaration: ActionDeclaration) -> None:
    schema = schema_of(declaration)

    def endpoint(
        request: HttpRequest,
        reference: Path[Reference],
        entry_id: Path[Id],
        payload: schema,  # type: ignore[valid-type]
    ) -> Any:
        person = person_of(request)
        entry = selectors.access_entry(person, reference, entry_id)
        _perform(declaration, entry, person, payload)
        return detail_now(request, entry.escalation, person)

    _register(
        router,
        declaration,
        f"/escalations/{{reference}}/timeline/{{entry_id}}/{declaration.api_path}",
        endpoint,
        {200: EscalationDetail, **WRITE_ERRORS},
    )


def _register(
    router: Router,
    declaration: ActionDeclaration,
    path: str,
    endpoint: Any,
    response: dict[int, Any],
) -> None:
    endpoint.__name__ = declaration.name
    endpoint.__doc__ = declaration.api_summary
    router.post(
        path,
        response=response,
        auth=WRITE,
        operation_id=declaration.name,
        summary=declaration.title,
    )(endpoint)


def add_action_endpoints(router: Router) -> None:
    """An endpoint for every declared action."""
    made = {"escalation": _on_escalation, "action": _on_action, "entry": _on_entry}
    for declaration in DECLARATIONS:
        made[declaration.on](router, declaration)
