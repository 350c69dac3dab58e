"""The directory, the policy and the dashboard figures through the API."""

from __future__ import annotations

import pytest

from escalate.api.tests.support import api_as, error_of
from escalate.directory.models import Level
from escalate.directory.tests.factories import (
    AgencyFactory,
    EscalationContactFactory,
    PersonFactory,
)
from escalate.escalations.tests.views_support import cast, raise_one

pytestmark = pytest.mark.django_db


def test_agencies_contacts_and_people_of_the_own_partnership_only() -> None:
    people = cast()
    agency = people.respondent.agency
    contact = EscalationContactFactory(agency=agency, level=Level.LINE_MANAGER, name="Pat Lead")
    AgencyFactory(partnership=agency.partnership, name="Closed agency", is_active=False)
    elsewhere = AgencyFactory(name="Another partnership's agency")
    api = api_as(people.raiser, ["directory:read"])
    names = [row["name"] for row in api.get("/agencies").json()]
    assert agency.name in names and people.raiser.agency.name in names
    assert "Closed agency" not in names and elsewhere.name not in names
    contacts = api.get(f"/agencies/{agency.pk}/contacts").json()
    assert [(row["id"], row["name"]) for row in contacts] == [(contact.pk, "Pat Lead")]
    staff = {row["id"] for row in api.get(f"/agencies/{agency.pk}/people").json()}
    assert people.respondent.pk in staff and people.raiser.pk not in staff
    hidden = api.get(f"/agencies/{elsewhere.pk}/contacts")
    missing = api.get("/agencies/999999/contacts")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    assert api.get(f"/agencies/{elsewhere.pk}/people").status_code == 404


def test_the_partnerships_current_policy() -> None:
    people = cast()
    response = api_as(people.raiser, ["directory:read"]).get("/policy")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Testshire escalation policy"
    assert next(stage["key"] for stage in body["document"]["stages"]) == "stage_1"
    no_policy = api_as(PersonFactory(), ["directory:read"]).get("/policy")
    assert no_policy.status_code == 404
    error_of(no_policy)


def test_dashboard_figures_only_for_roles_that_see_the_dashboard() -> None:
    people = cast()
    raise_one(people)
    practitioner = api_as(people.raiser, ["reports:read"]).get("/reports/dashboard")
    assert practitioner.status_code == 403
    error_of(practitioner)
    manager = PersonFactory(agency=people.raiser.agency, roles=["business_manager"])
    api = api_as(manager, ["reports:read"])
    response = api.get("/reports/dashboard")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["total"] == 1 and body["open_now"] == 1
    assert {table["key"] for table in body["tables"]}
    one_agency = api.get("/reports/dashboard", agency=people.raiser.agency_id).json()
    assert one_agency["total"] is None  # 1 escalation for one agency: withheld as on the page
    assert one_agency["small_numbers_apply"] is True
    bad_stage = api.get("/reports/dashboard", stage="nowhere")
    assert bad_stage.status_code == 422 and error_of(bad_stage)["field"] == "stage"
    other_agency = api.get("/reports/dashboard", agency=AgencyFactory().pk)
    assert other_agency.status_code == 422 and error_of(other_agency)["field"] == "agency"
    backwards = api.get("/reports/dashboard", date_from="2026-05-01", date_to="2026-04-01")
    assert backwards.status_code == 422 and error_of(backwards)["field"] == "date_to"
    filtered = api.get("/reports/dashboard", stage="stage_1", category="threshold")
    assert filtered.status_code == 200
