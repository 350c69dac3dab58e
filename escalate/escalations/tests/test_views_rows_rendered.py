"""What the cheaper row rendering (issue 22) must keep: the same links and the same notes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format

from escalate.escalations.models import ChronologyEntry, EntryKind
from escalate.escalations.templatetags.escalation_tags import detail_url
from escalate.escalations.tests.views_support import cast, raise_one, signed_in


@pytest.mark.parametrize(
    "reference", ["RIV-2026-0001", "A B", "x%y", "é-1", "a:b@c~d", "a?b#c", "<x>&'\""]
)
def test_a_rows_link_is_what_reverse_gives(reference: str) -> None:
    assert detail_url(reference) == reverse("escalations:detail", args=[reference])


@pytest.mark.parametrize("reference", ["", "a/b"])
def test_a_reference_the_route_does_not_match_is_refused_as_reverse_refuses_it(
    reference: str,
) -> None:
    with pytest.raises(NoReverseMatch):
        detail_url(reference)


@pytest.mark.django_db
def test_the_timeline_says_when_an_entry_was_recorded_only_when_it_was_recorded_later() -> None:
    people = cast()
    escalation = raise_one(people)
    recorded = timezone.now()
    ChronologyEntry.objects.create(
        escalation=escalation,
        kind=EntryKind.DISCUSSION,
        actor=people.raiser,
        stage_key=escalation.current_stage_key,
        occurred_at=recorded - timedelta(days=3),
        recorded_at=recorded,
        text="We spoke on the phone.",
    )
    page = signed_in(people.raiser).get(reverse("escalations:detail", args=[escalation.reference]))
    assert page.status_code == 200
    html = page.content.decode()
    when = date_format(timezone.localtime(recorded), "j F Y")
    # The discussion, recorded three days after it happened; the raise, in the same minute.
    assert html.count(" · recorded ") == 1
    assert f" · recorded {when}</p>" in html
