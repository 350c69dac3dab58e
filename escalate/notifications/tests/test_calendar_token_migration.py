"""Migration 0003 hashes the calendar tokens already given out: their addresses keep working."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse

from escalate.directory.tests.factories import PersonFactory
from escalate.notifications.models import CalendarToken

BEFORE = [("notifications", "0002_calendar_token")]
AFTER = [("notifications", "0003_calendar_token_hash")]


@pytest.mark.database_owner  # migrating is the owner's job (docs/operations.md)
@pytest.mark.django_db(transaction=True)
def test_an_address_given_out_before_hashing_still_works_and_is_stored_hashed() -> None:
    person = PersonFactory()
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old_apps = executor.loader.project_state(BEFORE).apps
    old_apps.get_model("notifications", "CalendarToken").objects.create(
        person_id=person.pk, token="an-address-given-out-in-clear"
    )
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    row = CalendarToken.objects.get(person=person)
    assert row.token_hash == CalendarToken.hash("an-address-given-out-in-clear")
    feed = reverse("calendar:feed", kwargs={"token": "an-address-given-out-in-clear"})
    assert Client().get(feed).status_code == 200
