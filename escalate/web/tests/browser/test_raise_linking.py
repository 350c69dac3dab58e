"""The raise page offers an earlier escalation about the same child for linking, as checkboxes,
when the raiser may see it (issue 21, item 3), and the checked one is linked."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import Page, expect

from escalate.directory.demo import DemoDirectory
from escalate.escalations import services
from escalate.escalations.models import EscalationLink, RaiseDraft
from escalate.escalations.services import RaiseDetails
from escalate.policies.demo import load_demo_policies
from escalate.web.tests.browser.support import assert_accessible, sign_in

pytestmark = pytest.mark.browser

BORN = date(2016, 5, 4)


def test_an_earlier_escalation_is_offered_as_a_checkbox_and_linked(
    page: Page, demo: DemoDirectory
) -> None:
    load_demo_policies(demo.partnership)
    amira, police = demo.people["amira.khan"], demo.people["paul.reid"]
    details = {
        "respondent_agency": police.agency,
        "respondent_person": police,
        "subject_name": "Robin Specimen",
        "subject_date_of_birth": BORN,
        "categories": ["need_for_action"],
        "disputed": "No strategy discussion after a disclosure at school.",
        "risk": "The child said an adult at home hurt them.",
        "outcome_wanted": "A strategy discussion with police and social care.",
    }
    earlier = services.raise_escalation(by=amira, details=RaiseDetails(**details))  # type: ignore[arg-type]
    assert police.agency is not None
    RaiseDraft.objects.create(
        person=amira,
        data={
            "immediate_harm": "no",
            "respondent_agency": police.agency.pk,
            "respondent_choice": str(police.pk),
            "subject_kind": "child",
            "subject_name": "robin SPECIMEN",
            "subject_date_of_birth": BORN.isoformat(),
            "case_references": "",
            "flags": [],
            "categories": ["need_for_action"],
            "disputed": "Again no strategy discussion.",
            "risk": "Another disclosure.",
            "outcome_wanted": "A strategy discussion.",
            "already_tried": "A call.",
        },
    )
    page.set_default_timeout(30_000)
    sign_in(page, amira, timeout=30_000)
    page.goto("/escalations/raise/check/")
    expect(
        page.get_by_role("group", name="Earlier escalations that may be about the same person")
    ).to_be_visible()
    box = page.get_by_role("checkbox", name=f"{earlier.reference}: Robin Specimen")
    expect(box).not_to_be_checked()
    assert_accessible(page, "raise-check-earlier")
    box.check()
    page.get_by_role("button", name="Raise the escalation").click()
    expect(page).not_to_have_url("/escalations/raise/check/", timeout=30_000)
    link = EscalationLink.objects.get(earlier=earlier)
    assert link.kind == EscalationLink.Kind.RAISER and link.made_by == amira
