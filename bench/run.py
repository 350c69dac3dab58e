"""Server-side time of the key requests at scale, measured in-process on PostgreSQL.

    python -m bench.run --size small   # make bench: 20,000 escalations, a few minutes
    python -m bench.run --size full    # make bench-full: 1,000,000 escalations

Each size has its own database (escalate_bench_small / escalate_bench_full, or BENCH_DATABASE to
compare two checkouts side by side), created, migrated
and seeded (`seed_scale`) the first time. Every request goes through the whole middleware stack
(sessions in the database, sign-in, two-factor, CSP...) with bench.settings (DEBUG off, cached
templates), signed in as a real seeded person with a two-factor-verified session, through
Django's test Client in this process: the time is the server's, with no network. Requests are
interleaved, after warm-up. Results go to bench/results/<size>.json and the table in
docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "performance.md"
SERVER = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")

TARGET_FLOOR_RATIO = 3.0
TARGET_P95_MS = 100.0
TARGET_DASHBOARD_SQL_RATIO = 2.0
TARGET_SWEEP_SECONDS = 10.0


@dataclass(frozen=True)
class Size:
    database: str
    partnerships: int
    escalations: int
    runs: int


SIZES = {
    "small": Size(os.environ.get("BENCH_DATABASE", "escalate_bench_small"), 5, 20_000, 40),
    "full": Size(os.environ.get("BENCH_DATABASE", "escalate_bench_full"), 150, 1_000_000, 40),
}


def ensure_database(name: str) -> bool:
    """Create the database if it does not exist; True when it was created."""
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            return False
        conn.execute(f'CREATE DATABASE "{name}"')
    return True


def setup_django(size: Size) -> None:
    os.environ["DATABASE_URL"] = f"{SERVER}/{size.database}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def seed_if_empty(size: Size, *, reuse: bool = False) -> float | None:
    """Migrate, and seed when the database has no seeded data yet; the seconds seeding took.

    With `reuse`, never seed: a database without seeded data stops the run instead.
    """
    from django.core.management import call_command

    from escalate.directory.models import Partnership

    call_command("migrate", verbosity=0)
    if Partnership.objects.filter(slug__startswith="scale-").exists():
        return None
    if reuse:
        raise SystemExit(f"--reuse: {size.database} has no seeded data (run without --reuse).")
    print(f"Seeding {size.escalations} escalations into {size.database}...", flush=True)
    started = time.monotonic()
    call_command(
        "seed_scale", partnerships=size.partnerships, escalations=size.escalations, verbosity=1
    )
    return time.monotonic() - started


# --- who asks for what ---------------------------------------------------------------------


def signed_in_client(person: Any) -> Any:
    from django.test import Client

    from escalate.web.testing import sign_in

    client = Client()
    sign_in(client, person)
    return client


@dataclass
class Request:
    name: str
    label: str
    client: Any
    path: str
    headers: dict[str, str]


def api_requests(personas: Any) -> list[Request]:
    """The API list (its default view, all you may see) and the API escalation, with a Bearer
    token of the practitioner.

    The token is made through the API's own service, as /api/tokens/ does (and audited): its
    secret is shown once, so every run makes a new one.
    """
    from django.test import Client

    from escalate.api.models import Scope
    from escalate.api.services import create_token

    token = create_token(
        by=personas.practitioner, name="Benchmark", scopes=[Scope.ESCALATIONS_READ]
    )
    bearer = {"Authorization": f"Bearer {token.secret}"}
    return [
        Request(
            "api_list",
            "API list, /api/v1/escalations (practitioner, Bearer token)",
            Client(),
            "/api/v1/escalations",
            bearer,
        ),
        Request(
            "api_escalation",
            "API escalation, /api/v1/escalations/{reference} (its raiser, Bearer token)",
            Client(),
            f"/api/v1/escalations/{personas.reference}",
            bearer,
        ),
    ]


def requests_for(personas: Any) -> list[Request]:
    practitioner = signed_in_client(personas.practitioner)
    manager = signed_in_client(personas.manager)
    business = signed_in_client(personas.business_manager)
    return [
        Request("floor", "Floor: trivial signed-in page", practitioner, "/bench/floor/", {}),
        Request("home_practitioner", "Home lists (practitioner)", practitioner, "/", {}),
        Request("home_manager", "Home lists (line manager)", manager, "/", {}),
        Request(
            "escalation_page",
            "Escalation page (its raiser)",
            practitioner,
            f"/escalations/{personas.reference}/",
            {},
        ),
        Request(
            "escalation_page_manager",
            "Escalation page (a manager at its current stage, Stage 2 or later)",
            signed_in_client(personas.stage_manager),
            f"/escalations/{personas.stage_reference}/",
            {},
        ),
        Request("manager_queue", "Manager queue", manager, "/escalations/queue/", {}),
        Request("dashboard", "Dashboard (business manager)", business, "/reports/", {}),
        *api_requests(personas),
    ]


# --- measuring -----------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, -(-int(share * 100) * len(ordered) // 100))
    return ordered[rank - 1]


def summary(times: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(times, 0.50), 2),
        "p95_ms": round(percentile(times, 0.95), 2),
        "mean_ms": round(statistics.fmean(times), 2),
        "runs": len(times),
    }


def get(request: Request) -> Any:
    response = request.client.get(request.path, headers=request.headers)
    if response.status_code != 200:
        raise SystemExit(f"{request.name}: {request.path} answered {response.status_code}")
    return response


def measure(requests: list[Request], runs: int) -> dict[str, dict[str, Any]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    results: dict[str, dict[str, Any]] = {}
    for request in requests:
        for _ in range(3):
            get(request)
        with CaptureQueriesContext(connection) as queries:
            get(request)
        results[request.name] = {"label": request.label, "queries": len(queries)}
        results[request.name]["sql"] = [query["sql"] for query in queries.captured_queries]
    times: dict[str, list[float]] = {request.name: [] for request in requests}
    for _ in range(runs):
        for request in requests:  # interleaved, so a slow moment of the machine hits every request
            started = time.perf_counter()
            get(request)
            times[request.name].append((time.perf_counter() - started) * 1000)
    for request in requests:
        results[request.name].update(summary(times[request.name]))
    return results


def _is_figures_sql(sql: str) -> bool:
    """A statement the dashboard makes for its figures: about the escalations, or about the
    figures kept with them (escalations/figures.py)."""
    source = sql.split("FROM", 1)[-1]
    return sql.startswith("SELECT") and (
        '"escalations_escalation"' in source or '"escalations_escalationfigure"' in source
    )


def dashboard_sql(results: dict[str, dict[str, Any]], partnership_id: int, runs: int) -> None:
    """The dashboard's figures straight from the database, without Django.

    `bare_sql_aggregate`: one hand-written statement for the headline counts.
    `dashboard_sql_replayed`: the dashboard's own statements for its figures, as captured,
    sent back to back through a plain cursor (the database's share of the page: the target
    "within 2x of the bare aggregate" compares this with `bare_sql_aggregate`).
    """
    from django.db import connection

    headline = """
        SELECT count(*),
               count(*) FILTER (WHERE status IN ('open', 'paused')),
               count(*) FILTER (WHERE status = 'open' AND stage_due_at < now()),
               count(*) FILTER (WHERE status = 'resolved'),
               count(*) FILTER (WHERE status = 'withdrawn')
        FROM escalations_escalation WHERE partnership_id = %s
    """
    statements = [sql for sql in results["dashboard"]["sql"] if _is_figures_sql(sql)]

    def timed(run: Callable[[Any], None]) -> list[float]:
        found = []
        with connection.cursor() as cursor:
            for index in range(runs + 3):
                started = time.perf_counter()
                run(cursor)
                if index >= 3:
                    found.append((time.perf_counter() - started) * 1000)
        return found

    def one(cursor: Any) -> None:
        cursor.execute(headline, [partnership_id])
        cursor.fetchall()

    def replay(cursor: Any) -> None:
        for sql in statements:
            cursor.execute(sql)
            cursor.fetchall()

    results["bare_sql_aggregate"] = {
        "label": "Dashboard headline counts, one hand-written SQL statement",
        "queries": 1,
        **summary(timed(one)),
    }
    results["dashboard_sql_replayed"] = {
        "label": "Dashboard's own statements for its figures, replayed through a plain cursor",
        "queries": len(statements),
        **summary(timed(replay)),
    }


def time_sweep() -> dict[str, Any]:
    """The deadline sweep over every open stage and action, twice, then rolled back.

    The first run writes every reminder and overdue notice due now; the second is the
    steady state (every few minutes, nothing new). Rolled back so the bench can be repeated.
    """
    from escalate.escalations.deadlines import sweep_deadlines
    from escalate.escalations.models import Action, StageRecord
    from escalate.web.testing import rolled_back

    open_stages = StageRecord.objects.filter(ended_at__isnull=True).count()
    open_actions = Action.objects.filter(done_at__isnull=True).count()
    # Each notice is its own durable transaction; this one stands in for a test's, so they nest.
    with rolled_back():
        started = time.perf_counter()
        first = sweep_deadlines()
        middle = time.perf_counter()
        second = sweep_deadlines()
        ended = time.perf_counter()
    return {
        "open_stages": open_stages,
        "open_actions": open_actions,
        "first_run_s": round(middle - started, 2),
        "first_run_notifications": first.notifications_written,
        "steady_run_s": round(ended - middle, 2),
        "steady_run_notifications": second.notifications_written,
    }


# --- reporting -----------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        db_size = cursor.fetchone()[0]
    mem_kb = 0
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    git = shutil.which("git") or "/usr/bin/git"
    commit = subprocess.run(  # noqa: S603 (a fixed git command)
        [git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    return {
        "cpus": os.cpu_count(),
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "postgresql": pg_version,
        "python": platform.python_version(),
        "database_size": db_size,
        "load_average_1m": round(os.getloadavg()[0], 2),
        "commit": commit,
    }


def data_size() -> dict[str, int]:
    from escalate.audit.models import AuditEvent
    from escalate.directory.models import Partnership, Person
    from escalate.escalations.models import (
        Action,
        ChronologyEntry,
        Escalation,
        Participant,
        StageRecord,
    )
    from escalate.notifications.models import Notification

    models = {
        "partnerships": Partnership,
        "people": Person,
        "escalations": Escalation,
        "stage_records": StageRecord,
        "participants": Participant,
        "chronology_entries": ChronologyEntry,
        "actions": Action,
        "notifications": Notification,
        "audit_events": AuditEvent,
    }
    # Estimates from the planner's statistics: exact counts of the big tables take seconds.
    from django.db import connection

    found = {}
    with connection.cursor() as cursor:
        for key, model in models.items():
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [model._meta.db_table]
            )
            found[key] = max(int(cursor.fetchone()[0]), 0)
    found["escalations"] = Escalation.objects.count()
    found["partnerships"] = Partnership.objects.count()
    found["people"] = Person.objects.count()
    return found


def verdicts(results: dict[str, dict[str, Any]], sweep: dict[str, Any]) -> dict[str, Any]:
    floor = results["floor"]
    out: dict[str, Any] = {}
    for name, row in results.items():
        if name in ("floor", "bare_sql_aggregate", "dashboard_sql_replayed"):
            continue
        row["floor_ratio_p50"] = round(row["p50_ms"] / floor["p50_ms"], 1)
        row["floor_ratio_p95"] = round(row["p95_ms"] / floor["p95_ms"], 1)
        out[name] = {
            "within_3x_floor": row["floor_ratio_p95"] <= TARGET_FLOOR_RATIO,
            "p95_under_100ms": row["p95_ms"] < TARGET_P95_MS,
        }
    dashboard = results["dashboard"]
    for key in ("bare_sql_aggregate", "dashboard_sql_replayed"):
        dashboard[f"{key}_ratio_p50"] = round(dashboard["p50_ms"] / results[key]["p50_ms"], 1)
    # The dashboard's database work (its statements replayed) against the bare aggregate.
    dashboard["database_work_ratio_p50"] = round(
        results["dashboard_sql_replayed"]["p50_ms"] / results["bare_sql_aggregate"]["p50_ms"], 1
    )
    out["dashboard"]["within_2x_bare_sql"] = (
        dashboard["database_work_ratio_p50"] <= TARGET_DASHBOARD_SQL_RATIO
    )
    out["sweep_under_10s"] = sweep["first_run_s"] < TARGET_SWEEP_SECONDS
    return out


def markdown(report: dict[str, Any]) -> str:
    results = report["requests"]
    lines = [
        f"Measured {report['measured_at']} at commit `{report['machine']['commit']}`: "
        f"{report['data']['escalations']:,} escalations in {report['data']['partnerships']} "
        f"partnerships ({report['data']['people']:,} people, "
        f"{report['data']['chronology_entries']:,} chronology entries, "
        f"{report['data']['notifications']:,} outbox rows, "
        f"{report['data']['audit_events']:,} audit rows; database "
        f"{report['machine']['database_size']}); {report['machine']['cpus']} CPUs, "
        f"{report['machine']['ram_gb']} GB RAM, PostgreSQL {report['machine']['postgresql']}, "
        f"load average {report['machine']['load_average_1m']} when it started; "
        f"{report['runs']} timed runs per request.",
        "",
        "| Request | p50 ms | p95 ms | x floor (p95) | queries | target met |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for name, row in results.items():
        ratio = row.get("floor_ratio_p95")
        verdict = report["verdicts"].get(name, {})
        met = ", ".join(
            ("yes" if ok else "**no**") + f" ({what.replace('_', ' ')})"
            for what, ok in verdict.items()
        )
        lines.append(
            f"| {row['label']} | {row['p50_ms']} | {row['p95_ms']} | "
            f"{ratio if ratio is not None else '-'} | {row['queries']} | {met or '-'} |"
        )
    dashboard = results["dashboard"]
    sweep = report["sweep"]
    lines += [
        "",
        f"Dashboard's database work (its statements replayed) p50 ÷ bare SQL aggregate p50: "
        f"{dashboard['database_work_ratio_p50']} (target: within 2). Whole page p50 ÷ bare SQL "
        f"aggregate p50: {dashboard['bare_sql_aggregate_ratio_p50']}; ÷ its own statements "
        f"replayed: {dashboard['dashboard_sql_replayed_ratio_p50']}.",
        "",
        f"Deadline sweep over {sweep['open_stages']:,} open stage records and "
        f"{sweep['open_actions']:,} open actions: first run {sweep['first_run_s']} s "
        f"({sweep['first_run_notifications']:,} outbox rows written), steady state "
        f"{sweep['steady_run_s']} s ({sweep['steady_run_notifications']} written).",
    ]
    if report.get("seed_seconds"):
        lines += ["", f"Seeding took {report['seed_seconds']:.0f} s in this run."]
    return "\n".join(lines)


def write_doc(size: str, text: str) -> None:
    start, end = f"<!-- bench:{size} -->", f"<!-- /bench:{size} -->"
    doc = DOC.read_text()
    if start not in doc:
        doc += f"\n{start}\n{end}\n"
    before, rest = doc.split(start, 1)
    _, after = rest.split(end, 1)
    DOC.write_text(f"{before}{start}\n{text}\n{end}{after}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--runs", type=int, help="timed runs per request")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure the existing seeded database (migrated first); never seed",
    )
    parser.add_argument("--no-doc", action="store_true", help="do not update docs/performance.md")
    args = parser.parse_args(argv)
    size = SIZES[args.size]
    runs = args.runs or size.runs
    ensure_database(size.database)
    setup_django(size)
    seed_seconds = seed_if_empty(size, reuse=args.reuse)
    from escalate.scale.personas import choose_personas

    personas = choose_personas()
    requests = requests_for(personas)
    print(f"Measuring {len(requests)} requests, {runs} runs each...", flush=True)
    results = measure(requests, runs)
    dashboard_sql(results, personas.partnership.pk, runs)
    sweep = time_sweep()
    report: dict[str, Any] = {
        "size": args.size,
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "data": data_size(),
        "runs": runs,
        "seed_seconds": round(seed_seconds, 1) if seed_seconds else None,
        "requests": results,
        "sweep": sweep,
    }
    report["verdicts"] = verdicts(results, sweep)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.size}.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    text = markdown(report)
    print(text)
    if not args.no_doc:
        write_doc(args.size, text)


if __name__ == "__main__":
    main()
