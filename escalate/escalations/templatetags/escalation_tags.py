"""Small display helpers for escalation pages: stage names, status tags, overdue marks."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.http import RFC3986_SUBDELIMS

from escalate.escalations.models import Escalation, Status

register = template.Library()

STATUS_TAG_CLASS = {
    Status.OPEN: "govuk-tag--blue",
    Status.PAUSED: "govuk-tag--yellow",
    Status.RESOLVED: "govuk-tag--green",
    Status.WITHDRAWN: "govuk-tag--grey",
}


# Policy versions never change once saved, so a parsed spec can be kept for the process's life.
_STAGE_NAMES: dict[int, dict[str, str]] = {}


@register.filter
def stage_name(escalation: Escalation) -> str:
    """The current stage's name from the policy version the escalation began under."""
    names = _STAGE_NAMES.get(escalation.policy_version_id)
    if names is None:
        spec = escalation.policy_version.spec
        names = {stage.key: stage.name for stage in spec.stages}
        _STAGE_NAMES[escalation.policy_version_id] = names
    return names.get(escalation.current_stage_key, escalation.current_stage_key)


@register.filter
def status_tag_class(status: str) -> str:
    return STATUS_TAG_CLASS.get(Status(status), "") if status in Status.values else ""


@register.filter
def is_overdue(escalation: Escalation) -> bool:
    return bool(
        escalation.status == Status.OPEN
        and escalation.stage_due_at is not None
        and escalation.stage_due_at < timezone.now()
    )


@register.filter
def action_overdue(action: Any) -> bool:
    return bool(action.is_overdue())


# The escalation page's address with a stand-in reference, per script prefix and URLconf: a
# list row's link is then a string replacement instead of a reverse() per row.
_STAND_IN = "STANDIN0REFERENCE"
_DETAIL_URLS: dict[tuple[str, Any], str] = {}


@register.filter
def detail_url(reference: str) -> str:
    """The same as `{% url 'escalations:detail' reference %}`, cheaper for a list's rows."""
    reference = str(reference)
    if not reference or "/" in reference:
        # Not a reference the route matches: reverse() says so (NoReverseMatch).
        return reverse("escalations:detail", args=[reference])
    key = (get_script_prefix(), get_urlconf())
    pattern = _DETAIL_URLS.get(key)
    if pattern is None:
        pattern = _DETAIL_URLS[key] = reverse("escalations:detail", args=[_STAND_IN])
    # reverse() quotes the whole address character by character with these safe characters.
    return pattern.replace(_STAND_IN, quote(reference, safe=RFC3986_SUBDELIMS + "/~:@"))
