"""Schemathesis against the LIVE API: a real server (gunicorn) on its own database, seeded with
two partnerships (the demo's Riverside and Eastmoor).

Checks: no server errors, status codes, content types and bodies as documented, invalid data
refused, authentication enforced (ignored_auth), unknown methods refused, and
`live_hooks.no_other_partnerships_data` (partnership A's token never sees B's records). Then
every operation without a token must answer 401 JSON, and B's token must get exactly the
"not found" of a missing record for A's escalations.

Runs by default (`make test`, on SQLite and on PostgreSQL); deselect with -m "not live_api".
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest
import requests
from django.conf import settings

pytestmark = [pytest.mark.live_api, pytest.mark.timeout(600)]

ROOT = Path(settings.BASE_DIR)
PYTHON = sys.executable
MAX_EXAMPLES = os.environ.get("ESCALATE_LIVE_API_EXAMPLES", "8")
# A failing run prints its seed; ESCALATE_LIVE_API_SEED=<seed> replays exactly that run.
REPLAY = os.environ.get("ESCALATE_LIVE_API_SEED", "")
SEED = ["--seed", REPLAY] if REPLAY else []


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _postgres(url: str) -> tuple[str, str] | None:
    """(admin URL, name) of the live run's own PostgreSQL database, or None on SQLite."""
    if not url.startswith(("postgres://", "postgresql://")):
        return None
    parsed = urlparse(url)
    name = f"{parsed.path.lstrip('/') or 'escalate'}_live_api"
    return urlunparse(parsed._replace(path="/postgres")), name


def _recreate(admin: str, name: str, *, create: bool) -> None:
    import psycopg

    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            connection.execute(f'CREATE DATABASE "{name}"')


def _database_url(tmp: Path) -> str:
    """A database of its own: a new SQLite file, or `<name>_live_api` next to the suite's PG."""
    url = os.environ.get("DATABASE_URL", "")
    postgres = _postgres(url)
    if postgres is None:
        return f"sqlite:///{tmp / 'live.sqlite3'}"
    _recreate(*postgres, create=True)
    return urlunparse(urlparse(url)._replace(path=f"/{postgres[1]}"))


def _run(args: list[str], env: dict[str, str], timeout: int = 300) -> str:
    done = subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    tmp = tmp_path_factory.mktemp("live_api")
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(tmp),
        "ESCALATE_VAR_DIR": str(tmp),
        "ESCALATE_ENV": "test",
        "API_RATE_LIMIT": "100000/minute",
        "DJANGO_SETTINGS_MODULE": "escalate.settings",
    }
    _run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], env)
    code = "from escalate.api.tests.live_seed import main; main()"
    seed = json.loads(_run([PYTHON, "manage.py", "shell", "-c", code], env).splitlines()[-1])
    seed_file = tmp / "seed.json"
    seed_file.write_text(json.dumps(seed), encoding="utf-8")
    port = _free_port()
    log = (tmp / "server.log").open("w")
    server = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            "escalate.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "1",
            "--timeout",
            "60",
            # Let the application answer long generated query strings (gunicorn's own limit
            # answers an HTML 414 that no API document describes).
            "--limit-request-line",
            "0",
            "--access-logfile",
            "-",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if requests.get(f"{base}/api/v1/openapi.json", timeout=10).status_code == 200:
                    break
            except requests.RequestException:
                if server.poll() is not None:
                    pytest.fail(f"The server stopped:\n{(tmp / 'server.log').read_text()}")
                time.sleep(0.2)
        else:
            pytest.fail(f"The server did not start:\n{(tmp / 'server.log').read_text()}")
        yield {"base": base, "seed": seed, "seed_file": seed_file, "env": env, "tmp": tmp}
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
        postgres = _postgres(os.environ.get("DATABASE_URL", ""))
        if postgres is not None:
            _recreate(*postgres, create=False)


CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "ignored_auth",
        "unsupported_method",
        "no_other_partnerships_data",
    ]
)


@pytest.mark.parametrize("who", ["vera.walsh", "amira.khan"])
def test_schemathesis_finds_nothing_against_the_live_api(live: dict, who: str) -> None:
    """Vera is Riverside's business manager (sees every escalation and the dashboard); Amira a
    teacher who raised some (her actions can succeed)."""
    env = {
        **live["env"],
        "ESCALATE_LIVE_SEED": str(live["seed_file"]),
        "SCHEMATHESIS_HOOKS": "escalate.api.tests.live_hooks",
        "PYTHONPATH": str(ROOT),
    }
    token = live["seed"]["a_tokens"][who]
    done = subprocess.run(
        [
            str(Path(PYTHON).with_name("schemathesis")),
            "run",
            f"{live['base']}/api/v1/openapi.json",
            "--header",
            f"Authorization: Bearer {token}",
            "--checks",
            CHECKS,
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            MAX_EXAMPLES,
            "--workers",
            "1",
            "--request-timeout",
            "30",
            "--suppress-health-check",
            "all",
            "--warnings",
            "off",
            "--no-color",
            *SEED,
        ],
        cwd=live["tmp"],  # its cache and reports stay out of the repository
        env=env,
        capture_output=True,
        text=True,
        timeout=500,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-15000:]
    assert "passed" in output.lower()


def test_every_operation_without_a_token_is_401_json(live: dict) -> None:
    schema = requests.get(f"{live['base']}/api/v1/openapi.json", timeout=10).json()
    reference = live["seed"]["a_references"][0]
    for route, operations in schema["paths"].items():
        path = route.format(reference=reference, agency_id=1, action_id=1, entry_id=1)
        for method in operations:
            response = requests.request(method, f"{live['base']}{path}", json={}, timeout=10)
            assert response.status_code == 401, (method, path, response.status_code)
            assert response.json()["error"]["code"] == "unauthenticated"


def test_partnership_b_sees_none_of_partnership_as_records(live: dict) -> None:
    seed = live["seed"]
    headers = {"Authorization": f"Bearer {seed['b_token']}"}
    base = f"{live['base']}/api/v1"
    missing = requests.get(f"{base}/escalations/NONE-2026-0001", headers=headers, timeout=10)
    assert missing.status_code == 404
    for reference in seed["a_references"]:
        for path in (f"/escalations/{reference}", f"/escalations/{reference}/actions"):
            response = requests.get(f"{base}{path}", headers=headers, timeout=10)
            assert (response.status_code, response.content) == (404, missing.content), path
    for agency in seed["a_agencies"]:
        response = requests.get(f"{base}/agencies/{agency}/contacts", headers=headers, timeout=10)
        assert response.status_code == 404
    listed = requests.get(f"{base}/escalations", headers=headers, timeout=10).json()
    assert {row["reference"] for row in listed["results"]} <= set(seed["b_references"])
