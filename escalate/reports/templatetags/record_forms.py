"""`{% record_forms escalation %}`: the policy's forms this person may download, as links."""

from __future__ import annotations

from typing import Any

from django import template

from escalate.directory.models import Person
from escalate.escalations.models import Escalation
from escalate.reports.services import forms_offered

register = template.Library()


@register.inclusion_tag("reports/_record_forms.html", takes_context=True)
def record_forms(context: dict[str, Any], escalation: Escalation) -> dict[str, Any]:
    person = context["request"].user
    offered = (
        forms_offered(person=person, escalation=escalation) if isinstance(person, Person) else []
    )
    return {"escalation": escalation, "forms": offered, "person": person}
