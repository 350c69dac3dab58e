"""Resolving an escalation one thing per page, on a phone (issue 16, deliver 5): the decision,
learning, two agreed actions added one at a time, check your answers, the resolved escalation.
Every page passes axe-core; the walk's screens and seconds are printed for the record."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from escalate.directory.demo import DemoDirectory
from escalate.escalations import services
from escalate.escalations.models import Escalation
from escalate.web.tests.browser.conftest import Journey
from escalate.web.tests.browser.support import assert_accessible
from escalate.web.tests.browser.test_escalation_journeys import (
    add_actions,
    click_through,
    continue_to,
    go,
    raised_by_amira,
    success,
)

pytestmark = pytest.mark.browser


def _discussed(demo: DemoDirectory) -> Escalation:
    """A Riverside escalation at Stage 1 with a discussion recorded: Amira may resolve it."""
    escalation = raised_by_amira(demo)
    people = demo.people
    services.record_discussion(
        escalation=escalation,
        by=people["amira.khan"],
        expected_version=escalation.version,
        held_on=timezone.localdate(),
        with_whom="Paul Reid",
        method="phone",
        summary="We went through it.",
        outcome="A strategy discussion is agreed.",
    )
    return Escalation.objects.get(pk=escalation.pk)


def test_resolve_on_a_phone_one_thing_per_page_with_two_actions(
    phone_journey: Journey, demo: DemoDirectory
) -> None:
    reference = _discussed(demo).reference
    amira = phone_journey.page_for(demo.people["amira.khan"])
    screens = 0
    started = time.monotonic()
    go(amira, f"/escalations/{reference}/", "escalation page, before resolving")
    screens += 1
    click_through(
        amira,
        amira.get_by_role("link", name="Resolve the escalation").first,
        "Resolve the escalation",
        "resolve: the decision",
    )
    screens += 1
    # Nothing typed: the error summary, and "Error: " in the title.
    amira.get_by_role("button", name="Continue").click()
    expect(amira.locator(".govuk-error-summary")).to_contain_text("Enter what was decided")
    assert amira.title().startswith("Error: ")
    assert_accessible(amira, "resolve: the decision, with an error")
    screens += 1
    amira.get_by_label("What was decided?").fill("Police and social care hold a strategy meeting.")
    amira.get_by_label("Who made the decision?").fill("Amira Khan and Paul Reid")
    continue_to(amira, "Learning for the partnership", "resolve: learning")
    screens += 1
    amira.get_by_label("Learning for the partnership").fill("Disclosures need a strategy meeting.")
    amira.get_by_label("Learning themes (optional)").fill("strategy discussions")
    continue_to(amira, "Agreed actions", "resolve: agreed actions")
    screens += 1
    due = timezone.localdate() + timedelta(days=7)
    add_actions(
        amira,
        [
            ("Hold the strategy meeting", "Paul Reid", due),
            ("Write to the family", "Amira Khan", due + timedelta(days=7)),
        ],
        "resolve",
    )
    screens += 2 * 2 + 1  # each action: its page and the list; then the check page
    answers = amira.locator("main")
    for shown in ("Police and social care", "Hold the strategy meeting", "Write to the family"):
        expect(answers).to_contain_text(shown)
    click_through(
        amira,
        amira.get_by_role("button", name="Resolve"),
        re.compile(reference),
        "escalation page, resolved",
    )
    screens += 1
    seconds = time.monotonic() - started
    success(amira, "The escalation has been resolved.")
    expect(amira.get_by_role("heading", level=1)).to_contain_text("Resolved")
    expect(answers).to_contain_text("Hold the strategy meeting")
    expect(answers).to_contain_text("Write to the family")
    print(f"\nresolve walk at 390x844: {screens} screens in {seconds:.1f} s")
