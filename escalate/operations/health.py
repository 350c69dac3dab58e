"""Readiness checks: can this process reach what a request needs (database, cache, storage)?"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection

from escalate.evidence.storage import evidence_storage


@dataclass(frozen=True)
class CheckOutcome:
    name: str
    ok: bool
    milliseconds: float
    error: str = ""  # the exception's class only: no addresses or secrets in a public answer


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_cache() -> None:
    key = f"escalate:ready:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return what was stored")
    cache.delete(key)


def check_storage() -> None:
    # A read that needs the store to answer, without writing anything to it.
    evidence_storage().exists(f"ready-check-{uuid.uuid4().hex}")


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "cache": check_cache,
    "storage": check_storage,
}


def run_checks() -> list[CheckOutcome]:
    outcomes = []
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            check()
        except Exception as error:  # any failure means "not ready", never a 500
            outcomes.append(CheckOutcome(name, False, _ms(started), error=type(error).__name__))
        else:
            outcomes.append(CheckOutcome(name, True, _ms(started)))
    return outcomes


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
