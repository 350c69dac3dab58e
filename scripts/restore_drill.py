"""Restore drill: back up a PostgreSQL database, restore it into a new one, and prove the copy.

    .venv/bin/python scripts/restore_drill.py [--source-url postgres://…/escalate]

Without --source-url it makes its own source: a fresh database with the demo partnerships
(`seed_demo`) and some activity. Then:
1. `pg_dump --format=custom` of the source (what the nightly backup runs);
2. `pg_restore --no-owner` into a new database (what a restore runs);
3. `manage.py verify_audit` on the copy: every hash chain intact (and, where audit checkpoints
   are kept, none of the chain's tail missing);
4. row counts of every table equal in source and copy;
5. a person can sign in to the copy (password checked; the second factor is asked next).
Prints the figures (sizes, seconds, rows) and exits non-zero on any difference. The databases it
made are dropped at the end. docs/operations.md ("Restore drill") describes it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
if not Path(PYTHON).exists():
    PYTHON = sys.executable

COUNT_ROWS = """
import json
from django.apps import apps
counts = {m._meta.db_table: m._default_manager.using("default").count()
          for m in apps.get_models() if m._meta.managed and not m._meta.proxy}
print(json.dumps(counts, sort_keys=True))
"""

SIGN_IN = """
import json
from django.test import Client
from escalate.directory.models import Person
person = Person.objects.filter(is_active=True, email__endswith="example.org").order_by("pk").first()
client = Client()
response = client.post("/sign-in/", {"username": person.email, "password": "demo-escalate-2026"},
                       HTTP_HOST="localhost")
after = client.get("/", HTTP_HOST="localhost")
print(json.dumps({"email": person.email, "status": response.status_code,
                  "signed_in": client.session.get("_auth_user_id") == str(person.pk),
                  "next": after.get("Location", "")}))
"""


def run(args: list[str], env: dict[str, str] | None = None) -> str:
    # Our own fixed commands (pg_dump, pg_restore, manage.py); no input from elsewhere.
    done = subprocess.run(  # noqa: S603
        args, cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.stderr.write(f"FAILED: {' '.join(args)}\n{done.stdout}\n{done.stderr}\n")
        raise SystemExit(1)
    return done.stdout


def last_json(output: str) -> dict:
    # `manage.py shell` may print a line of its own before ours.
    return json.loads(output.strip().splitlines()[-1])


def with_name(url: str, name: str) -> str:
    return urlunparse(urlparse(url)._replace(path=f"/{name}"))


def admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(with_name(url, "postgres"), autocommit=True) as connection:
        connection.execute(sql)


def manage(url: str, var_dir: str, *args: str) -> str:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "ESCALATE_VAR_DIR": var_dir,
        "ESCALATE_ENV": "test",
        "DJANGO_SETTINGS_MODULE": "escalate.settings",
    }
    return run([PYTHON, "manage.py", *args], env)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--source-url",
        help="the database to back up (default: a new demo database on --server)",
    )
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432/postgres")
    options = parser.parse_args()

    figures: dict[str, object] = {}
    made: list[str] = []
    stamp = f"{os.getpid()}_{int(time.time())}"
    with tempfile.TemporaryDirectory(prefix="restore-drill-") as tmp:
        var_dir = tmp
        try:
            if options.source_url:
                source = options.source_url
            else:
                source = with_name(options.server, f"escalate_drill_source_{stamp}")
                admin(options.server, f'CREATE DATABASE "{urlparse(source).path[1:]}"')
                made.append(source)
                started = time.monotonic()
                manage(source, var_dir, "migrate", "--noinput", "-v", "0")
                manage(source, var_dir, "seed_demo")
                figures["source_set_up_seconds"] = round(time.monotonic() - started, 1)
            manage(source, var_dir, "verify_audit")

            dump = Path(tmp) / "escalate.dump"
            started = time.monotonic()
            run(["pg_dump", "--format=custom", f"--file={dump}", source])
            figures["dump_seconds"] = round(time.monotonic() - started, 2)
            figures["dump_bytes"] = dump.stat().st_size

            copy = with_name(options.server, f"escalate_drill_copy_{stamp}")
            admin(options.server, f'CREATE DATABASE "{urlparse(copy).path[1:]}"')
            made.append(copy)
            started = time.monotonic()
            run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={copy}", str(dump)])
            figures["restore_seconds"] = round(time.monotonic() - started, 2)

            verified = manage(copy, var_dir, "verify_audit")
            figures["verify_audit"] = verified.strip().splitlines()[-1]

            before = last_json(manage(source, var_dir, "shell", "-c", COUNT_ROWS))
            after = last_json(manage(copy, var_dir, "shell", "-c", COUNT_ROWS))
            figures["tables"] = len(before)
            figures["rows"] = sum(before.values())
            differing = {t: (before[t], after.get(t)) for t in before if before[t] != after.get(t)}
            if differing:
                print(json.dumps({"restore_drill": "FAILED", "differing": differing}))
                return 1

            signed_in = last_json(manage(copy, var_dir, "shell", "-c", SIGN_IN))
            figures["sign_in"] = signed_in
            # Password accepted: the next page asks for the one-time code.
            if not signed_in["signed_in"] or "two-factor" not in signed_in["next"]:
                print(json.dumps({"restore_drill": "FAILED", "figures": figures}))
                return 1
        finally:
            for url in made:
                admin(
                    options.server,
                    f'DROP DATABASE IF EXISTS "{urlparse(url).path[1:]}" WITH (FORCE)',
                )
    print(json.dumps({"restore_drill": "passed", "figures": figures}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
