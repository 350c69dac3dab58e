"""Seed data for the live API run: the demo's two partnerships, an escalation in each, tokens.

Run in the live server's own database by test_live_schemathesis.py:
`manage.py shell -c "from escalate.api.tests.live_seed import main; main()"`; prints JSON.
"""

from __future__ import annotations

import json
from typing import Any

from escalate.api.models import Scope
from escalate.api.services import create_token
from escalate.directory.demo import create_demo_directory
from escalate.directory.models import Person
from escalate.escalations import services
from escalate.escalations.demo import create_demo_escalations
from escalate.escalations.models import Action, Escalation
from escalate.policies.demo import load_demo_policies

ALL_SCOPES = list(Scope.values)


def _raise(by: Person, about: Person, child: str) -> Escalation:
    assert about.agency is not None
    return services.raise_escalation(
        by=by,
        details=services.RaiseDetails(
            respondent_agency=about.agency,
            respondent_person=about,
            subject_name=child,
            disputed="The referral was closed without a visit.",
            risk="Neglect may continue.",
            outcome_wanted="A strategy discussion.",
            categories=[],
        ),
    )


def seed() -> dict[str, Any]:
    riverside, eastmoor = create_demo_directory()
    load_demo_policies(riverside.partnership, eastmoor.partnership)
    create_demo_escalations(riverside)
    people = riverside.people
    _raise(people["amira.khan"], people["dan.evans"], "Robin Riverside-Fuzz")
    theirs = _raise(eastmoor.people["holly.jack"], eastmoor.people["gus.irwin"], "Quinn Eastmoor")
    b = eastmoor.partnership
    return {
        "a_tokens": {
            name: create_token(by=people[name], name="live", scopes=ALL_SCOPES).secret
            for name in ("vera.walsh", "amira.khan")
        },
        "b_token": create_token(
            by=eastmoor.people["holly.jack"], name="live", scopes=ALL_SCOPES
        ).secret,
        "a_references": list(
            Escalation.objects.filter(partnership=riverside.partnership).values_list(
                "reference", flat=True
            )
        ),
        "b_references": [theirs.reference],
        "a_agencies": [agency.pk for agency in riverside.agencies.values()],
        "b_agencies": [agency.pk for agency in eastmoor.agencies.values()],
        "a_actions": list(
            Action.objects.filter(escalation__partnership=riverside.partnership).values_list(
                "pk", flat=True
            )
        ),
        # Text that only partnership B's records contain: it must never reach A's tokens.
        "b_markers": [
            f"{b.reference_prefix}-",
            *(agency.name for agency in eastmoor.agencies.values()),
            *(person.full_name for person in eastmoor.people.values()),
            "Quinn Eastmoor",
        ],
    }


def main() -> None:
    print(json.dumps(seed()))
