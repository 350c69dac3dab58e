"""Fixtures for browser journeys: one chromium per session, a fresh context per page."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page, expect, sync_playwright
from pytest_django.live_server_helper import LiveServer

from escalate.directory.demo import DemoDirectory, create_demo_directory

# Debian's chromium (installed by .ci/run); Playwright never downloads a browser here.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORTS: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}
# Failing quickly keeps a broken journey from holding the suite for Playwright's default 30s.
TIMEOUT_MS = 5_000
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "browser"

_report_key = pytest.StashKey[dict[str, pytest.TestReport]]()


def _chromium_path() -> str:
    return shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One chromium for this package's tests, closed after the last of them."""
    expect.set_options(timeout=TIMEOUT_MS)
    with pytest.MonkeyPatch.context() as patch:
        # Playwright's sync API keeps an (idle) asyncio loop running in this thread, which Django
        # takes for async code and refuses the ORM; the ORM calls here are plain synchronous ones.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=_chromium_path(), args=CHROMIUM_ARGS, headless=True
            )
            yield chromium
            chromium.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Iterator[None] | Any:
    report = yield
    item.stash.setdefault(_report_key, {})[report.when] = report
    return report


def _open_page(
    request: pytest.FixtureRequest, browser: Browser, live_server: LiveServer, size: str
) -> Iterator[Page]:
    if request.node.get_closest_marker("browser") is None:
        pytest.fail("browser tests must be marked @pytest.mark.browser (pytestmark)")
    context = browser.new_context(base_url=live_server.url, locale="en-GB", **VIEWPORTS[size])
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}")
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    page.on(
        "response",
        lambda response: (
            problems.append(f"{response.status} for {response.url}")
            if "/static/" in response.url and response.status >= 400
            else None
        ),
    )
    page.on(
        "requestfailed",
        lambda failed: (
            problems.append(f"request failed: {failed.url} ({failed.failure})")
            if "/static/" in failed.url
            else None
        ),
    )
    yield page
    reports = request.node.stash.get(_report_key, {})
    if "call" in reports and reports["call"].failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
    context.close()
    if problems:
        pytest.fail("The page had problems:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def page(
    request: pytest.FixtureRequest, browser: Browser, live_server: LiveServer
) -> Iterator[Page]:
    """A desktop-sized page (1280x800) in a fresh browser context, on the live server."""
    yield from _open_page(request, browser, live_server, "desktop")


@pytest.fixture
def phone_page(
    request: pytest.FixtureRequest, browser: Browser, live_server: LiveServer
) -> Iterator[Page]:
    """A phone-sized page (390x844, touch) in a fresh browser context, on the live server."""
    yield from _open_page(request, browser, live_server, "phone")


@pytest.fixture(params=list(VIEWPORTS))
def any_page(
    request: pytest.FixtureRequest, browser: Browser, live_server: LiveServer
) -> Iterator[Page]:
    """The test runs twice: at desktop size and at phone size."""
    yield from _open_page(request, browser, live_server, request.param)


@pytest.fixture
def viewport_name(request: pytest.FixtureRequest) -> str:
    """'desktop' or 'phone' for tests using `any_page` (to name screenshots)."""
    callspec = getattr(request.node, "callspec", None)
    return str(callspec.params.get("any_page", "desktop")) if callspec else "desktop"


@pytest.fixture
def demo(transactional_db: None) -> DemoDirectory:
    """The fictitious Riverside partnership from `make run` (people in every role, agencies)."""
    riverside, _eastmoor = create_demo_directory()
    return riverside
