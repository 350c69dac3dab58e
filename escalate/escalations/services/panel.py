"""The Resolution Panel: convening it, the agencies' representations, its decision."""

from __future__ import annotations

from django.utils import timezone

from escalate.directory.models import Agency, Person
from escalate.escalations import workflow
from escalate.escalations.auditing import audited
from escalate.escalations.models import (
    ChronologyEntry,
    Escalation,
    Panel,
    Part,
)
from escalate.escalations.services.actions import ActionSpec, check_action_specs, create_actions
from escalate.escalations.services.stage import record_outcome
from escalate.escalations.services.transition import (
    act,
    add_participant,
    apply_transition,
    lock_escalation,
    require_same_partnership,
)
from escalate.escalations.state import actor_of, state_of
from escalate.escalations.workflow import ActionRefused


@audited("escalation_panel_convened")
def convene_panel(
    *, escalation: Escalation, by: Person, expected_version: int, members: list[Person]
) -> Panel:
    """The partnership chair convenes a Resolution Panel (the policy's agency rule enforced)."""
    locked = lock_escalation(escalation, expected_version)
    for member in members:
        require_same_partnership(locked, member, "members")
    agency_ids = frozenset(m.agency_id for m in members if m.agency_id is not None)
    action = workflow.ConvenePanel(
        at=timezone.now(),
        member_count=len({m.pk for m in members}),
        agency_ids=agency_ids,
        disputing_agency_ids=frozenset({locked.raiser_agency_id, locked.respondent_agency_id}),
    )
    spec = locked.policy_version.spec
    transition = workflow.apply(spec, state_of(locked), action, actor_of(locked, by))
    now = timezone.now()
    panel = Panel.objects.create(escalation=locked, convened_by=by, convened_at=now)
    panel.members.set(members)
    panel.agencies.set(agency_ids)
    for member in members:
        add_participant(locked, member, Part.PANEL_MEMBER, locked.current_stage_key, now)
    if by.has_role("partnership_chair"):
        add_participant(locked, by, Part.PARTNERSHIP_CHAIR, locked.current_stage_key, now)
    apply_transition(locked, transition, by=by, before_version=locked.version, now=now)
    return panel


@audited("escalation_representation_recorded")
def record_representation(
    *, escalation: Escalation, by: Person, expected_version: int, agency: Agency, summary: str
) -> ChronologyEntry:
    """Record what an agency told the Resolution Panel."""
    if agency.partnership_id != escalation.partnership_id:
        raise ActionRefused("Choose an agency in this partnership.", field="agency")
    action = workflow.RecordRepresentation(at=timezone.now(), summary=summary.strip())
    _, entries = act(
        escalation,
        by,
        expected_version,
        action,
        extra_data={"agency_id": agency.pk, "agency": agency.name},
    )
    return entries[0]


@audited("escalation_panel_decided")
def record_panel_decision(
    *,
    escalation: Escalation,
    by: Person,
    expected_version: int,
    decision: str,
    learning: str,
    learning_themes: list[str],
    actions: list[ActionSpec],
) -> Escalation:
    """The panel's decision resolves the escalation, with its actions and learning."""
    locked = lock_escalation(escalation, expected_version)
    check_action_specs(locked, actions)
    spec = locked.policy_version.spec
    now = timezone.now()
    decide = workflow.RecordPanelDecision(
        at=now, decision=decision.strip(), learning=learning.strip(), action_count=len(actions)
    )
    workflow.apply(spec, state_of(locked), decide, actor_of(locked, by))
    create_actions(locked, by, actions, now)
    transition = workflow.apply(spec, state_of(locked), decide, actor_of(locked, by))
    Panel.objects.filter(escalation=locked).update(decision=decision.strip(), decided_at=now)
    record_outcome(locked, decision, "The Resolution Panel", learning, learning_themes)
    apply_transition(locked, transition, by=by, before_version=locked.version, now=now)
    return locked
