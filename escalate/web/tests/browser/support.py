"""What browser journeys do again and again: sign in, check accessibility, screenshot, tab."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Locator, Page, expect

from escalate.directory.demo import DEMO_PASSWORD
from escalate.directory.models import Person
from escalate.directory.tests.factories import TEST_PASSWORD
from escalate.web import mfa

# WCAG 2.0, 2.1 and 2.2 at levels A and AA (axe-core's tag names).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# Rules outside those tags that the journeys also hold: all content inside a landmark, so a
# screen reader's landmark list reaches everything (a back link outside <main> was missed).
EXTRA_RULES = ["region", "landmark-one-main", "page-has-heading-one"]
AXE_PATH = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"


def password_for(person: Person) -> str:
    """The password of a factory-made or demo person (the suite knows both)."""
    for password in (TEST_PASSWORD, DEMO_PASSWORD):
        if person.check_password(password):
            return password
    raise AssertionError(f"{person.email} has neither the test nor the demo password")


def one_time_code(device: TOTPDevice) -> str:
    """The code the person's authenticator app shows now, as a person would type it.

    django-otp accepts each time step once, so a code already used (the same person signing in
    twice within 30 seconds) is waited out rather than typed again and refused.
    """
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    while totp.t() <= device.last_t:
        time.sleep(1)
    return f"{totp.token():0{device.digits}d}"


def demo_device(person: Person) -> TOTPDevice:
    """The person's authenticator: the demo's shared key (escalate/web/mfa.py)."""
    return mfa.give_demo_device(person)


PageCheck = Callable[[Page, str], None]


def sign_in(
    page: Page,
    person: Person,
    password: str | None = None,
    *,
    check: PageCheck | None = None,
    timeout: float | None = None,
) -> None:
    """Sign in through the real forms, password then the one-time code, as a person would.

    `check(page, name)` is called on each page on the way (journeys pass `assert_accessible`).
    The code page appears only when the second factor is required (it is, in browser tests).
    `timeout` (ms): how long to wait for the sign-in to answer (a slow, loaded machine).
    """
    device = demo_device(person)
    page.goto("/sign-in/")
    if check:
        check(page, "sign-in")
    page.get_by_label("Email address").fill(person.email)
    page.get_by_label("Password", exact=True).fill(password or password_for(person))
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/sign-in/"), timeout=timeout)
    if "/account/two-factor/" in page.url:
        enter_code(page, device, check=check)


def enter_code(page: Page, device: TOTPDevice, *, check: PageCheck | None = None) -> None:
    """On the code page: type the authenticator's current code and continue."""
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Enter the code from your authenticator app"
    )
    if check:
        check(page, "one-time code")
    page.get_by_label("Code from your authenticator app").fill(one_time_code(device))
    page.get_by_role("button", name="Continue").click()
    expect(page).not_to_have_url(re.compile(r"/account/two-factor/"))


def open_menu_if_collapsed(page: Page) -> None:
    """At phone size the header navigation hides behind a Menu button."""
    menu = page.locator("header").get_by_role("button", name="Menu")
    if menu.is_visible() and menu.get_attribute("aria-expanded") != "true":
        menu.click()


def sign_out(page: Page) -> None:
    """Sign out with the header's button (opening the phone menu first if it is collapsed)."""
    open_menu_if_collapsed(page)
    page.locator("header").get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in/$"))


@cache
def _axe_source() -> str:
    return AXE_PATH.read_text(encoding="utf-8")


_RUN_AXE = """async ([tags, extra]) => {
  const results = await axe.run(document, {
    runOnly: {type: "tag", values: tags},
    rules: Object.fromEntries(extra.map((id) => [id, {enabled: true}])),
    resultTypes: ["violations"],
  });
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), html: n.html})),
  }));
}"""


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core (from node_modules, never a CDN) on the page as it is now."""
    # Evaluated through the DevTools protocol, so a Content Security Policy does not block it.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    violations: list[dict[str, Any]] = page.evaluate(_RUN_AXE, [WCAG_TAGS, EXTRA_RULES])
    return violations


_DOCUMENT_ID = "() => window.__escalateDocumentId"
# Each document loaded gets its own id, so a journey can tell which pages axe has checked.
DOCUMENT_ID_SCRIPT = "window.__escalateDocumentId = Math.random().toString(36).slice(2);"


class PageLedger:
    """The pages a browser context loaded and the ones axe checked: a journey checks them all.

    Install with `ledger.watch(page)` after `page.add_init_script(DOCUMENT_ID_SCRIPT)`;
    `assert_accessible` records the document it checked.
    """

    def __init__(self) -> None:
        self.loaded: list[str] = []
        self.checked: dict[str, str] = {}

    def watch(self, page: Page) -> None:
        page.on("load", lambda loaded: self.loaded.append(loaded.url))
        _LEDGERS[id(page)] = self

    def record(self, page: Page) -> None:
        document = page.evaluate(_DOCUMENT_ID)
        if document:
            self.checked[str(document)] = page.url

    def unchecked(self) -> list[str]:
        """Loaded pages axe never ran on (an address loaded twice must be checked twice)."""
        checked = [_without_fragment(url) for url in self.checked.values()]
        left = []
        for url in map(_without_fragment, self.loaded):
            if url in checked:
                checked.remove(url)
            else:
                left.append(url)
        return left

    def forget(self, page: Page) -> None:
        _LEDGERS.pop(id(page), None)


def _without_fragment(url: str) -> str:
    return url.split("#", 1)[0]


_LEDGERS: dict[int, PageLedger] = {}


def assert_accessible(page: Page, name: str) -> None:
    """Fail listing every WCAG 2.2 A/AA violation axe-core finds (id, impact, target)."""
    page.wait_for_load_state("load")
    violations = axe_violations(page)
    ledger = _LEDGERS.get(id(page))
    if ledger is not None:
        ledger.record(page)
    if not violations:
        return
    lines = [f"{len(violations)} accessibility violation(s) on {name!r} ({page.url}):"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            lines.append(f"    at {node['target']}: {node['html'][:160]}")
    raise AssertionError("\n".join(lines))


UPDATE_SCREENSHOTS = "ESCALATE_UPDATE_SCREENSHOTS"


def save_screenshot(page: Page, name: str) -> Path | None:
    """Save the whole page as docs/screenshots/<name>.png (committed; the README shows them).

    Only when ESCALATE_UPDATE_SCREENSHOTS=1 or the file does not exist yet: dates and references
    change on every run, so rewriting them each time would leave the working tree modified.
    Returns the path written, or None when the screenshot was left as it is.
    """
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name):
        raise ValueError(f"screenshot names are lower-case words joined by hyphens, not {name!r}")
    path = SCREENSHOTS / f"{name}.png"
    if path.exists() and os.environ.get(UPDATE_SCREENSHOTS) != "1":
        return None
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=path, full_page=True, animations="disabled", caret="hide")
    return path


_DESCRIBE_FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return "(nothing: the page itself)";
  const text = (el.getAttribute("aria-label") || el.innerText || el.value || "").trim();
  return `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""} "${text.slice(0, 40)}"`;
}"""


def focused(page: Page) -> str:
    """A short description of the element that has the keyboard focus, for messages."""
    description: str = page.evaluate(_DESCRIBE_FOCUS)
    return description


def has_focus(target: Locator) -> bool:
    result: bool = target.evaluate("(el) => el === document.activeElement")
    return result


def press_tab_until(page: Page, target: Locator, max_presses: int = 30) -> int:
    """Press Tab until `target` has the focus; fail showing the focus order if it never does."""
    seen = []
    for presses in range(1, max_presses + 1):
        page.keyboard.press("Tab")
        if has_focus(target):
            return presses
        seen.append(focused(page))
    raise AssertionError(
        f"Tab never reached {target} in {max_presses} presses. Focus went to:\n  "
        + "\n  ".join(seen)
    )


_FOCUS_STYLES = """(el) => {
  const pick = () => {
    const s = getComputedStyle(el);
    return {
      outline: s.outlineStyle === "none" ? "none" : `${s.outlineStyle} ${s.outlineWidth}`,
      shadow: s.boxShadow,
      background: s.backgroundColor,
      color: s.color,
      decoration: `${s.textDecorationLine} ${s.textDecorationThickness}`,
    };
  };
  const box = el.getBoundingClientRect();
  const focusedStyle = pick();
  el.blur();
  const plainStyle = pick();
  el.focus();
  return {
    focused: focusedStyle,
    plain: plainStyle,
    visible: box.width > 1 && box.height > 1 && box.bottom > 0 && box.right > 0,
  };
}"""


def assert_focus_visible(page: Page) -> None:
    """The focused element is on screen and looks different from when it is not focused
    (WCAG 2.4.7), with an outline or shadow (GOV.UK's yellow focus state)."""
    element = page.locator("*:focus")
    expect(element).to_have_count(1)
    styles = element.evaluate(_FOCUS_STYLES)
    where = focused(page)
    assert styles["visible"], f"the focused element {where} is not visible on screen"
    assert styles["focused"] != styles["plain"], (
        f"focusing {where} changes nothing visible: {styles['plain']}"
    )
    indicator = styles["focused"]["outline"] != "none" or styles["focused"]["shadow"] != "none"
    assert indicator, f"the focused element {where} has no outline or shadow: {styles['focused']}"
