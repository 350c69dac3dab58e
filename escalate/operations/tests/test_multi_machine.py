"""Several machines: two web instances, two workers and two schedulers sharing PostgreSQL,
Redis and an object store (Azurite), with a real SMTP server on loopback.

Shows that raises go through either web instance, every notice is delivered exactly once, the
API rate limit is shared, evidence uploaded through one instance downloads through the other,
and a worker killed mid-batch loses nothing. Prints its figures (run with -s; `.ci/run` does).

PostgreSQL and Redis only (skipped on SQLite, and when Redis is not reachable outside CI);
deselected from `make test` by the `multi_machine` marker, run on its own by `.ci/run`.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import pytest
import requests
from django.conf import settings

from escalate.evidence.tests.test_object_storage import azurite  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.multi_machine, pytest.mark.timeout(900)]

ROOT = Path(settings.BASE_DIR)
PYTHON = sys.executable
REDIS_DB = 14
RAISES = 24
RATE_LIMIT = 25


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _redis_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("the multi-machine test needs PostgreSQL (DATABASE_URL)")
    if not _redis_reachable():
        if os.environ.get("CI"):
            pytest.fail("Redis is not reachable on 127.0.0.1:6379")
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    import psycopg

    parsed = urlparse(url)
    name = f"{parsed.path.lstrip('/') or 'escalate'}_multi_machine"
    admin = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return urlunparse(parsed._replace(path=f"/{name}"))


class Mailbox:
    """An SMTP server (aiosmtpd) that keeps every message; slow on purpose, so batches overlap."""

    def __init__(self, delay: float = 0.05) -> None:
        from aiosmtpd.controller import Controller

        self.delay = delay
        self.messages: list[tuple[str, str, str]] = []
        self.lock = threading.Lock()
        mailbox = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                import asyncio

                await asyncio.sleep(mailbox.delay)
                parsed = message_from_bytes(envelope.content)
                with mailbox.lock:
                    for to in envelope.rcpt_tos:
                        mailbox.messages.append(
                            (to.lower(), parsed.get("X-Escalate-Reference", ""), parsed["Subject"])
                        )
                return "250 OK"

        self.port = _free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> Mailbox:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    def received(self) -> Counter[tuple[str, str, str]]:
        with self.lock:
            return Counter(self.messages)


class Deployment:
    def __init__(self, tmp: Path, database_url: str, mailbox: Mailbox, azurite_url: str) -> None:
        import redis

        redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB).flushdb()
        self.tmp = tmp
        self.database_url = database_url
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "ESCALATE_ENV": "test",
            "SECRET_KEY": "multi-machine-test-only-" + "k" * 40,
            "CACHE_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(mailbox.port),
            "EVIDENCE_STORAGE": "azure",
            "AZURE_STORAGE_CONNECTION_STRING": azurite_url,
            "EVIDENCE_AZURE_CONTAINER": "evidence",
            "API_RATE_LIMIT": f"{RATE_LIMIT}/day",
            "SCHEDULER_INTERVAL_SECONDS": "1",
            "WORKER_HEARTBEAT_SECONDS": "1",
            "NOTIFICATIONS_RETRY_BASE_SECONDS": "1",
            "ESCALATE_REQUIRE_MFA": "true",
            "LOG_FORMAT": "json",
            "DJANGO_SETTINGS_MODULE": "escalate.settings",
        }
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.web: list[str] = []

    def machine_env(self, machine: str) -> dict[str, str]:
        # Each machine has its own local disk: nothing may be shared through it.
        var_dir = self.tmp / machine
        var_dir.mkdir(exist_ok=True)
        return {**self.env, "ESCALATE_VAR_DIR": str(var_dir)}

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env=self.machine_env("setup"),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, f"manage.py {args} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def start(self, name: str, args: list[str]) -> None:
        log = (self.tmp / f"{name}.log").open("w")
        self.processes[name] = subprocess.Popen(
            args,
            cwd=ROOT,
            env=self.machine_env(name.split("-")[0] + name[-1]),
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def start_all(self) -> None:
        for machine in ("a", "b"):
            port = _free_port()
            self.start(
                f"web-{machine}",
                [
                    PYTHON,
                    "-m",
                    "gunicorn",
                    "escalate.wsgi",
                    "-b",
                    f"127.0.0.1:{port}",
                    "-w",
                    "2",
                    "--timeout",
                    "60",
                ],
            )
            self.web.append(f"http://127.0.0.1:{port}")
            self.start(
                f"worker-{machine}",
                [
                    PYTHON,
                    "manage.py",
                    "run_worker",
                    "--queue-name",
                    "default",
                    "--interval",
                    "0.2",
                    "--no-startup-delay",
                ],
            )
            self.start(f"scheduler-{machine}", [PYTHON, "manage.py", "run_scheduler"])
        for base in self.web:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if requests.get(f"{base}/health/ready/", timeout=10).status_code == 200:
                        break
                except (requests.ConnectionError, requests.Timeout):
                    pass
                time.sleep(0.3)
            else:
                pytest.fail(f"{base} did not become ready:\n{self.logs()}")

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text()[-3000:]}" for path in self.tmp.glob("*.log")
        )

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()

    def sql(self, query: str) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as connection:
            return connection.execute(query).fetchall()

    def email_notifications(self) -> Counter[tuple[str, str, str]]:
        rows = self.sql(
            # Each email names its notification (X-Escalate-Reference: notification:<id>).
            "SELECT lower(coalesce(nullif(p.email, ''), n.recipient_email)),"
            " 'notification:' || n.id, n.subject"
            " FROM notifications_notification n"
            " LEFT JOIN directory_person p ON p.id = n.recipient_id"
            " WHERE n.channel = 'email' AND n.status = 'sent'"
        )
        return Counter((row[0], row[1], row[2]) for row in rows)

    def pending(self) -> int:
        return int(
            self.sql("SELECT count(*) FROM notifications_notification WHERE status = 'pending'")[0][
                0
            ]
        )

    def wait_until_delivered(self, timeout: float = 180) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.pending() == 0:
                return time.monotonic() - started
            time.sleep(0.5)
        pytest.fail(
            f"{self.pending()} notifications still pending after {timeout}s:\n{self.logs()}"
        )


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory, azurite: str) -> Iterator[Any]:  # noqa: F811
    database_url = _database_url()
    from azure.storage.blob import BlobServiceClient

    BlobServiceClient.from_connection_string(azurite).create_container("evidence")
    tmp = tmp_path_factory.mktemp("multi_machine")
    with Mailbox() as mailbox:
        deployment = Deployment(tmp, database_url, mailbox, azurite)
        deployment.manage("migrate", "--noinput", "-v", "0")
        code = "from escalate.operations.tests.multi_machine_seed import main; main()"
        deployment.seed = json.loads(deployment.manage("shell", "-c", code).splitlines()[-1])
        deployment.mailbox = mailbox
        deployment.start_all()
        try:
            yield deployment
        finally:
            deployment.stop_all()


FIGURES: dict[str, Any] = {}


def _raise(deployment: Deployment, base: str, raiser: dict[str, Any], n: int) -> requests.Response:
    return requests.post(
        f"{base}/api/v1/escalations",
        headers={"Authorization": f"Bearer {raiser['token']}"},
        json={
            "respondent_agency_id": raiser["respondent_agency_id"],
            "respondent_person_id": raiser["respondent_person_id"],
            # No word of the name in any notice: delivery.py withholds a notice that has one.
            "subject_name": f"Robin Quill {n}",
            "disputed": "The referral was closed without a visit.",
            "risk": "Neglect may continue.",
            "outcome_wanted": "A strategy discussion.",
        },
        timeout=30,
    )


def test_raises_through_both_instances_are_each_notified_exactly_once(deployment) -> None:
    raisers = deployment.seed["raisers"]
    started = time.monotonic()
    served_by: Counter[str] = Counter()
    for n in range(RAISES):
        base = deployment.web[n % 2]
        response = _raise(deployment, base, raisers[n % len(raisers)], n)
        assert response.status_code == 201, response.text
        served_by[base] += 1
    FIGURES["raises"] = RAISES
    FIGURES["raises_per_second"] = round(RAISES / (time.monotonic() - started), 1)
    assert len(served_by) == 2

    FIGURES["seconds_to_deliver_all"] = round(deployment.wait_until_delivered(), 1)
    time.sleep(2)  # anything sent twice would arrive now
    expected = deployment.email_notifications()
    received = deployment.mailbox.received()
    FIGURES["emails_expected"] = sum(expected.values())
    FIGURES["emails_received"] = sum(received.values())
    FIGURES["emails_duplicated"] = sum(n - 1 for n in received.values() if n > 1)
    assert expected, "the raises notified nobody by email"
    assert received == expected


def test_the_api_rate_limit_is_shared_by_every_instance(deployment) -> None:
    token = deployment.seed["rate_limit_token"]
    outcomes: Counter[int] = Counter()
    for n in range(2 * RATE_LIMIT):
        response = requests.get(
            f"{deployment.web[n % 2]}/api/v1/escalations",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        outcomes[response.status_code] += 1
    FIGURES["rate_limit"] = {"limit": RATE_LIMIT, "passed": outcomes[200], "refused": outcomes[429]}
    # Per-process counting would let each of the 4 gunicorn workers pass up to the limit.
    assert outcomes == {200: RATE_LIMIT, 429: RATE_LIMIT}


def test_evidence_uploaded_through_one_instance_downloads_through_the_other(deployment) -> None:
    seed = deployment.seed
    page = f"/escalations/{seed['evidence_reference']}/evidence/"
    a, b = requests.Session(), requests.Session()
    for browser in (a, b):
        browser.cookies.set(seed["session_cookie"], seed["session_key"])
    form = a.get(deployment.web[0] + page, timeout=30)
    assert form.status_code == 200, form.text[:500]
    csrf = a.cookies.get("csrftoken")
    content = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
    uploaded = a.post(
        deployment.web[0] + page,
        data={"csrfmiddlewaretoken": csrf},
        files={"file": ("minutes.pdf", content, "application/pdf")},
        headers={"Referer": deployment.web[0] + page},
        allow_redirects=False,
        timeout=30,
    )
    assert uploaded.status_code == 302, uploaded.text[:500]
    [(attachment_id,)] = deployment.sql(
        "SELECT a.id FROM evidence_attachment a JOIN escalations_escalation e"
        f" ON e.id = a.escalation_id WHERE e.reference = '{seed['evidence_reference']}'"
    )
    download = b.get(f"{deployment.web[1]}{page}{attachment_id}/", timeout=30)
    assert download.status_code == 200
    assert download.content == content
    FIGURES["evidence_bytes_round_trip"] = len(content)


def test_a_worker_killed_mid_batch_loses_nothing(deployment) -> None:
    deployment.mailbox.delay = 0.2  # slow sends, so the kill lands inside a batch
    raisers = deployment.seed["raisers"]
    before = sum(deployment.mailbox.received().values())
    for n in range(12):
        raiser = raisers[n % len(raisers)]
        # A fresh token budget is not needed: raises go through raisers' own tokens.
        assert _raise(deployment, deployment.web[n % 2], raiser, 100 + n).status_code == 201
    deadline = time.monotonic() + 60
    while deployment.pending() == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    pending_at_kill = deployment.pending()
    os.kill(deployment.processes["worker-a"].pid, signal.SIGKILL)
    FIGURES["kill"] = {"pending_at_kill": pending_at_kill}
    FIGURES["kill"]["seconds_to_recover"] = round(deployment.wait_until_delivered(), 1)
    time.sleep(2)
    expected = deployment.email_notifications()
    received = deployment.mailbox.received()
    missing = expected - received
    FIGURES["kill"]["emails_sent_after_kill"] = sum(received.values()) - before
    FIGURES["kill"]["duplicates"] = sum(n - 1 for n in received.values() if n > 1)
    FIGURES["kill"]["lost"] = sum(missing.values())
    assert not missing, f"lost: {missing}"
    deployment.mailbox.delay = 0.05


def test_zz_report_figures(deployment) -> None:
    heartbeats = deployment.sql("SELECT kind, count(*) FROM operations_heartbeat GROUP BY kind")
    FIGURES["heartbeats"] = dict(heartbeats)
    assert FIGURES["heartbeats"].get("scheduler") == 2
    assert FIGURES["heartbeats"].get("worker", 0) >= 2
    print("\nMULTI-MACHINE FIGURES " + json.dumps(FIGURES, sort_keys=True))
