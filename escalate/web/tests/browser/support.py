"""What browser journeys do again and again: sign in, check accessibility, screenshot, tab."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from playwright.sync_api import Locator, Page, expect

from escalate.directory.demo import DEMO_PASSWORD
from escalate.directory.models import Person
from escalate.directory.tests.factories import TEST_PASSWORD

# WCAG 2.0, 2.1 and 2.2 at levels A and AA (axe-core's tag names).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_PATH = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"


def password_for(person: Person) -> str:
    """The password of a factory-made or demo person (the suite knows both)."""
    for password in (TEST_PASSWORD, DEMO_PASSWORD):
        if person.check_password(password):
            return password
    raise AssertionError(f"{person.email} has neither the test nor the demo password")


def sign_in(page: Page, person: Person, password: str | None = None) -> None:
    """Sign in through the real sign-in form and wait until it has let the person in."""
    page.goto("/sign-in/")
    page.get_by_label("Email address").fill(person.email)
    page.get_by_label("Password", exact=True).fill(password or password_for(person))
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/sign-in/"))


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


_RUN_AXE = """async (tags) => {
  const results = await axe.run(document, {
    runOnly: {type: "tag", values: tags},
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
    violations: list[dict[str, Any]] = page.evaluate(_RUN_AXE, WCAG_TAGS)
    return violations


def assert_accessible(page: Page, name: str) -> None:
    """Fail listing every WCAG 2.2 A/AA violation axe-core finds (id, impact, target)."""
    violations = axe_violations(page)
    if not violations:
        return
    lines = [f"{len(violations)} accessibility violation(s) on {name!r} ({page.url}):"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            lines.append(f"    at {node['target']}: {node['html'][:160]}")
    raise AssertionError("\n".join(lines))


def save_screenshot(page: Page, name: str) -> Path:
    """Save the whole page as docs/screenshots/<name>.png (committed; the README shows them)."""
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name):
        raise ValueError(f"screenshot names are lower-case words joined by hyphens, not {name!r}")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
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
