"""Seed for the multi-machine test, run inside the deployment's own database.

`manage.py shell -c "from escalate.operations.tests.multi_machine_seed import main; main()"`
prints JSON: API tokens of several raisers, the agency each may raise about, a token for the
rate-limit check, and a signed-in session (with its second factor) for the evidence check.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.test import Client

from escalate.api.models import Scope
from escalate.api.services import create_token
from escalate.directory.demo import create_demo_directory
from escalate.directory.models import Level, Person
from escalate.escalations import services
from escalate.policies.demo import load_demo_policies
from escalate.web.testing import sign_in


def seed() -> dict[str, Any]:
    riverside, eastmoor = create_demo_directory()
    load_demo_policies(riverside.partnership, eastmoor.partnership)
    practitioners = list(
        Person.objects.filter(
            level=Level.PRACTITIONER,
            is_active=True,
            agency__isnull=False,
            partnership=riverside.partnership,
        )
        .select_related("agency", "partnership")
        .order_by("pk")
    )
    raisers = []
    for person in practitioners[:4]:
        other = next(
            p
            for p in practitioners
            if p.partnership_id == person.partnership_id and p.agency_id != person.agency_id
        )
        token = create_token(by=person, name="multi-machine", scopes=list(Scope.values))
        raisers.append(
            {
                "token": token.secret,
                "respondent_agency_id": other.agency_id,
                "respondent_person_id": other.pk,
            }
        )
    watcher = practitioners[-1]
    limited = create_token(by=watcher, name="rate-limit", scopes=[Scope.ESCALATIONS_READ])

    # A signed-in browser session of the first raiser, for uploading evidence through the pages.
    first = practitioners[0]
    other = next(
        p
        for p in practitioners
        if p.partnership_id == first.partnership_id and p.agency_id != first.agency_id
    )
    escalation = services.raise_escalation(
        by=first,
        details=services.RaiseDetails(
            respondent_agency=other.agency,
            respondent_person=other,
            subject_name="Test Child Multi",
            disputed="The plan was closed without a visit.",
            risk="Neglect may continue.",
            outcome_wanted="A strategy discussion.",
            categories=[],
        ),
    )
    client = Client()
    sign_in(client, first)
    return {
        "raisers": raisers,
        "rate_limit_token": limited.secret,
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "session_key": client.session.session_key,
        "evidence_reference": escalation.reference,
    }


def main() -> None:
    print(json.dumps(seed()))
