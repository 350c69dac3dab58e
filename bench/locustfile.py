"""Locust users for the load test (bench/load.py starts gunicorn and runs this headless).

Every user is one seeded person with a signed-in, two-factor-verified session (made by
bench/load.py and passed in BENCH_SESSIONS, a JSON file); there is no think time, so the
number of users is the number of requests in flight (closed loop).
"""

from __future__ import annotations

import itertools
import json
import os
from datetime import date, timedelta
from typing import Any

from locust import HttpUser, constant, task

with open(os.environ["BENCH_SESSIONS"]) as sessions_file:
    SESSIONS: dict[str, list[dict[str, str]]] = json.load(sessions_file)
_NEXT = {kind: itertools.cycle(people) for kind, people in SESSIONS.items()}


class _Signed(HttpUser):
    abstract = True
    wait_time = constant(0)
    kind = ""

    def on_start(self) -> None:
        self.person: dict[str, Any] = next(_NEXT[self.kind])
        self.client.cookies.set("sessionid", self.person["session"])

    def get(self, path: str, name: str, headers: dict[str, str] | None = None) -> Any:
        with self.client.get(
            path, name=name, headers=headers, allow_redirects=False, catch_response=True
        ) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code} for {path}")
            return r


class Practitioner(_Signed):
    weight = 6
    kind = "practitioner"

    @task(3)
    def home(self) -> None:
        self.get("/", "home (practitioner)")

    @task(3)
    def escalation_page(self) -> None:
        self.get(f"/escalations/{self.person['reference']}/", "escalation page")

    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.person['token']}"}

    @task(1)
    def api_list(self) -> None:
        self.get("/api/v1/escalations", "API list", self.bearer())

    @task(1)
    def api_escalation(self) -> None:
        self.get(f"/api/v1/escalations/{self.person['reference']}", "API escalation", self.bearer())

    @task(1)
    def record_discussion(self) -> None:
        """A stage action through the API: read the escalation's version, then write at it."""
        reference = self.person["acting_reference"]
        if not reference:
            return
        path = f"/api/v1/escalations/{reference}"
        version = self.get(path, "API escalation", self.bearer()).json()["version"]
        body = {
            "expected_version": version,
            "held_on": (date.today() - timedelta(days=1)).isoformat(),
            "with_whom": "The class teacher and the duty social worker",
            "method": "phone",
            "summary": "Load test: we went through the referral together.",
            "outcome": "Agreed to look at the decision again.",
        }
        with self.client.post(
            f"{path}/discussions",
            json=body,
            headers=self.bearer(),
            name="stage action: record a discussion (API)",
            catch_response=True,
        ) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code} for {path}/discussions: {r.text[:200]}")


class Manager(_Signed):
    weight = 3
    kind = "manager"

    @task(1)
    def home(self) -> None:
        self.get("/", "home (manager)")

    @task(1)
    def queue(self) -> None:
        self.get("/escalations/queue/", "manager queue")


class BusinessManager(_Signed):
    weight = 1
    kind = "business_manager"

    @task
    def dashboard(self) -> None:
        self.get("/reports/", "dashboard")
