"""Who may see an escalation: everyone else gets 404 on every escalation URL and changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from escalate.directory.tests.factories import AgencyFactory, PersonFactory
from escalate.escalations.models import Action, ChronologyEntry, Escalation
from escalate.escalations.tests.factories import ActionFactory
from escalate.escalations.tests.views_support import cast, raise_one, signed_in
from escalate.escalations.views import STAGE_ACTIONS

pytestmark = pytest.mark.django_db


def every_escalation_url(
    escalation: Escalation, action: Action, entry: ChronologyEntry
) -> list[str]:
    reference = escalation.reference
    return [
        reverse("escalations:detail", args=[reference]),
        reverse("escalations:raise_done", args=[reference]),
        reverse("escalations:complete_action", args=[reference, action.pk]),
        reverse("escalations:correct_entry", args=[reference, entry.pk]),
        *[reverse("escalations:stage_action", args=[reference, slug]) for slug in STAGE_ACTIONS],
    ]


def test_a_person_who_may_not_see_an_escalation_gets_404_everywhere_and_changes_nothing() -> None:
    people = cast()
    escalation = raise_one(people)
    action = ActionFactory(escalation=escalation, owner=people.raiser, created_by=people.raiser)
    entry = ChronologyEntry.objects.filter(escalation=escalation).first()
    assert entry is not None
    assert people.raiser.partnership is not None
    # Same partnership, another agency, no part in this escalation and no partnership role.
    outsider = PersonFactory(agency=AgencyFactory(partnership=people.raiser.partnership))
    client = signed_in(outsider)
    before = (
        ChronologyEntry.objects.count(),
        Action.objects.filter(done_at__isnull=False).count(),
        escalation.version,
        escalation.status,
    )
    due = timezone.localdate() + timedelta(days=5)
    post = {
        "expected_version": escalation.version,
        "reason": "x",
        "rationale": "x",
        "message": "x",
        "note": "x",
        "view": "x",
        "correction": "x",
        "description": "x",
        "owner": outsider.pk,
        "due_on_day": due.day,
        "due_on_month": due.month,
        "due_on_year": due.year,
    }
    urls = every_escalation_url(escalation, action, entry)
    assert len(urls) >= 16
    for url in urls:
        assert client.get(url).status_code == 404, url
        unknown = url.replace(escalation.reference, "TST-2026-9999")
        # Pages that only show (GET) refuse a POST the same way whatever the reference.
        assert client.post(url, post).status_code == client.post(unknown, post).status_code, url
        assert client.post(url, post).status_code in (404, 405), url
    escalation.refresh_from_db()
    after = (
        ChronologyEntry.objects.count(),
        Action.objects.filter(done_at__isnull=False).count(),
        escalation.version,
        escalation.status,
    )
    assert after == before


def test_an_unknown_reference_gives_the_same_404() -> None:
    people = cast()
    client = signed_in(people.raiser)
    assert client.get(reverse("escalations:detail", args=["TST-2026-9999"])).status_code == 404
    assert (
        client.get(
            reverse("escalations:stage_action", args=["TST-2026-9999", "withdraw"])
        ).status_code
        == 404
    )


def test_someone_from_another_partnership_gets_404() -> None:
    people = cast()
    escalation = raise_one(people)
    stranger = PersonFactory()
    assert (
        signed_in(stranger)
        .get(reverse("escalations:detail", args=[escalation.reference]))
        .status_code
        == 404
    )


def test_the_raiser_and_the_respondent_see_the_escalation() -> None:
    people = cast()
    escalation = raise_one(people)
    url = reverse("escalations:detail", args=[escalation.reference])
    assert signed_in(people.raiser).get(url).status_code == 200
    assert signed_in(people.respondent).get(url).status_code == 200


def test_buttons_follow_what_the_person_may_do() -> None:
    people = cast()
    escalation = raise_one(people)
    url = reverse("escalations:detail", args=[escalation.reference])
    respondent_page = signed_in(people.respondent).get(url).content.decode()
    raiser_page = signed_in(people.raiser).get(url).content.decode()
    give = reverse("escalations:stage_action", args=[escalation.reference, "give-rationale"])
    assert give in respondent_page
    assert give not in raiser_page


def test_anonymous_visitors_are_sent_to_sign_in() -> None:
    response = Client().get(reverse("escalations:queue"))
    assert response.status_code == 302


def test_the_escalation_page_offers_the_record_for_the_childs_file() -> None:
    people = cast()
    escalation = raise_one(people)
    page = (
        signed_in(people.raiser)
        .get(reverse("escalations:detail", args=[escalation.reference]))
        .content.decode()
    )
    for file_format in ("pdf", "docx"):
        assert (
            reverse("reports:escalation_record", args=[escalation.reference, file_format]) in page
        )
