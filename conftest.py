"""Project-wide test set-up: faster password hashing and the browser-test switch."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from pytest_django.fixtures import Settings


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Settings) -> None:
    # Argon2 is the production hasher (tested in directory/tests/test_models.py); MD5 keeps
    # the suite quick where hashing is incidental.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
    ]


_browser_tests_skipped = pytest.StashKey[int]()


def chromium_installed() -> bool:
    # The same test as scripts/test.sh and the browser fixture (which falls back to this path).
    return bool(
        shutil.which("chromium")
        or shutil.which("chromium-browser")
        or os.access("/usr/bin/chromium", os.X_OK)
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if chromium_installed():
        return
    skip = pytest.mark.skip(reason="chromium is not installed (apt-get install chromium)")
    skipped = 0
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)
            skipped += 1
    config.stash[_browser_tests_skipped] = skipped


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    skipped = config.stash.get(_browser_tests_skipped, 0)
    if skipped:
        terminalreporter.write_line(
            f"NOTE: {skipped} browser tests were SKIPPED: chromium is not installed "
            "(apt-get install chromium).",
            yellow=True,
            bold=True,
        )


@pytest.fixture(autouse=True)
def _sign_in_controls_off_unless_tested(settings: Settings) -> None:
    # Tests elsewhere sign in with client.force_login; the security tests (escalate/web/tests/
    # test_sign_in_security.py and friends) turn these back on and use escalate.web.testing.sign_in.
    settings.ESCALATE_REQUIRE_MFA = False
    settings.AXES_ENABLED = False


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    # Rate limits and sign-in counters live in the cache; each test starts with none counted.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
