"""Journeys in a real browser: Playwright driving Debian's chromium against the live test server.

How to add a journey
--------------------
1. Write a test module here (`test_<journey>.py`) with `pytestmark = pytest.mark.browser`; the root
   conftest skips it, with the reason, when chromium is not installed.
2. Ask for a page: `page` (desktop, 1280x800), `phone_page` (390x844, touch) or `any_page`
   (the test runs once at each size). Each is a fresh browser context (no cookies) whose
   relative URLs go to the live server: `page.goto("/")`. The database is shared with the server
   (`transactional_db`), so records made with factories or `demo` are visible to it.
   For a journey by several people ask for `journey` (runs at each size too):
   `journey.page_for(person)` gives that person's own context, signed in once (password and
   one-time code) and kept for the test; every page any of them loads must pass
   `assert_accessible`, or the test fails naming the page. `journey.screenshot(page, "name")`.
   The second factor is on for browser tests (`_second_factor_required`): people sign in with
   the demo authenticator key (`support.demo_device`, `support.one_time_code`).
3. Use the helpers in `support.py`:
   `sign_in(page, person)` signs in through the real forms; `sign_out(page)` uses the header
   (opening the phone menu first if needed); `assert_accessible(page, "name")` runs axe-core
   with the WCAG 2.0/2.1/2.2 A and AA rules and fails listing each violation;
   `save_screenshot(page, "name")` writes docs/screenshots/name.png for the README, only when
   the file is missing or ESCALATE_UPDATE_SCREENSHOTS=1 (so `make test` changes no tracked file);
   `press_tab_until(page, "Accessible name")` and `assert_focus_visible(page)` for keyboard-only
   journeys.
4. Call `assert_accessible` on every page the journey reaches, at both sizes (`any_page`).
   Pages that need only a signed-in person can instead be added as one line to
   `PAGES` in test_pages_accessible.py. Every `{% govuk_field %}` component is checked, empty and
   with errors, in test_form_components_accessible.py; a new component belongs there too.

A failed test leaves a screenshot of the page in test-artifacts/browser/ (ignored by git).
Uncaught JavaScript errors and static files that fail to load fail the test.
"""
