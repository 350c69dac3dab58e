"""Agreed actions: made on their own or with a resolution, and completed by their owner."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

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
from escalate.escalations.services.transition import (
    add_participant,
    apply_transition,
    lock_escalation,
    send_notifications,
)
from escalate.escalations.state import actor_of, state_of
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
    escalation: Escalation, by: Person, actions: Iterable[ActionSpec], now: datetime
) -> list[Action]:
    made = []
    for spec in actions:
        made.append(
            _make_action(escalation, by, spec.owner, spec.description.strip(), spec.due_on, now)
        )
    return made


def _make_action(
    escalation: Escalation,
    by: Person,
    owner: Person,
    description: str,
    due_on: date,
    now: datetime,
) -> Action:
    spec = escalation.policy_version.spec
    transition = workflow.apply(
        spec,
        state_of(escalation),
        workflow.AddAction(
            at=now,
            description=description,
            due_on=due_on,
            owner_in_partnership=owner.partnership_id == escalation.partnership_id
            and owner.is_active,
        ),
        actor_of(escalation, by),
    )
    action = Action.objects.create(
        escalation=escalation,
        description=description,
        owner=owner,
        due_on=due_on,
        created_by=by,
        created_at=now,
    )
    # The owner must be able to open the escalation to do the action.
    if not Participant.objects.filter(escalation=escalation, person=owner).exists():
        add_participant(escalation, owner, Part.ACTION_OWNER, escalation.current_stage_key, now)
    entries = apply_transition(
        escalation,
        transition,
        by=by,
        before_version=escalation.version,
        now=now,
        extra_data={"action_id": action.pk, "owner": owner.full_name},
    )
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
            spec,
            Event.ACTION_ASSIGNED.value,
            escalation.current_stage_key,
            [recipients.Target(owner, owner.email, owner.full_name, Part.ACTION_OWNER)],
            cause_key=f"chronology:{entries[0].pk}",
            now=now,
            action=action,
        )
    return action


@audited("escalation_action_added")
def add_action(
    *, escalation: Escalation, by: Person, owner: Person, description: str, due_on: date
) -> Action:
    """Agree an action with an owner in the partnership and a due date (not in the past)."""
    locked = lock_escalation(escalation, None)
    return _make_action(locked, by, owner, description.strip(), due_on, timezone.now())


@audited("escalation_action_completed")
def complete_action(*, action: Action, by: Person, note: str) -> Action:
    """Mark an action done (its owner, or whoever agreed it)."""
    locked = Action.objects.select_for_update().get(pk=action.pk)
    escalation = Escalation.objects.select_related("policy_version").get(pk=locked.escalation_id)
    now = timezone.now()
    transition = workflow.apply(
        escalation.policy_version.spec,
        state_of(escalation),
        workflow.CompleteAction(
            at=now,
            already_done=locked.done_at is not None,
            by_owner_or_creator=by.pk in (locked.owner_id, locked.created_by_id),
        ),
        actor_of(escalation, by),
    )
    locked.done_at = now
    locked.done_by = by
    locked.done_note = note.strip()
    locked.save(update_fields=["done_at", "done_by", "done_note"])
    apply_transition(
        escalation,
        transition,
        by=by,
        before_version=escalation.version,
        now=now,
        extra_data={"action_id": locked.pk, "note": locked.done_note},
    )
    return locked
