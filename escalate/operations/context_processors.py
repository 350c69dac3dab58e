from __future__ import annotations

from django.http import HttpRequest

from escalate.operations.logs import current_request_id


def request_id(request: HttpRequest) -> dict[str, str]:
    """The request's id, which the error pages show so a report can be matched to the logs."""
    return {"request_id": current_request_id()}
