""" "What you need to do" opens the escalation page, worked out for the person reading it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from escalate.directory.tests.factories import PersonFactory
from escalate.escalations.models import Escalation
from escalate.escalations.tests.test_views_stage import action_url, discussion
from escalate.escalations.tests.views_support import cast, raise_one, signed_in

pytestmark = pytest.mark.django_db


def detail(person: object, escalation: Escalation) -> str:
    response = signed_in(person).get(  # type: ignore[arg-type]
        reverse("escalations:detail", args=[escalation.reference])
    )
    assert response.status_code == 200
    return response.content.decode()


def next_step_of(html: str) -> str:
    start = html.index('id="what-you-need-to-do"')
    return html[start : html.index("</section>", start)]


def test_what_you_need_to_do_comes_first_and_the_timeline_is_collapsible() -> None:
    people = cast()
    escalation = raise_one(people)
    html = detail(people.raiser, escalation)
    assert html.index("What you need to do") < html.index("About this escalation")
    assert html.index("What you need to do") < html.index("Current stage")
    assert '<details class="govuk-details app-timeline-details" id="timeline">' in html


def test_the_raiser_is_told_to_record_the_discussion_first_and_why_escalate_is_not_offered() -> (
    None
):
    people = cast()
    escalation = raise_one(people)
    step = next_step_of(detail(people.raiser, escalation))
    assert "record the discussion" in step
    assert "Record a discussion" in step  # the button that does it
    assert "working day" in step
    assert "<strong>Escalate</strong> is not offered" in step
    assert "Before you escalate, record a discussion" in step
    assert "<strong>Resolve</strong> is not offered" in step


def test_once_the_discussion_is_recorded_escalate_and_resolve_are_offered() -> None:
    people = cast()
    escalation = raise_one(people)
    yesterday = timezone.localdate() - timedelta(days=1)
    signed_in(people.raiser).post(
        action_url(escalation, "record-discussion"), discussion(yesterday, escalation.version)
    )
    escalation.refresh_from_db()
    step = next_step_of(detail(people.raiser, escalation))
    assert "is not offered" not in step
    assert "Agree a resolution, or escalate it to the next stage" in step
    assert "Resolve the escalation" in step


def test_the_respondent_sees_the_question_asked_and_the_guidance_for_the_subject() -> None:
    people = cast()
    escalation = raise_one(people)
    signed_in(people.raiser).post(
        action_url(escalation, "request-rationale"),
        {"expected_version": escalation.version, "message": "Why was the referral closed?"},
    )
    escalation.refresh_from_db()
    step = next_step_of(detail(people.respondent, escalation))
    assert "Give your rationale in writing" in step
    assert "Why was the referral closed?" in step
    assert "The question asked" in step
    assert "If you&#x27;re the subject of escalation" in step
    assert "Treat it professionally, not personally." in step
    assert "Barriers to escalating" in step
    # The side being challenged is told why it cannot resolve alone.
    assert "cannot close the escalation alone" in step
    # The form that answers shows the question too.
    form = signed_in(people.respondent).get(action_url(escalation, "give-rationale"))
    assert "Why was the referral closed?" in form.content.decode()


def test_a_reader_with_nothing_to_do_is_told_so() -> None:
    people = cast(access_roles=["business_manager"])
    escalation = raise_one(people)
    reader = PersonFactory(agency=people.raiser.agency, roles=["business_manager"])
    step = next_step_of(detail(reader, escalation))
    assert "Nothing is asked of you now" in step
    assert "is not offered" not in step


def test_an_agreed_actions_fields_are_not_marked_optional() -> None:
    people = cast()
    escalation = raise_one(people)
    yesterday = timezone.localdate() - timedelta(days=1)
    signed_in(people.raiser).post(
        action_url(escalation, "record-discussion"), discussion(yesterday, escalation.version)
    )
    client = signed_in(people.raiser)
    add = f"/escalations/{escalation.reference}/resolve/actions/add/"
    html = client.get(add).content.decode()
    assert "Add an action" in html
    for label in ("What is the action?", "Who owns it?", "When is it due?"):
        assert label in html
        assert f"{label} (optional)" not in html
