"""record_audit appends to a per-partnership hash chain, in the caller's transaction."""

from __future__ import annotations

import pytest
from django.db import transaction

from escalate.audit.models import AuditChain, AuditEvent
from escalate.audit.services import REDACTED, record_audit
from escalate.audit.verification import verify_chain
from escalate.directory.tests.factories import PartnershipFactory, PersonFactory

pytestmark = pytest.mark.django_db


def test_each_event_links_to_the_previous_one_in_its_partnership() -> None:
    person = PersonFactory()
    first = record_audit(actor=person, action="escalation_viewed", partnership=person.partnership)
    second = record_audit(actor=person, action="escalation_viewed", partnership=person.partnership)
    assert (first.sequence, second.sequence) == (1, 2)
    assert first.previous_hash == ""
    assert second.previous_hash == first.hash
    assert len(second.hash) == 64


def test_partnerships_have_separate_chains() -> None:
    one, two = PartnershipFactory(), PartnershipFactory()
    a = record_audit(actor=None, action="x", partnership=one)
    b = record_audit(actor=None, action="x", partnership=two)
    assert a.sequence == b.sequence == 1
    assert a.chain_key != b.chain_key


def test_an_object_gives_its_type_id_and_reference() -> None:
    person = PersonFactory()
    event = record_audit(actor=person, action="viewed", partnership=person.partnership, obj=person)
    assert event.object_type == "directory.Person"
    assert event.object_id == str(person.pk)
    assert event.actor_label == person.email


def test_changes_keep_old_and_new_values_but_never_identifying_ones() -> None:
    person = PersonFactory()
    event = record_audit(
        actor=person,
        action="escalation_changed",
        partnership=person.partnership,
        reference="RIV-2026-0001",
        changes={
            "stage": (1, 2),
            "child_name": ("Sam Example", "Samuel Example"),
            "date_of_birth": ("2019-01-01", "2019-01-02"),
            "nhs_number": ("1234567890", "0987654321"),
        },
        reason="Stage 1 unresolved",
    )
    event.refresh_from_db()
    assert event.old_values["stage"] == 1
    assert event.new_values["stage"] == 2
    for field in ("child_name", "date_of_birth", "nhs_number"):
        assert event.old_values[field] == event.new_values[field] == REDACTED
    stored = str(event.old_values) + str(event.new_values)
    assert "Sam" not in stored and "2019" not in stored and "1234567890" not in stored


def test_the_event_rolls_back_with_the_callers_transaction() -> None:
    person = PersonFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        record_audit(actor=person, action="escalation_changed", partnership=person.partnership)
        raise RuntimeError("the change failed")
    assert not AuditEvent.objects.exists()
    chain = AuditChain.objects.filter(key=f"partnership:{person.partnership_id}").first()
    assert chain is None or chain.length == 0


def test_request_gives_address_and_a_short_user_agent(rf) -> None:
    person = PersonFactory()
    request = rf.get("/", HTTP_USER_AGENT="x" * 500, REMOTE_ADDR="192.0.2.7")
    event = record_audit(
        actor=person, action="viewed", partnership=person.partnership, request=request
    )
    event.refresh_from_db()
    assert event.ip_address == "192.0.2.7"
    assert len(event.user_agent) == 200


def test_time_is_stored_in_utc() -> None:
    event = record_audit(actor=None, action="x", partnership=None)
    event.refresh_from_db()
    assert event.occurred_at.utcoffset().total_seconds() == 0


def test_a_fresh_chain_verifies() -> None:
    partnership = PartnershipFactory()
    for _ in range(3):
        record_audit(actor=None, action="x", partnership=partnership, changes={"n": (1, 2.5)})
    chain = AuditChain.objects.get(key=f"partnership:{partnership.pk}")
    assert verify_chain(chain) is None
