"""Home lists, the queue, "My actions" and the escalation page, with query counts pinned."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from escalate.directory.tests.factories import PersonFactory
from escalate.escalations.models import ChronologyEntry, Escalation, Part
from escalate.escalations.tests.factories import (
    ActionFactory,
    ChronologyEntryFactory,
    EscalationFactory,
    ParticipantFactory,
)
from escalate.escalations.tests.views_support import Cast, cast, raise_one, signed_in
from escalate.notifications.models import Channel, Notification

pytestmark = pytest.mark.django_db

HOME_QUERIES = 14
QUEUE_QUERIES = 10
ACTIONS_QUERIES = 9
PAGE_QUERIES = 15  # 3 write the audit row; 1 marks its notices read; 1 lists the evidence


def many(people: Cast, count: int) -> list[Escalation]:
    """`count` escalations the raiser raised, with their manager and actions owned by the raiser."""
    version = people.raiser.partnership.policy_versions.order_by("-number").first()  # type: ignore[union-attr]
    made: list[Any] = []
    for index in range(count):
        escalation = EscalationFactory(
            partnership=people.raiser.partnership,
            policy_version=version,
            raised_by=people.raiser,
            raiser_agency=people.raiser.agency,
            respondent_agency=people.respondent.agency,
            respondent_person=people.respondent,
            stage_due_at=timezone.now() + timedelta(days=index - 2),
        )
        for person, part in [
            (people.raiser, Part.RAISER),
            (people.respondent, Part.RESPONDENT),
            (people.raiser_manager, Part.RAISER_MANAGER),
        ]:
            ParticipantFactory(escalation=escalation, person=person, part=part)
        ActionFactory(
            escalation=escalation,
            owner=people.raiser,
            created_by=people.raiser,
            due_on=timezone.localdate() + timedelta(days=index - 2),
        )
        made.append(escalation)
    return made


def queries_for(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("count", [3, 15])
def test_home_lists_use_a_fixed_number_of_queries(
    count: int, django_assert_max_num_queries: Any
) -> None:
    people = cast()
    made = many(people, count)
    client = signed_in(people.raiser)
    client.get(reverse("home"))  # warm: the process's parsed-policy cache reads a document once
    with django_assert_max_num_queries(HOME_QUERIES):
        response = client.get(reverse("home"))
    html = response.content.decode()
    assert all(escalation.reference in html for escalation in made)
    assert "Raise an escalation" in html
    assert people.raiser.full_name in html and "Testshire School" in html


@pytest.mark.parametrize("count", [3, 15])
def test_the_queue_uses_a_fixed_number_of_queries(
    count: int, django_assert_max_num_queries: Any
) -> None:
    people = cast()
    made = many(people, count)
    client = signed_in(people.raiser_manager)
    client.get(reverse("escalations:queue"))  # warm, as above
    with django_assert_max_num_queries(QUEUE_QUERIES):
        response = client.get(reverse("escalations:queue"))
    html = response.content.decode()
    assert all(escalation.reference in html for escalation in made)
    # Not waiting on the practitioner, so not in their queue.
    assert (
        made[0].reference
        not in signed_in(people.raiser).get(reverse("escalations:queue")).content.decode()
    )


@pytest.mark.parametrize("count", [3, 15])
def test_my_actions_uses_a_fixed_number_of_queries_and_puts_overdue_first(
    count: int, django_assert_max_num_queries: Any
) -> None:
    people = cast()
    many(people, count)
    client = signed_in(people.raiser)
    with django_assert_max_num_queries(ACTIONS_QUERIES):
        response = client.get(reverse("escalations:my_actions"))
    html = response.content.decode()
    today = timezone.localdate()
    assert html.count(">Overdue<") == 2
    # Two days late, then one day late, then the rest by due date.
    two_days_ago = html.index((today - timedelta(days=2)).strftime("%-d %b %Y"))
    yesterday = html.index((today - timedelta(days=1)).strftime("%-d %b %Y"))
    later = html.index(today.strftime("%-d %b %Y"))
    assert html.index(">Overdue<") < two_days_ago < yesterday < later


def test_list_pages_do_not_grow_with_the_number_of_escalations() -> None:
    people = cast()
    many(people, 3)
    urls = [
        (people.raiser, reverse("home")),
        (people.raiser_manager, reverse("escalations:queue")),
        (people.raiser, reverse("escalations:my_actions")),
    ]
    few = [queries_for(signed_in(person), url) for person, url in urls]
    many(people, 12)
    lots = [queries_for(signed_in(person), url) for person, url in urls]
    assert lots == few


@pytest.mark.parametrize("count", [3, 15])
def test_the_escalation_page_uses_a_fixed_number_of_queries(
    count: int, django_assert_max_num_queries: Any
) -> None:
    people = cast()
    escalation = raise_one(people)
    first = ChronologyEntry.objects.filter(escalation=escalation).first()
    for index in range(count):
        ChronologyEntryFactory(escalation=escalation, actor=people.raiser, text=f"Entry {index}")
        ActionFactory(escalation=escalation, owner=people.respondent, created_by=people.raiser)
    ChronologyEntryFactory(escalation=escalation, actor=people.raiser, corrects=first, text="Fixed")
    client = signed_in(people.raiser)
    with django_assert_max_num_queries(PAGE_QUERIES):
        response = client.get(reverse("escalations:detail", args=[escalation.reference]))
    html = response.content.decode()
    assert f"Entry {count - 1}" in html


def test_the_escalation_page_does_not_grow_with_its_timeline() -> None:
    people = cast()
    escalation = raise_one(people)
    url = reverse("escalations:detail", args=[escalation.reference])
    client = signed_in(people.raiser)
    for index in range(3):
        ChronologyEntryFactory(escalation=escalation, actor=people.raiser, text=f"Entry {index}")
        ActionFactory(escalation=escalation, owner=people.respondent, created_by=people.raiser)
    few = queries_for(client, url)
    for index in range(12):
        ChronologyEntryFactory(escalation=escalation, actor=people.respondent, text=f"More {index}")
        ActionFactory(escalation=escalation, owner=people.raiser, created_by=people.raiser)
    assert queries_for(client, url) == few


def test_search_by_reference_opens_only_an_escalation_the_person_may_see() -> None:
    people = cast()
    escalation = raise_one(people)
    client = signed_in(people.raiser)
    found = client.get("/", {"reference": f"  {escalation.reference.lower()} "})
    assert found.status_code == 302
    assert found.url == reverse("escalations:detail", args=[escalation.reference])  # type: ignore[attr-defined]
    missing = client.get("/", {"reference": "NOPE-2026-0001"}).content.decode()
    assert "No escalation you can see has the reference NOPE-2026-0001" in missing
    assert "<title>Error: Home" in missing
    outsider = signed_in(PersonFactory())
    hidden = outsider.get("/", {"reference": escalation.reference})
    assert hidden.status_code == 200  # not a redirect: the outsider may not see it
    assert "No escalation you can see" in hidden.content.decode()
    assert "Enter a reference" in client.get("/", {"reference": " "}).content.decode()
    assert "<title>Home" in client.get("/").content.decode()


def test_an_escalation_appears_in_one_home_list_only() -> None:
    people = cast()
    escalation = raise_one(people)
    page = signed_in(people.raiser).get("/").content.decode()
    assert page.count(reverse("escalations:detail", args=[escalation.reference])) == 1


def test_needs_your_action_says_what_and_by_when_overdue_first_then_following_pages() -> None:
    people = cast(access_roles=["business_manager"])
    made = many(people, 30)  # raised by the raiser; the business manager only follows them
    page = signed_in(people.raiser).get("/").content.decode()
    needs = page[page.index('id="needs-your-action"') : page.index('id="following"')]
    assert "Talk to the other side about the disagreement" in needs or "action agreed" in needs
    assert needs.index(">Overdue<") < needs.index("working day")
    # The business manager follows them all: 25 a page, then the next page, no row twice.
    manager = signed_in(PersonFactory(agency=people.raiser.agency, roles=["business_manager"]))
    first = manager.get("/").content.decode()
    second = manager.get("/", {"page": "2"}).content.decode()
    shown = [e.reference for e in made if e.reference in first.split('id="following"')[1]]
    later = [e.reference for e in made if e.reference in second.split('id="following"')[1]]
    assert len(shown) == 25 and len(later) == 5
    assert not set(shown) & set(later)
    assert "Next" in first and "Previous" in second


def test_following_is_filtered_by_status_agency_stage_and_overdue() -> None:
    people = cast(access_roles=["business_manager"])
    made = many(people, 4)  # due from two days ago: two are overdue
    manager = signed_in(PersonFactory(agency=people.raiser.agency, roles=["business_manager"]))

    def following(**query: str) -> set[str]:
        html = manager.get("/", query).content.decode().split('id="following"')[1]
        return {e.reference for e in made if e.reference in html}

    everything = {e.reference for e in made}
    assert following() == everything
    overdue = following(overdue="1")
    assert {made[0].reference, made[1].reference} <= overdue
    assert made[3].reference not in overdue
    assert following(status="resolved") == set()
    assert following(agency=str(people.raiser.agency_id)) == everything
    assert following(stage="2") == set()
    assert following(stage="nonsense", agency="x") == everything


def test_opening_the_escalation_page_marks_only_its_notices_to_this_person_read() -> None:
    people = cast()
    escalation = raise_one(people)
    other = raise_one(people)
    in_app = Notification.objects.filter(channel=Channel.IN_APP)
    mine = in_app.filter(recipient=people.raiser, escalation=escalation)
    assert mine.filter(read_at=None).exists()
    assert in_app.filter(recipient=people.raiser, escalation=other, read_at=None).exists()
    theirs_unread = in_app.filter(escalation=escalation, read_at=None).exclude(
        recipient=people.raiser
    )
    before = theirs_unread.count()
    response = signed_in(people.raiser).get(
        reverse("escalations:detail", args=[escalation.reference])
    )
    assert response.status_code == 200
    assert not mine.filter(read_at=None).exists()
    assert in_app.filter(recipient=people.raiser, escalation=other, read_at=None).exists()
    assert theirs_unread.count() == before > 0
