"""Agreed actions: made on their own or with a resolution, and completed by their owner."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone

from escalate.directory.models import Person
from escalate.escalations import recipients, workflow
from escalate.escalations.auditing import audited
from escalate.escalations.models import (
    Action,
    Escalation,
    Part,
    Participant,
)
from escalate.escalations.services.transition import Change, add_participant, send_notifications
from escalate.policies.schema import Event, Recipient


@dataclass(frozen=True)
class ActionSpec:
    owner: Person
    description: str
    due_on: date


def check_action_specs(escalation: Escalation, actions: Iterable[ActionSpec]) -> None:
    now = timezone.now()
    for spec in actions:
        workflow.check_action(
            spec.description,
            spec.due_on,
            spec.owner.partnership_id == escalation.partnership_id and spec.owner.is_active,
            now,
        )


def create_actions(
    change: Change, actions: Iterable[ActionSpec], *, proposed_by: Person | None = None
) -> list[Action]:
    return [
        make_action(change, spec.owner, spec.description.strip(), spec.due_on, proposed_by)
        for spec in actions
    ]


def make_action(
    change: Change,
    owner: Person,
    description: str,
    due_on: date,
    proposed_by: Person | None = None,
) -> Action:
    """Agree one action within `change`: the workflow decides, then the action and its notices.

    `proposed_by` is the person whose proposal the sweep accepted when no answer came: the action
    is theirs to stand by, but the timeline shows the sweep made it, not them."""
    escalation = change.escalation
    transition = change.decide(
        workflow.AddAction(
            at=change.now,
            description=description,
            due_on=due_on,
            owner_in_partnership=owner.partnership_id == escalation.partnership_id
            and owner.is_active,
        )
    )
    agreed_by = proposed_by or change.by
    assert agreed_by is not None  # an action is agreed by someone (the sweep: the proposer)
    action = Action.objects.create(
        escalation=escalation,
        description=description,
        owner=owner,
        due_on=due_on,
        created_by=agreed_by,
        created_at=change.now,
    )
    # The owner must be able to open the escalation to do the action.
    if not Participant.objects.filter(escalation=escalation, person=owner).exists():
        add_participant(
            escalation, owner, Part.ACTION_OWNER, escalation.current_stage_key, change.now
        )
    extra: dict[str, object] = {"action_id": action.pk, "owner": owner.full_name}
    if proposed_by is not None:
        extra["accepted_proposal_of"] = proposed_by.full_name
    entries = change.write(transition, extra_data=extra)
    # The owner is told, with the action's own due date, even if the policy forgot to say so;
    # a policy rule naming them (action_owner) said it already, on the same event key.
    told = any(
        recipient is Recipient.ACTION_OWNER
        for event in transition.of_type(workflow.NotificationEvent)
        for recipient in event.recipients
    )
    if not told:
        send_notifications(
            escalation,
            change.spec,
            Event.ACTION_ASSIGNED.value,
            escalation.current_stage_key,
            [recipients.Target(owner, owner.email, owner.full_name, Part.ACTION_OWNER)],
            event_key=f"chronology:{entries[0].pk}:{Event.ACTION_ASSIGNED.value}",
            now=change.now,
            action=action,
        )
    return action


@transaction.atomic(durable=True)
def add_action(
    *, escalation: Escalation, by: Person, owner: Person, description: str, due_on: date
) -> Action:
    """Agree an action with an owner in the partnership and a due date (not in the past)."""
    with audited("escalation_action_added", escalation=escalation, by=by):
        change = Change(escalation, by)
        return make_action(change, owner, description.strip(), due_on)


@transaction.atomic(durable=True)
def complete_action(*, action: Action, by: Person, note: str) -> Action:
    """Mark an action done (its owner, or whoever agreed it)."""
    with audited("escalation_action_completed", escalation=action.escalation, by=by):
        locked = Action.objects.select_for_update().get(pk=action.pk)
        change = Change(action.escalation, by)
        transition = change.decide(
            workflow.CompleteAction(
                at=change.now,
                already_done=locked.done_at is not None,
                by_owner_or_creator=by.pk in (locked.owner_id, locked.created_by_id),
            )
        )
        locked.done_at = change.now
        locked.done_by = by
        locked.done_note = note.strip()
        locked.save(update_fields=["done_at", "done_by", "done_note"])
        change.write(transition, extra_data={"action_id": locked.pk, "note": locked.done_note})
        return locked
