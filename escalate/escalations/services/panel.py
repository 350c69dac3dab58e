"""The Resolution Panel: convening it, the agencies' representations, its decision."""

from __future__ import annotations

from django.db import transaction

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
    Change,
    add_participant,
    require_same_partnership,
)
from escalate.escalations.state import handled_by
from escalate.escalations.workflow import ActionRefused


@transaction.atomic(durable=True)
def convene_panel(
    *,
    escalation: Escalation,
    by: Person,
    expected_version: int,
    members: list[Person],
    lead: Person | None = None,
    handled_reason: str = "",
) -> Panel:
    """The partnership chair convenes a Resolution Panel: never of practitioners, and with the
    agencies the policy asks for. Where the policy says so, its members are senior officers of
    the Board's member agencies (Havering 2.12); anyone who already handled the escalation sits
    only with the chair's reason. The chair may name a panel lead among the members, who then
    records the panel's decision (Havering 2.13)."""
    with audited("escalation_panel_convened", escalation=escalation, by=by):
        change = Change(escalation, by, expected_version)
        locked = change.escalation
        for member in members:
            require_same_partnership(locked, member, "members")
        agency_ids = frozenset(m.agency_id for m in members if m.agency_id is not None)
        chosen = list({m.pk: m for m in members}.values())
        handled = handled_by(locked)
        agencies = Agency.objects.in_bulk({m.agency_id for m in chosen if m.agency_id})
        on_board = {pk for pk, agency in agencies.items() if agency.is_board_member}
        transition = change.decide(
            workflow.ConvenePanel(
                at=change.now,
                member_count=len(chosen),
                agency_ids=agency_ids,
                disputing_agency_ids=frozenset(
                    {locked.raiser_agency_id, locked.respondent_agency_id}
                ),
                practitioners=sum(
                    not workflow.may_sit_on_panel(level=m.level, roles=m.role_set) for m in chosen
                ),
                non_candidate_count=sum(
                    not (m.is_senior_officer and m.agency_id in on_board) for m in chosen
                ),
                handled_count=sum(m.pk in handled for m in chosen),
                handled_reason=handled_reason.strip(),
            )
        )
        panel = Panel.objects.create(escalation=locked, convened_by=by, convened_at=change.now)
        panel.members.set(members)
        panel.agencies.set(agency_ids)
        stage_key = locked.current_stage_key
        for member in members:
            add_participant(locked, member, Part.PANEL_MEMBER, stage_key, change.now)
        if lead is not None:
            if lead.pk not in {m.pk for m in members}:
                raise ActionRefused("Choose the panel lead from the panel's members.", field="lead")
            add_participant(locked, lead, Part.PANEL_LEAD, stage_key, change.now)
        if by.has_role("partnership_chair"):
            add_participant(locked, by, Part.PARTNERSHIP_CHAIR, stage_key, change.now)
        change.write(transition)
        return panel


@transaction.atomic(durable=True)
def record_representation(
    *, escalation: Escalation, by: Person, expected_version: int, agency: Agency, summary: str
) -> ChronologyEntry:
    """Record what an agency told the Resolution Panel."""
    with audited("escalation_representation_recorded", escalation=escalation, by=by):
        if agency.partnership_id != escalation.partnership_id:
            raise ActionRefused("Choose an agency in this partnership.", field="agency")
        change = Change(escalation, by, expected_version)
        entries = change.run(
            workflow.RecordRepresentation(at=change.now, summary=summary.strip()),
            extra_data={"agency_id": agency.pk, "agency": agency.name},
        )
        return entries[0]


@transaction.atomic(durable=True)
def record_panel_decision(
    *,
    escalation: Escalation,
    by: Person,
    expected_version: int,
    decision: str,
    learning: str,
    learning_themes: list[str],
    actions: list[ActionSpec],
    members_present: list[Person] | None = None,
) -> Escalation:
    """The panel's decision resolves the escalation, with its actions and learning; recorded by
    the chair or the panel lead the chair named, with the members who took part."""
    with audited("escalation_panel_decided", escalation=escalation, by=by):
        change = Change(escalation, by, expected_version)
        locked = change.escalation
        check_action_specs(locked, actions)
        panel_members = set(
            Panel.objects.filter(escalation=locked).values_list("members__pk", flat=True)
        )
        present = tuple(sorted({p.pk for p in members_present or []}))
        if any(pk not in panel_members for pk in present):
            raise ActionRefused(
                "Choose the members who took part from the panel's members.",
                field="members_present",
            )
        # Decided before anything is written (agreeing actions leaves the state as it is).
        decided = change.decide(
            workflow.RecordPanelDecision(
                at=change.now,
                decision=decision.strip(),
                learning=learning.strip(),
                action_count=len(actions),
                members_present=present,
            )
        )
        create_actions(change, actions)
        Panel.objects.filter(escalation=locked).update(
            decision=decision.strip(), decided_at=change.now
        )
        record_outcome(locked, decision, "The Resolution Panel", learning, learning_themes)
        change.write(decided)
        return locked
