"""A decision one thing per page (steps.py): resolve, propose and the panel's decision are
asked in question pages, actions added one at a time, then checked and made by the service."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from escalate.directory.models import Role, RoleAssignment
from escalate.directory.tests.factories import AgencyFactory, PersonFactory
from escalate.escalations.models import Action, DecisionDraft, Escalation, Status
from escalate.escalations.tests.test_views_stage import action_url, discussion
from escalate.escalations.tests.views_support import (
    Cast,
    action_answers,
    cast,
    decide,
    raise_one,
    signed_in,
)
from escalate.privacy.disposal import dispose

pytestmark = pytest.mark.django_db

DECISION = {
    "decision": "The case is reopened for assessment.",
    "decided_by": "Both line managers",
    "learning": "Share threshold reasons in writing.",
    "learning_themes": "thresholds, communication",
}


def ready_to_resolve() -> tuple[Cast, Escalation, Client]:
    """An escalation the raiser may resolve (a discussion is recorded)."""
    people = cast()
    escalation = raise_one(people)
    client = signed_in(people.raiser)
    yesterday = timezone.localdate() - timedelta(days=1)
    client.post(
        action_url(escalation, "record-discussion"), discussion(yesterday, escalation.version)
    )
    escalation.refresh_from_db()
    return people, escalation, client


def url(escalation: Escalation, page: str, slug: str = "resolve") -> str:
    return f"/escalations/{escalation.reference}/{slug}/{page}/"


def due(days: int = 10) -> Any:
    return timezone.localdate() + timedelta(days=days)


def title_of(html: str) -> str:
    return html.split("<title>")[1].split("</title>")[0].strip()


def test_resolve_is_asked_one_thing_per_page_and_resolves_with_two_actions() -> None:
    people, escalation, client = ready_to_resolve()
    # The old address leads to the first page.
    first = client.get(action_url(escalation, "resolve"))
    assert first.status_code == 302 and first["Location"] == url(escalation, "decision")
    page = client.get(url(escalation, "decision")).content.decode()
    assert title_of(page).startswith(f"Resolve the escalation \u2013 {escalation.reference}")
    assert page.count("<h1") == 1
    assert "What was decided?" in page and "Who made the decision?" in page
    assert "Learning" not in page and "Owner" not in page
    assert "(optional)" not in page
    moved = client.post(url(escalation, "decision"), DECISION)
    assert moved["Location"] == url(escalation, "learning")
    learning = client.get(url(escalation, "learning")).content.decode()
    # Learning is required at this policy's resolve; themes are not, and say so.
    assert "Learning for the partnership (optional)" not in learning
    assert "Learning themes (optional)" in learning
    assert client.post(url(escalation, "learning"), DECISION)["Location"] == url(
        escalation, "actions"
    )
    actions = client.get(url(escalation, "actions")).content.decode()
    assert "Do you need to add an action?" in actions
    assert client.post(url(escalation, "actions"), {"add_another": "yes"})["Location"] == url(
        escalation, "actions/add"
    )
    for text, owner in (
        ("Write to the GP.", people.raiser),
        ("Call the school.", people.respondent),
    ):
        added = client.post(url(escalation, "actions/add"), action_answers(text, owner, due()))
        assert added["Location"] == url(escalation, "actions")
    listed = client.get(url(escalation, "actions")).content.decode()
    assert "You have added 2 actions" in listed
    assert "Write to the GP." in listed and "Call the school." in listed
    assert client.post(url(escalation, "actions"), {"add_another": "no"})["Location"] == url(
        escalation, "check"
    )
    check = client.get(url(escalation, "check")).content.decode()
    assert title_of(check).startswith("Check your answers")
    for shown in (*DECISION.values(), "Write to the GP.", people.respondent.full_name):
        assert shown in check
    assert url(escalation, "decision") + "?change=1" in check
    assert escalation.status == Status.OPEN  # nothing is made before the button
    done = client.post(url(escalation, "check"))
    assert done.status_code == 302
    assert done["Location"] == reverse("escalations:detail", args=[escalation.reference])
    escalation.refresh_from_db()
    assert escalation.status == Status.RESOLVED
    assert escalation.learning_themes == ["thresholds", "communication"]
    assert sorted(
        Action.objects.filter(escalation=escalation).values_list("description", flat=True)
    ) == [
        "Call the school.",
        "Write to the GP.",
    ]
    assert not DecisionDraft.objects.exists()  # the draft goes once the decision is made


def test_each_page_names_what_is_missing_keeps_what_was_typed_and_says_error() -> None:
    people, escalation, client = ready_to_resolve()
    empty = client.post(url(escalation, "decision"), {"decided_by": "Typed by me"})
    html = empty.content.decode()
    assert empty.status_code == 200
    assert title_of(html).startswith("Error: Resolve the escalation \u2013 ")
    assert "govuk-error-summary" in html and 'href="#id_decision"' in html
    assert "Enter what was decided" in html and "Typed by me" in html
    client.post(url(escalation, "decision"), DECISION)
    no_learning = client.post(url(escalation, "learning"), {"learning_themes": "x" * 600})
    html = no_learning.content.decode()
    assert "Enter the learning for the partnership" in html
    assert "Learning themes must be 500 characters or fewer" in html
    unanswered = client.post(url(escalation, "actions"), {})
    assert "Select yes if you need to add an action" in unanswered.content.decode()
    assert title_of(unanswered.content.decode()).startswith("Error: ")
    blank = client.post(url(escalation, "actions/add"), {}).content.decode()
    for message in (
        "Enter what the action is",
        "Choose who owns the action",
        "Enter the date the action is due",
    ):
        assert message in blank
    assert "(optional)" not in blank
    outsider = PersonFactory()
    wrong = client.post(
        url(escalation, "actions/add"), action_answers("Kept text.", outsider, due())
    ).content.decode()
    assert "Choose an owner from this partnership" in wrong and "Kept text." in wrong
    past = client.post(
        url(escalation, "actions/add"), action_answers("Kept.", people.raiser, due(-3))
    ).content.decode()
    assert "govuk-error-summary" in past
    assert not Action.objects.exists()


def test_huge_or_hostile_input_is_an_error_never_a_crash() -> None:
    _, escalation, client = ready_to_resolve()
    huge = client.post(url(escalation, "decision"), {**DECISION, "decision": "x" * 20_000})
    assert huge.status_code == 200
    assert "10,000 characters or fewer" in huge.content.decode()
    hostile = client.post(url(escalation, "decision"), {**DECISION, "decision": "\x00\x07 "})
    assert hostile.status_code in (200, 302)
    odd = client.post(url(escalation, "actions/add"), {"owner": "1 OR 1=1", "due_on_day": "x"})
    assert odd.status_code == 200
    assert client.get(url(escalation, "actions/999")).status_code == 404


def test_owners_are_active_people_of_the_two_agencies_never_admins_or_auditors() -> None:
    people, escalation, client = ready_to_resolve()
    third_agency = PersonFactory(agency=AgencyFactory(partnership=people.raiser.partnership))
    admin = PersonFactory(agency=people.raiser.agency)
    RoleAssignment.objects.create(person=admin, role=Role.ADMINISTRATOR)
    auditor = PersonFactory(agency=people.respondent.agency)
    RoleAssignment.objects.create(person=auditor, role=Role.AUDITOR)
    gone = PersonFactory(agency=people.raiser.agency, is_active=False)
    page = client.get(url(escalation, "actions/add")).content.decode()
    owners = page.split('name="owner"')[1].split("</select>")[0]
    for offered in (people.raiser, people.respondent, people.respondent_manager):
        assert f'value="{offered.pk}"' in owners
    for left_out in (third_agency, admin, auditor, gone):
        assert f'value="{left_out.pk}"' not in owners
    refused = client.post(url(escalation, "actions/add"), action_answers("A.", admin, due()))
    assert "Choose an owner from this partnership" in refused.content.decode()


def test_an_action_is_changed_and_removed_from_the_list() -> None:
    people, escalation, client = ready_to_resolve()
    client.post(url(escalation, "actions/add"), action_answers("First.", people.raiser, due()))
    client.post(url(escalation, "actions/add"), action_answers("Second.", people.raiser, due()))
    change = client.get(url(escalation, "actions/1")).content.decode()
    assert "Change action 1" in change and "First." in change
    changed = client.post(
        url(escalation, "actions/1"), action_answers("First, changed.", people.respondent, due())
    )
    assert changed["Location"] == url(escalation, "actions")
    confirm = client.get(url(escalation, "actions/2/remove")).content.decode()
    assert "Are you sure you want to remove action 2?" in confirm and "Second." in confirm
    assert client.post(url(escalation, "actions/2/remove"))["Location"] == url(
        escalation, "actions"
    )
    listed = client.get(url(escalation, "actions")).content.decode()
    assert "You have added 1 action<" in listed
    assert "First, changed." in listed and "Second." not in listed
    assert client.get(url(escalation, "actions/2")).status_code == 404


def test_answers_survive_going_back_and_signing_in_again_and_are_only_the_authors() -> None:
    people, escalation, client = ready_to_resolve()
    client.post(url(escalation, "decision"), DECISION)
    back = client.get(url(escalation, "decision")).content.decode()
    assert DECISION["decision"] in back and "There is a problem" not in back
    again = signed_in(people.raiser)  # a new session: signed out and back in
    assert DECISION["decided_by"] in again.get(url(escalation, "decision")).content.decode()
    # Checking before every page is answered leads to the first unanswered one.
    assert again.get(url(escalation, "check"))["Location"] == url(escalation, "learning")
    # Another person who may resolve it starts with nothing of the raiser's draft.
    manager = signed_in(people.raiser_manager)
    theirs = manager.get(url(escalation, "decision"))
    if theirs.status_code == 200:
        assert DECISION["decision"] not in theirs.content.decode()
    detail = manager.get(reverse("escalations:detail", args=[escalation.reference]))
    assert DECISION["decision"] not in detail.content.decode()
    # Disposing of the escalation takes the draft with it.
    dispose(escalation, apply=True)
    assert not DecisionDraft.objects.exists()


def test_a_change_to_the_escalation_meanwhile_is_said_and_the_answers_kept() -> None:
    people, escalation, client = ready_to_resolve()
    client.post(url(escalation, "decision"), DECISION)
    client.post(url(escalation, "learning"), DECISION)
    client.post(url(escalation, "actions"), {"add_another": "no"})
    # Someone else acts meanwhile.
    signed_in(people.respondent).post(
        action_url(escalation, "give-rationale"),
        {"expected_version": escalation.version, "rationale": "Threshold not met."},
    )
    escalation.refresh_from_db()
    check = client.get(url(escalation, "check")).content.decode()
    assert "This escalation has changed since you started" in check
    refused = client.post(url(escalation, "check"))
    html = refused.content.decode()
    assert refused.status_code == 200
    assert "Someone else updated this escalation while you were working" in html
    assert title_of(html).startswith("Error: ")
    assert DECISION["decision"] in html
    escalation.refresh_from_db()
    assert escalation.status == Status.OPEN
    # Having seen it, a second press makes the decision.
    assert client.post(url(escalation, "check")).status_code == 302
    escalation.refresh_from_db()
    assert escalation.status == Status.RESOLVED


# Session and person, the escalation, the core's state for the permission (its timeline, stages
# and panel), the draft, the owners to choose (once, whatever the number of actions).
CHECK_PAGE_QUERIES = 11

STEP_PAGES = ("decision", "learning", "actions", "actions/add", "actions/1", "actions/1/remove")


def test_nobody_else_opens_any_page_of_the_journey() -> None:
    people, escalation, client = ready_to_resolve()
    client.post(url(escalation, "actions/add"), action_answers("Mine.", people.raiser, due()))
    pages = (*STEP_PAGES, "check")
    # The side being challenged may see the escalation, but not resolve it alone.
    respondent = signed_in(people.respondent)
    for page in pages:
        for method in (respondent.get, respondent.post):
            answer = method(url(escalation, page))
            assert answer.status_code == 403, page
    assert (
        "cannot close the escalation alone"
        in respondent.get(url(escalation, "decision")).content.decode()
    )
    # Someone of another partnership is not told the escalation exists.
    stranger = signed_in(PersonFactory())
    for page in pages:
        assert stranger.get(url(escalation, page)).status_code == 404, page
        assert stranger.post(url(escalation, page)).status_code == 404, page
    assert Action.objects.count() == 0
    assert client.get(url(escalation, "actions")).status_code == 200


def test_the_respondent_proposes_in_steps_with_learning_optional() -> None:
    people, escalation, _ = ready_to_resolve()
    respondent = signed_in(people.respondent)
    first = respondent.get(url(escalation, "decision", "propose")).content.decode()
    assert first.count("<h1") == 1 and "What do you propose?" in first
    learning = respondent.get(url(escalation, "learning", "propose")).content.decode()
    assert "Learning for the partnership (optional)" in learning
    assert "(optional) (optional)" not in learning
    sent = decide(
        respondent,
        escalation,
        "propose",
        {"decision": "An early help assessment."},
        [action_answers("Start the assessment.", people.respondent, due())],
    )
    assert sent.status_code == 302, sent.content.decode()[:2000]
    escalation.refresh_from_db()
    assert escalation.status == Status.OPEN
    assert (
        "An early help assessment."
        in signed_in(people.raiser)
        .get(reverse("escalations:detail", args=[escalation.reference]))
        .content.decode()
    )


def test_the_check_page_uses_the_same_queries_for_one_action_or_many() -> None:
    people, escalation, client = ready_to_resolve()
    for page in ("decision", "learning"):
        client.post(url(escalation, page), DECISION)
    client.post(url(escalation, "actions"), {"add_another": "no"})
    counts = []
    for number in range(1, 4):
        client.post(
            url(escalation, "actions/add"), action_answers(f"A{number}.", people.raiser, due())
        )
        assert client.get(url(escalation, "check")).status_code == 200  # warm
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url(escalation, "check")).status_code == 200
        counts.append(len(queries))
    assert counts == [CHECK_PAGE_QUERIES] * 3
