"""Background processes on every machine report that they are alive; stalled ones show."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from escalate.directory.models import Role
from escalate.directory.tests.factories import PersonFactory
from escalate.operations import selectors
from escalate.operations.models import Heartbeat, ProcessKind
from escalate.operations.services import beat, forget_silent_processes
from escalate.web.testing import sign_in

pytestmark = pytest.mark.django_db


def test_a_worker_that_stops_beating_shows_as_stalled(settings) -> None:
    settings.WORKER_HEARTBEAT_SECONDS = 10
    beat(kind=ProcessKind.WORKER, instance="web-1:101")
    beat(kind=ProcessKind.WORKER, instance="web-2:202")
    with time_machine.travel(timezone.now() + timedelta(seconds=35)):
        beat(kind=ProcessKind.WORKER, instance="web-2:202")
        statuses = {s.instance: s for s in selectors.process_statuses()}
    assert statuses["web-1:101"].stalled  # silent for 35 s: more than 3 beats of 10 s
    assert not statuses["web-2:202"].stalled
    assert selectors.alive_counts(list(statuses.values()))["worker"] == 1


def test_beating_again_keeps_one_row_and_its_start() -> None:
    first = beat(kind=ProcessKind.SCHEDULER, instance="host:1")
    with time_machine.travel(timezone.now() + timedelta(seconds=60)):
        again = beat(kind=ProcessKind.SCHEDULER, instance="host:1")
    assert Heartbeat.objects.count() == 1
    assert again.started_at == first.started_at
    assert again.beat_at > first.beat_at


def test_processes_silent_for_a_week_are_forgotten() -> None:
    beat(kind=ProcessKind.WORKER, instance="gone:1")
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        beat(kind=ProcessKind.WORKER, instance="here:2")
        assert forget_silent_processes() == 1
    assert list(Heartbeat.objects.values_list("instance", flat=True)) == ["here:2"]


@pytest.mark.django_db(transaction=True)
def test_run_worker_beats_while_it_works() -> None:
    call_command("run_worker", "--batch", "--no-startup-delay")
    assert Heartbeat.objects.filter(kind=ProcessKind.WORKER).exists()


def test_scheduler_beats_each_round() -> None:
    call_command("run_scheduler", "--once")
    assert Heartbeat.objects.filter(kind=ProcessKind.SCHEDULER).count() == 1


def test_operator_page_shows_processes_to_the_platform_administrator_only() -> None:
    beat(kind=ProcessKind.WORKER, instance="worker-host:4242")
    admin = PersonFactory(is_superuser=True, is_staff=True)
    business_manager = PersonFactory(roles=[Role.BUSINESS_MANAGER])
    client = Client()
    sign_in(client, admin)
    page = client.get("/operations/status/")
    assert page.status_code == 200
    assert "worker-host:4242" in page.content.decode()
    other = Client()
    sign_in(other, business_manager)
    assert other.get("/operations/status/").status_code == 404
