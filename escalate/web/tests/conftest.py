"""The access world, built once per test module that asks for it (access_world.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings
from pytest_django import DjangoDbBlocker

from escalate.web.testing import rolled_back
from escalate.web.tests.access_world import AccessWorld, build_access_world


@pytest.fixture(scope="module")
def access_world(
    django_db_setup: None,
    django_db_blocker: DjangoDbBlocker,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[AccessWorld]:
    """Built in a transaction that is rolled back when the module ends.

    Each test's own transaction (pytest-django's `db`) nests inside it as a savepoint, so tests
    see the world and cannot change it for the next test. Evidence files go to a temporary
    folder.
    """
    evidence_root = tmp_path_factory.mktemp("evidence")
    with (
        django_db_blocker.unblock(),
        override_settings(
            EVIDENCE_ROOT=evidence_root,
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
        rolled_back(),
    ):
        yield build_access_world()
