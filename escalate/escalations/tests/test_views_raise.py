"""The raise journey through the GOV.UK question pages, with drafts and bad input."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from escalate.directory.models import Person
from escalate.directory.tests.factories import AgencyFactory, PartnershipFactory, PersonFactory
from escalate.escalations.models import ChronologyEntry, EntryKind, Escalation, RaiseDraft
from escalate.escalations.tests.factories import current_policy

pytestmark = pytest.mark.django_db


def step(slug: str) -> str:
    return reverse("escalations:raise_step", args=[slug])


@pytest.fixture
def raiser() -> Person:
    partnership = PartnershipFactory(
        front_door_name="Testshire Front Door", front_door_phone="0300 111 2222"
    )
    current_policy(partnership, may_start_at=["stage_2"])
    return PersonFactory(agency=AgencyFactory(partnership=partnership, name="Testshire School"))  # type: ignore[return-value]


@pytest.fixture
def respondent(raiser: Person) -> Person:
    agency = AgencyFactory(partnership=raiser.partnership, name="Testshire Children's Services")
    return PersonFactory(agency=agency, full_name="Sam Social-Worker")  # type: ignore[return-value]


@pytest.fixture
def client_for(raiser: Person) -> Client:
    client = Client()
    client.force_login(raiser)
    return client


def answer_common_questions(client: Client, respondent: Person) -> None:
    """Every question after the first one, answered well."""
    assert respondent.agency is not None
    answers: list[tuple[str, dict[str, object]]] = [
        ("agency", {"respondent_agency": respondent.agency.pk}),
        ("professional", {"respondent_choice": str(respondent.pk)}),
        (
            "child-or-adult",
            {
                "subject_kind": "child",
                "subject_name": "Alex Example",
                "subject_date_of_birth_day": "3",
                "subject_date_of_birth_month": "4",
                "subject_date_of_birth_year": "2015",
                "case_references": "LCS 12345",
            },
        ),
        ("flags", {"flags": ["cp_plan"]}),
        ("reviewers", {"allocated_iro": "not-known", "allocated_cp_chair": "not-known"}),
        ("categories", {"categories": ["threshold"]}),
        ("disputed", {"disputed": "The referral was closed with no further action."}),
        ("risk", {"risk": "Neglect continues unnoticed."}),
        ("outcome", {"outcome_wanted": "A strategy discussion."}),
        ("already-tried", {"already_tried": "A phone call on Monday."}),
    ]
    for slug, data in answers:
        response = client.post(step(slug), data)
        assert response.status_code == 302, (slug, response.content.decode()[:2000])


def test_a_practitioner_raises_an_escalation_through_the_question_pages(
    client_for: Client, raiser: Person, respondent: Person
) -> None:
    response = client_for.get(reverse("escalations:raise_continue"))
    assert response.url == step("immediate-danger")  # type: ignore[attr-defined]
    response = client_for.post(step("immediate-danger"), {"immediate_harm": "no"})
    assert response.url == step("agency")  # type: ignore[attr-defined]
    answer_common_questions(client_for, respondent)

    check = client_for.get(reverse("escalations:raise_check"))
    page = check.content.decode()
    assert "Check your answers" in page
    assert "Alex Example" in page and "Sam Social-Worker" in page and "3 April 2015" in page
    assert page.count(">Change<") >= 10
    assert "Stage to start at" not in page

    response = client_for.post(reverse("escalations:raise_check"))
    escalation = Escalation.objects.get()
    assert response.url == reverse("escalations:raise_done", args=[escalation.reference])  # type: ignore[attr-defined]
    done = client_for.get(response.url)  # type: ignore[attr-defined]
    assert "govuk-panel--confirmation" in done.content.decode()
    assert escalation.reference in done.content.decode()
    assert escalation.respondent_person == respondent
    assert escalation.subject_name == "Alex Example"
    assert escalation.cp_plan and not escalation.looked_after
    assert escalation.categories == ["threshold"]
    assert escalation.current_stage_key == "stage_1"
    assert not escalation.immediate_harm
    assert not RaiseDraft.objects.filter(person=raiser).exists()


# What the emergency page asks: the protective action already taken.
PROTECTED = {"protective_actions": ["dsl_told"], "protective_action": "Told our DSL at 9am."}


def test_the_emergency_pages_title_is_its_heading(
    client_for: Client, raiser: Person, respondent: Person
) -> None:
    client_for.post(step("immediate-danger"), {"immediate_harm": "yes"})
    html = client_for.get(reverse("escalations:raise_emergency")).content.decode()
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    assert title is not None and heading is not None
    assert title.group(1).strip() == f"{heading.group(1).strip()} \N{EN DASH} Escalate"


def test_immediate_harm_shows_the_emergency_guidance_first_and_may_start_later(
    client_for: Client, raiser: Person, respondent: Person
) -> None:
    response = client_for.post(step("immediate-danger"), {"immediate_harm": "yes"})
    assert response.url == reverse("escalations:raise_emergency")  # type: ignore[attr-defined]
    # Skipping ahead is not possible before the guidance has been shown.
    assert client_for.get(reverse("escalations:raise_continue")).url == reverse(  # type: ignore[attr-defined]
        "escalations:raise_emergency"
    )
    guidance = client_for.get(reverse("escalations:raise_emergency")).content.decode()
    assert "call 999" in guidance
    assert "Testshire Front Door" in guidance and "0300 111 2222" in guidance
    assert "designated safeguarding lead" in guidance
    # What was already done to protect them is asked before going on.
    unanswered = client_for.post(reverse("escalations:raise_emergency"))
    assert unanswered.status_code == 200
    page = unanswered.content.decode()
    assert "Select what you have already done to protect the child or adult" in page
    assert "Enter what you did to protect them, and why" in page
    done = client_for.post(
        reverse("escalations:raise_emergency"),
        {"protective_actions": ["front_door", "dsl_told"], "protective_action": "Referred at 9."},
    )
    assert done.url == step("agency")  # type: ignore[attr-defined]
    answer_common_questions(client_for, respondent)

    assert client_for.get(reverse("escalations:raise_continue")).url == step("start-stage")  # type: ignore[attr-defined]
    refused = client_for.post(step("start-stage"), {"start_stage": "stage_2", "start_reason": ""})
    assert refused.status_code == 200
    assert "Enter why the escalation needs to start at this stage" in refused.content.decode()
    assert "govuk-error-summary" in refused.content.decode()
    client_for.post(
        step("start-stage"),
        {"start_stage": "stage_2", "start_reason": "The child is not safe tonight."},
    )
    check = client_for.get(reverse("escalations:raise_check")).content.decode()
    assert "Stage 2" in check and "The child is not safe tonight." in check
    assert "Already done to protect them" in check and "Referred at 9." in check

    client_for.post(reverse("escalations:raise_check"))
    escalation = Escalation.objects.get()
    assert escalation.immediate_harm
    assert escalation.current_stage_key == "stage_2"
    assert escalation.started_at_later_stage_reason == "The child is not safe tonight."
    guidance = ChronologyEntry.objects.get(escalation=escalation, kind=EntryKind.URGENT_GUIDANCE)
    assert guidance.data["protective_actions"] == ["dsl_told", "front_door"]
    assert guidance.data["protective_action"] == "Referred at 9."


def test_the_stage_question_is_not_asked_when_the_policy_allows_no_later_start(
    client_for: Client, raiser: Person, respondent: Person
) -> None:
    assert raiser.partnership is not None
    current_policy(raiser.partnership, may_start_at=[])
    client_for.post(step("immediate-danger"), {"immediate_harm": "yes"})
    client_for.post(reverse("escalations:raise_emergency"), PROTECTED)
    answer_common_questions(client_for, respondent)
    assert client_for.get(reverse("escalations:raise_continue")).url == reverse(  # type: ignore[attr-defined]
        "escalations:raise_check"
    )
    assert client_for.get(step("start-stage")).status_code == 302


def test_bad_answers_are_named_in_the_error_summary_and_kept(
    client_for: Client, raiser: Person, respondent: Person
) -> None:
    client_for.post(step("immediate-danger"), {"immediate_harm": "no"})
    next_year = str(timezone.localdate().year + 1)
    response = client_for.post(
        step("child-or-adult"),
        {
            "subject_kind": "",
            "subject_name": "Alex Typed",
            "subject_date_of_birth_day": "3",
            "subject_date_of_birth_month": "4",
            "subject_date_of_birth_year": next_year,
            "case_references": "LCS 999",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    # A children-only policy does not ask whether it is a child (test_views_raise_details.py).
    assert "Is this about a child or an adult?" not in page
    assert "Date of birth must be today or in the past" in page
    assert (
        'value="Alex Typed"' in page
        and 'value="LCS 999"' in page
        and f'value="{next_year}"' in page
    )
    # What was typed is still there when the person comes back to the page later.
    again = client_for.get(step("child-or-adult")).content.decode()
    assert 'value="Alex Typed"' in again and "Date of birth must be today or in the past" in again
    empty = client_for.post(step("disputed"), {"disputed": "   "})
    assert "Enter the decision, action or inaction you disagree with" in empty.content.decode()
    someone = client_for.post(step("agency"), {"respondent_agency": respondent.agency.pk})  # type: ignore[union-attr]
    assert someone.status_code == 302
    someone_else = client_for.post(step("professional"), {"respondent_choice": "someone-else"})
    assert someone_else.url == step("professional-details")  # type: ignore[attr-defined]
    missing_name = client_for.post(
        step("professional-details"), {"respondent_email": "x@example.org"}
    )
    assert "Enter the name of the professional" in missing_name.content.decode()
    assert 'value="x@example.org"' in missing_name.content.decode()


def test_an_agency_of_another_partnership_cannot_be_chosen(
    client_for: Client, raiser: Person
) -> None:
    elsewhere = AgencyFactory()
    response = client_for.post(step("agency"), {"respondent_agency": elsewhere.pk})
    assert "Select an agency from the list" in response.content.decode()


def test_answers_are_kept_in_a_draft_and_offered_on_home(
    client_for: Client, raiser: Person, respondent: Person
) -> None:
    client_for.post(step("immediate-danger"), {"immediate_harm": "no"})
    client_for.post(step("disputed"), {"disputed": "Kept between visits."})
    home = client_for.get(reverse("home")).content.decode()
    assert "Continue your draft" in home
    assert "Kept between visits." in client_for.get(step("disputed")).content.decode()
    # A change from the check page goes back to the check page once everything is answered.
    answer_common_questions(client_for, respondent)
    response = client_for.post(step("risk") + "?change=1", {"risk": "Changed risk."})
    assert response.url == reverse("escalations:raise_check")  # type: ignore[attr-defined]
    assert RaiseDraft.objects.get(person=raiser).data["risk"] == "Changed risk."


def test_a_partnership_without_a_policy_is_told_so_not_an_error(client_for: Client) -> None:
    person = PersonFactory()
    client = Client()
    client.force_login(person)
    response = client.get(step("agency"))
    assert response.status_code == 200
    assert "has not loaded its escalation policy" in response.content.decode()


def test_an_unknown_question_is_not_found(client_for: Client) -> None:
    assert client_for.get(step("no-such-question")).status_code == 404


def test_a_refusal_on_the_check_page_links_to_the_question_to_change(
    client_for: Client, raiser: Person, respondent: Person
) -> None:
    client_for.post(step("immediate-danger"), {"immediate_harm": "no"})
    answer_common_questions(client_for, respondent)
    # The professional left the directory between choosing them and raising.
    Person.objects.filter(pk=respondent.pk).update(is_active=False)
    response = client_for.post(reverse("escalations:raise_check"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html
    assert "Choose the professional you disagree with, or type their name." in html
    assert f'href="{step("professional")}?change=1"' in html
    assert not Escalation.objects.exists()
    assert RaiseDraft.objects.filter(person=raiser).exists()


def test_a_question_page_posts_back_to_its_own_address_without_a_fragment(
    client_for: Client,
) -> None:
    # With no action the browser posts to the address it shows, #main-content and all (left by
    # the skip link); the page answered from there scrolls to it and the focus leaves the error
    # summary. The address named here has the query (?change=1) and never a fragment.
    html = client_for.get(step("immediate-danger") + "?change=1").content.decode()
    assert f'<form method="post" action="{step("immediate-danger")}?change=1"' in html


def test_showing_the_emergency_guidance_writes_nothing_continuing_records_it(
    client_for: Client, raiser: Person
) -> None:
    client_for.post(step("immediate-danger"), {"immediate_harm": "yes"})
    saved = RaiseDraft.objects.get(person=raiser)
    before = (saved.data, saved.updated_at)

    assert client_for.get(reverse("escalations:raise_emergency")).status_code == 200

    saved.refresh_from_db()
    assert (saved.data, saved.updated_at) == before  # a GET changes nothing
    assert "urgent_guidance_shown" not in saved.data
    client_for.post(reverse("escalations:raise_emergency"), PROTECTED)
    saved.refresh_from_db()
    assert saved.data["urgent_guidance_shown"] is True


def test_a_raise_that_fails_after_writing_keeps_the_draft_and_raises_nothing(
    client_for: Client, raiser: Person, respondent: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Raising and forgetting the draft are one transaction: both happen or neither does."""
    client_for.post(step("immediate-danger"), {"immediate_harm": "no"})
    answer_common_questions(client_for, respondent)
    from escalate.escalations.services import raising

    def fail(by: Person) -> None:
        raise RuntimeError("the draft could not be removed")

    monkeypatch.setattr(raising, "_discard_drafts", fail)
    client_for.raise_request_exception = True
    with pytest.raises(RuntimeError):
        client_for.post(reverse("escalations:raise_check"))

    assert not Escalation.objects.exists()
    assert RaiseDraft.objects.filter(person=raiser).exists()
