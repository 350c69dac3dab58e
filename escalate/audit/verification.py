"""Checking the audit chains: every row links to the one before and still matches its hash."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from escalate.audit.hashing import UnknownKeyId, event_hash
from escalate.audit.models import AuditChain, AuditEvent


@dataclass(frozen=True)
class ChainBreak:
    chain_key: str
    sequence: int
    event_id: int | None
    problem: str

    def __str__(self) -> str:
        row = f"row id {self.event_id}" if self.event_id is not None else "no row"
        return f"{self.chain_key} #{self.sequence} ({row}): {self.problem}"


def verify_chain(chain: AuditChain) -> ChainBreak | None:
    """The first break in one chain, or None when every row is intact and none is missing."""
    expected_sequence = 1
    previous_hash = ""
    events = AuditEvent.objects.filter(chain_key=chain.key).order_by("sequence")
    for event in events.iterator(chunk_size=2000):
        if event.sequence != expected_sequence:
            return ChainBreak(
                chain.key,
                expected_sequence,
                None,
                f"missing: the next row present is #{event.sequence} (id {event.pk})",
            )
        if event.previous_hash != previous_hash:
            return ChainBreak(
                chain.key, event.sequence, event.pk, "does not link to the row before it"
            )
        try:
            expected = event_hash(event)
        except UnknownKeyId as error:
            return ChainBreak(chain.key, event.sequence, event.pk, f"written with {error}")
        if expected != event.hash:
            return ChainBreak(
                chain.key, event.sequence, event.pk, "altered: its contents do not match its hash"
            )
        previous_hash = event.hash
        expected_sequence += 1
    if chain.length != expected_sequence - 1 or chain.last_hash != previous_hash:
        return ChainBreak(
            chain.key,
            expected_sequence,
            None,
            f"missing: the chain head records {chain.length} rows, {expected_sequence - 1} found",
        )
    return None


# Checks from the other apps' tables towards the trail: each takes the partnership ids to look
# at (None: all) and returns one line per thing the trail does not account for.
CrossCheck = Callable[..., list[str]]
_cross_checks: list[CrossCheck] = []


def register_cross_check(check: CrossCheck) -> None:
    """Have verify_audit run `check(partnership_ids=...)` (an app registers it in ready())."""
    if check not in _cross_checks:
        _cross_checks.append(check)


def cross_check(*, partnership_ids: set[int] | None = None) -> list[str]:
    """Every registered cross-check's problems, in registration order."""
    problems: list[str] = []
    for check in _cross_checks:
        problems.extend(check(partnership_ids=partnership_ids))
    return problems
