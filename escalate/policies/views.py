"""The practitioner's view of their partnership's policy: step by step, and as a flowchart."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from escalate.directory.models import Person
from escalate.policies import labels
from escalate.policies.flowchart import flowchart_description, flowchart_svg
from escalate.policies.models import PolicyVersion
from escalate.policies.schema import Event, PolicySpec, Stage
from escalate.policies.selectors import current_policy


def _policy_for(request: HttpRequest) -> PolicyVersion | None:
    person = request.user
    return current_policy(person.partnership if isinstance(person, Person) else None)


def _notifications_at(spec: PolicySpec, stage: Stage) -> list[str]:
    """Who is told when the escalation reaches `stage`, in words."""
    told = []
    for rule in spec.notifications:
        if rule.on != Event.STAGE_ENTERED or stage.key not in rule.stages:
            continue
        recipients = labels.join_words([labels.RECIPIENTS[r] for r in rule.notify])
        if rule.when_any:
            conditions = " or ".join(labels.CONDITIONS[c] for c in rule.when_any)
            told.append(f"If {conditions}, {recipients} must be told.")
        else:
            told.append(f"{recipients[0].upper()}{recipients[1:]} are told.")
    return told


def _stage_view(spec: PolicySpec, stage: Stage, number: int) -> dict[str, Any]:
    return {
        "number": number,
        "stage": stage,
        "who": labels.who_text(stage),
        "roles": [labels.ROLES[role] for role in stage.involves_roles],
        "timescale": labels.timescale_text(stage.timescale),
        "records": [labels.RECORDS[record] for record in stage.must_record],
        "told": _notifications_at(spec, stage),
        "panel": spec.panel if spec.panel is not None and spec.panel.stage == stage.key else None,
        "urgent_start": stage.key in spec.urgent.may_start_at,
    }


@require_GET
def policy(request: HttpRequest) -> HttpResponse:
    version = _policy_for(request)
    if version is None:
        return render(request, "policies/no_policy.html")
    spec = version.spec
    person = request.user
    return render(
        request,
        "policies/policy.html",
        {
            "version": version,
            "spec": spec,
            "partnership": person.partnership if isinstance(person, Person) else None,
            "stages": [
                _stage_view(spec, stage, number) for number, stage in enumerate(spec.stages, 1)
            ],
            "urgent_stages": [spec.stage(key).name for key in spec.urgent.may_start_at],
            "templates": [labels.TEMPLATES[template.kind] for template in spec.templates],
            "flowchart_description": flowchart_description(spec),
            "has_defaults": any(stage.timescale.is_default for stage in spec.stages),
        },
    )


@require_GET
def flowchart(request: HttpRequest) -> HttpResponse:
    version = _policy_for(request)
    if version is None:
        raise Http404("Your partnership has no policy loaded.")
    response = HttpResponse(flowchart_svg(version.spec), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=300"
    return response
