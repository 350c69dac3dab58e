"""How an audit row's hash is computed; shared by the writer and by verify_audit."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.utils.crypto import salted_hmac

from escalate.audit.models import AuditEvent

_SALT = "escalate.audit.chain"


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)


class UnknownKeyId(Exception):
    """A row or checkpoint names a key id that AUDIT_HASH_KEYS does not hold."""


def audit_key(key_id: str) -> str:
    """The audit key with this id (AUDIT_HASH_KEYS), or UnknownKeyId."""
    try:
        return str(settings.AUDIT_HASH_KEYS[key_id])
    except KeyError:
        raise UnknownKeyId(f"key id {key_id!r} is not in AUDIT_HASH_KEYS") from None


def event_hash(event: AuditEvent) -> str:
    """HMAC-SHA256 over every column but the hash and key id, keyed by the row's key id.

    A keyed hash means someone who can only write to the database cannot re-compute the
    chain after editing a row. The key id is not hashed: changing it only picks a key that
    does not match.
    """
    fields = {
        "chain_key": event.chain_key,
        "sequence": event.sequence,
        "partnership_id": event.partnership_id,
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_reference": event.object_reference,
        "occurred_at": event.occurred_at.isoformat(),
        "ip_address": event.ip_address,
        "user_agent": event.user_agent,
        "old_values": event.old_values,
        "new_values": event.new_values,
        "reason": event.reason,
        "previous_hash": event.previous_hash,
    }
    return salted_hmac(
        _SALT, canonical_json(fields), secret=audit_key(event.key_id), algorithm="sha256"
    ).hexdigest()
