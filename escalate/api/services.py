"""Creating, revoking and checking personal API tokens (every change audited)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from escalate.api.models import ApiToken, Scope
from escalate.audit.services import record_audit
from escalate.directory.models import Person
from escalate.policies.calendar import LONDON

TOKEN_START = "esc_"
PREFIX_BYTES = 6  # 12 hex characters: what the token is found by
SECRET_BYTES = 32  # 256 bits of randomness: what the token is checked by


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # the whole token, shown to its owner once and never stored


@transaction.atomic
def create_token(
    *,
    by: Person,
    name: str,
    scopes: list[str],
    expires_on: date | None = None,
    request: HttpRequest | None = None,
) -> NewToken:
    """A new token for `by` with `scopes`; it stops working at the end of `expires_on`."""
    unknown = sorted(set(scopes) - set(Scope.values))
    if unknown or not scopes:
        raise ValueError(f"Unknown or no scopes: {unknown}")
    prefix = secrets.token_hex(PREFIX_BYTES)
    raw = f"{TOKEN_START}{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
    expires_at = (
        datetime.combine(expires_on, time.max).replace(tzinfo=LONDON) if expires_on else None
    )
    token = ApiToken.objects.create(
        person=by,
        name=name.strip(),
        prefix=prefix,
        token_hash=hash_token(raw),
        scopes=sorted(set(scopes)),
        expires_at=expires_at,
    )
    record_audit(
        actor=by,
        action="api_token_created",
        partnership=by.partnership,
        obj=token,
        changes={"scopes": (None, token.scopes), "expires_at": (None, expires_at)},
        request=request,
    )
    return NewToken(token=token, secret=raw)


@transaction.atomic
def revoke_token(*, by: Person, token: ApiToken, request: HttpRequest | None = None) -> ApiToken:
    """Stop a token working at once (its owner only; revoking twice changes nothing)."""
    locked = ApiToken.objects.select_for_update().get(pk=token.pk, person=by)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        record_audit(
            actor=by,
            action="api_token_revoked",
            partnership=by.partnership,
            obj=locked,
            changes={"revoked_at": (None, locked.revoked_at)},
            request=request,
        )
    return locked


def token_for(raw: str) -> ApiToken | None:
    """The usable token `raw` is, or None (unknown, wrong secret, revoked, expired, inactive)."""
    if not raw.startswith(TOKEN_START):
        return None
    prefix, _, secret = raw[len(TOKEN_START) :].partition("_")
    if not prefix or not secret:
        return None
    token = (
        ApiToken.objects.select_related("person", "person__partnership", "person__agency")
        .filter(prefix=prefix)
        .first()
    )
    if token is None or not hmac.compare_digest(token.token_hash, hash_token(raw)):
        return None
    if not token.is_usable or not token.person.is_active or token.person.partnership_id is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
