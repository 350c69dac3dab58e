"""Audit middleware: the origin of each request for audit rows, and refused accesses.

`AuditContextMiddleware` (right after SecurityMiddleware) makes the request's address and user
agent available to `record_audit` calls that have no `request`, e.g. the escalation services.
`RefusedAccessMiddleware` audits a 404 raised by an access helper, or any 403, for a signed-in
person.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from escalate.audit.context import request_origin
from escalate.audit.services import record_audit
from escalate.directory.models import Person

_AUDITED = "_escalate_refusal_audited"


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with request_origin(request):
            return self.get_response(request)


class RefusedAccessMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 403 and not getattr(request, _AUDITED, False):
            self._record(request, "access_refused", "forbidden")
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if isinstance(exception, Http404):
            self._record(request, "access_refused", "not found or not permitted")
        elif isinstance(exception, PermissionDenied):
            self._record(request, "access_refused", "forbidden")

    def _record(self, request: HttpRequest, action: str, outcome: str) -> None:
        person = getattr(request, "user", None)
        if not isinstance(person, Person):
            return  # anonymous visitors are sent to sign in, not refused
        setattr(request, _AUDITED, True)
        record_audit(
            actor=person,
            action=action,
            partnership=person.partnership,
            object_type="url",
            # The path names a case only by its reference, never by a person's name.
            reason=f"{outcome}: {request.method} {request.path[:300]}",
            request=request,
        )
