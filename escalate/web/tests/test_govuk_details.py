"""GOV.UK details every page shares: titles, times, phone numbers, the header before 2FA."""

from __future__ import annotations

import re
from datetime import date, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from escalate.directory.tests.factories import TEST_PASSWORD, PartnershipFactory, PersonFactory
from escalate.escalations.tests.views_support import cast, raise_one, signed_in
from escalate.policies.calendar import LONDON, govuk_date, govuk_date_time, govuk_time

pytestmark = pytest.mark.django_db

ACTION_PAGES = ["record-discussion", "request-rationale", "pause", "withdraw", "add-view"]


def title_of(html: str) -> str:
    found = re.search(r"<title>(.*?)</title>", html, re.S)
    assert found is not None
    return found.group(1).strip()


@pytest.mark.parametrize(
    ("moment", "written"),
    [
        (datetime(2027, 1, 5, 23, 59, tzinfo=LONDON), "5 January 2027, 11:59pm"),
        (datetime(2027, 1, 5, 1, 33, tzinfo=LONDON), "5 January 2027, 1:33am"),
        (datetime(2027, 1, 5, 9, 0, tzinfo=LONDON), "5 January 2027, 9am"),
        (datetime(2027, 1, 5, 12, 0, tzinfo=LONDON), "5 January 2027, midday"),
        (datetime(2027, 1, 5, 0, 0, tzinfo=LONDON), "5 January 2027, midnight"),
    ],
)
def test_times_are_written_in_govuk_style(moment: datetime, written: str) -> None:
    assert govuk_date_time(moment) == written
    assert govuk_time(moment) == written.split(", ")[1]
    assert govuk_date(date(2027, 1, 5), short_month=True) == "5 Jan 2027"


def test_an_action_form_says_error_in_its_title_only_when_there_is_an_error() -> None:
    people = cast()
    escalation = raise_one(people)
    client = signed_in(people.raiser)
    for slug in ACTION_PAGES:
        url = reverse("escalations:stage_action", args=[escalation.reference, slug])
        page = client.get(url)
        if page.status_code != 200:
            continue
        title = title_of(page.content.decode())
        assert not title.startswith("Error:"), (slug, title)
        assert title.endswith("\N{EN DASH} Escalate"), (slug, title)
    url = reverse("escalations:stage_action", args=[escalation.reference, "record-discussion"])
    refused = client.post(url, {"expected_version": escalation.version})
    assert title_of(refused.content.decode()).startswith("Error: ")


def test_every_title_ends_with_the_service_name() -> None:
    people = cast()
    escalation = raise_one(people)
    client = signed_in(people.raiser)
    for url in ["/", reverse("escalations:detail", args=[escalation.reference])]:
        assert title_of(client.get(url).content.decode()).endswith("\N{EN DASH} Escalate")


def test_a_date_question_gets_an_error_that_reads_as_govuk_asks() -> None:
    people = cast()
    escalation = raise_one(people)
    url = reverse("escalations:stage_action", args=[escalation.reference, "record-discussion"])
    html = signed_in(people.raiser).post(url, {"expected_version": escalation.version})
    text = html.content.decode()
    assert "Enter the date of the discussion" in text
    assert "Enter when did" not in text


def test_the_escalation_page_writes_its_times_the_govuk_way() -> None:
    people = cast()
    escalation = raise_one(people)
    html = signed_in(people.raiser).get(escalation.get_absolute_url()).content.decode()
    assert "11:59pm" in html
    assert "p.m." not in html and "a.m." not in html


def test_999_and_the_front_door_are_tap_to_call() -> None:
    partnership = PartnershipFactory(
        front_door_name="the Front Door", front_door_phone="0300 000 0000"
    )
    person = PersonFactory(partnership=partnership)
    html = signed_in(person).get("/").content.decode()
    assert '<a class="govuk-link" href="tel:999">999</a>' in html
    assert 'href="tel:03000000000">0300 000 0000</a>' in html


def test_the_header_shows_no_menu_or_counts_before_the_second_factor(settings) -> None:
    settings.ESCALATE_REQUIRE_MFA = True
    person = PersonFactory()
    client = Client()
    client.post("/sign-in/", {"username": person.email, "password": TEST_PASSWORD})
    page = client.get("/", follow=True).content.decode()
    assert "Two-factor" in page or "authenticator" in page
    assert 'aria-label="Menu"' not in page
    assert "Notifications" not in page and "Raise an escalation" not in page
    assert "Sign out" in page


def test_nothing_says_e_hyphen_mail() -> None:
    people = cast()
    html = signed_in(people.raiser).get(reverse("escalations:raise_start"), follow=True)
    assert "e-mail" not in html.content.decode().lower()


def test_seed_demo_ends_with_a_table_of_people_and_a_first_journey(settings) -> None:
    settings.SITE_URL = "http://127.0.0.1:8123"
    out = StringIO()
    call_command("seed_demo", stdout=out)
    text = out.getvalue()
    assert re.search(r"Name\s+Agency\s+Role", text)
    assert re.search(r"Amira Khan\s+Riverside Primary School\s+Class teacher", text)
    assert "A first journey to try" in text and "Raise:" in text and "Respond:" in text
    assert "Manage:" in text
    assert text.rstrip().endswith("Sign in at http://127.0.0.1:8123")
