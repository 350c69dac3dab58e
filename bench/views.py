"""The floor: a trivial page through every middleware (sign-in, two-factor, session, CSP...)."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET


@require_GET
def floor(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"Signed in as {request.user.pk}", content_type="text/plain")
