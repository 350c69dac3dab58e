"""Writing the audit trail. Every write goes through record_audit, in the caller's transaction."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from escalate.audit.hashing import event_hash
from escalate.audit.models import AuditChain, AuditEvent
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
)
USER_AGENT_LENGTH = 200


def chain_key_for(partnership: Partnership | None) -> str:
    return f"partnership:{partnership.pk}" if partnership is not None else PLATFORM_CHAIN


def client_ip(request: HttpRequest) -> str | None:
    """The client's address; behind the production proxy, the address the proxy saw."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if settings.ESCALATE_BEHIND_PROXY and forwarded:
        candidate = forwarded.split(",")[-1].strip()
    else:
        candidate = request.META.get("REMOTE_ADDR", "")
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


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
) -> AuditEvent:
    """Append one event to the partnership's hash chain, inside the caller's transaction.

    `changes` maps a field name to (old value, new value); values of fields that could identify
    a child or adult are replaced by "[redacted]". If the caller's transaction rolls back, the
    event goes with it: nothing is audited that did not happen.
    """
    if obj is not None:
        object_type = object_type or obj._meta.label
        object_id = object_id or str(obj.pk)
        reference = reference or str(getattr(obj, "reference", "") or "")
    old_values, new_values = _split_changes(changes)
    key = chain_key_for(partnership)
    with transaction.atomic():
        AuditChain.objects.get_or_create(key=key)
        chain = AuditChain.objects.select_for_update().get(key=key)
        event = AuditEvent(
            chain_key=key,
            sequence=chain.length + 1,
            partnership=partnership,
            actor=actor,
            actor_label=actor.email if actor is not None else "",
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            object_reference=reference,
            occurred_at=timezone.now(),
            ip_address=client_ip(request) if request is not None else None,
            user_agent=(request.headers.get("user-agent", "") if request is not None else "")[
                :USER_AGENT_LENGTH
            ],
            old_values=old_values,
            new_values=new_values,
            reason=reason,
            previous_hash=chain.last_hash,
        )
        event.hash = event_hash(event)
        event.save(force_insert=True)
        chain.length = event.sequence
        chain.last_hash = event.hash
        chain.save(update_fields=["length", "last_hash"])
    return event


def record_escalation_view(
    *, person: Person, escalation: Escalation, request: HttpRequest | None = None
) -> AuditEvent:
    """One row per time someone is shown an escalation (its page, or its API detail).

    Call it after the access check and before the response is built, so nothing is shown
    that was not audited.
    """
    return record_audit(
        actor=person,
        action="escalation_viewed",
        partnership=escalation.partnership,
        obj=escalation,
        request=request,
    )
