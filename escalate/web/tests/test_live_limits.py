"""Limits under a real gunicorn started with the committed gunicorn.conf.py.

- Clients that send half a request do not starve `/health/` (the 2026 probe: 6 half-sent
  requests against 2 sync workers made it time out).
- The API's rate limit is counted in the shared cache: two gunicorn processes with the same
  `CACHE_URL` (Redis, running on this machine and in CI) let through exactly the limit between
  them (the probe: 480 of 600 requests passed a 120/minute limit on 4 workers).
Skipped when Redis does not answer on 127.0.0.1:6379.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[3]
PYTHON = sys.executable
REDIS = ("127.0.0.1", 6379)
SEED = (
    "from escalate.directory.tests.factories import PersonFactory;"
    "from escalate.api.models import Scope;"
    "from escalate.api.services import create_token;"
    "person = PersonFactory();"
    "print(create_token(by=person, name='live', scopes=list(Scope.values)).secret)"
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _redis_answers() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A migrated SQLite database of its own with one person and their API token."""
    tmp = tmp_path_factory.mktemp("live_limits")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'live.sqlite3'}",
        "ESCALATE_VAR_DIR": str(tmp),
        "ESCALATE_ENV": "test",
        "DJANGO_SETTINGS_MODULE": "escalate.settings",
        "PYTHONPATH": str(ROOT),
    }
    for args in (["migrate", "--noinput", "-v", "0"], ["shell", "-c", SEED]):
        done = subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    yield {"env": env, "tmp": tmp, "token": done.stdout.strip().splitlines()[-1]}


class Gunicorn:
    """gunicorn in the repository's folder, so it reads gunicorn.conf.py; on a free port."""

    def __init__(self, env: dict, tmp: Path, name: str) -> None:
        self.port = _free_port()
        self.log_path = tmp / f"{name}.log"
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "escalate.wsgi", "--bind", f"127.0.0.1:{self.port}"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        for _ in range(150):
            try:
                if requests.get(f"{self.base}/health/", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                if self.process.poll() is not None:
                    break
                time.sleep(0.2)
        self.stop()
        pytest.fail(f"gunicorn did not start:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def test_the_committed_config_uses_threads_and_timeouts() -> None:
    config: dict = {}
    exec((ROOT / "gunicorn.conf.py").read_text(), config)
    assert config["worker_class"] == "gthread"
    assert config["threads"] >= 4
    assert 0 < config["timeout"] <= 60
    assert config["graceful_timeout"] < config["timeout"]


def test_half_sent_requests_do_not_starve_health(environment: dict) -> None:
    server = Gunicorn({**environment["env"], "WEB_CONCURRENCY": "2"}, environment["tmp"], "slow")
    slow: list[socket.socket] = []
    try:
        for number in range(12):
            client = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            if number % 2:  # headers never finished
                client.sendall(b"GET /health/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            else:  # a body announced and never sent
                client.sendall(
                    b"POST /sign-in/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    b"Content-Type: application/x-www-form-urlencoded\r\n"
                    b"Content-Length: 100000\r\n\r\nusername=a"
                )
            slow.append(client)
        time.sleep(1)  # let the server take them all in hand
        for _ in range(5):
            # A generous timeout: failing means "starved", not "slow".
            assert requests.get(f"{server.base}/health/", timeout=15).json() == {"status": "ok"}
    finally:
        for client in slow:
            client.close()
        server.stop()


@pytest.mark.skipif(not _redis_answers(), reason="Redis is not running on 127.0.0.1:6379")
def test_two_processes_share_one_api_rate_limit_through_redis(environment: dict) -> None:
    env = {
        **environment["env"],
        "WEB_CONCURRENCY": "1",
        "CACHE_URL": "redis://127.0.0.1:6379/0",
        "CACHE_KEY_PREFIX": f"test-{uuid.uuid4().hex}",  # this run's counters only
        "API_RATE_LIMIT": "10/day",  # no window ends during the test (except at midnight)
    }
    first = Gunicorn(env, environment["tmp"], "first")
    second = Gunicorn(env, environment["tmp"], "second")
    headers = {"Authorization": f"Bearer {environment['token']}"}
    try:
        statuses = [
            requests.get(f"{server.base}/api/v1/escalations", headers=headers, timeout=15)
            for _ in range(8)
            for server in (first, second)
        ]
    finally:
        first.stop()
        second.stop()
    codes = [response.status_code for response in statuses]
    assert codes.count(200) == 10, codes
    assert codes.count(429) == 6, codes
    refused = next(response for response in statuses if response.status_code == 429)
    assert json.loads(refused.content)["error"]["code"] == "rate_limited"
    # Each process alone would have let 8 through: they counted together.
    assert codes[:10].count(429) == 0
