"""The dashboard's database work before and after the figures kept with the escalations.

    BENCH_DATABASE=escalate_bench_small .venv/bin/python -m bench.dashboard_sql [--runs 200]

On a seeded bench database (`make bench` first), for the business manager's partnership:
captures the statements the unfiltered dashboard's figures take counted from the escalations
(`selectors._counted`, how every dashboard was drawn before) and read from the kept figures
(`selectors._from_figures`), then replays each set and the bare one-statement aggregate through
a plain cursor, interleaved, and prints p50 / p95 in ms. Same data, same moment: the ratio is
the figure (the machine's load moves the times).
"""

from __future__ import annotations

import argparse
import time

from bench.run import SIZES, percentile, setup_django

HEADLINE = """
    SELECT count(*),
           count(*) FILTER (WHERE status IN ('open', 'paused')),
           count(*) FILTER (WHERE status = 'open' AND stage_due_at < now()),
           count(*) FILTER (WHERE status = 'resolved'),
           count(*) FILTER (WHERE status = 'withdrawn')
    FROM escalations_escalation WHERE partnership_id = %s
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    database = SIZES["small"].database  # BENCH_DATABASE names another
    setup_django(SIZES["small"])
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from escalate.reports import selectors
    from escalate.scale.personas import choose_personas

    person = choose_personas().business_manager
    partnership = person.partnership
    assert partnership is not None

    def captured(draw: object) -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            draw()  # type: ignore[operator]
        return [query["sql"] for query in queries.captured_queries]

    def counted() -> object:
        selectors._RESOLUTION_TIMES.clear()  # the first view after a resolution
        everything = selectors.partnership_escalations(person, selectors.Filters())
        return selectors._counted(everything, partnership.nation)

    def warm_counted() -> object:  # resolution times reused (no resolution since)
        everything = selectors.partnership_escalations(person, selectors.Filters())
        return selectors._counted(everything, partnership.nation)

    assert counted() == selectors._from_figures(partnership.pk), "figures differ from a count"
    warm_counted()
    sets = {
        "bare aggregate (1 statement)": None,
        "before: counted, cold": captured(counted),
        "before: counted, warm": captured(warm_counted),
        "after: kept figures": captured(lambda: selectors._from_figures(partnership.pk)),
    }
    times: dict[str, list[float]] = {name: [] for name in sets}
    with connection.cursor() as cursor:
        for run in range(args.runs + 5):
            for name, statements in sets.items():
                started = time.perf_counter()
                if statements is None:
                    cursor.execute(HEADLINE, [partnership.pk])
                    cursor.fetchall()
                else:
                    for sql in statements:
                        cursor.execute(sql)
                        cursor.fetchall()
                if run >= 5:
                    times[name].append((time.perf_counter() - started) * 1000)
    bare = percentile(times["bare aggregate (1 statement)"], 0.5)
    print(f"{database}: partnership {partnership.pk}, {args.runs} interleaved runs")
    print("| statements | n | p50 ms | p95 ms | p50 / bare p50 |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, statements in sets.items():
        p50, p95 = percentile(times[name], 0.5), percentile(times[name], 0.95)
        n = 1 if statements is None else len(statements)
        print(f"| {name} | {n} | {p50:.2f} | {p95:.2f} | {p50 / bare:.1f} |")


if __name__ == "__main__":
    main()
