"""/api/v1/agencies and /api/v1/policy: the partnership's directory and its current policy."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Path, Router

from escalate.api.auth import DIRECTORY
from escalate.api.errors import ApiError, documented
from escalate.api.schemas import AgencyOut, ContactOut, Id, PersonOut, PolicyOut
from escalate.directory import selectors
from escalate.directory.requests import person_of
from escalate.policies.selectors import current_policy

router = Router(tags=["directory"])

ERRORS: dict[int, Any] = documented(403, 404, 422)


@router.get("/agencies", response={200: list[AgencyOut], **ERRORS}, auth=DIRECTORY)
def list_agencies(request: HttpRequest) -> Any:
    """The active agencies of your partnership."""
    return [
        {"id": a.pk, "name": a.name, "agency_type": a.agency_type, "email": a.email}
        for a in selectors.agencies_of(person_of(request))
    ]


@router.get(
    "/agencies/{agency_id}/contacts", response={200: list[ContactOut], **ERRORS}, auth=DIRECTORY
)
def agency_contacts(request: HttpRequest, agency_id: Path[Id]) -> Any:
    """Who to contact in the agency at each escalation level."""
    agency = selectors.access_agency(person_of(request), agency_id)
    return [
        {
            "id": c.pk,
            "level": c.level,
            "service": c.service,
            "name": c.name,
            "job_title": c.job_title,
            "email": c.email,
            "phone": c.phone,
            "person_id": c.person_id,
        }
        for c in selectors.contacts_of(agency)
    ]


@router.get(
    "/agencies/{agency_id}/people", response={200: list[PersonOut], **ERRORS}, auth=DIRECTORY
)
def agency_people(request: HttpRequest, agency_id: Path[Id]) -> Any:
    """The agency's active people (whom an escalation can be raised about)."""
    person = person_of(request)
    agency = selectors.access_agency(person, agency_id)
    return [
        {"id": p.pk, "full_name": p.full_name, "job_title": p.job_title}
        for p in selectors.people_of(person).filter(agency=agency)
    ]


@router.get("/policy", response={200: PolicyOut, **ERRORS}, auth=DIRECTORY)
def policy(request: HttpRequest) -> Any:
    """Your partnership's current escalation policy (the version new escalations start under)."""
    version = current_policy(person_of(request).partnership)
    if version is None:
        raise ApiError(404, "Your partnership has no policy loaded yet.")
    return {
        "number": version.number,
        "name": version.name,
        "loaded_at": version.loaded_at,
        "checksum": version.checksum,
        "document": version.document,
    }
