"""Nobody stranded by people leaving (issue 15, item 8): the part of someone deactivated or
marked away passes to another person, and the sweep tells the business unit of an escalation
where nobody active can act for one side. The rules are deciding.py's."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from escalate.directory.models import Person
from escalate.escalations import deciding, messages, recipients
from escalate.escalations.auditing import SYSTEM, audited
from escalate.escalations.models import (
    MANAGER_PARTS,
    ChronologyEntry,
    Escalation,
    Part,
    Participant,
)
from escalate.escalations.services.transition import Change, send_notifications
from escalate.escalations.state import state_of
from escalate.notifications.models import Notification

# The agency a side's part belongs to (other parts may pass to anyone who can act).
SIDE_AGENCY_FIELD: dict[str, str] = {
    Part.RAISER: "raiser_agency_id",
    Part.RAISER_MANAGER: "raiser_agency_id",
    Part.RESPONDENT: "respondent_agency_id",
    Part.RESPONDENT_MANAGER: "respondent_agency_id",
}


def is_gone(person: Person) -> bool:
    """Deactivated, or marked away: they cannot act on an escalation now."""
    return not person.is_active or person.is_away


@transaction.atomic(durable=True)
def reassign_part(
    *,
    escalation: Escalation,
    by: Person,
    expected_version: int,
    part: str,
    person: Person,
    reason: str,
) -> ChronologyEntry:
    """Pass the part `part`, held by someone deactivated or away, to `person` (their line
    manager or the business unit does it, with a reason; it is on the timeline)."""
    with audited("escalation_part_reassigned", escalation=escalation, by=by):
        change = Change(escalation, by, expected_version)
        holders = list(
            Participant.objects.filter(escalation=change.escalation, part=part)
            .select_related("person")
            .order_by("pk")
        )
        gone = [holder for holder in holders if is_gone(holder.person)]
        holder = gone[0] if gone else (holders[0] if holders else None)
        side_agency_id = SIDE_AGENCY_FIELD.get(part)
        if holder is None and part in deciding.REASSIGNABLE_PARTS:
            raise deciding.ActionRefused("Nobody holds that part on this escalation.", field="part")
        entries = change.run(
            deciding.Reassign(
                at=change.now,
                part=part,
                reason=reason.strip(),
                from_person_gone=bool(gone),
                by_their_manager=holder is not None and holder.person.line_manager_id == by.pk,
                to_person_active=person.is_active
                and not person.is_away
                and person.partnership_id == change.escalation.partnership_id
                and person.pk != (holder.person_id if holder else None),
                to_person_in_side_agency=side_agency_id is None
                or person.agency_id == getattr(change.escalation, side_agency_id),
            ),
            extra_data={
                "from_person": holder.person.full_name if holder else "",
                "to_person": person.full_name,
            },
        )
        assert holder is not None  # the rule refuses a part nobody holds
        taken = Participant.objects.filter(
            escalation=change.escalation, person=person, part=part
        ).exists()
        if taken:
            holder.delete()
        else:
            holder.person = person
            holder.added_at = change.now
            holder.save(update_fields=["person", "added_at"])
        if part == Part.RAISER:
            # The raiser's notices, lists and managers follow whoever holds the part now; who
            # first raised it stays on the timeline (the raised entry and this reassignment).
            change.escalation.raised_by = person
            change.escalation.save(update_fields=["raised_by"])
        if part == Part.RESPONDENT:
            # The respondent's notices go to whoever holds the part now.
            change.escalation.respondent_person = person
            change.escalation.respondent_name = person.full_name
            change.escalation.respondent_email = person.email
            change.escalation.save(
                update_fields=["respondent_person", "respondent_name", "respondent_email"]
            )
        send_notifications(
            change.escalation,
            change.spec,
            "reassigned",
            change.escalation.current_stage_key,
            [recipients.Target(person, person.email, person.full_name, part)],
            event_key=f"chronology:{entries[0].pk}:reassigned_to",
            now=change.now,
        )
        return entries[0]


def active_parts(escalation: Escalation) -> frozenset[str]:
    """The parts someone active (not away) holds now (managers only at their own stage)."""
    rows = Participant.objects.filter(escalation=escalation).values_list(
        "part", "stage_key", "person__is_active", "person__is_away"
    )
    return frozenset(
        part
        for part, stage_key, active, away in rows
        if active
        and not away
        and (part not in MANAGER_PARTS or stage_key == escalation.current_stage_key)
    )


SIDE_WORDS = {"raiser": "the raiser's side", "respondent": "the respondent's side"}


def stranded_key(escalation_id: int, stage_key: str, sides: Sequence[str]) -> str:
    """The event key of telling the business unit that nobody can act for `sides`."""
    return f"stranded:{escalation_id}:{stage_key}:{'+'.join(sides)}"


@transaction.atomic(durable=True)
def flag_stranded(*, escalation: Escalation) -> int:
    """The sweep: where nobody active can act for a side, tell the business unit (once for each
    stage and set of sides). Returns how many outbox rows were written."""
    with audited("escalation_notified", escalation=escalation, by=SYSTEM):
        locked = Escalation.objects.select_for_update(of=("self",)).get(pk=escalation.pk)
        sides = deciding.stranded_sides(state_of(locked), active_parts(locked))
        if not sides:
            return 0
        event_key = stranded_key(locked.pk, locked.current_stage_key, sides)
        if Notification.objects.filter(event_key=event_key).exists():
            return 0
        words = " and ".join(SIDE_WORDS.get(side, side) for side in sides)
        message = messages.stranded(reference=locked.reference, sides=words)
        return send_notifications(
            locked,
            locked.policy_version.spec,
            "stranded",
            locked.current_stage_key,
            recipients.business_unit(locked, "nobody can act"),
            event_key=event_key,
            now=timezone.now(),
            message=message,
        )
