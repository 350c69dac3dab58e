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


# --- PostgreSQL as the app's runtime role (CI: ESCALATE_TEST_DB_ROLE; docs/operations.md) ---
# The test database is created and migrated by the connecting (owner) role; then every
# connection switches to the runtime role, which may only append to the audit trail. Tests that
# act as the database's owner on purpose (a DBA's edit, the bulk seeder) say so with
# @pytest.mark.database_owner.
TEST_DB_ROLE = os.environ.get("ESCALATE_TEST_DB_ROLE", "")


def _set_runtime_role(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET ROLE {connection.ops.quote_name(TEST_DB_ROLE)}")


if TEST_DB_ROLE:

    @pytest.fixture(scope="session")
    def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
        from django.db import connection
        from django.db.backends.postgresql.operations import DatabaseOperations
        from django.db.backends.signals import connection_created

        from escalate.audit.roles import create_runtime_role, grant_runtime_role

        if connection.vendor != "postgresql":
            yield
            return
        with django_db_blocker.unblock():
            create_runtime_role(TEST_DB_ROLE)
            grant_runtime_role(TEST_DB_ROLE)
            _set_runtime_role(None, connection)
        connection_created.connect(_set_runtime_role, dispatch_uid="escalate_test_db_role")
        flush = DatabaseOperations.execute_sql_flush

        def flush_as_owner(self: Any, sql_list: Any) -> None:
            # Emptying the test database between transactional tests is the harness's job.
            with self.connection.cursor() as cursor:
                cursor.execute("RESET ROLE")
            try:
                flush(self, sql_list)
            finally:
                _set_runtime_role(None, self.connection)

        DatabaseOperations.execute_sql_flush = flush_as_owner  # type: ignore[method-assign]
        yield
        # The owner drops the test database.
        DatabaseOperations.execute_sql_flush = flush  # type: ignore[method-assign]
        connection_created.disconnect(dispatch_uid="escalate_test_db_role")
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute("RESET ROLE")


@pytest.fixture(autouse=True)
def _database_owner_when_marked(request: pytest.FixtureRequest) -> Any:
    if not (TEST_DB_ROLE and request.node.get_closest_marker("database_owner")):
        yield
        return
    from django.db import connection

    if connection.vendor != "postgresql":
        yield
        return
    request.getfixturevalue("_django_db_helper")
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
    yield
    if connection.connection is not None and not connection.needs_rollback:
        _set_runtime_role(None, connection)


@pytest.fixture(autouse=True)
def _audit_checkpoints_per_test(settings: Settings, request: pytest.FixtureRequest) -> None:
    # Never read or write the developer's var/audit-checkpoints; the folder is made on first use.
    import hashlib
    import tempfile
    from pathlib import Path

    node = hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:16]
    settings.AUDIT_CHECKPOINT_DIR = (
        Path(tempfile.gettempdir()) / f"escalate-checkpoints-{os.getpid()}-{node}"
    )


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    # Rate limits and sign-in counters live in the cache; each test starts with none counted.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
