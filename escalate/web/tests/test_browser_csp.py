"""In a real browser the strict CSP blocks nothing the GOV.UK pages need."""

from __future__ import annotations

import os

import pytest

from escalate.directory.tests.factories import TEST_PASSWORD, PersonFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_and_set_up_pages_run_their_scripts_with_no_csp_violations(
    live_server, settings, tmp_path
) -> None:
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # playwright's loop, our DB
    settings.ESCALATE_REQUIRE_MFA = True
    person = PersonFactory(email="browser@testshire.example.org")
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
        page = browser.new_page()
        page.on(
            "console",
            lambda message: problems.append(message.text) if message.type == "error" else None,
        )
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto(f"{live_server.url}/sign-in/")
        assert page.evaluate("document.body.classList.contains('govuk-frontend-supported')")
        page.fill("#id_username", person.email)
        page.fill("#id_password", TEST_PASSWORD)
        page.click("button.govuk-button")
        page.wait_for_url("**/account/two-factor/set-up/**")
        assert page.locator(".app-qr-code svg").is_visible()
        box = page.locator(".app-qr-code svg").bounding_box()
        assert box is not None and box["width"] >= 150
        assert page.evaluate("document.body.classList.contains('govuk-frontend-supported')")
        page.screenshot(path=str(tmp_path / "set-up.png"), full_page=True)
        browser.close()
    assert problems == []
