"""On a phone (390x844), "What you need to do" is above the fold for every part of an escalation.

Issue 16, item 7: before, it started about 1,090 px down the page. Each person of an escalation
opens its page signed in as themselves; the heading and the first thing asked of them must show
without scrolling, and the page passes axe.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from escalate.directory.demo import DemoDirectory
from escalate.escalations import services
from escalate.escalations.models import Escalation, Participant
from escalate.web.tests.browser.conftest import Journey
from escalate.web.tests.browser.support import assert_accessible
from escalate.web.tests.browser.test_escalation_journeys import _at_stage_4

pytestmark = pytest.mark.browser

FOLD = 844  # the phone's viewport height


@pytest.fixture
def phone_journey(
    request: pytest.FixtureRequest, browser: Browser, live_server: LiveServer
) -> Iterator[Journey]:
    journey = Journey(request, browser, live_server, "phone")
    yield journey
    journey.close()


def _bottom_of(page: Page, selector: str) -> float:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return float(box["y"] + box["height"])


def _check_above_the_fold(journey: Journey, person: object, reference: str, part: str) -> None:
    page = journey.page_for(person)  # type: ignore[arg-type]
    page.goto(f"/escalations/{reference}/")
    assert_accessible(page, f"escalation page ({part}, phone)")
    heading = page.get_by_role("heading", name="What you need to do", level=2)
    expect(heading).to_be_visible()
    assert page.evaluate("window.scrollY") == 0
    assert _bottom_of(page, "#what-you-need-to-do") < FOLD, part
    # The first thing said under it (the first task, or that nothing is asked) shows too.
    first = ".app-next-step__task p, .app-next-step > p.govuk-body"
    assert _bottom_of(page, first) < FOLD, part


def test_what_you_need_to_do_is_above_the_fold_for_every_part(
    phone_journey: Journey, demo: DemoDirectory
) -> None:
    at_stage_4 = _at_stage_4(demo)
    people = demo.people
    # A second escalation, one stage in: the raiser, the respondent and both sides' managers.
    first = Escalation.objects.get(pk=at_stage_4.pk)  # at Stage 4: the chair decides
    escalation = services.raise_escalation(
        by=people["amira.khan"],
        details=services.RaiseDetails(
            respondent_agency=people["paul.reid"].agency,  # type: ignore[arg-type]
            respondent_person=people["paul.reid"],
            subject_name="Sky Specimen",
            case_references="Fictitious",
            categories=["need_for_action"],
            disputed="The referral was closed.",
            risk="Neglect continues.",
            outcome_wanted="A strategy discussion.",
            already_tried="Spoke to the officer.",
        ),
    )
    services.record_discussion(
        escalation=escalation,
        by=people["amira.khan"],
        expected_version=escalation.version,
        held_on=timezone.localdate(),
        with_whom="The officer",
        method="phone",
        summary="We went through it.",
        outcome="Not resolved.",
    )
    escalation = Escalation.objects.get(pk=escalation.pk)
    services.escalate_to_next_stage(
        escalation=escalation,
        by=people["amira.khan"],
        expected_version=escalation.version,
        reason="Not resolved at this stage.",
    )
    escalation = Escalation.objects.get(pk=escalation.pk)
    services.request_rationale(
        escalation=escalation,
        by=people["amira.khan"],
        expected_version=escalation.version,
        message="Why was the referral closed?",
    )
    parts = dict(
        Participant.objects.filter(
            escalation=escalation,
            stage_key__in=["", escalation.current_stage_key],
        ).values_list("part", "person__email")
    )
    parts.update(
        Participant.objects.filter(
            escalation=escalation, part__in=["raiser", "respondent"]
        ).values_list("part", "person__email")
    )
    assert {"raiser", "respondent", "raiser_manager", "respondent_manager"} <= set(parts)
    for part in ("raiser", "respondent", "raiser_manager", "respondent_manager"):
        person = next(p for p in people.values() if p.email == parts[part])
        _check_above_the_fold(phone_journey, person, escalation.reference, part)
    respondent_page = phone_journey.page_for(people["paul.reid"])
    expect(respondent_page.locator(".app-next-step")).to_contain_text(
        "Why was the referral closed?"
    )
    # Stage 4 of the other: the partnership chair decides.
    _check_above_the_fold(phone_journey, people["will.young"], first.reference, "chair")
    expect(phone_journey.page_for(people["will.young"]).locator(".app-next-step")).to_contain_text(
        "convene a Resolution Panel"
    )
