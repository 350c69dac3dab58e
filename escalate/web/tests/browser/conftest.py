"""Fixtures for browser journeys: one chromium per package, a fresh context per page or person."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.servers.basehttp import WSGIServer
from django.test.testcases import LiveServerThread
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from escalate.directory.demo import DemoDirectory, create_demo_directory
from escalate.directory.models import Person
from escalate.web.tests.browser.support import (
    DOCUMENT_ID_SCRIPT,
    PageLedger,
    assert_accessible,
    save_screenshot,
    sign_in,
)

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
# Failing quickly keeps a broken journey from holding the suite for Playwright's default 30s;
# 5 s was too quick on a loaded 2-CPU machine (a sign-in page or a download timed out at load 7).
TIMEOUT_MS = 15_000
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "browser"

_report_key = pytest.StashKey[dict[str, pytest.TestReport]]()


class OneRequestAtATimeServer(WSGIServer):
    """The live server without a thread per request, for an in-memory SQLite test database.

    There every request shares the test's one SQLite connection, and requests at the same time
    (the dashboard's charts load together) deadlock inside it: Django's own user-defined SQL
    functions need the GIL while SQLite's connection lock is held. A file or PostgreSQL database
    gives each thread its own connection, so the threaded server stays for those.
    """

    def __init__(self, *args: Any, connections_override: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    LiveServerThread.server_class = OneRequestAtATimeServer


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


def _new_context(
    request: pytest.FixtureRequest, browser: Browser, live_server: LiveServer, size: str
) -> BrowserContext:
    if request.node.get_closest_marker("browser") is None:
        pytest.fail("browser tests must be marked @pytest.mark.browser (pytestmark)")
    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", accept_downloads=True, **VIEWPORTS[size]
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context


def _watch(page: Page) -> list[str]:
    """Collect what should fail any test: JavaScript errors, CSP refusals, missing static files."""
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
    return problems


def _keep_screenshot_if_failed(request: pytest.FixtureRequest, page: Page, suffix: str) -> None:
    reports = request.node.stash.get(_report_key, {})
    if "call" in reports and reports["call"].failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid + suffix)
        page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


def _open_page(
    request: pytest.FixtureRequest, browser: Browser, live_server: LiveServer, size: str
) -> Iterator[Page]:
    context = _new_context(request, browser, live_server, size)
    page = context.new_page()
    problems = _watch(page)
    yield page
    _keep_screenshot_if_failed(request, page, "")
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


@pytest.fixture(autouse=True)
def _second_factor_required(_sign_in_controls_off_unless_tested: None, settings: Settings) -> None:
    """In a real browser, signing in asks for the one-time code, as in production."""
    settings.ESCALATE_REQUIRE_MFA = True


@pytest.fixture
def demo_partnerships(transactional_db: None) -> tuple[DemoDirectory, DemoDirectory]:
    """Both demo partnerships: Riverside (England) and Eastmoor (Scotland, children and adults)."""
    return create_demo_directory()


@pytest.fixture
def demo(demo_partnerships: tuple[DemoDirectory, DemoDirectory]) -> DemoDirectory:
    """The fictitious Riverside partnership from `make run` (people in every role, agencies)."""
    return demo_partnerships[0]


class Journey:
    """One browser context per person, signed in once (password and code) and kept for the test.

    Every page any of them loads must pass `assert_accessible` before the test ends: the test
    fails naming each page that was loaded and never checked.
    """

    def __init__(
        self,
        request: pytest.FixtureRequest,
        browser: Browser,
        live_server: LiveServer,
        size: str,
    ) -> None:
        self.request = request
        self.browser = browser
        self.live_server = live_server
        self.size = size
        self.pages: dict[str, Page] = {}
        self.problems: dict[str, list[str]] = {}
        self.ledgers: dict[str, PageLedger] = {}

    @property
    def phone(self) -> bool:
        return self.size == "phone"

    def screenshot(self, page: Page, name: str, *, phone_too: bool = False) -> None:
        """docs/screenshots/<name>.png at desktop size (and <name>-phone.png if `phone_too`)."""
        if self.size == "desktop":
            save_screenshot(page, name)
        elif phone_too:
            save_screenshot(page, f"{name}-{self.size}")

    def page_for(self, person: Person) -> Page:
        """A page signed in as `person` (signed in the first time it is asked for)."""
        if person.email not in self.pages:
            page = self.fresh_page(person.email)
            sign_in(page, person, check=assert_accessible)
            assert_accessible(page, "the page after signing in")
        return self.pages[person.email]

    def fresh_page(self, key: str) -> Page:
        """A page in a new context with no one signed in, watched like the others."""
        context = _new_context(self.request, self.browser, self.live_server, self.size)
        context.add_init_script(DOCUMENT_ID_SCRIPT)
        page = context.new_page()
        self.problems[key] = _watch(page)
        self.ledgers[key] = PageLedger()
        self.ledgers[key].watch(page)
        self.pages[key] = page
        return page

    def close(self) -> None:
        reports = self.request.node.stash.get(_report_key, {})
        finished = "call" in reports and reports["call"].passed  # not stopped half-way
        failures = []
        for key, page in self.pages.items():
            _keep_screenshot_if_failed(self.request, page, f"-{key}")
            unchecked = self.ledgers[key].unchecked() if finished else []
            self.ledgers[key].forget(page)
            page.context.close()
            failures += [f"{key}: {problem}" for problem in self.problems[key]]
            failures += [f"{key}: axe never ran on {url}" for url in unchecked]
        if failures:
            pytest.fail("The journey had problems:\n" + "\n".join(failures), pytrace=False)


@pytest.fixture(params=list(VIEWPORTS))
def journey(
    request: pytest.FixtureRequest, browser: Browser, live_server: LiveServer
) -> Iterator[Journey]:
    """A journey by several people, run twice: at desktop size and at phone size."""
    journey = Journey(request, browser, live_server, request.param)
    yield journey
    journey.close()


@pytest.fixture
def phone_journey(
    request: pytest.FixtureRequest, browser: Browser, live_server: LiveServer
) -> Iterator[Journey]:
    """A journey by several people at phone size only (390x844, touch): the policies' scenarios,
    whose pages the desktop journeys already walk."""
    journey = Journey(request, browser, live_server, "phone")
    yield journey
    journey.close()
