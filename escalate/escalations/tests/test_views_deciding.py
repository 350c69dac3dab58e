"""Who decides, on the pages: the side being challenged proposes, the raiser's side accepts or
declines with a reason, and a resolved escalation can be reopened (issue 15)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from escalate.escalations.models import EntryKind, Escalation, Status
from escalate.escalations.tests.test_views_stage import action_url, discussion
from escalate.escalations.tests.views_support import cast, decide, raise_one, signed_in

pytestmark = pytest.mark.django_db


def page_of(client: object, escalation: Escalation) -> str:
    detail = reverse("escalations:detail", args=[escalation.reference])
    return client.get(detail).content.decode()  # type: ignore[attr-defined]


def test_the_respondent_proposes_and_the_raiser_sees_it_and_accepts() -> None:
    people = cast()
    escalation = raise_one(people)
    raiser, respondent = signed_in(people.raiser), signed_in(people.respondent)
    raiser.post(
        action_url(escalation, "record-discussion"),
        discussion(timezone.localdate(), escalation.version, outcome="We disagree."),
    )
    escalation.refresh_from_db()
    # The side being challenged is offered a proposal, never "Resolve the escalation".
    theirs = page_of(respondent, escalation)
    assert action_url(escalation, "resolve") not in theirs
    assert action_url(escalation, "propose") in theirs
    refused = decide(
        respondent,
        escalation,
        "resolve",
        {"decision": "No further action stands.", "decided_by": "Me", "learning": "None"},
    )
    assert refused.status_code == 403
    assert "cannot close the escalation alone" in refused.content.decode()
    escalation.refresh_from_db()
    assert escalation.status == Status.OPEN

    empty = decide(respondent, escalation, "propose", {})
    assert "Enter the resolution you propose" in empty.content.decode()
    sent = decide(
        respondent,
        escalation,
        "propose",
        {"decision": "An early help assessment within two weeks."},
    )
    assert sent.status_code == 302, sent.content.decode()[:2000]
    escalation.refresh_from_db()
    assert escalation.status == Status.OPEN
    ours = page_of(raiser, escalation)
    assert "Proposed resolution" in ours
    assert "An early help assessment within two weeks." in ours
    assert action_url(escalation, "accept") in ours
    assert action_url(escalation, "decline") in ours
    answer = raiser.get(action_url(escalation, "accept")).content.decode()
    assert "An early help assessment within two weeks." in answer
    accepted = raiser.post(
        action_url(escalation, "accept"), {"expected_version": escalation.version}
    )
    assert accepted.status_code == 302
    escalation.refresh_from_db()
    assert escalation.status == Status.RESOLVED
    assert escalation.decision == "An early help assessment within two weeks."
    # The raiser may reopen it; the respondent may not.
    assert action_url(escalation, "reopen") in page_of(raiser, escalation)
    assert action_url(escalation, "reopen") not in page_of(respondent, escalation)


def test_the_raiser_declines_with_a_reason_and_escalates() -> None:
    people = cast()
    escalation = raise_one(people)
    raiser, respondent = signed_in(people.raiser), signed_in(people.respondent)
    raiser.post(
        action_url(escalation, "record-discussion"),
        discussion(timezone.localdate(), escalation.version),
    )
    escalation.refresh_from_db()
    decide(respondent, escalation, "propose", {"decision": "No further action."})
    escalation.refresh_from_db()
    no_reason = raiser.post(
        action_url(escalation, "decline"),
        {"expected_version": escalation.version, "next_step": "escalate"},
    )
    assert "Enter why you decline the resolution" in no_reason.content.decode()
    declined = raiser.post(
        action_url(escalation, "decline"),
        {
            "expected_version": escalation.version,
            "reason": "The child is still hungry every day.",
            "next_step": "escalate",
        },
    )
    assert declined.status_code == 302, declined.content.decode()[:2000]
    escalation.refresh_from_db()
    assert escalation.current_stage_key == "stage_2"
    assert escalation.chronology.filter(kind=EntryKind.RESOLUTION_DECLINED).exists()
    assert "The child is still hungry every day." in page_of(raiser, escalation)


def test_a_pause_has_a_review_date_within_the_policys_limit() -> None:
    people = cast()
    escalation = raise_one(people)
    raiser = signed_in(people.raiser)
    too_late = timezone.localdate() + timedelta(days=60)
    refused = raiser.post(
        action_url(escalation, "pause"),
        {
            "expected_version": escalation.version,
            "reason": "Waiting for a strategy meeting.",
            "review_on_day": too_late.day,
            "review_on_month": too_late.month,
            "review_on_year": too_late.year,
        },
    )
    assert "no later than" in refused.content.decode()
    tomorrow = timezone.localdate() + timedelta(days=1)
    paused = raiser.post(
        action_url(escalation, "pause"),
        {
            "expected_version": escalation.version,
            "reason": "Waiting for a strategy meeting.",
            "review_on_day": tomorrow.day,
            "review_on_month": tomorrow.month,
            "review_on_year": tomorrow.year,
        },
    )
    assert paused.status_code == 302, paused.content.decode()[:2000]
    entry = escalation.chronology.get(kind=EntryKind.PAUSED)
    assert entry.data["review_on"] == tomorrow.isoformat()
