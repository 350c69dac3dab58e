"""The plain state the workflow core reads, built from the stored escalation.

Selectors (what a person may do now) and services (what an action means) both ask these; so
neither has to import the other.
"""

from __future__ import annotations

from escalate.directory.models import Person
from escalate.escalations import workflow
from escalate.escalations.models import (
    MANAGER_PARTS,
    EntryKind,
    Escalation,
    Panel,
    Participant,
    StageRecord,
)


def flags_of(escalation: Escalation) -> frozenset[str]:
    flags = {escalation.subject_kind}
    for name in ("cp_plan", "looked_after", "cp_conference", "immediate_harm"):
        if getattr(escalation, name):
            flags.add(name)
    return frozenset(flags)


def state_of(escalation: Escalation) -> workflow.EscalationState:
    """The workflow's view of a stored escalation."""
    spec = escalation.policy_version.spec
    record = current_stage_record(escalation)
    records: set[str] = set()
    kinds = set(
        escalation.chronology.filter(stage_key=escalation.current_stage_key).values_list(
            "kind", flat=True
        )
    )
    if EntryKind.DISCUSSION in kinds:
        records.add("discussion")
    if EntryKind.RATIONALE in kinds:
        records.add("rationale")
    panel = Panel.objects.filter(escalation=escalation).first()
    return workflow.EscalationState(
        status=escalation.status,
        stage_key=escalation.current_stage_key,
        stage_index=spec.stage_index(escalation.current_stage_key),
        version=escalation.version,
        stage_started_at=record.started_at if record else escalation.raised_at,
        due_at=escalation.stage_due_at,
        flags=flags_of(escalation),
        records=frozenset(records),
        rationale_requested=EntryKind.RATIONALE_REQUESTED in kinds
        and EntryKind.RATIONALE not in kinds,
        paused_at=record.paused_at if record else None,
        panel_convened=panel is not None,
        panel_decided=panel is not None and panel.decided_at is not None,
    )


def current_stage_record(escalation: Escalation) -> StageRecord | None:
    return escalation.stages.order_by("-index").first()


def actor_of(escalation: Escalation, person: Person) -> workflow.Actor:
    """What `person` is to `escalation`: their participant parts and partnership roles.

    Managers act only at the stage they were brought in for (the stage moves on without them);
    the raiser, the respondent, panel members and the others keep their part throughout.
    """
    rows = Participant.objects.filter(escalation=escalation, person=person).values_list(
        "part", "stage_key"
    )
    current = {
        part
        for part, stage_key in rows
        if part not in MANAGER_PARTS or stage_key == escalation.current_stage_key
    }
    former = {part for part, _ in rows} - current
    roles = person.role_set if person.partnership_id == escalation.partnership_id else frozenset()
    return workflow.Actor(
        parts=frozenset(current), roles=frozenset(roles), former_parts=frozenset(former)
    )
