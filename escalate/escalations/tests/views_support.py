"""Helpers for the view tests: a partnership with a policy, people on both sides, a real raise."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.test import Client

from escalate.directory.models import Level, Person
from escalate.directory.tests.factories import AgencyFactory, PartnershipFactory, PersonFactory
from escalate.escalations import services
from escalate.escalations.models import Escalation
from escalate.escalations.tests.factories import current_policy


@dataclass
class Cast:
    raiser: Person
    raiser_manager: Person
    respondent: Person
    respondent_manager: Person


def cast(**policy: Any) -> Cast:
    """Two agencies of one partnership, each with a practitioner and their line manager."""
    partnership = PartnershipFactory()
    current_policy(partnership, **policy)
    school = AgencyFactory(partnership=partnership, name="Testshire School")
    social_care = AgencyFactory(partnership=partnership, name="Testshire Children's Services")
    raiser_manager = PersonFactory(agency=school, level=Level.LINE_MANAGER, roles=["line_manager"])
    respondent_manager = PersonFactory(
        agency=social_care, level=Level.LINE_MANAGER, roles=["line_manager"]
    )
    return Cast(
        raiser=PersonFactory(agency=school, line_manager=raiser_manager),
        raiser_manager=raiser_manager,
        respondent=PersonFactory(agency=social_care, line_manager=respondent_manager),
        respondent_manager=respondent_manager,
    )


def raise_one(people: Cast, **changes: Any) -> Escalation:
    """An escalation raised through the service, as the raise pages would."""
    details: dict[str, Any] = {
        "respondent_agency": people.respondent.agency,
        "respondent_person": people.respondent,
        "respondent_name": "",
        "respondent_email": "",
        "subject_kind": "child",
        "subject_name": "Alex Example",
        "subject_date_of_birth": None,
        "case_references": "",
        "cp_plan": False,
        "looked_after": False,
        "cp_conference": False,
        "immediate_harm": False,
        "urgent_guidance_shown": False,
        "categories": ["threshold"],
        "disputed": "The referral was closed.",
        "risk": "Neglect continues.",
        "outcome_wanted": "A strategy discussion.",
        "already_tried": "A phone call.",
        "start_stage_key": "",
        "later_stage_reason": "",
    }
    details.update(changes)
    return services.raise_escalation(by=people.raiser, details=services.RaiseDetails(**details))


def signed_in(person: Person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def decide(
    client: Client,
    escalation: Escalation,
    slug: str,
    answers: dict[str, Any],
    actions: tuple[dict[str, Any], ...] | list[dict[str, Any]] = (),
) -> Any:
    """Walk a decision's question pages (resolve, propose, panel-decision: steps.py) with
    `answers` (each input by name) and `actions` (one page each), then press the check page's
    button. The first page that does not move on is returned, else the check page's answer."""
    base = f"/escalations/{escalation.reference}/{slug}/"
    for url, data in (
        (base + "decision/", answers),
        (base + "learning/", answers),
        *((base + "actions/add/", action) for action in actions),
        (base + "actions/", {"add_another": "no"}),
    ):
        response = client.post(url, data)
        if response.status_code != 302:
            return response
    return client.post(base + "check/")


def action_answers(description: str, owner: Person, due: Any) -> dict[str, Any]:
    """One agreed action as its page's answers."""
    return {
        "description": description,
        "owner": owner.pk,
        "due_on_day": due.day,
        "due_on_month": due.month,
        "due_on_year": due.year,
    }
