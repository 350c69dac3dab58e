"""Model objects and selector results as the API's output schemas."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from escalate.directory.models import Agency, Person
from escalate.escalations.models import Action, ChronologyEntry, Escalation
from escalate.escalations.selectors import EscalationPage
from escalate.reports.selectors import Dashboard


def _stage_name(escalation: Escalation) -> str:
    try:
        return escalation.policy_version.spec.stage(escalation.current_stage_key).name
    except (KeyError, ValueError):
        return escalation.current_stage_key


def agency_ref(agency: Agency) -> dict[str, Any]:
    return {"id": agency.pk, "name": agency.name}


def person_out(person: Person) -> dict[str, Any]:
    return {"id": person.pk, "full_name": person.full_name, "job_title": person.job_title}


def summary(escalation: Escalation) -> dict[str, Any]:
    return {
        "reference": escalation.reference,
        "status": escalation.status,
        "stage_key": escalation.current_stage_key,
        "stage_name": _stage_name(escalation),
        "raised_at": escalation.raised_at,
        "stage_due_at": None if escalation.is_closed else escalation.stage_due_at,
        "closed_at": escalation.closed_at,
        "raiser_agency": agency_ref(escalation.raiser_agency),
        "respondent_agency": agency_ref(escalation.respondent_agency),
        "subject_kind": escalation.subject_kind,
        "immediate_harm": escalation.immediate_harm,
        "categories": [str(key) for key in escalation.categories or []],
        "version": escalation.version,
        "url": f"/api/v1/escalations/{escalation.reference}",
    }


def action_out(action: Action, reference: str) -> dict[str, Any]:
    return {
        "id": action.pk,
        "escalation_reference": reference,
        "description": action.description,
        "owner": person_out(action.owner),
        "due_on": action.due_on,
        "created_at": action.created_at,
        "done_at": action.done_at,
        "done_note": action.done_note,
        "is_overdue": action.is_overdue(timezone.localdate()),
    }


def _entry_out(entry: ChronologyEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "kind": entry.kind,
        "stage_key": entry.stage_key,
        "occurred_at": entry.occurred_at,
        "recorded_at": entry.recorded_at,
        "actor": entry.actor.full_name if entry.actor is not None else None,
        "text": entry.text,
        "corrects_id": entry.corrects_id,
    }


def detail(page: EscalationPage) -> dict[str, Any]:
    escalation = page.escalation
    return {
        **summary(escalation),
        "raised_by": person_out(escalation.raised_by),
        "respondent_name": escalation.respondent_display,
        "respondent_person_id": escalation.respondent_person_id,
        "subject_name": escalation.subject_name,
        "subject_date_of_birth": escalation.subject_date_of_birth,
        "case_references": escalation.case_references,
        "cp_plan": escalation.cp_plan,
        "looked_after": escalation.looked_after,
        "cp_conference": escalation.cp_conference,
        "disputed": escalation.disputed,
        "risk": escalation.risk,
        "outcome_wanted": escalation.outcome_wanted,
        "already_tried": escalation.already_tried,
        "decision": escalation.decision,
        "decided_by": escalation.decided_by_text,
        "learning": escalation.learning,
        "learning_themes": [str(theme) for theme in escalation.learning_themes or []],
        "stage_number": page.stage_number,
        "stage_count": page.stage_count,
        "stage_due_at": page.due_at,
        "working_days_left": page.working_days_left,
        "is_overdue": page.is_overdue,
        "allowed_actions": sorted(page.allowed_actions),
        "actions": [action_out(action, escalation.reference) for action in page.actions],
        "timeline": [_entry_out(entry) for entry in page.timeline],
    }


def dashboard(figures: Dashboard) -> dict[str, Any]:
    return {
        "partnership": figures.partnership_name,
        "total": figures.total,
        "open_now": figures.open_now,
        "overdue_now": figures.overdue_now,
        "resolved": figures.resolved,
        "withdrawn": figures.withdrawn,
        "resolution_count": figures.resolution_count,
        "median_working_days": figures.median_days,
        "p90_working_days": figures.p90_days,
        "small_numbers_apply": figures.small_numbers_apply,
        "tables": [
            {
                "key": table.key,
                "title": table.title,
                "heading": table.heading,
                "rows": [{"label": row.label, "count": row.count} for row in table.rows],
            }
            for table in figures.tables.values()
        ],
    }
