"""Who decides (issue 15): proposing a resolution and answering it, reopening, and the silence
the deadline sweep records. The rules are deciding.py's; these functions only store them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import transaction

from escalate.directory.models import Person
from escalate.escalations import deciding, recipients
from escalate.escalations.auditing import SYSTEM, audited
from escalate.escalations.models import Action, ChronologyEntry, EntryKind, Escalation
from escalate.escalations.services.actions import ActionSpec, check_action_specs, create_actions
from escalate.escalations.services.stage import record_outcome
from escalate.escalations.services.transition import Change, add_participant, send_notifications
from escalate.policies import calendar
from escalate.policies.schema import Event

# What the record says decided a resolution agreed by both sides.
AGREED_BY_BOTH = "Agreed by both sides"


@transaction.atomic(durable=True)
def propose_resolution(
    *,
    escalation: Escalation,
    by: Person,
    expected_version: int,
    decision: str,
    learning: str = "",
    learning_themes: list[str] | None = None,
    actions: list[ActionSpec] | None = None,
) -> ChronologyEntry:
    """One side proposes how the disagreement is resolved; it takes effect when the other side
    accepts it (the agreed actions are made then)."""
    actions = actions or []
    with audited("escalation_resolution_proposed", escalation=escalation, by=by):
        change = Change(escalation, by, expected_version)
        check_action_specs(change.escalation, actions)
        proposed = [
            {
                "owner_id": spec.owner.pk,
                "owner": spec.owner.full_name,
                "description": spec.description.strip(),
                "due_on": spec.due_on.isoformat(),
            }
            for spec in actions
        ]
        entries = change.run(
            deciding.ProposeResolution(
                at=change.now, decision=decision.strip(), action_count=len(actions)
            ),
            extra_data={
                "learning": learning.strip(),
                "learning_themes": [t.strip() for t in learning_themes or [] if t.strip()],
                "proposed_actions": proposed,
            },
        )
        return entries[0]


def pending_proposal(escalation: Escalation) -> ChronologyEntry | None:
    """The timeline entry of the latest proposed resolution at the current stage (the one
    waiting for an answer, once the core has said one is)."""
    return (
        escalation.chronology.filter(
            kind=EntryKind.RESOLUTION_PROPOSED, stage_key=escalation.current_stage_key
        )
        .order_by("-pk")
        .first()
    )


def _proposed_actions(escalation: Escalation, entry: ChronologyEntry) -> list[ActionSpec]:
    """The proposal's actions, with owners still active in the partnership (others are left
    for the people at the stage to agree again)."""
    rows = entry.data.get("proposed_actions") if isinstance(entry.data, dict) else None
    found: list[ActionSpec] = []
    for row in rows if isinstance(rows, list) else []:
        owner = Person.objects.filter(
            pk=row.get("owner_id"), partnership_id=escalation.partnership_id, is_active=True
        ).first()
        try:
            due_on = date.fromisoformat(str(row.get("due_on")))
        except ValueError:
            continue
        if owner is not None:
            found.append(ActionSpec(owner, str(row.get("description", "")), due_on))
    return found


@transaction.atomic(durable=True)
def accept_resolution(*, escalation: Escalation, by: Person, expected_version: int) -> Escalation:
    """The other side accepts the proposed resolution: the escalation is resolved as agreed."""
    with audited("escalation_resolved", escalation=escalation, by=by):
        change = Change(escalation, by, expected_version)
        accepted = change.decide(deciding.AcceptProposal(at=change.now))
        entry = pending_proposal(change.escalation)
        assert entry is not None  # the rule refuses when none is waiting
        data = entry.data if isinstance(entry.data, dict) else {}
        today = calendar.local_date(change.now)
        actions = [a for a in _proposed_actions(change.escalation, entry) if a.due_on >= today]
        create_actions(change, actions)
        record_outcome(
            change.escalation,
            entry.text,
            AGREED_BY_BOTH,
            str(data.get("learning", "")),
            [str(t) for t in data.get("learning_themes", []) if isinstance(t, str)],
        )
        change.write(accepted)
        return change.escalation


@transaction.atomic(durable=True)
def decline_resolution(
    *,
    escalation: Escalation,
    by: Person,
    expected_version: int,
    reason: str,
    next_step: str = "stay",
    board_engagement: str = "",
) -> Escalation:
    """The other side declines the proposal with a reason; it may escalate it at once."""
    with audited("escalation_resolution_declined", escalation=escalation, by=by):
        change = Change(escalation, by, expected_version)
        change.run(
            deciding.DeclineProposal(
                at=change.now,
                reason=reason.strip(),
                escalate=next_step == "escalate",
                board_engagement=board_engagement.strip(),
            )
        )
        return change.escalation


def overdue_actions(escalation: Escalation, on: date) -> int:
    return Action.objects.filter(escalation=escalation, done_at__isnull=True, due_on__lt=on).count()


@transaction.atomic(durable=True)
def reopen_escalation(
    *, escalation: Escalation, by: Person, expected_version: int, grounds: str, reason: str
) -> Escalation:
    """The raiser's side reopens a resolved escalation (an agreed action overdue and not done,
    or the concern back) within the policy's window."""
    with audited("escalation_reopened", escalation=escalation, by=by):
        change = Change(escalation, by, expected_version)
        change.run(
            deciding.Reopen(
                at=change.now,
                reason=reason.strip(),
                grounds=grounds,
                overdue_action_count=overdue_actions(
                    change.escalation, calendar.local_date(change.now)
                ),
            )
        )
        return change.escalation


@transaction.atomic(durable=True)
def change_timescale(
    *, escalation: Escalation, by: Person, expected_version: int, due_on: date, reason: str
) -> Escalation:
    """A manager at the current stage shortens its due date, or sets it where the policy lets
    them, with a reason (guide 001 Step 2); reminders and the sweep follow the new date."""
    with audited("escalation_timescale_changed", escalation=escalation, by=by):
        change = Change(escalation, by, expected_version)
        change.run(deciding.ChangeTimescale(at=change.now, due_on=due_on, reason=reason.strip()))
        return change.escalation


@transaction.atomic(durable=True)
def move_up_tier(
    *, escalation: Escalation, by: Person, expected_version: int, reason: str
) -> Escalation:
    """Either side at the stage takes it to the next tier of management in each organisation
    (Havering 004 2.8), where the stage's policy allows more than one; the new tier's managers
    join the stage, are told, and the stage has a new due date."""
    with audited("escalation_tier_up", escalation=escalation, by=by):
        change = Change(escalation, by, expected_version)
        stage = change.spec.stage(change.escalation.current_stage_key)
        higher = recipients.next_tier_people(change.escalation, stage, change.state.tier + 1)
        transition = change.decide(
            deciding.MoveUpTier(at=change.now, reason=reason.strip(), someone_higher=bool(higher))
        )
        mailboxes = []
        for target in higher:
            if target.person is not None:
                add_participant(
                    change.escalation, target.person, target.part, stage.key, change.now
                )
            else:
                mailboxes.append(target)  # an agency's contact without an account
        entries = change.write(transition)
        send_notifications(
            change.escalation,
            change.spec,
            Event.TIER_UP.value,
            stage.key,
            mailboxes,
            event_key=f"chronology:{entries[0].pk}:tier_up_contacts",
            now=change.now,
        )
        return change.escalation


@transaction.atomic(durable=True)
def record_silence(*, escalation: Escalation, now: datetime | None = None) -> int:
    """The deadline sweep: record what went unanswered past its date ("no rationale given by
    ...", a proposal unanswered), as the policy says. Returns how many things it recorded."""
    with audited("escalation_silence_recorded", escalation=escalation, by=SYSTEM):
        change = Change.by_sweep(escalation, now)
        done = 0
        for action in deciding.sweep_actions(change.state, change.now):
            transition = change.decide(action)
            entry = pending_proposal(change.escalation) if _accepts(transition) else None
            if entry is not None:
                # Accepted as the policy says: the proposer's agreed actions are made. The
                # timeline shows the sweep made them (nobody answered), not the proposer.
                if entry.actor is not None:
                    today = calendar.local_date(change.now)
                    create_actions(
                        change,
                        [
                            a
                            for a in _proposed_actions(change.escalation, entry)
                            if a.due_on >= today
                        ],
                        proposed_by=entry.actor,
                    )
                data = entry.data if isinstance(entry.data, dict) else {}
                record_outcome(
                    change.escalation,
                    entry.text,
                    "Accepted: no answer in time",
                    str(data.get("learning", "")),
                    [str(t) for t in data.get("learning_themes", []) if isinstance(t, str)],
                )
            change.write(transition)
            done += 1
        return done


def _accepts(transition: Any) -> bool:
    return any(getattr(event, "kind", "") == EntryKind.RESOLVED for event in transition.events)
