"""The key requests use the same number of queries on seeded data of two sizes (issue 9).

Seeded with seed_scale, so the lists are full (50 rows), timelines long and the dashboard has
years of figures; the people are the busiest of each kind (escalate/scale/personas.py). The
pins are exact: a change that adds a query shows here, and a query per row would make the two
sizes differ. List pages with few rows are pinned in escalations/tests/test_views_lists.py.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from escalate.api.models import Scope
from escalate.api.services import create_token
from escalate.scale.management.commands.seed_scale import Command as SeedScale
from escalate.scale.personas import choose_personas
from escalate.web.testing import sign_in

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.database_owner,
]  # the bulk seeder loads as the owner

QUERIES = {
    # The session is saved at most once a minute (web.middleware.SessionLifetimeMiddleware)
    # and the signed-in person comes with their partnership (accounts.backends.PersonBackend).
    "home_practitioner": 11,
    "home_manager": 11,  # one list of what waits, then "Following": no team list to ask about
    # 3 write the audit row, 1 marks notices read; 1 lists the evidence; the workflow's state
    # is read from the timeline, stages and panel the page loads (state.state_from_loaded).
    "escalation_page": 17,
    "escalation_page_manager": 17,  # a manager acting at the current stage (Stage 2 or later)
    "manager_queue": 7,
    "dashboard": 10,  # unfiltered: the figures kept with the escalations (escalations/figures.py)
    "api_list": 5,  # token, roles, the policies' access roles, count, the page (no session)
    "api_escalation": 12,  # token, roles, the escalation, its timeline, stages, actions, panel...
}


def measured(escalations: int) -> dict[str, int]:
    call_command(SeedScale(), partnerships=1, escalations=escalations, stdout=StringIO())
    personas = choose_personas()
    clients = {}
    people = (
        personas.practitioner,
        personas.manager,
        personas.business_manager,
        personas.stage_manager,
    )
    for person in people:
        clients[person.pk] = Client()
        sign_in(clients[person.pk], person)
    token = create_token(by=personas.practitioner, name="Counts", scopes=[Scope.ESCALATIONS_READ])
    bearer = {"Authorization": f"Bearer {token.secret}"}
    requests = {
        "home_practitioner": (personas.practitioner, "/"),
        "home_manager": (personas.manager, "/"),
        "escalation_page": (personas.practitioner, f"/escalations/{personas.reference}/"),
        "escalation_page_manager": (
            personas.stage_manager,
            f"/escalations/{personas.stage_reference}/",
        ),
        "manager_queue": (personas.manager, "/escalations/queue/"),
        "dashboard": (personas.business_manager, "/reports/"),
    }
    counts = {}
    for name, (person, url) in requests.items():
        client = clients[person.pk]
        assert client.get(url).status_code == 200  # warm: session, parsed policies
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        counts[name] = len(queries)
    api = Client()  # the token alone: no session
    for name, url in (
        ("api_list", "/api/v1/escalations"),
        ("api_escalation", f"/api/v1/escalations/{personas.reference}"),
    ):
        assert api.get(url, headers=bearer).status_code == 200  # warm
        with CaptureQueriesContext(connection) as queries:
            response = api.get(url, headers=bearer)
        assert response.status_code == 200
        assert response.json()
        counts[name] = len(queries)
    assert len(api.get("/api/v1/escalations", headers=bearer).json()["results"]) > 0
    return counts


@pytest.mark.parametrize("escalations", [300, 3000])
def test_key_requests_use_a_pinned_number_of_queries_whatever_the_data(escalations: int) -> None:
    assert measured(escalations) == QUERIES
