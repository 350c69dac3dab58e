"""Health probes for the load balancer, metrics for monitoring, and the operator's status page."""

from __future__ import annotations

import hmac
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from escalate.directory.models import Person
from escalate.operations import health, selectors
from escalate.operations.logs import current_request_id


@login_not_required
@require_GET
@never_cache
def live(request: HttpRequest) -> JsonResponse:
    """The process answers. Nothing else is checked, so a slow database never restarts it."""
    return JsonResponse({"status": "ok"})


@login_not_required
@require_GET
@never_cache
def ready(request: HttpRequest) -> JsonResponse:
    """Can this process serve requests: database, cache and evidence storage reachable?

    Background processes are reported, not checked: a stalled worker is no reason to take the
    web machines out of the load balancer. The operator page and the metrics alert on them.
    """
    outcomes = health.run_checks()
    ok = all(outcome.ok for outcome in outcomes)
    body: dict[str, object] = {
        "status": "ok" if ok else "unavailable",
        "checks": {
            o.name: {"ok": o.ok, "ms": o.milliseconds, **({"error": o.error} if o.error else {})}
            for o in outcomes
        },
    }
    if ok:
        statuses = selectors.process_statuses()
        body["background"] = {
            "alive": selectors.alive_counts(statuses),
            "stalled": sum(1 for s in statuses if s.stalled),
        }
    return JsonResponse(body, status=200 if ok else 503)


@login_not_required
@require_GET
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format, for a scraper holding METRICS_TOKEN (404 to anyone else)."""
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not token or not hmac.compare_digest(given.encode(), token.encode()):
        raise Http404
    m = selectors.metrics()
    lines = [
        _metric("escalate_outbox_pending", "Notifications waiting to be sent", m.outbox_pending),
        _metric(
            "escalate_outbox_oldest_pending_seconds",
            "Age of the oldest notification waiting to be sent",
            m.outbox_oldest_pending_seconds,
        ),
        _metric(
            "escalate_notifications_failed",
            "Notifications that could not be delivered",
            m.notifications_failed,
        ),
        _metric(
            "escalate_scheduler_lag_seconds",
            "Seconds since the scheduler last ran (-1: never)",
            -1 if m.scheduler_lag_seconds is None else m.scheduler_lag_seconds,
        ),
        _metric("escalate_workers_alive", "Background workers beating on time", m.workers_alive),
        _metric("escalate_schedulers_alive", "Schedulers beating on time", m.schedulers_alive),
        _metric(
            "escalate_audit_verified_ok",
            "1 if the last verify_audit found every chain intact, 0 if not, -1 if never run",
            -1 if m.audit_verified_ok is None else int(m.audit_verified_ok),
        ),
        _metric(
            "escalate_audit_verified_timestamp_seconds",
            "When verify_audit last ran (Unix time; 0: never)",
            m.audit_verified_at.timestamp() if m.audit_verified_at else 0,
        ),
    ]
    return HttpResponse("".join(lines), content_type="text/plain; version=0.0.4; charset=utf-8")


def _metric(name: str, help_text: str, value: float) -> str:
    return f"# HELP {name} {help_text}\n# TYPE {name} gauge\n{name} {value:g}\n"


@require_GET
def status(request: HttpRequest) -> HttpResponse:
    """The platform operator's page: readiness, background processes and the figures."""
    person = request.user
    if not (isinstance(person, Person) and person.is_superuser):
        raise Http404
    return render(
        request,
        "operations/status.html",
        {
            "checks": health.run_checks(),
            "processes": selectors.process_statuses(),
            "metrics": selectors.metrics(),
        },
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page, with the request id so a report can be matched to the log line."""
    template = loader.get_template("500.html")
    return HttpResponse(template.render({"request_id": current_request_id()}), status=500)


class HealthProbeMiddleware:
    """Answers the probes before host checks and the HTTPS redirect.

    A load balancer probes each machine by its own address over plain HTTP, which is neither an
    allowed host nor HTTPS; the probes reveal nothing a stranger could use.
    """

    PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {
        "/health/live/": live,
        "/health/ready/": ready,
    }

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = self.PROBES.get(request.path_info)
        if probe is not None and request.method in {"GET", "HEAD"}:
            return probe(request)
        return self.get_response(request)
