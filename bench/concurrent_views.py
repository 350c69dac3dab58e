"""Does viewing serialise? Concurrent viewers of different escalations in one partnership.

Issue 22's target: 20 concurrent viewers of different escalations in one partnership finish
within 1.5x the time of one viewer's 20 sequential views. This measures the audit path of a
view (`record_escalation_view` in its own transaction, each thread on its own PostgreSQL
connection), holding the transaction open for `hold` seconds after the audit row is written,
as a request does while the page is built. It runs the same views twice in one run: on the
partnership's main chain (how every view was audited before ADR 0020) and on the view chains.
The result is a ratio, reported, never asserted on: the test beside the audit app
(`test_view_chains_postgres.py`) asserts only that no view is lost and every chain verifies.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from django.db import connections, transaction

from escalate.audit.models import AuditEvent
from escalate.audit.services import chain_key_for, record_audit, record_escalation_view
from escalate.directory.models import Person
from escalate.escalations.models import Escalation


@dataclass(frozen=True)
class ViewTiming:
    sequential_s: float
    concurrent_s: float

    @property
    def ratio(self) -> float:
        return self.concurrent_s / self.sequential_s


def _view(person: Person, escalation: Escalation, *, main_chain: bool, hold: float) -> None:
    with transaction.atomic():
        if main_chain:
            record_audit(
                actor=person,
                action="escalation_viewed",
                partnership=escalation.partnership,
                obj=escalation,
                chain_key=chain_key_for(escalation.partnership),
            )
        else:
            record_escalation_view(person=person, escalation=escalation)
        time.sleep(hold)  # the rest of the request, inside its transaction


def measure(
    person: Person, escalations: list[Escalation], *, main_chain: bool, hold: float = 0.02
) -> ViewTiming:
    """Time len(escalations) views one after another, then the same views at once."""
    started = time.perf_counter()
    for escalation in escalations:
        _view(person, escalation, main_chain=main_chain, hold=hold)
    sequential = time.perf_counter() - started

    errors: list[BaseException] = []
    barrier = threading.Barrier(len(escalations))

    def run(escalation: Escalation) -> None:
        try:
            barrier.wait()
            _view(person, escalation, main_chain=main_chain, hold=hold)
        except BaseException as error:  # reported to the caller below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(escalation,)) for escalation in escalations]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    concurrent = time.perf_counter() - started
    if errors:
        raise errors[0]
    return ViewTiming(sequential, concurrent)


def views_recorded(escalations: list[Escalation]) -> int:
    return AuditEvent.objects.filter(
        action="escalation_viewed", object_id__in=[str(e.pk) for e in escalations]
    ).count()
