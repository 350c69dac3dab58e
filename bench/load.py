"""Load test: gunicorn on loopback, locust headless (make bench-load / bench-load-full).

    python -m bench.load --size small --users 20 --workers 3 --seconds 60

Uses the database `bench.run` seeded for that size (run it first). Signs in seeded people
(sessions made here, two-factor verified), starts gunicorn with bench.settings, runs
bench/locustfile.py headless with that many users and no think time, and records throughput,
p50/p95 and failures per request in bench/results/load-<size>.json and docs/performance.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.run import DOC, RESULTS, ROOT, SIZES, machine, setup_django, write_doc

PORT = 8765


def sessions(limit: int) -> dict[str, list[dict[str, str]]]:
    """Signed-in sessions for up to `limit` seeded people of each kind."""
    from django.db.models import Count
    from django.test import Client

    from escalate.api.models import Scope
    from escalate.api.services import create_token
    from escalate.directory.models import Person
    from escalate.escalations.models import MANAGER_PARTS, Escalation
    from escalate.web.testing import sign_in

    def session_of(person: Person) -> str:
        client = Client()
        sign_in(client, person)
        return client.cookies["sessionid"].value

    raisers = (
        Escalation.objects.filter(partnership__slug__startswith="scale-")
        .values("raised_by")
        .annotate(n=Count("pk"))
        .order_by("-n", "raised_by")[:limit]
    )
    practitioners = []
    for row in raisers:
        person = Person.objects.get(pk=row["raised_by"])
        latest = Escalation.objects.filter(raised_by=person).order_by("-raised_at").first()
        assert latest is not None
        # An open escalation of theirs at its first stage, where the raiser may record a
        # discussion (the stage action in the mix), and a token for the API calls, made through
        # the API's own service as /api/tokens/ does.
        acting = (
            Escalation.objects.filter(raised_by=person, status="open")
            .annotate(stage_count=Count("stages"))
            .filter(stage_count=1)
            .order_by("-raised_at")
            .values_list("reference", flat=True)
            .first()
        )
        token = create_token(
            by=person,
            name="Load test",
            scopes=[Scope.ESCALATIONS_READ, Scope.ESCALATIONS_WRITE],
        )
        practitioners.append(
            {
                "session": session_of(person),
                "reference": latest.reference,
                "acting_reference": acting or "",
                "token": token.secret,
            }
        )
    managers = Person.objects.filter(
        participations__part__in=MANAGER_PARTS,
        participations__escalation__status="open",
        partnership__slug__startswith="scale-",
    ).distinct()[:limit]
    business = Person.objects.filter(
        role_assignments__role="business_manager", partnership__slug__startswith="scale-"
    )[:limit]
    return {
        "practitioner": practitioners,
        "manager": [{"session": session_of(person)} for person in managers],
        "business_manager": [{"session": session_of(person)} for person in business],
    }


def wait_for_server(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (loopback)
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer at {url}")


def read_stats(prefix: str) -> dict[str, dict[str, Any]]:
    rows = {}
    with open(f"{prefix}_stats.csv") as stats:
        for row in csv.DictReader(stats):
            rows[row["Name"]] = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "p50_ms": float(row["50%"]),
                "p95_ms": float(row["95%"]),
                "requests_per_s": round(float(row["Requests/s"]), 1),
            }
    return rows


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"Measured {report['measured_at']} at commit `{report['machine']['commit']}` on the "
        f"{report['size']} data set: gunicorn with {report['workers']} workers on "
        f"127.0.0.1 (gthread, 8 threads each: gunicorn.conf.py), locust headless with "
        f"{report['users']} users and no think time "
        f"(concurrency {report['users']}) for {report['seconds']} s, on the same "
        f"{report['machine']['cpus']}-CPU machine as the database and locust itself "
        f"(load average {report['machine']['load_average_1m']} when it started).",
        "",
        "| Request | requests | failures | req/s | p50 ms | p95 ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, row in report["stats"].items():
        lines.append(
            f"| {name} | {row['requests']} | {row['failures']} | {row['requests_per_s']} | "
            f"{row['p50_ms']:.0f} | {row['p95_ms']:.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args(argv)
    size = SIZES[args.size]
    setup_django(size)
    made = sessions(max(args.users, 5))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "PYTHONPATH": str(ROOT)}
    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory() as scratch:
        sessions_file = Path(scratch) / "sessions.json"
        sessions_file.write_text(json.dumps(made))
        env["BENCH_SESSIONS"] = str(sessions_file)
        server = subprocess.Popen(  # noqa: S603 (our own gunicorn)
            [
                str(bin_dir / "gunicorn"),
                "escalate.wsgi:application",
                "--bind",
                f"127.0.0.1:{PORT}",
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=ROOT,
        )
        try:
            wait_for_server(f"http://127.0.0.1:{PORT}/health/")
            prefix = str(Path(scratch) / "locust")
            subprocess.run(  # noqa: S603 (our own locust)
                [
                    str(bin_dir / "locust"),
                    "-f",
                    str(ROOT / "bench" / "locustfile.py"),
                    "--headless",
                    "--users",
                    str(args.users),
                    "--spawn-rate",
                    str(args.users),
                    "--run-time",
                    f"{args.seconds}s",
                    "--host",
                    f"http://127.0.0.1:{PORT}",
                    "--csv",
                    prefix,
                    "--only-summary",
                    "--loglevel",
                    "WARNING",
                ],
                env=env,
                cwd=ROOT,
                check=False,
            )
            stats = read_stats(prefix)
        finally:
            server.terminate()
            server.wait(timeout=30)
    report = {
        "size": args.size,
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "users": args.users,
        "workers": args.workers,
        "seconds": args.seconds,
        "stats": stats,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"load-{args.size}.json").write_text(json.dumps(report, indent=2) + "\n")
    text = markdown(report)
    print(text)
    if not args.no_doc and DOC.exists():
        write_doc(f"load-{args.size}", text)


if __name__ == "__main__":
    main()
