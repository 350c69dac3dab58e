"""Views of escalations go on the partnership's view chains: concurrent, complete, verifiable.

Runs bench/concurrent_views.py's measurement on real PostgreSQL connections (one per thread).
The ratio is printed for the record (`-s`), never asserted: no timing asserts in tests.
"""

from __future__ import annotations

import pytest
from django.db import connection

from bench.concurrent_views import measure, views_recorded
from escalate.audit.models import AuditChain
from escalate.audit.services import (
    VIEW_CHAIN_SHARDS,
    chain_key_for,
    chain_keys_of,
    record_escalation_view,
    view_chain_key_for,
)
from escalate.audit.verification import verify_chain
from escalate.directory.tests.factories import PersonFactory
from escalate.escalations.tests.factories import EscalationFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent PostgreSQL transactions (set DATABASE_URL=postgres://...)")


def test_twenty_concurrent_viewers_lose_no_view_and_every_chain_verifies(capsys) -> None:
    person = PersonFactory()
    escalations = [EscalationFactory(partnership=person.partnership) for _ in range(20)]

    before = measure(person, escalations, main_chain=True, hold=0.02)
    after = measure(person, escalations, main_chain=False, hold=0.02)

    # Each measurement views every escalation twice (sequential, then concurrent).
    assert views_recorded(escalations) == 4 * len(escalations)
    keys = chain_keys_of(person.partnership)
    chains = list(AuditChain.objects.filter(key__in=keys))
    assert len(chains) > 1
    assert all(verify_chain(chain) is None for chain in chains)
    assert sum(
        chain.length for chain in chains if chain.key != chain_key_for(person.partnership)
    ) == 2 * len(escalations)
    with capsys.disabled():
        print(
            f"\n20 viewers, one partnership: concurrent/sequential "
            f"main chain {before.ratio:.2f}x, view chains {after.ratio:.2f}x"
        )


def test_a_view_goes_on_the_escalations_view_chain_and_verify_audit_checks_it() -> None:
    person = PersonFactory()
    escalation = EscalationFactory(partnership=person.partnership)
    event = record_escalation_view(person=person, escalation=escalation)
    assert event.chain_key == view_chain_key_for(person.partnership, escalation.pk)
    assert event.chain_key in chain_keys_of(person.partnership)
    assert len(chain_keys_of(person.partnership)) == VIEW_CHAIN_SHARDS + 1
    assert verify_chain(AuditChain.objects.get(key=event.chain_key)) is None
