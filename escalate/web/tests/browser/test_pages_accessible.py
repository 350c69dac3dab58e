"""Every simple page passes axe-core's WCAG 2.2 A/AA rules at desktop and phone size.

A page that needs only a URL and (optionally) a signed-in demo person is one line in PAGES;
pages that need records made first belong in a journey that calls `assert_accessible` itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from escalate.directory.demo import DemoDirectory
from escalate.web.tests.browser.support import (
    assert_accessible,
    axe_violations,
    save_screenshot,
    sign_in,
)

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class SimplePage:
    name: str  # the test id, and the screenshot name (with "-phone" at phone size)
    path: str
    signed_in_as: str | None = None  # a demo person's key, e.g. "amira.khan"
    screenshot: bool = False


PAGES = [
    SimplePage("sign-in", "/sign-in/", screenshot=True),
    SimplePage("home", "/", signed_in_as="amira.khan"),
    SimplePage("calendar", "/notifications/calendar/", signed_in_as="amira.khan"),
    SimplePage("failed-notices", "/notifications/failed/", signed_in_as="vera.walsh"),
    SimplePage("find-a-person", "/find-a-person/", signed_in_as="vera.walsh"),
    SimplePage("retention-review", "/retention/", signed_in_as="vera.walsh"),
    SimplePage("password-reset", "/account/password/reset/"),
    SimplePage("contacts", "/directory/contacts/", signed_in_as="amira.khan"),
    SimplePage("directory", "/directory/", signed_in_as="vera.walsh"),
    SimplePage("directory-people", "/directory/people/", signed_in_as="vera.walsh"),
    SimplePage("directory-import", "/directory/people/import/", signed_in_as="vera.walsh"),
]


def test_a_search_with_nothing_to_look_for_says_what_to_do_accessibly(
    any_page: Page, demo: DemoDirectory
) -> None:
    page = any_page
    sign_in(page, demo.people["vera.walsh"])
    page.goto("/find-a-person/")
    page.get_by_label("Full name of the child or adult").fill("Zz")
    page.get_by_role("button", name="Search").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select why you are searching")
    expect(page.get_by_label("Full name of the child or adult")).to_have_value("Zz")
    assert_accessible(page, "find-a-person-error")
    page.get_by_label("A subject access request").check()
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="No escalations found")).to_be_visible()
    assert_accessible(page, "find-a-person-none")


def test_subject_access_for_a_professional_is_accessible(
    any_page: Page, demo: DemoDirectory
) -> None:
    page = any_page
    # Signing in and building the pages hash passwords and query the directory: under load
    # this took longer than the default 5 seconds once, so each step may take up to 30.
    page.set_default_timeout(30_000)
    sign_in(page, demo.people["vera.walsh"], timeout=30_000)
    page.goto("/find-a-person/professional/")
    assert_accessible(page, "professional-search")
    amira = demo.people["amira.khan"]
    page.get_by_label("Name or email address of the professional").fill(amira.full_name)
    page.get_by_role("button", name="Find").click()
    assert_accessible(page, "professional-found")
    page.get_by_role("link", name=amira.full_name).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(amira.full_name, timeout=30_000)
    page.get_by_role("button", name="Download the export").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Select why you are making this export", timeout=30_000
    )
    assert_accessible(page, "professional-export-error")


@pytest.mark.parametrize("simple_page", PAGES, ids=[p.name for p in PAGES])
def test_page_has_no_accessibility_violations(
    any_page: Page, demo: DemoDirectory, viewport_name: str, simple_page: SimplePage
) -> None:
    page = any_page
    if simple_page.signed_in_as:
        sign_in(page, demo.people[simple_page.signed_in_as])
    response = page.goto(simple_page.path)
    assert response is not None and response.ok, f"{simple_page.path} answered {response}"
    expect(page.locator("h1")).to_have_count(1)

    assert_accessible(page, simple_page.name)

    if simple_page.screenshot:
        suffix = "" if viewport_name == "desktop" else f"-{viewport_name}"
        save_screenshot(page, f"{simple_page.name}{suffix}")


def test_a_new_calendar_address_is_shown_once_accessibly(
    any_page: Page, demo: DemoDirectory
) -> None:
    page = any_page
    sign_in(page, demo.people["amira.khan"])
    page.goto("/notifications/calendar/")
    page.get_by_role("button", name="Create a calendar address").click()
    expect(page.get_by_role("heading", name="Your new calendar address is ready")).to_be_visible()
    address = page.locator("code.app-calendar-address")
    expect(address).to_contain_text("/notifications/calendar/feed/")
    # The long address wraps: the page is never wider than the screen (a phone once scrolled
    # sideways, and the links below it were covered).
    # Checked with the longest unbroken token an address could hold, whatever this one drew.
    assert page.evaluate(
        """() => {
            const code = document.querySelector("code.app-calendar-address");
            const shown = code.textContent;
            code.textContent = "x".repeat(200);
            const fits = document.documentElement.scrollWidth <= window.innerWidth;
            code.textContent = shown;
            return fits;
        }"""
    )
    assert_accessible(page, "calendar-address-created")
    page.get_by_role("link", name="I have added it to my calendar").click()
    expect(page.locator("code.app-calendar-address")).to_have_count(0)
    expect(page.get_by_role("button", name="Replace with a new address")).to_be_visible()
    assert_accessible(page, "calendar-address-kept")


def test_the_check_finds_content_outside_a_landmark(any_page: Page) -> None:
    """The "region" rule is not in the WCAG tags: without it a back link outside <main> passed."""
    any_page.set_content(
        "<!doctype html><html lang='en'><head><title>Planted</title></head><body>"
        "<a href='/'>Back</a><main><h1>Planted</h1><p>Inside.</p></main></body></html>"
    )
    violations = axe_violations(any_page)
    assert [v["id"] for v in violations] == ["region"], violations
