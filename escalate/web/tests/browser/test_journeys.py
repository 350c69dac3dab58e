"""Signing in (password, then one-time code) and out in a real browser, by mouse and by
keyboard alone, at desktop and phone size.

The escalation's own journeys (raise, stages, panel, dashboard, exports) are in
test_escalation_journeys.py.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings

from escalate.directory.demo import DemoDirectory
from escalate.web.mfa import pending_device, secret_text
from escalate.web.tests.browser.support import (
    assert_accessible,
    assert_focus_visible,
    demo_device,
    enter_code,
    has_focus,
    one_time_code,
    press_tab_until,
    save_screenshot,
    sign_in,
    sign_out,
)

pytestmark = pytest.mark.browser


def test_wrong_password_is_explained_then_the_right_one_reaches_home(
    any_page: Page, demo: DemoDirectory, viewport_name: str
) -> None:
    page = any_page
    amira = demo.people["amira.khan"]
    device = demo_device(amira)
    page.goto("/sign-in/")
    page.get_by_label("Email address").fill(amira.email)
    page.get_by_label("Password", exact=True).fill("not-her-password")
    page.get_by_role("button", name="Sign in").click()

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("Enter a correct email address and password")
    expect(page).to_have_title(re.compile(r"^Error: Sign in"))
    expect(page.get_by_label("Email address")).to_have_value(amira.email)
    expect(page.get_by_label("Password", exact=True)).to_have_value("")
    assert has_focus(summary), "GOV.UK's error summary takes the focus so it is read out first"
    assert_accessible(page, "sign-in with a wrong password")
    if viewport_name == "desktop":
        save_screenshot(page, "sign-in-error")

    page.get_by_label("Password", exact=True).fill("demo-escalate-2026")
    page.get_by_role("button", name="Sign in").click()
    enter_code(page, device, check=assert_accessible)

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Amira Khan")
    caption = page.locator("main .govuk-caption-l")
    expect(caption).to_contain_text("Riverside Primary School")
    expect(caption).to_contain_text("Riverside Safeguarding Children Partnership")
    expect(page.locator("header")).to_contain_text("Riverside Safeguarding Children Partnership")


def test_signing_out_ends_the_session(any_page: Page, demo: DemoDirectory) -> None:
    page = any_page
    sign_in(page, demo.people["erin.fox"])
    expect(page.get_by_role("heading", level=1)).to_have_text("Erin Fox")

    sign_out(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Escalate")
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/sign-in/\?next=/$"))


def test_error_summary_links_take_you_to_the_field(page: Page, transactional_db: None) -> None:
    page.goto("/sign-in/")
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("link", name="Enter your password").click()

    expect(page.get_by_label("Password", exact=True)).to_be_focused()
    page.locator(".govuk-error-summary").get_by_role(
        "link", name="Enter your email address"
    ).click()
    expect(page.get_by_label("Email address")).to_be_focused()
    assert_accessible(page, "sign-in with nothing entered")


def test_sign_in_with_the_keyboard_alone(any_page: Page, demo: DemoDirectory) -> None:
    page = any_page
    amira = demo.people["amira.khan"]
    device = demo_device(amira)
    page.goto("/sign-in/")

    # The first Tab reaches the skip link, which appears, and Enter jumps past the header.
    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to main content")
    expect(skip_link).to_be_focused()
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    email = page.get_by_label("Email address")
    assert press_tab_until(page, email) == 1, "after the skip link the email field comes first"
    assert_focus_visible(page)
    page.keyboard.type(amira.email)
    password = page.get_by_label("Password", exact=True)
    assert press_tab_until(page, password) == 1
    assert_focus_visible(page)
    page.keyboard.type("a-wrong-guess")
    page.keyboard.press("Enter")

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter a correct email address and password")
    # The skip link left #main-content in the address; a form posting back to that address would
    # land there again and the browser would move the focus off the error summary.
    expect(summary).to_be_focused()
    press_tab_until(page, password)
    assert_focus_visible(page)
    page.keyboard.type("demo-escalate-2026")
    sign_in_button = page.get_by_role("button", name="Sign in")
    assert press_tab_until(page, sign_in_button) == 1
    assert_focus_visible(page)
    page.keyboard.press("Enter")

    code = page.get_by_label("Code from your authenticator app")
    expect(page).to_have_url(re.compile(r"/account/two-factor/"))
    press_tab_until(page, code)
    assert_focus_visible(page)
    page.keyboard.type(one_time_code(device))
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Amira Khan")


def test_a_wrong_code_is_explained_then_the_right_one_lets_you_in(
    any_page: Page, demo: DemoDirectory, settings: Settings
) -> None:
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # no wait after a wrong code (tested in test_two_factor)
    page = any_page
    erin = demo.people["erin.fox"]
    device = demo_device(erin)
    page.goto("/sign-in/")
    page.get_by_label("Email address").fill(erin.email)
    page.get_by_label("Password", exact=True).fill("demo-escalate-2026")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/account/two-factor/\?next="))
    assert_accessible(page, "one-time code")

    right = one_time_code(device)
    page.get_by_label("Code from your authenticator app").fill(f"{(int(right) + 1) % 10**6:06d}")
    page.get_by_role("button", name="Continue").click()

    expect(page.locator(".govuk-error-summary")).to_be_visible()
    expect(page).to_have_title(re.compile(r"^Error: "))
    assert_accessible(page, "one-time code, wrong")
    enter_code(page, device)
    expect(page.get_by_role("heading", level=1)).to_have_text("Erin Fox")


def test_first_sign_in_sets_up_the_authenticator_app(any_page: Page, demo: DemoDirectory) -> None:
    page = any_page
    dan = demo.people["dan.evans"]  # no authenticator yet: a first sign-in
    page.goto("/sign-in/")
    page.get_by_label("Email address").fill(dan.email)
    page.get_by_label("Password", exact=True).fill("demo-escalate-2026")
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(r"/account/two-factor/set-up/"))
    expect(page.get_by_role("img", name="QR code to scan")).to_be_visible()
    assert_accessible(page, "set up the authenticator app")
    device = pending_device(dan)
    # For typing into the app by hand, when the QR code cannot be scanned.
    expect(page.locator("#totp-secret")).to_have_text(secret_text(device))

    page.get_by_label("Code from your authenticator app").fill(one_time_code(device))
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Dan Evans")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("set up")
