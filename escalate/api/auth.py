"""Bearer-token authentication, scopes and the per-token rate limit for the API."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from escalate.api import ratelimit
from escalate.api.errors import ApiError, RateLimited
from escalate.api.models import ApiToken, Scope
from escalate.api.services import token_for


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>` with `scope`; sets request.user to the token's person.

    No token, or one that is unknown, revoked, expired or belongs to a deactivated person:
    401. Over the token's rate limit: 429. A usable token without the scope: 403.
    """

    def __init__(self, scope: Scope) -> None:
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = token_for(token)
        if found is None:
            return None
        # Views and the refused-access audit see the token's person, never a session's.
        request.user = found.person
        wait = ratelimit.seconds_to_wait(found.pk)
        if wait is not None:
            raise RateLimited(wait)
        if self.scope.value not in found.scopes:
            raise ApiError(403, f"This token does not have the {self.scope.value} scope.")
        return found


READ = TokenAuth(Scope.ESCALATIONS_READ)
WRITE = TokenAuth(Scope.ESCALATIONS_WRITE)
DIRECTORY = TokenAuth(Scope.DIRECTORY_READ)
REPORTS = TokenAuth(Scope.REPORTS_READ)
