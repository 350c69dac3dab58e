"""Time (and optionally profile) the deadline sweep's first catch-up on a seeded bench database.

    BENCH_DATABASE=bench_x .venv/bin/python -m bench.sweep_profile --runs 3 [--profile 30]

Each run is the first catch-up after seeding, as `bench/run.py::time_sweep` measures it: in a
transaction rolled back at the end, so every run sees the same data. Prints per run the
seconds, the queries, the rows written and a digest of them (ids and times left out), so two
versions of the code can be compared on the same data: equal digests, equal rows.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import os
import pstats
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _setup() -> None:
    database = os.environ.get("BENCH_DATABASE", "escalate_bench_small")
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{database}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _written_since(marks: dict[str, int]) -> dict[str, Any]:
    """The rows the sweep wrote (ids above `marks`), without ids, times or hashes."""
    from escalate.audit.models import AuditEvent
    from escalate.escalations.models import ChronologyEntry, Participant
    from escalate.notifications.models import Notification

    outbox = sorted(
        Notification.objects.filter(pk__gt=marks["outbox"]).values_list(
            "escalation_id",
            "event",
            "event_key",
            "recipient_key",
            "recipient_email",
            "channel",
            "subject",
            "body",
            "template_key",
            "personalisation",
            "status",
        ),
        key=repr,
    )
    entries = list(
        ChronologyEntry.objects.filter(pk__gt=marks["entries"])
        .order_by("pk")
        .values_list("pk", "escalation_id", "kind", "actor_id", "stage_key", "text", "data")
    )
    entry_rank = {row[0]: rank for rank, row in enumerate(entries)}
    audit_rows = []
    for row in (
        AuditEvent.objects.filter(pk__gt=marks["audit"])
        .order_by("pk")
        .values_list(
            "chain_key",
            "sequence",
            "action",
            "object_id",
            "object_reference",
            "old_values",
            "new_values",
        )
    ):
        new_values = dict(row[6])
        if "chronology" in new_values:  # entry ids differ from run to run: their rank instead
            new_values["chronology"] = [
                {**added, "entry": entry_rank.get(added["entry"])}
                for added in new_values["chronology"]
            ]
        audit_rows.append((*row[:6], new_values))
    participants = sorted(
        Participant.objects.filter(pk__gt=marks["participants"]).values_list(
            "escalation_id", "person_id", "part", "stage_key"
        )
    )
    rows = {
        "outbox": outbox,
        "entries": [row[1:] for row in entries],
        "audit": audit_rows,
        "participants": participants,
    }
    digest = hashlib.sha256(json.dumps(rows, default=str, sort_keys=True).encode()).hexdigest()
    return {name: len(value) for name, value in rows.items()} | {"digest": digest[:16]}


def _marks() -> dict[str, int]:
    from django.db.models import Max

    from escalate.audit.models import AuditEvent
    from escalate.escalations.models import ChronologyEntry, Participant
    from escalate.notifications.models import Notification

    return {
        name: model.objects.aggregate(top=Max("pk"))["top"] or 0
        for name, model in (
            ("outbox", Notification),
            ("entries", ChronologyEntry),
            ("audit", AuditEvent),
            ("participants", Participant),
        )
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", type=int, default=0, help="print the top N of a profile")
    args = parser.parse_args(argv)
    _setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import get_resolver

    from escalate.escalations.deadlines import sweep_deadlines
    from escalate.policies.calendar import is_working_day
    from escalate.web.testing import rolled_back

    # The holidays package loads on a process's first working-day question (once per process).
    is_working_day(date(2026, 1, 5), "england")
    _ = get_resolver().reverse_dict  # the URLs, loaded by the bench's requests before its sweep
    for run in range(1, args.runs + 1):
        with rolled_back():
            marks = _marks()
            profile = cProfile.Profile() if args.profile and run == args.runs else None
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                if profile:
                    profile.enable()
                report = sweep_deadlines()
                if profile:
                    profile.disable()
                seconds = time.perf_counter() - started
            written = _written_since(marks)
        print(
            f"run {run}: {seconds:.2f} s, {len(queries)} queries, "
            f"{report.notifications_written} outbox rows reported, written {written}, "
            f"load {os.getloadavg()[0]:.2f}",
            flush=True,
        )
        if profile:
            stats = pstats.Stats(profile)
            stats.sort_stats("cumulative").print_stats(args.profile)
            stats.sort_stats("tottime").print_stats(args.profile)
            stats.sort_stats("cumulative").print_stats("escalate/", args.profile)
            stats.sort_stats("cumulative").print_callers("from_db|in_bulk|_dump_list|_split_query")


if __name__ == "__main__":
    main()
