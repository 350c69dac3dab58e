"""The child's own IRO and CP chair: named at raise, or later by the partnership's business unit."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from escalate.directory.models import Person, Role
from escalate.escalations import messages
from escalate.escalations.auditing import audited
from escalate.escalations.models import ChronologyEntry, EntryKind, Escalation, Part
from escalate.escalations.services.raising import is_reviewer
from escalate.escalations.services.transition import add_participant, lock_escalation
from escalate.escalations.workflow import ActionRefused
from escalate.notifications.services import enqueue_notification
from escalate.policies.schema import Event


def may_allocate_reviewers(person: Person, escalation: Escalation) -> bool:
    """The partnership's business unit (its business managers) allocates them."""
    return person.partnership_id == escalation.partnership_id and person.has_role(
        Role.BUSINESS_MANAGER
    )


@transaction.atomic(durable=True)
def allocate_reviewers(
    *,
    escalation: Escalation,
    by: Person,
    expected_version: int,
    iro: Person | None,
    cp_chair: Person | None,
) -> Escalation:
    """Name the child's IRO and CP chair (None: not known). Whoever is newly named is told,
    and may open the escalation; nobody else's access changes.
    """
    with audited("escalation_reviewers_allocated", escalation=escalation, by=by):
        if not may_allocate_reviewers(by, escalation):
            raise ActionRefused("Only the partnership's business unit can allocate the IRO.")
        for role, chosen, name in ((Role.IRO, iro, "iro"), (Role.CP_CHAIR, cp_chair, "cp_chair")):
            if chosen is not None and not is_reviewer(chosen, role, escalation.partnership_id):
                raise ActionRefused("Choose someone from the list, or 'Not known'.", field=name)
        locked = lock_escalation(escalation, expected_version)
        now = timezone.now()
        newly: list[tuple[Person, str, str]] = []
        if iro is not None and iro.pk != locked.allocated_iro_id:
            newly.append((iro, Part.IRO, "Independent Reviewing Officer"))
        if cp_chair is not None and cp_chair.pk != locked.allocated_cp_chair_id:
            newly.append((cp_chair, Part.CP_CHAIR, "child protection conference chair"))
        if (
            iro is None
            and cp_chair is None
            and not (locked.allocated_iro_id or locked.allocated_cp_chair_id)
        ):
            return locked
        locked.allocated_iro = iro
        locked.allocated_cp_chair = cp_chair
        locked.version += 1
        locked.save(update_fields=["allocated_iro", "allocated_cp_chair", "version"])
        entry = ChronologyEntry.objects.create(
            escalation=locked,
            kind=EntryKind.NOTIFICATION,
            actor=by,
            stage_key=locked.current_stage_key,
            occurred_at=now,
            recorded_at=now,
            text="Allocated: "
            + "; ".join(
                f"{label} {person.full_name if person else 'not known'}"
                for label, person in (("IRO", iro), ("CP chair", cp_chair))
            ),
            data={
                "event": "reviewers_allocated",
                "recipients": [
                    {"key": f"person:{p.pk}", "label": f"{p.full_name} ({label})", "part": part}
                    for p, part, label in newly
                ],
            },
        )
        for person, part, label in newly:
            add_participant(locked, person, part, locked.current_stage_key, now)
            message = messages.reviewer_allocated(
                reference=locked.reference,
                label=label,
                link=messages.escalation_link(locked.get_absolute_url()),
            )
            enqueue_notification(
                partnership=locked.partnership,
                escalation=locked,
                event=Event.STAGE_ENTERED.value,
                event_key=f"chronology:{entry.pk}:allocated",
                subject=message.subject,
                body=message.body,
                template_key=message.key,
                personalisation=dict(message.personalisation),
                recipient=person,
                urgent=locked.immediate_harm,
            )
        return locked
