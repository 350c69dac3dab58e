"""A manager chooses one email a day on a phone (390x844), and reads it (issue 16).

Rosa Singh (a police line manager in the demo) chooses the daily email in her notification
settings. An escalation about her decision is raised and discussed: the notices show in
Escalate at once, the emails wait; the daily email lists the escalation once, with what is
asked of her, by when, and one link, and never the child's name.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from escalate.directory.demo import DemoDirectory
from escalate.escalations import digest, services
from escalate.escalations.models import Escalation
from escalate.escalations.services import RaiseDetails
from escalate.notifications.delivery import deliver_due_notifications
from escalate.notifications.models import Channel, Notification, Status
from escalate.policies.demo import load_demo_policies
from escalate.web.tests.browser.conftest import Journey
from escalate.web.tests.browser.support import assert_accessible

pytestmark = pytest.mark.browser


def test_a_manager_chooses_the_daily_email_and_reads_it(
    phone_journey: Journey, demo: DemoDirectory
) -> None:
    load_demo_policies(demo.partnership)
    rosa = demo.people["rosa.singh"]
    page = phone_journey.page_for(rosa)
    page.goto("/notifications/")
    assert_accessible(page, "notifications (phone)")
    page.get_by_role("link", name="Notification settings").click()
    assert_accessible(page, "notification settings (phone)")
    expect(page.get_by_role("heading", name="Notification settings")).to_be_visible()
    page.get_by_label("One email a day listing every escalation with news").check()
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Your notification settings have been saved.")).to_be_visible()
    expect(page.get_by_text("You get one email a day about escalations")).to_be_visible()
    assert_accessible(page, "notification settings saved (phone)")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    if shots := os.environ.get("ESCALATE_WALK_DIR"):
        page.screenshot(path=str(Path(shots) / "settings-phone.png"), full_page=True)

    rosa.refresh_from_db()
    escalation = services.raise_escalation(
        by=demo.people["amira.khan"],
        details=RaiseDetails(
            respondent_agency=rosa.agency,  # type: ignore[arg-type]
            respondent_person=rosa,
            subject_name="Robin Specimen",
            case_references="Fictitious",
            categories=["need_for_action"],
            disputed="No strategy discussion after a disclosure at school.",
            risk="The child said an adult at home hurt them.",
            outcome_wanted="A strategy discussion with police and social care.",
        ),
    )
    escalation = Escalation.objects.get(pk=escalation.pk)
    services.record_discussion(
        escalation=escalation,
        by=demo.people["amira.khan"],
        expected_version=escalation.version,
        held_on=timezone.localdate(),
        with_whom="Rosa Singh",
        method="Phone call",
        summary="We talked it through.",
        outcome="We still disagree.",
    )
    emails = Notification.objects.filter(recipient=rosa, channel=Channel.EMAIL)
    assert emails.exists() and {row.status for row in emails} == {Status.HELD}
    deliver_due_notifications()
    assert not [m for m in mail.outbox if m.to == [rosa.email]]
    # In Escalate, the notices are there at once.
    page.goto("/notifications/")
    expect(page.get_by_text(f"Escalation {escalation.reference}").first).to_be_visible()
    assert_accessible(page, "notifications with news (phone)")

    assert digest.send_daily_digests().sent >= 1
    deliver_due_notifications()
    [email] = [m for m in mail.outbox if m.to == [rosa.email]]
    assert email.body.count(f"Escalation {escalation.reference}") == 1
    assert "Robin" not in f"{email.subject}\n{email.body}"
    if shots := os.environ.get("ESCALATE_WALK_DIR"):
        (Path(shots) / "daily-email.txt").write_text(f"{email.subject}\n\n{email.body}\n")
