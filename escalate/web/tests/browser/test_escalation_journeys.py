"""An escalation's life in a real browser, by the people who live it, at desktop and phone size.

Each test is one journey through several pages by several people (`journey.page_for(person)`
signs each of them in once, with the one-time code). Every page loaded must pass axe-core's
WCAG 2.2 A/AA rules: `Journey` fails the test naming any page that was never checked.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Download, Locator, Page, expect

from escalate.directory.demo import DemoDirectory
from escalate.escalations import services
from escalate.escalations.demo import create_demo_escalations
from escalate.escalations.models import Escalation
from escalate.escalations.services import RaiseDetails
from escalate.policies.demo import load_demo_policies
from escalate.web.tests.browser.conftest import Journey
from escalate.web.tests.browser.support import (
    assert_accessible,
    assert_focus_visible,
    press_tab_until,
)

pytestmark = pytest.mark.browser

REFERENCE = re.compile(r"[A-Z]{3}-\d{4}-\d+")


# --- What every journey does ----------------------------------------------------------------


def go(page: Page, path: str, name: str) -> None:
    """Open an address and check the page that comes back."""
    response = page.goto(path)
    assert response is not None and response.ok, f"{path} answered {response and response.status}"
    assert_accessible(page, name)


def click_through(page: Page, target: Locator, heading: str | re.Pattern[str], name: str) -> None:
    """Follow a link or press a button, wait for the next page's heading, check the page."""
    target.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert_accessible(page, name)


def continue_to(page: Page, heading: str | re.Pattern[str], name: str) -> None:
    click_through(page, page.get_by_role("button", name="Continue"), heading, name)


def fill_date(page: Page, question: str, day: date) -> None:
    group = page.get_by_role("group", name=question)
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


def choose_person(select: Locator, name: str) -> None:
    """Pick a person in a select whose options read 'Name, job title, agency'."""
    value = select.locator("option", has_text=name).get_attribute("value")
    assert value, f"{name} is not offered"
    select.select_option(value)


def success(page: Page, text: str) -> None:
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(text)


def open_action(page: Page, link: str, name: str) -> None:
    """From the escalation page, open one of the stage actions it offers."""
    click_through(page, page.get_by_role("link", name=link, exact=True), link, name)


def add_actions(page: Page, actions: list[tuple[str, str, date]], name: str) -> None:
    """On a decision's "Agreed actions" page: add each action on its own page (GOV.UK "add
    another"), then say there are no more, to the check-your-answers page."""
    for text, owner, due in actions:
        page.get_by_label("Yes", exact=True).check()
        continue_to(page, "Add an action", f"{name}: add an action")
        page.get_by_label("What is the action?").fill(text)
        choose_person(page.get_by_label("Who owns it?"), owner)
        fill_date(page, "When is it due?", due)
        click_through(
            page,
            page.get_by_role("button", name="Add the action"),
            re.compile("^You have added"),
            f"{name}: the actions added",
        )
    page.get_by_label("No", exact=True).check()
    continue_to(page, "Check your answers", f"{name}: check your answers")


def current_stage(page: Page) -> Locator:
    return page.locator(".govuk-summary-list__row", has_text="Current stage")


def record_discussion(page: Page, reference: str, who: str) -> None:
    """From the escalation page: record today's phone discussion and come back to it."""
    open_action(page, "Record a discussion", "record a discussion")
    fill_date(page, "When did the discussion take place?", timezone.localdate())
    page.get_by_label("Who took part?").fill(who)
    page.get_by_label("Phone call").check()
    page.get_by_label("What was said").fill("We went through the concern and each agency's view.")
    page.get_by_label("Outcome").fill("Not resolved yet.")
    click_through(
        page,
        page.get_by_role("button", name="Save the discussion"),
        re.compile(reference),
        "escalation page after the discussion",
    )
    success(page, "The discussion has been recorded.")


def download(page: Page, link: str, reason: str, name: str) -> tuple[Download, bytes]:
    """Follow a download link, give the audited reason, and return what arrived."""
    click_through(page, page.get_by_role("link", name=link), re.compile("^Download"), name)
    page.get_by_label("Why do you need this export?").fill(reason)
    with page.expect_download() as arrived:
        page.get_by_role("button", name="Download").click()
    file = arrived.value
    assert file.failure() is None, file.failure()
    return file, Path(file.path()).read_bytes()


def raise_answers(page: Page, *, agency: str, professional: str, child: str) -> None:
    """The question pages after 'immediate danger' and before any start-stage page."""
    page.get_by_label("Which agency do you disagree with?").select_option(label=agency)
    continue_to(page, "Who do you disagree with?", "raise: professional")
    page.get_by_label(professional).check()
    continue_to(page, "Who is the disagreement about?", "raise: child or adult")
    kind = page.get_by_label("A child", exact=True)
    if kind.count() and not kind.is_checked():  # asked only when the policy covers adults too
        kind.check()
    page.get_by_label(re.compile("full name")).fill(child)
    fill_date(page, "Date of birth", date(2017, 3, 27))
    page.get_by_label("Case references").fill("LCS 000000 (fictitious)")
    continue_to(page, "Does any of this apply?", "raise: plans and conferences")
    continue_to(page, "What is the disagreement about?", "raise: categories")
    categories = page.get_by_role("checkbox")  # it can be about more than one thing
    categories.nth(0).check()
    categories.nth(1).check()
    expect(page.locator("input[name=categories]:checked")).to_have_count(2)
    continue_to(page, "What decision, action or inaction do you disagree with?", "raise: disputed")
    page.get_by_label("What decision, action or inaction do you disagree with?").fill(
        "The referral was closed with no action and no reason given."
    )
    continue_to(page, "What is the risk to the child or adult?", "raise: risk")
    page.get_by_label("What is the risk to the child or adult?").fill(
        "They arrive hungry most days and have missed eleven days this half term."
    )
    continue_to(page, "What outcome do you want?", "raise: outcome")
    page.get_by_label("What outcome do you want?").fill("An early help assessment.")
    continue_to(page, "What have you already tried?", "raise: already tried")
    page.get_by_label("What have you already tried?").fill("A phone call on Monday.")


def start_raising(page: Page, *, immediate_danger: bool) -> None:
    """From the home page (where signing in lands): the start page, then the first question."""
    expect(page).to_have_url(re.compile(r"/$"))
    raise_button = page.get_by_role("button", name="Raise an escalation")
    click_through(page, raise_button, "Raise an escalation", "raise: start")
    click_through(
        page,
        page.get_by_role("button", name="Start now"),
        "Is a child or adult in immediate danger?",
        "raise: immediate danger",
    )
    page.get_by_label("Yes" if immediate_danger else "No", exact=True).check()


def raise_it(page: Page) -> str:
    """On check-your-answers: raise, and return the reference from the confirmation page."""
    click_through(
        page,
        page.get_by_role("button", name="Raise the escalation"),
        "Escalation raised",
        "raise: done",
    )
    reference = page.locator(".govuk-panel__body strong").inner_text()
    assert REFERENCE.fullmatch(reference), reference
    click_through(
        page,
        page.get_by_role("link", name=f"Go to escalation {reference}"),
        re.compile(reference),
        "escalation page",
    )
    return reference


# --- The journeys ----------------------------------------------------------------------------


def test_raise_then_discuss_rationale_escalate_resolve_and_export(
    journey: Journey, demo: DemoDirectory
) -> None:
    load_demo_policies(demo.partnership)
    amira = journey.page_for(demo.people["amira.khan"])

    # Amira, a teacher, raises it against the social worker's decision: the normal route.
    start_raising(amira, immediate_danger=False)
    continue_to(amira, "Which agency do you disagree with?", "raise: agency")
    raise_answers(
        amira,
        agency="Riverside Children's Social Care",
        professional="Dan Evans, Social worker",
        child="Sky Example",
    )
    continue_to(amira, "Check your answers before raising the escalation", "raise: check")
    expect(amira.locator(".govuk-summary-list")).to_contain_text("Sky Example")
    expect(amira.locator(".govuk-summary-list")).to_contain_text("27 March 2017")
    journey.screenshot(amira, "raise-check-answers")
    reference = raise_it(amira)
    expect(current_stage(amira)).to_contain_text("Stage 1")

    # Stage 1: she records her discussion with Dan, then asks him for his rationale in writing.
    record_discussion(amira, reference, "Amira Khan and Dan Evans")
    open_action(amira, "Ask for the rationale in writing", "request the rationale")
    amira.get_by_label("What do you want explained?").fill("Why the referral was closed.")
    click_through(
        amira,
        amira.get_by_role("button", name="Send the request"),
        re.compile(reference),
        "escalation page after the request",
    )

    # Dan, the respondent, finds it waiting for him and gives his rationale.
    dan = journey.page_for(demo.people["dan.evans"])
    waiting = dan.get_by_role("table", name="Needs your action")
    expect(waiting.get_by_role("row", name=re.compile(reference))).to_contain_text(
        "Give your rationale in writing"
    )
    journey.screenshot(dan, "home", phone_too=True)
    click_through(
        dan,
        waiting.get_by_role("link", name=reference),
        re.compile(reference),
        "escalation page (respondent)",
    )
    open_action(dan, "Give your rationale", "give the rationale")
    dan.get_by_label("Your rationale").fill("The family declined early help; we had no grounds.")
    click_through(
        dan,
        dan.get_by_role("button", name="Send your rationale"),
        re.compile(reference),
        "escalation page after the rationale",
    )
    success(dan, "Your rationale has been recorded.")

    # Not resolved: Amira escalates it to the line managers, with a working-day deadline.
    go(amira, f"/escalations/{reference}/", "escalation page (raiser, again)")
    open_action(amira, "Escalate to the next stage", "escalate")
    amira.get_by_label("Reason").fill("The rationale does not address the missed days.")
    click_through(
        amira,
        amira.get_by_role("button", name="Escalate"),
        re.compile(reference),
        "escalation page at stage 2",
    )
    expect(current_stage(amira)).to_contain_text("Stage 2")
    # The stage's own "Due" row (the timeline's rows may hold "Rationale due by" too).
    due_row = amira.locator(
        ".govuk-summary-list__row",
        has=amira.locator(".govuk-summary-list__key", has_text=re.compile(r"^\s*Due\s*$")),
    )
    expect(due_row).to_contain_text(re.compile(r"\d+ working days? left"))
    journey.screenshot(amira, "escalation", phone_too=True)
    # Printed, the page is the record: no menu, no links to act, the timeline still there.
    expect(amira.locator(".app-action-links")).to_be_visible()
    amira.emulate_media(media="print")
    expect(amira.locator(".govuk-header__navigation")).to_be_hidden()
    expect(amira.locator(".app-action-links")).to_be_hidden()
    expect(amira.get_by_role("link", name="Record as PDF")).to_be_hidden()
    expect(amira.locator("#timeline")).to_be_visible()
    amira.emulate_media(media="screen")

    # Stage 2: Erin, Dan's team manager, is on the side being challenged: she cannot close it
    # alone, so she proposes a resolution with an agreed action (issue 15).
    erin = journey.page_for(demo.people["erin.fox"])
    go(erin, f"/escalations/{reference}/", "escalation page (manager)")
    record_discussion(erin, reference, "Erin Fox and Ben Carter")
    expect(erin.get_by_role("link", name="Resolve the escalation")).to_have_count(0)
    # One thing per page (issue 16): the proposal, learning, actions one at a time, check.
    click_through(
        erin,
        erin.get_by_role("link", name="Propose a resolution", exact=True),
        "What do you propose?",
        "propose: the decision",
    )
    erin.get_by_label("What do you propose?").fill("An early help assessment will start this week.")
    continue_to(erin, "Learning for the partnership", "propose: learning")
    erin.get_by_label("Learning for the partnership").fill("Closing a referral needs a reason.")
    erin.get_by_label("Learning themes").fill("thresholds, information sharing")
    continue_to(erin, "Agreed actions", "propose: agreed actions")
    due = timezone.localdate() + timedelta(days=14)
    add_actions(erin, [("Start the early help assessment", "Dan Evans", due)], "propose")
    journey.screenshot(erin, "resolve")
    click_through(
        erin,
        erin.get_by_role("button", name="Send the proposal"),
        re.compile(reference),
        "escalation page, proposal sent",
    )
    success(erin, "Your proposed resolution has been sent.")
    expect(erin.get_by_role("heading", level=1)).to_contain_text("Open")

    # Ben, Amira's line manager, sees the proposal and accepts it: that resolves it.
    ben = journey.page_for(demo.people["ben.carter"])
    go(ben, f"/escalations/{reference}/", "escalation page (raiser's manager)")
    expect(ben.locator("#proposal")).to_contain_text("An early help assessment")
    open_action(ben, "Accept the proposed resolution", "accept")
    expect(ben.locator("main")).to_contain_text("Start the early help assessment")
    click_through(
        ben,
        ben.get_by_role("button", name="Accept and resolve"),
        re.compile(reference),
        "escalation page, resolved",
    )
    success(ben, "The escalation is resolved.")
    expect(ben.get_by_role("heading", level=1)).to_contain_text("Resolved")
    expect(ben.locator("main")).to_contain_text("Start the early help assessment")
    go(erin, f"/escalations/{reference}/", "escalation page, resolved (respondent's manager)")
    expect(erin.get_by_role("heading", level=1)).to_contain_text("Resolved")

    # The record for the child's file: a PDF, its download audited with the reason.
    pdf, content = download(
        erin, "Record as PDF", "For the child's case file", "record download reason"
    )
    assert pdf.suggested_filename.endswith(".pdf"), pdf.suggested_filename
    assert content.startswith(b"%PDF-"), content[:16]
    go(erin, f"/escalations/{reference}/", "escalation page, resolved (again)")
    word, content = download(
        erin, "Record as Word document", "For the case file", "record download reason (docx)"
    )
    assert word.suggested_filename.endswith(".docx"), word.suggested_filename
    assert content.startswith(b"PK"), "a .docx is a zip file"


def test_immediate_harm_shows_the_emergency_guidance_then_starts_at_a_later_stage(
    journey: Journey, demo_partnerships: tuple[DemoDirectory, DemoDirectory]
) -> None:
    # Eastmoor's (Scottish) policy lets an escalation about immediate harm start at Step 3.
    _riverside, eastmoor = demo_partnerships
    load_demo_policies(eastmoor.partnership)
    holly = journey.page_for(eastmoor.people["holly.jack"])

    start_raising(holly, immediate_danger=True)
    continue_to(holly, "Act now to keep them safe", "raise: emergency guidance")
    guidance = holly.locator("main")
    expect(guidance).to_contain_text("call 999")
    expect(guidance).to_contain_text("the Integrated Front Door on 0300 000 0000")
    journey.screenshot(holly, "raise-emergency", phone_too=True)
    # What was already done to protect them is recorded (guide 001: "Document your actions").
    holly.get_by_label("Called 999 (police or ambulance)").check()
    holly.get_by_label("Told our designated safeguarding lead").check()
    holly.get_by_label("What did you do, and why?").fill(
        "Police called at 16:05 and came to the house; our DSL told at 16:10."
    )
    click_through(
        holly,
        holly.get_by_role("button", name=re.compile("^I have done this")),
        "Which agency do you disagree with?",
        "raise: agency",
    )
    raise_answers(
        holly,
        agency="Eastmoor Children's Services",
        professional="Gus Irwin, Social worker",
        child="Alex Placeholder",
    )
    continue_to(holly, "Where should this escalation start?", "raise: start stage")
    holly.get_by_label("Step 3: senior manager").check()
    continue_to(holly, re.compile("^There is a problem|Where should"), "raise: no reason given")
    expect(holly.locator(".govuk-error-summary")).to_contain_text(
        "Enter why the escalation needs to start at this stage"
    )
    holly.get_by_label("Why does it need to start at a later stage?").fill(
        "The child is at risk tonight; the team manager is away all week."
    )
    continue_to(holly, "Check your answers before raising the escalation", "raise: check")
    answers = holly.locator(".govuk-summary-list")
    expect(answers).to_contain_text("Step 3: senior manager")
    expect(answers).to_contain_text("the team manager is away all week")
    raise_it(holly)

    expect(current_stage(holly)).to_contain_text("Step 3: senior manager")
    expect(holly.get_by_role("heading", level=1)).to_contain_text("Open")
    expect(holly.locator("main")).to_contain_text("Immediate harm")
    expect(holly.locator("main")).to_contain_text("the team manager is away all week")
    expect(holly.locator("main")).to_contain_text("Police called at 16:05")


def raised_by_amira(demo: DemoDirectory) -> Escalation:
    """A Riverside escalation Amira raised about the police, through the services as the demo
    data is: a journey starts where its browser work begins."""
    load_demo_policies(demo.partnership)
    police = demo.people["paul.reid"]
    return services.raise_escalation(
        by=demo.people["amira.khan"],
        details=RaiseDetails(
            respondent_agency=police.agency,  # type: ignore[arg-type]
            respondent_person=police,
            subject_name="Robin Specimen",
            case_references="Fictitious",
            categories=["need_for_action"],
            disputed="No strategy discussion after a disclosure at school.",
            risk="The child said an adult at home hurt them.",
            outcome_wanted="A strategy discussion with police and social care.",
            already_tried="Spoke to the officer.",
        ),
    )


def _at_stage_4(demo: DemoDirectory) -> Escalation:
    """A Riverside escalation that has reached Stage 4 (the Board Chair)."""
    escalation = raised_by_amira(demo)
    people = demo.people
    for who in ("amira.khan", "ben.carter", "clare.dawson"):
        escalation = Escalation.objects.get(pk=escalation.pk)
        services.record_discussion(
            escalation=escalation,
            by=people[who],
            expected_version=escalation.version,
            held_on=timezone.localdate(),
            with_whom="The other agency",
            method="phone",
            summary="We went through it.",
            outcome="Not resolved.",
        )
        escalation = Escalation.objects.get(pk=escalation.pk)
        services.escalate_to_next_stage(
            escalation=escalation,
            by=people[who],
            expected_version=escalation.version,
            reason="Not resolved at this stage.",
            # Havering 2.8: the agencies' Board members are engaged before the Chair.
            board_engagement="Both agencies' Board members tried and could not agree.",
        )
    return Escalation.objects.get(pk=escalation.pk)


def test_the_chair_convenes_a_resolution_panel_and_records_its_decision(
    journey: Journey, demo: DemoDirectory
) -> None:
    reference = _at_stage_4(demo).reference
    will = journey.page_for(demo.people["will.young"])  # the partnership chair
    go(will, f"/escalations/{reference}/", "escalation page at stage 4")
    expect(current_stage(will)).to_contain_text("Stage 4")

    open_action(will, "Convene a Resolution Panel", "convene a panel")
    expect(will.locator(".govuk-inset-text")).to_contain_text("at least 3 agencies")
    for member in ("Clare Dawson", "Sam Taylor", "Omar Quinn"):
        will.get_by_label(re.compile(f"^{member}")).check()
    # Someone who already handled the escalation sits only with the chair's reason (issue 15).
    will.get_by_label(re.compile("^Why should members who already handled")).fill(
        "The school's senior officer knows the case; no other is free."
    )
    click_through(
        will,
        will.get_by_role("button", name="Convene the panel"),
        re.compile(reference),
        "escalation page, panel convened",
    )
    success(will, "The Resolution Panel has been convened.")

    open_action(will, "Record the panel's decision", "panel decision")
    will.get_by_label("The panel's decision").fill("Police and social care meet within 2 days.")
    for member in ("Clare Dawson", "Sam Taylor", "Omar Quinn"):
        will.get_by_label(re.compile(f"^{member}")).check()
    continue_to(will, "Learning for the partnership", "panel decision: learning")
    will.get_by_label("Learning for the partnership").fill("Disclosures need a strategy meeting.")
    will.get_by_label("Learning themes").fill("strategy discussions")
    continue_to(will, "Agreed actions", "panel decision: agreed actions")
    due = timezone.localdate() + timedelta(days=7)
    add_actions(will, [("Hold the strategy discussion", "Rosa Singh", due)], "panel decision")
    journey.screenshot(will, "panel-decision")
    click_through(
        will,
        will.get_by_role("button", name="Save the decision"),
        re.compile(reference),
        "escalation page, panel decided",
    )
    success(will, "The panel's decision has been recorded.")
    expect(will.get_by_role("heading", level=1)).to_contain_text("Resolved")
    expect(will.locator("main")).to_contain_text("Hold the strategy discussion")


def test_the_partnership_dashboard_and_a_figures_download(
    journey: Journey, demo: DemoDirectory
) -> None:
    create_demo_escalations(demo)
    vera = journey.page_for(demo.people["vera.walsh"])  # the partnership business manager
    go(vera, "/reports/", "dashboard")
    expect(vera.locator("#figure-total")).to_have_text(str(Escalation.objects.count()))
    journey.screenshot(vera, "dashboard")

    csv, content = download(vera, "CSV", "For the board meeting", "figures download reason")
    assert csv.suggested_filename.endswith(".csv"), csv.suggested_filename
    text = content.decode("utf-8-sig")
    assert f"Escalations raised,{Escalation.objects.count()}" in text, text[:300]


# --- The raise journey with the keyboard alone ------------------------------------------------


def key_continue(page: Page, button: str, heading: str | re.Pattern[str], name: str) -> None:
    """Tab to the button, see that it shows the focus, press Enter, check the next page."""
    press_tab_until(page, page.get_by_role("button", name=button))
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert_accessible(page, name)


def key_type(page: Page, field: Locator, text: str) -> None:
    press_tab_until(page, field)
    assert_focus_visible(page)
    page.keyboard.type(text)


def test_raise_with_the_keyboard_alone(journey: Journey, demo: DemoDirectory) -> None:
    load_demo_policies(demo.partnership)
    page = journey.page_for(demo.people["amira.khan"])  # home, signed in
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()

    start = page.get_by_role("button", name="Raise an escalation")
    press_tab_until(page, start)
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Raise an escalation")
    assert_accessible(page, "raise: start")
    # A link styled as a button: GOV.UK's script lets Space press it too.
    press_tab_until(page, page.get_by_role("button", name="Start now"))
    page.keyboard.press("Space")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Is a child or adult in immediate danger?"
    )
    assert_accessible(page, "raise: immediate danger")

    # The skip link, then Continue with nothing chosen: the error summary takes the focus, so
    # it is read out first (the skip link's #main-content must not pull the focus away).
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    key_continue(
        page, "Continue", "Is a child or adult in immediate danger?", "raise: nothing chosen"
    )
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Select yes if a child or adult is in immediate danger")
    expect(summary).to_be_focused()
    page.keyboard.press("Tab")
    expect(summary.get_by_role("link")).to_be_focused()
    page.keyboard.press("Enter")  # the summary's link goes to the question
    expect(page.get_by_label("Yes", exact=True)).to_be_focused()

    # Radios: the arrow keys choose within the group.
    assert_focus_visible(page)
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("No", exact=True)).to_be_checked()
    key_continue(page, "Continue", "Which agency do you disagree with?", "raise: agency")

    # A select: typing the start of an option's name chooses it.
    agency = page.get_by_label("Which agency do you disagree with?")
    key_type(page, agency, "Riverside Ch")
    expect(agency.locator("option:checked")).to_have_text("Riverside Children's Social Care")
    key_continue(page, "Continue", "Who do you disagree with?", "raise: professional")

    dan = page.get_by_label("Dan Evans, Social worker")
    press_tab_until(page, dan)  # the first of the list: focused, not yet chosen
    page.keyboard.press("Space")
    expect(dan).to_be_checked()
    key_continue(page, "Continue", "Who is the disagreement about?", "raise: child or adult")

    # Riverside's policy covers children only, so "a child or an adult?" is not asked.
    expect(page.get_by_label("A child", exact=True)).to_have_count(0)
    key_type(page, page.get_by_label("The child's full name"), "Kit Example")
    born = page.get_by_role("group", name="Date of birth")
    key_type(page, born.get_by_label("Day"), "5")
    key_type(page, born.get_by_label("Month"), "11")
    key_type(page, born.get_by_label("Year"), "2016")
    key_continue(page, "Continue", "Does any of this apply?", "raise: plans and conferences")

    plan = page.get_by_label("They are subject to a Child Protection Plan")
    press_tab_until(page, plan)
    page.keyboard.press("Space")
    expect(plan).to_be_checked()
    # A CP Plan: the child's own IRO and conference chair are asked for (or "I do not know").
    key_continue(page, "Continue", "Who reviews the child's plan?", "raise: reviewers")
    iro = page.get_by_label("Who is the child's Independent Reviewing Officer (IRO)?")
    key_type(page, iro, "Isla")
    expect(iro.locator("option:checked")).to_contain_text("Isla Jones")
    chair = page.get_by_label("Who chairs the child's child protection conferences?")
    key_type(page, chair, "I do")
    expect(chair.locator("option:checked")).to_have_text("I do not know")
    key_continue(page, "Continue", "What is the disagreement about?", "raise: categories")

    first, second = page.get_by_role("checkbox").nth(0), page.get_by_role("checkbox").nth(1)
    press_tab_until(page, first)
    page.keyboard.press("Space")
    press_tab_until(page, second)
    page.keyboard.press("Space")
    expect(page.locator("input[name=categories]:checked")).to_have_count(2)

    answers = [
        ("What decision, action or inaction do you disagree with?", "The referral was closed."),
        ("What is the risk to the child or adult?", "Kit is often hungry at school."),
        ("What outcome do you want?", "An early help assessment."),
        ("What have you already tried?", "A phone call with the social worker."),
    ]
    for question, answer in answers:
        key_continue(page, "Continue", question, f"raise: {question}")
        key_type(page, page.get_by_label(question), answer)
    key_continue(
        page, "Continue", "Check your answers before raising the escalation", "raise: check"
    )
    summary = page.locator(".govuk-summary-list")
    expect(summary).to_contain_text("5 November 2016")
    expect(summary).to_contain_text("They are subject to a Child Protection Plan")

    key_continue(page, "Raise the escalation", "Escalation raised", "raise: done")
    link = page.get_by_role("link", name=re.compile("^Go to escalation"))
    press_tab_until(page, link)
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Open")
    assert_accessible(page, "escalation page")
    expect(page.locator("main")).to_contain_text("Kit Example")
