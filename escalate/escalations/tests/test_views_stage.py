"""Stage action pages: each posts to one service; a refusal shows in the error summary."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from escalate.directory.models import Level
from escalate.directory.tests.factories import PersonFactory
from escalate.escalations.models import Action, ChronologyEntry, EntryKind, Escalation, Status
from escalate.escalations.tests.views_support import cast, decide, raise_one, signed_in

pytestmark = pytest.mark.django_db


def action_url(escalation: Escalation, slug: str) -> str:
    return reverse("escalations:stage_action", args=[escalation.reference, slug])


def discussion(held_on: object, version: int, **changes: str) -> dict[str, object]:
    day = held_on.day  # type: ignore[attr-defined]
    data: dict[str, object] = {
        "expected_version": version,
        "held_on_day": str(day),
        "held_on_month": str(held_on.month),  # type: ignore[attr-defined]
        "held_on_year": str(held_on.year),  # type: ignore[attr-defined]
        "with_whom": "Sam and Alex's teacher",
        "method": "phone",
        "summary": "We went through the referral together.",
        "outcome": "Agreed to review the decision.",
    }
    data.update(changes)
    return data


def test_the_escalation_page_shows_stage_deadline_next_steps_people_and_timeline() -> None:
    people = cast()
    escalation = raise_one(people)
    page = signed_in(people.raiser).get(reverse("escalations:detail", args=[escalation.reference]))
    html = page.content.decode()
    assert page.status_code == 200
    assert escalation.reference in html
    assert "Stage 1" in html
    assert "What to do at stage 1." in html
    assert "working day" in html
    assert people.respondent.full_name in html
    assert "Raised" in html
    assert "Record a discussion" in html


def test_a_discussion_is_recorded_and_appears_on_the_timeline() -> None:
    people = cast()
    escalation = raise_one(people)
    client = signed_in(people.raiser)
    yesterday = timezone.localdate() - timedelta(days=1)
    response = client.post(
        action_url(escalation, "record-discussion"), discussion(yesterday, escalation.version)
    )
    assert response.status_code == 302
    assert ChronologyEntry.objects.filter(escalation=escalation, kind=EntryKind.DISCUSSION).exists()
    page = client.get(reverse("escalations:detail", args=[escalation.reference])).content.decode()
    assert "We went through the referral together." in page
    assert "Phone call" in page and "Agreed to review the decision." in page


def test_a_discussion_dated_in_the_future_is_refused_and_the_text_kept() -> None:
    people = cast()
    escalation = raise_one(people)
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = signed_in(people.raiser).post(
        action_url(escalation, "record-discussion"), discussion(tomorrow, escalation.version)
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html
    assert "must be today or in the past" in html
    assert "We went through the referral together." in html
    assert 'value="Sam and Alex&#x27;s teacher"' in html
    assert not ChronologyEntry.objects.filter(kind=EntryKind.DISCUSSION).exists()


def test_an_empty_rationale_is_refused() -> None:
    people = cast()
    escalation = raise_one(people)
    response = signed_in(people.respondent).post(
        action_url(escalation, "give-rationale"),
        {"expected_version": escalation.version, "rationale": "   "},
    )
    html = response.content.decode()
    assert "Enter your rationale" in html and "govuk-error-summary" in html
    assert not ChronologyEntry.objects.filter(kind=EntryKind.RATIONALE).exists()


def test_the_respondent_gives_a_rationale() -> None:
    people = cast()
    escalation = raise_one(people)
    response = signed_in(people.respondent).post(
        action_url(escalation, "give-rationale"),
        {"expected_version": escalation.version, "rationale": "Threshold not met."},
    )
    assert response.status_code == 302
    assert ChronologyEntry.objects.filter(
        kind=EntryKind.RATIONALE, text__contains="Threshold"
    ).exists()


def test_acting_on_a_closed_escalation_is_refused_with_the_text_kept() -> None:
    people = cast()
    escalation = raise_one(people)
    client = signed_in(people.raiser)
    withdrawn = client.post(
        action_url(escalation, "withdraw"),
        {"expected_version": escalation.version, "reason": "Resolved informally."},
    )
    assert withdrawn.status_code == 302
    escalation.refresh_from_db()
    assert escalation.status == Status.WITHDRAWN
    yesterday = timezone.localdate() - timedelta(days=1)
    response = client.post(
        action_url(escalation, "record-discussion"), discussion(yesterday, escalation.version)
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "govuk-error-summary" in html
    assert "closed" in html.lower() or "withdrawn" in html.lower()
    assert "We went through the referral together." in html
    assert not ChronologyEntry.objects.filter(kind=EntryKind.DISCUSSION).exists()


def test_a_stale_version_is_refused_with_the_text_kept_and_a_second_try_works() -> None:
    people = cast()
    escalation = raise_one(people)
    seen_version = escalation.version
    client = signed_in(people.raiser)
    yesterday = timezone.localdate() - timedelta(days=1)
    # Someone else acts first.
    signed_in(people.respondent).post(
        action_url(escalation, "give-rationale"),
        {"expected_version": seen_version, "rationale": "Threshold not met."},
    )
    escalation.refresh_from_db()
    assert escalation.version != seen_version
    response = client.post(
        action_url(escalation, "record-discussion"),
        discussion(yesterday, seen_version, summary="My careful notes."),
    )
    html = response.content.decode()
    assert "Someone else updated this escalation while you were working" in html
    assert "My careful notes." in html
    assert f'value="{escalation.version}"' in html
    again = client.post(
        action_url(escalation, "record-discussion"),
        discussion(yesterday, escalation.version, summary="My careful notes."),
    )
    assert again.status_code == 302


def test_an_action_owner_from_another_partnership_is_refused() -> None:
    people = cast()
    escalation = raise_one(people)
    outsider = PersonFactory()
    due = timezone.localdate() + timedelta(days=10)
    response = signed_in(people.raiser).post(
        action_url(escalation, "add-action"),
        {
            "description": "Hold a strategy meeting.",
            "owner": outsider.pk,
            "due_on_day": due.day,
            "due_on_month": due.month,
            "due_on_year": due.year,
        },
    )
    html = response.content.decode()
    assert "Choose an owner from this partnership" in html
    assert "Hold a strategy meeting." in html
    assert not Action.objects.exists()


def test_an_action_is_marked_done_by_its_owner() -> None:
    people = cast()
    escalation = raise_one(people)
    due = timezone.localdate() + timedelta(days=3)
    client = signed_in(people.raiser)
    client.post(
        action_url(escalation, "add-action"),
        {
            "description": "Call the GP.",
            "owner": people.raiser.pk,
            "due_on_day": due.day,
            "due_on_month": due.month,
            "due_on_year": due.year,
        },
    )
    action = Action.objects.get()
    url = reverse("escalations:complete_action", args=[escalation.reference, action.pk])
    assert "Enter what was done" in client.post(url, {"note": ""}).content.decode()
    assert client.post(url, {"note": "Called on Tuesday."}).status_code == 302
    action.refresh_from_db()
    assert action.done_at is not None


def test_a_timeline_entry_is_corrected_by_a_new_entry() -> None:
    people = cast()
    escalation = raise_one(people)
    client = signed_in(people.raiser)
    original = ChronologyEntry.objects.filter(escalation=escalation).order_by("pk").first()
    assert original is not None
    url = reverse("escalations:correct_entry", args=[escalation.reference, original.pk])
    assert "Enter the correction" in client.post(url, {"correction": ""}).content.decode()
    assert client.post(url, {"correction": "The date was the 3rd."}).status_code == 302
    correction = ChronologyEntry.objects.get(corrects=original)
    page = client.get(reverse("escalations:detail", args=[escalation.reference])).content.decode()
    assert "The date was the 3rd." in page
    assert f'href="#entry-{original.pk}"' in page and f'href="#entry-{correction.pk}"' in page


def test_an_escalation_goes_to_the_panel_stage_where_the_chair_convenes_a_panel() -> None:
    people = cast(stage_count=2, access_roles=["business_manager", "partnership_chair"])
    escalation = raise_one(people)
    raiser = signed_in(people.raiser)
    yesterday = timezone.localdate() - timedelta(days=1)
    raiser.post(
        action_url(escalation, "record-discussion"), discussion(yesterday, escalation.version)
    )
    escalation.refresh_from_db()
    response = raiser.post(
        action_url(escalation, "escalate"),
        {"expected_version": escalation.version, "reason": "No agreement at stage 1."},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    escalation.refresh_from_db()
    assert escalation.current_stage_key == "stage_2"

    chair = PersonFactory(
        agency=people.raiser.agency, level=Level.STRATEGIC, roles=["partnership_chair"]
    )
    client = signed_in(chair)
    page = client.get(reverse("escalations:detail", args=[escalation.reference])).content.decode()
    assert action_url(escalation, "convene-panel") in page
    form = client.get(action_url(escalation, "convene-panel")).content.decode()
    assert "at least 2 agencies" in form
    # Only one agency's people: the policy's agency rule is shown against the members field.
    one_agency = client.post(
        action_url(escalation, "convene-panel"),
        {"expected_version": escalation.version, "members": [people.raiser_manager.pk]},
    )
    html = one_agency.content.decode()
    assert "The panel must include people from at least 2 agencies." in html
    assert 'href="#id_members"' in html
    # Both managers handled it at stage 1's escalation: the chair gives a reason to seat them.
    handled = client.post(
        action_url(escalation, "convene-panel"),
        {
            "expected_version": escalation.version,
            "members": [people.raiser_manager.pk, people.respondent_manager.pk],
        },
    )
    assert "confirm why they should sit on the panel" in handled.content.decode()
    convened = client.post(
        action_url(escalation, "convene-panel"),
        {
            "expected_version": escalation.version,
            "members": [people.raiser_manager.pk, people.respondent_manager.pk],
            "handled_reason": "Both managers know the case; no one else is free this week.",
        },
    )
    assert convened.status_code == 302, convened.content.decode()[:3000]
    escalation.refresh_from_db()
    assert escalation.respondent_agency is not None
    represented = client.post(
        action_url(escalation, "representation"),
        {
            "expected_version": escalation.version,
            "agency": escalation.respondent_agency.pk,
            "summary": "Our threshold decision stands.",
        },
    )
    assert represented.status_code == 302, represented.content.decode()[:3000]
    escalation.refresh_from_db()
    decided = decide(
        client,
        escalation,
        "panel-decision",
        {
            "decision": "Reopen the case.",
            "members_present": [people.raiser_manager.pk, people.respondent_manager.pk],
            "learning": "Explain thresholds in writing.",
            "learning_themes": "thresholds",
        },
    )
    assert decided.status_code == 302, decided.content.decode()[:3000]
    escalation.refresh_from_db()
    assert escalation.status == Status.RESOLVED
    timeline = client.get(reverse("escalations:detail", args=[escalation.reference]))
    html = timeline.content.decode()
    for text in ("Resolution Panel convened", "Our threshold decision stands.", "Reopen the case."):
        assert text in html


def test_pause_and_resume_need_a_reason() -> None:
    people = cast()
    escalation = raise_one(people)
    client = signed_in(people.raiser)
    empty = client.post(action_url(escalation, "pause"), {"expected_version": escalation.version})
    assert "Enter the reason" in empty.content.decode()
    paused = client.post(
        action_url(escalation, "pause"),
        {"expected_version": escalation.version, "reason": "Waiting for a strategy meeting."},
    )
    assert paused.status_code == 302
    escalation.refresh_from_db()
    assert escalation.status == Status.PAUSED
    page = client.get(reverse("escalations:detail", args=[escalation.reference])).content.decode()
    assert action_url(escalation, "resume") in page
    assert action_url(escalation, "pause") not in page
    client.post(
        action_url(escalation, "resume"),
        {"expected_version": escalation.version, "reason": "Meeting held."},
    )
    escalation.refresh_from_db()
    assert escalation.status == Status.OPEN


def test_an_overdue_stage_is_shown_in_red_on_the_escalation_page() -> None:
    people = cast()
    escalation = raise_one(people)
    Escalation.objects.filter(pk=escalation.pk).update(
        stage_due_at=timezone.now() - timedelta(days=3)
    )
    page = signed_in(people.raiser).get(reverse("escalations:detail", args=[escalation.reference]))
    assert "govuk-tag--red" in page.content.decode()
    assert ">Overdue<" in page.content.decode()


def test_the_raiser_asks_for_the_rationale_in_writing() -> None:
    people = cast()
    escalation = raise_one(people)
    response = signed_in(people.raiser).post(
        action_url(escalation, "request-rationale"),
        {"expected_version": escalation.version, "message": "Please explain the closure."},
    )
    assert response.status_code == 302
    assert ChronologyEntry.objects.filter(kind=EntryKind.RATIONALE_REQUESTED).exists()


def test_an_iro_adds_their_view_and_an_empty_view_is_refused() -> None:
    people = cast(access_roles=["business_manager", "iro"])
    escalation = raise_one(people, looked_after=True)
    iro = PersonFactory(agency=people.respondent.agency, roles=["iro"])
    client = signed_in(iro)
    page = client.get(reverse("escalations:detail", args=[escalation.reference])).content.decode()
    assert action_url(escalation, "add-view") in page
    assert (
        "Enter your view"
        in client.post(action_url(escalation, "add-view"), {"view": ""}).content.decode()
    )
    added = client.post(action_url(escalation, "add-view"), {"view": "The plan needs review."})
    assert added.status_code == 302
    assert ChronologyEntry.objects.filter(kind=EntryKind.VIEW, actor=iro).exists()


def test_a_stage_action_form_posts_back_to_its_own_address_with_its_query() -> None:
    # A query on the page's address survives the post; see also the raise pages.
    people = cast()
    escalation = raise_one(people)
    client = signed_in(people.raiser)
    url = action_url(escalation, "pause") + "?from=home"
    html = client.get(url).content.decode()
    assert f'<form method="post" action="{url}"' in html


def test_pause_asks_for_a_review_date_and_keeps_the_one_given() -> None:
    from escalate.policies import calendar

    people = cast()
    escalation = raise_one(people)
    client = signed_in(people.raiser)
    form = client.get(action_url(escalation, "pause")).content.decode()
    assert "When will the pause be reviewed?" in form
    review_on = calendar.add_working_days(timezone.localdate(), 1, "england")
    paused = client.post(
        action_url(escalation, "pause"),
        {
            "expected_version": escalation.version,
            "reason": "Waiting for a strategy meeting.",
            "review_on_day": str(review_on.day),
            "review_on_month": str(review_on.month),
            "review_on_year": str(review_on.year),
        },
    )
    assert paused.status_code == 302
    entry = ChronologyEntry.objects.get(escalation=escalation, kind=EntryKind.PAUSED)
    assert entry.data["review_on"] == review_on.isoformat()
