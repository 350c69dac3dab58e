"""The raise journey's details: only the questions that apply, hints, and a full confirmation."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from escalate.directory.models import Person
from escalate.directory.tests.factories import AgencyFactory, PartnershipFactory, PersonFactory
from escalate.escalations.models import Escalation
from escalate.escalations.tests.factories import (
    PolicyVersionFactory,
    current_policy,
    policy_document,
)
from escalate.escalations.tests.test_views_raise import answer_common_questions

pytestmark = pytest.mark.django_db


def step(slug: str) -> str:
    return reverse("escalations:raise_step", args=[slug])


def people(covers: str = "children") -> tuple[Person, Person, Client]:
    partnership = PartnershipFactory(covers=covers)
    current_policy(partnership, covers=covers)
    raiser = PersonFactory(agency=AgencyFactory(partnership=partnership, name="Testshire School"))
    respondent = PersonFactory(
        agency=AgencyFactory(partnership=partnership, name="Testshire Children's Services"),
        full_name="Sam Social-Worker",
    )
    client = Client()
    client.force_login(raiser)
    client.post(step("immediate-danger"), {"immediate_harm": "no"})
    return raiser, respondent, client  # type: ignore[return-value]


def test_a_children_only_policy_does_not_ask_child_or_adult() -> None:
    _, _, client = people("children")
    page = client.get(step("child-or-adult")).content.decode()
    assert "Is this about a child or an adult?" not in page
    assert "The child&#x27;s full name" in page
    response = client.post(step("child-or-adult"), {"subject_name": "Alex Example"})
    assert response.status_code == 302
    check = client.get(reverse("escalations:raise_check"))
    assert ">Child or adult<" not in check.content.decode()


def test_a_policy_for_children_and_adults_asks_which() -> None:
    _, _, client = people("both")
    page = client.get(step("child-or-adult")).content.decode()
    assert "Is this about a child or an adult?" in page
    refused = client.post(step("child-or-adult"), {"subject_name": "Alex Example"})
    assert "Select whether this is about a child or an adult" in refused.content.decode()


def test_the_name_and_email_are_asked_only_for_someone_not_listed() -> None:
    _, respondent, client = people()
    client.post(step("agency"), {"respondent_agency": respondent.agency.pk})  # type: ignore[union-attr]
    page = client.get(step("professional")).content.decode()
    assert 'name="respondent_name"' not in page and 'name="respondent_email"' not in page
    # A listed person: straight on to the child, the name page is never shown.
    chosen = client.post(step("professional"), {"respondent_choice": str(respondent.pk)})
    assert chosen.url == step("child-or-adult")  # type: ignore[attr-defined]
    assert client.get(step("professional-details")).status_code == 302
    # Someone not listed: their name (required, not marked optional) and email (optional).
    other = client.post(step("professional"), {"respondent_choice": "someone-else"})
    assert other.url == step("professional-details")  # type: ignore[attr-defined]
    details = client.get(step("professional-details")).content.decode()
    assert "Their name" in details and "Their name (optional)" not in details
    assert "Their email address (optional)" in details
    refused = client.post(step("professional-details"), {"respondent_name": ""})
    assert "Enter the name of the professional" in refused.content.decode()


def test_your_own_agency_is_not_offered_as_the_other_agency() -> None:
    raiser, _respondent, client = people()
    page = client.get(step("agency")).content.decode()
    assert "Testshire Children&#x27;s Services" in page
    assert f'value="{raiser.agency_id}"' not in page


def test_categories_carry_the_policys_explanations() -> None:
    partnership = PartnershipFactory()
    document = policy_document()
    document["categories"] = [
        {"key": "threshold", "name": "Threshold decisions", "description": "Whether needs meet it."}
    ]
    PolicyVersionFactory(partnership=partnership, number=1, document=document)
    raiser = PersonFactory(agency=AgencyFactory(partnership=partnership))
    client = Client()
    client.force_login(raiser)
    page = client.get(step("categories")).content.decode()
    assert "govuk-checkboxes__hint" in page and "Whether needs meet it." in page


def test_the_confirmation_gives_the_due_date_and_who_was_told() -> None:
    raiser, respondent, client = people()
    answer_common_questions(client, respondent)
    response = client.post(reverse("escalations:raise_check"))
    assert response.status_code == 302
    assert Escalation.objects.filter(raised_by=raiser).exists()
    page = client.get(response.url).content.decode()  # type: ignore[attr-defined]
    assert "due by" in page and "11:59pm" in page
    assert "We have told:" in page and "Sam Social-Worker" in page


def test_panel_candidates_show_role_agency_and_board_membership() -> None:
    from escalate.escalations.actions import BY_NAME
    from escalate.escalations.forms import action_form, panel_candidate_hint

    partnership = PartnershipFactory()
    agency = AgencyFactory(partnership=partnership, name="Testshire Police", is_board_member=True)
    board = PersonFactory(
        agency=agency,
        job_title="Detective inspector",
        level=3,
        roles=["panel_member"],
    )
    other = PersonFactory(agency=agency, job_title="Detective sergeant", level=2)
    form = action_form(BY_NAME["convene_panel"], person=board, data=None, version=1)
    hints = form.fields["members"].choice_hints  # type: ignore[attr-defined]
    assert hints[str(board.pk)] == (
        "Detective inspector, Testshire Police. Agency on the Board. On the Resolution Panel list"
    )
    assert panel_candidate_hint(other) == (
        "Detective sergeant, Testshire Police. Agency on the Board"
    )
