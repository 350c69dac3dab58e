"""Removing a link between two escalations made in error (issue 21; docs/privacy.md, "Linking").

A link says a later escalation is about the same child or adult as an earlier one; it is made at
raise (services/raising.py). When it is wrong (two children with the same name and date of
birth, a mistyped case reference), the partnership's business unit, or a role the policy grants
every escalation to, removes it with a reason. Only someone who may see both escalations may:
to anyone else the link does not exist, and the answer is the same as for a link that never
did (not found).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from escalate.audit.services import fingerprint, record_audit
from escalate.directory.models import Person, Role
from escalate.escalations.models import (
    ChronologyEntry,
    EntryKind,
    Escalation,
    EscalationLink,
)
from escalate.escalations.selectors import escalations_visible_to, policy_versions_granting
from escalate.escalations.workflow import ActionRefused

LONGEST_REASON = 2000


class LinkNotFound(LookupError):
    """No link between the two escalations that this person may see (answered as not found)."""


@dataclass(frozen=True)
class LinkSides:
    link: EscalationLink
    earlier: Escalation
    later: Escalation

    def other(self, escalation: Escalation) -> Escalation:
        return self.later if escalation.pk == self.earlier.pk else self.earlier


def may_remove_links(person: Person, escalation: Escalation) -> bool:
    """Whether `person` is one who removes links on `escalation`: the partnership's business
    unit, or a role the escalation's policy grants every escalation to (`access_roles`)."""
    if person.partnership_id != escalation.partnership_id:
        return False
    return person.has_role(Role.BUSINESS_MANAGER) or (
        escalation.policy_version_id in policy_versions_granting(person)
    )


def find_link(person: Person, escalation: Escalation, other_reference: str) -> LinkSides:
    """The link between `escalation` and the one with `other_reference`, when `person` may see
    both; LinkNotFound otherwise (whichever the reason: no such escalation, one they may not
    see, no link)."""
    if "\x00" in other_reference:  # never a reference (and PostgreSQL refuses it in a query)
        raise LinkNotFound
    visible = escalations_visible_to(person)
    other = visible.filter(reference=other_reference).exclude(pk=escalation.pk).first()
    if other is None or not visible.filter(pk=escalation.pk).exists():
        raise LinkNotFound
    link = (
        EscalationLink.objects.filter(
            Q(earlier=escalation, later=other) | Q(earlier=other, later=escalation)
        )
        .select_related("earlier", "later")
        .first()
    )
    if link is None:
        raise LinkNotFound
    return LinkSides(link=link, earlier=link.earlier, later=link.later)


@transaction.atomic(durable=True)
def remove_link(*, escalation: Escalation, other_reference: str, by: Person, reason: str) -> None:
    """Remove the link between `escalation` and `other_reference`, made in error.

    In one transaction: the link goes; the later escalation stops counting as a repeat unless
    another earlier one is still linked (the dashboard's figures move with it, figures.py); each
    escalation's timeline gets an entry with the reason (shown only to people who may see the
    other escalation too, `selectors.without_hidden_links`); one audit event on each escalation
    names the link and keeps only a fingerprint of the reason.
    """
    reason = reason.strip()
    sides = find_link(by, escalation, other_reference)
    earlier, later = sides.earlier, sides.later
    if not (may_remove_links(by, earlier) and may_remove_links(by, later)):
        raise ActionRefused("Only the partnership's business unit can remove a link.")
    if not reason:
        raise ActionRefused("Enter why the link was made in error.", field="reason")
    if len(reason) > LONGEST_REASON:
        raise ActionRefused(
            f"The reason must be {LONGEST_REASON} characters or fewer.", field="reason"
        )
    # Both rows locked, in one order for every writer.
    list(
        Escalation.objects.select_for_update(of=("self",))
        .filter(pk__in=[earlier.pk, later.pk])
        .order_by("pk")
        .values_list("pk")
    )
    link = EscalationLink.objects.filter(pk=sides.link.pk).first()
    if link is None:  # removed meanwhile by someone else
        raise LinkNotFound
    kind = link.kind
    link.delete()
    was_repeat = Escalation.objects.filter(pk=later.pk).values_list("is_repeat", flat=True).get()
    for side in (earlier, later):
        Escalation.objects.filter(pk=side.pk).update(
            has_links=EscalationLink.objects.filter(Q(earlier=side) | Q(later=side)).exists(),
            **(
                {"is_repeat": EscalationLink.objects.filter(later=side).exists()}
                if side.pk == later.pk
                else {}
            ),
        )
    still_repeat = Escalation.objects.filter(pk=later.pk).values_list("is_repeat", flat=True).get()
    now = timezone.now()
    entries = {
        side.pk: ChronologyEntry.objects.create(
            escalation=side,
            kind=EntryKind.LINK_REMOVED,
            actor=by,
            stage_key=side.current_stage_key,
            occurred_at=now,
            recorded_at=now,
            text=reason,
            data={"other": other.pk, "other_reference": other.reference},
        )
        for side, other in ((earlier, later), (later, earlier))
    }
    for side, _other in ((earlier, later), (later, earlier)):
        changes: dict[str, tuple[object, object]] = {
            "link": (
                {"earlier": earlier.reference, "later": later.reference, "kind": kind},
                None,
            ),
            "chronology": (
                None,
                [
                    {
                        "entry": entries[side.pk].pk,
                        "kind": EntryKind.LINK_REMOVED.value,
                        "stage": side.current_stage_key,
                        "text": fingerprint(reason, salt=side.fingerprint_salt),
                    }
                ],
            ),
        }
        if side.pk == later.pk and was_repeat != still_repeat:
            changes["is_repeat"] = (was_repeat, still_repeat)
        record_audit(
            actor=by,
            action="escalation_link_removed",
            partnership=side.partnership,
            obj=side,
            changes=changes,
        )
