"""Writing the audit trail. Every write goes through record_audit, in the caller's transaction."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac

from escalate.audit.context import Origin, current_origin, origin_of
from escalate.audit.hashing import event_hash
from escalate.audit.models import AuditChain, AuditEvent
from escalate.bulk import copy_rows
from escalate.directory.models import Partnership, Person

if TYPE_CHECKING:
    from escalate.escalations.models import Escalation

PLATFORM_CHAIN = "platform"
REDACTED = "[redacted]"
# Field names whose values could identify a child or adult: only the fact of a change is kept.
IDENTIFYING_FIELD_HINTS = (
    "name",
    "birth",
    "dob",
    "nhs",
    "upn",
    "address",
    "postcode",
    "identifier",
    "chi_number",
    "case_ref",
)


# Views of escalations go on a bounded set of chains per partnership, chosen by the escalation,
# so concurrent viewers in one partnership do not queue on one chain head (ADR 0020).
VIEW_CHAIN_SHARDS = 64


def chain_key_for(partnership: Partnership | None) -> str:
    return f"partnership:{partnership.pk}" if partnership is not None else PLATFORM_CHAIN


def view_chain_key_for(partnership: Partnership | None, escalation_id: int) -> str:
    """The chain a view of escalation `escalation_id` is appended to."""
    return f"{chain_key_for(partnership)}:views:{escalation_id % VIEW_CHAIN_SHARDS}"


def chain_keys_of(partnership: Partnership) -> set[str]:
    """Every chain that can hold a partnership's events: its own and its view chains."""
    base = chain_key_for(partnership)
    return {base} | {f"{base}:views:{shard}" for shard in range(VIEW_CHAIN_SHARDS)}


def fingerprint(text: str, *, salt: str = "") -> str:
    """Stands for free text in an audit row: proves what was written without repeating it.

    Free text (a discussion, a reason, a decision) may name the child, so the row keeps a keyed
    hash (HMAC-SHA256 with AUDIT_HASH_KEY, so a short text cannot be guessed back from it) and
    the length. Compare with `fingerprint(stored_text)` to show the stored text is unchanged.

    Text of an escalation is fingerprinted with that escalation's `salt`
    (`Escalation.fingerprint_salt`), mixed into the key and kept only on the escalation row:
    disposal destroys it, and after that nobody, the audit key's holder included, can confirm a
    guess of the text against the row (ADR 0014, point 2). Such fingerprints say "salted".
    """
    text = str(text)
    if not text:
        return ""
    digest = salted_hmac(
        f"escalate.audit.text.{salt}" if salt else "escalate.audit.text",
        text,
        secret=settings.AUDIT_HASH_KEY,
        algorithm="sha256",
    ).hexdigest()
    return f"text {digest[:16]} ({len(text)} characters{', salted' if salt else ''})"


def _json_safe(value: Any) -> Any:
    # Stored exactly as it will be read back, so the hash can be re-computed from the row.
    return json.loads(json.dumps(value, default=str))


def _is_identifying(field: str) -> bool:
    lowered = field.lower()
    return any(hint in lowered for hint in IDENTIFYING_FIELD_HINTS)


def _split_changes(
    changes: Mapping[str, tuple[Any, Any]] | None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    for field, (before, after) in (changes or {}).items():
        if _is_identifying(field):
            old[field], new[field] = REDACTED, REDACTED
        else:
            old[field], new[field] = before, after
    return _json_safe(old), _json_safe(new)


def record_audit(
    *,
    actor: Person | None,
    action: str,
    partnership: Partnership | None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    reference: str = "",
    changes: Mapping[str, tuple[Any, Any]] | None = None,
    reason: str = "",
    request: HttpRequest | None = None,
    chain_key: str = "",
) -> AuditEvent:
    """Append one event to the partnership's hash chain, inside the caller's transaction.

    `changes` maps a field name to (old value, new value); values of fields that could identify
    a child or adult are replaced by "[redacted]". `request` gives the address and user agent;
    without it they come from the request being served (`AuditContextMiddleware`), and are
    blank in the worker and commands. `chain_key` (default: the partnership's chain) is for
    `record_escalation_view`, which spreads views over the view chains. If the caller's
    transaction rolls back, the event goes with it: nothing is audited that did not happen.
    """
    if obj is not None:
        object_type = object_type or obj._meta.label
        object_id = object_id or str(obj.pk)
        reference = reference or str(getattr(obj, "reference", "") or "")
    # Without a request in hand (a service called from a view), the request being served.
    origin = origin_of(request) if request is not None else current_origin()
    record = AuditRecord(
        actor=actor,
        action=action,
        partnership=partnership,
        object_type=object_type,
        object_id=str(object_id),
        reference=reference,
        changes=changes,
        reason=reason,
    )
    return _append(chain_key or chain_key_for(partnership), partnership, [record], origin)[0]


@dataclass(frozen=True)
class AuditRecord:
    """One event for `record_audits` (the arguments of `record_audit`, without a request)."""

    actor: Person | None
    action: str
    partnership: Partnership | None
    object_type: str
    object_id: str
    reference: str = ""
    changes: Mapping[str, tuple[Any, Any]] | None = None
    reason: str = ""


def record_audits(records: Sequence[AuditRecord]) -> list[AuditEvent]:
    """Append many events (the deadline sweep's, one per escalation it changed) to their
    partnerships' chains, inside the caller's transaction: each chain is locked once and its
    events written in one INSERT (COPY on PostgreSQL, `escalate.bulk.copy_rows`), in the order
    given. The same rows as `record_audit` one by one. The events returned have no primary keys
    on PostgreSQL when a chain had several.
    """
    by_chain: dict[str, list[AuditRecord]] = {}
    for record in records:
        by_chain.setdefault(chain_key_for(record.partnership), []).append(record)
    origin = current_origin()
    events: list[AuditEvent] = []
    for key in sorted(by_chain):  # one order for every writer: no deadlock between chains
        chained = by_chain[key]
        events.extend(_append(key, chained[0].partnership, chained, origin))
    return events


def _append(
    key: str, partnership: Partnership | None, records: Sequence[AuditRecord], origin: Origin
) -> list[AuditEvent]:
    """Write `records` as the next events of chain `key` (locked), linked by their hashes."""
    # No savepoint: if the audit row cannot be written, the caller's change must fail too.
    with transaction.atomic(savepoint=False):
        chain = AuditChain.objects.select_for_update().filter(key=key).first()
        if chain is None:  # the chain's first event
            # All of a partnership's chain heads at once (its own and its view chains), so a
            # page view never pays for creating its chain: one INSERT, conflicts ignored.
            keys = {key} | (chain_keys_of(partnership) if partnership is not None else set())
            AuditChain.objects.bulk_create(
                [AuditChain(key=each) for each in sorted(keys)], ignore_conflicts=True
            )
            chain = AuditChain.objects.select_for_update().get(key=key)
        events = []
        for record in records:
            old_values, new_values = _split_changes(record.changes)
            event = AuditEvent(
                chain_key=key,
                sequence=chain.length + 1,
                partnership=record.partnership,
                actor=record.actor,
                actor_label=record.actor.email if record.actor is not None else "",
                action=record.action,
                object_type=record.object_type,
                object_id=record.object_id,
                object_reference=record.reference,
                occurred_at=timezone.now(),
                ip_address=origin.ip_address,
                user_agent=origin.user_agent,
                old_values=old_values,
                new_values=new_values,
                reason=record.reason,
                previous_hash=chain.last_hash,
                key_id=settings.AUDIT_HASH_KEY_ID,
            )
            event.hash = event_hash(event)
            events.append(event)
            chain.length = event.sequence
            chain.last_hash = event.hash
        if len(events) == 1:
            events[0].save(force_insert=True)
        else:
            copy_rows(AuditEvent, events)  # by COPY on PostgreSQL: no primary keys back
        chain.save(update_fields=["length", "last_hash"])
    return events


def record_escalation_view(
    *, person: Person, escalation: Escalation, request: HttpRequest | None = None
) -> AuditEvent:
    """One row per time someone is shown an escalation (its page, or its API detail).

    Call it after the access check and before the response is built, so nothing is shown
    that was not audited. The row goes on one of the partnership's view chains (by the
    escalation's id), not its main chain: viewers of different escalations rarely wait for
    each other, and each view chain is hash-linked and verified like any other (ADR 0020).
    """
    return record_audit(
        actor=person,
        action="escalation_viewed",
        partnership=escalation.partnership,
        obj=escalation,
        request=request,
        chain_key=view_chain_key_for(escalation.partnership, escalation.pk),
    )
