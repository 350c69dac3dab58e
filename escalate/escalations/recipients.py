"""Turning a policy's notification rules into people and email addresses.

The policy names recipients by what they are to the escalation (the raiser, the stage's
managers, the IRO...). This module finds them: the management chain in the directory first,
then the agency's escalation contact at the stage's level, then the partnership's role holders.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Prefetch, prefetch_related_objects

from escalate.directory.models import Agency, EscalationContact, Level, Person, Role
from escalate.escalations.models import MANAGER_PARTS, Action, Escalation, Part, Participant
from escalate.policies.schema import Recipient, Stage


@dataclass(frozen=True)
class Target:
    """One person (or mailbox) to tell, and what they are to the escalation."""

    person: Person | None
    email: str
    label: str
    part: str = ""  # models.Part value when the person becomes a participant

    @property
    def key(self) -> str:
        return f"person:{self.person.pk}" if self.person is not None else f"email:{self.email}"


def person_at_level(person: Person | None, agency: Agency, level: int) -> Target | None:
    """Who acts for `person`'s side at `level`: them, someone up their line, or the contact."""
    if person is not None:
        if person.level >= level:
            return Target(person, person.email, person.full_name)
        for manager in person.management_chain():
            if manager.level >= level:
                return Target(manager, manager.email, manager.full_name)
    contact = contact_at_level(agency, level)
    if contact is None:
        # Nobody at that level: the most senior person up the line still needs to know.
        chain = person.management_chain() if person is not None else []
        top = chain[-1] if chain else None
        return Target(top, top.email, top.full_name) if top is not None else None
    if contact.person is not None and contact.person.is_active:
        return Target(contact.person, contact.person.email, contact.person.full_name)
    return Target(None, contact.email.lower(), f"{contact.name}, {agency.name}")


def contact_at_level(agency: Agency, level: int) -> EscalationContact | None:
    """The agency's escalation contact at `level` or the nearest above it; read from the
    agency's prefetched contacts when a batch loaded them (`prefetch_directory`)."""
    cached = getattr(agency, "_prefetched_objects_cache", {}).get("contacts")
    if cached is None:
        return (
            EscalationContact.objects.filter(agency=agency, level__gte=level)
            .select_related("person")
            .order_by("level", "service", "pk")
            .first()
        )
    found = sorted(
        (c for c in cached if c.level >= level), key=lambda c: (c.level, c.service, c.pk)
    )
    return found[0] if found else None


def prefetch_directory(escalations: Sequence[Escalation], also: Iterable[Person] = ()) -> None:
    """Load, for a batch of escalations (the deadline sweep's), everything `resolve` reads from
    the directory for the raiser and respondent sides: each person's management chain and each
    agency's escalation contacts. A fixed number of queries however many escalations; the
    answers are the same as without it."""
    # Every instance (the same person or agency is loaded once per escalation that names them).
    instances = [
        person
        for escalation in escalations
        for person in (escalation.raised_by, escalation.respondent_person)
        if person is not None
    ]
    instances.extend(also)
    people: dict[int, Person] = {person.pk: person for person in instances}
    line_manager = Person._meta.get_field("line_manager")
    waiting = instances
    while waiting:  # one query per level of management
        wanted = {p.line_manager_id for p in waiting if p.line_manager_id is not None}
        missing = wanted - set(people)
        if missing:
            people.update(Person.objects.in_bulk(missing))
        for person in waiting:
            if person.line_manager_id is not None and not line_manager.is_cached(person):
                line_manager.set_cached_value(person, people.get(person.line_manager_id))
        waiting = [people[pk] for pk in missing if pk in people]
    # One instance per agency, shared by the escalations that name it: the prefetch builds a
    # queryset for each instance it fills, and a batch names the same few agencies many times.
    agencies: dict[int, Agency] = {}
    for escalation in escalations:
        for field in ("raiser_agency", "respondent_agency"):
            agency = getattr(escalation, field)
            shared = agencies.setdefault(agency.pk, agency)
            if shared is not agency:
                setattr(escalation, field, shared)
    prefetch_related_objects(
        list(agencies.values()),
        Prefetch("contacts", queryset=EscalationContact.objects.select_related("person")),
    )
    # The managers holding a part (a further tier, or a part taken over), for STAGE_PARTICIPANTS.
    prefetch_related_objects(
        list(escalations),
        Prefetch(
            "participants",
            queryset=Participant.objects.filter(part__in=MANAGER_PARTS).select_related("person"),
            to_attr="manager_participants",
        ),
    )


def stage_people(escalation: Escalation, stage: Stage) -> list[Target]:
    """Both sides' people at `stage`'s levels, with the part each plays."""
    targets: list[Target] = []
    raiser_side = person_at_level(
        escalation.raised_by, escalation.raiser_agency, stage.raiser_level
    )
    if raiser_side is not None:
        is_raiser = raiser_side.person is not None and raiser_side.person == escalation.raised_by
        targets.append(_with_part(raiser_side, Part.RAISER if is_raiser else Part.RAISER_MANAGER))
    respondent = escalation.respondent_person
    if respondent is None and stage.respondent_level <= Level.PRACTITIONER:
        if escalation.respondent_email:
            targets.append(
                Target(
                    None,
                    escalation.respondent_email.lower(),
                    escalation.respondent_name,
                    Part.RESPONDENT,
                )
            )
        return targets
    respondent_side = person_at_level(
        respondent, escalation.respondent_agency, stage.respondent_level
    )
    if respondent_side is not None:
        is_respondent = respondent_side.person is not None and respondent_side.person == respondent
        targets.append(
            _with_part(
                respondent_side, Part.RESPONDENT if is_respondent else Part.RESPONDENT_MANAGER
            )
        )
    return targets


def next_tier_people(escalation: Escalation, stage: Stage, tier: int) -> list[Target]:
    """The managers of tier `tier` of `stage`: each side's person at the stage, `tier - 1` steps
    up their own management line (Havering 004 2.8: "through the appropriate tiers of management
    in each organisation"); where a line ends, the agency's escalation contact at the level
    above. A side with nobody higher gets nobody new."""
    sides = (
        ((Part.RAISER, Part.RAISER_MANAGER), escalation.raiser_agency, stage.raiser_level),
        (
            (Part.RESPONDENT, Part.RESPONDENT_MANAGER),
            escalation.respondent_agency,
            stage.respondent_level,
        ),
    )
    found: list[Target] = []
    for target in stage_people(escalation, stage):
        for parts, agency, level in sides:
            if target.part not in parts:
                continue
            manager_part = parts[1]
            chain = (
                [p for p in target.person.management_chain() if p.is_active]
                if target.person is not None
                else []
            )
            if len(chain) >= tier - 1:
                higher = chain[tier - 2]
                found.append(Target(higher, higher.email, higher.full_name, manager_part))
                continue
            contact = person_at_level(None, agency, min(level + tier - 1, Level.STRATEGIC))
            if contact is not None and contact.key != target.key:
                found.append(_with_part(contact, manager_part))
    return found


def _stage_manager_participants(escalation: Escalation, stage: Stage) -> list[Target]:
    """Managers who hold a part at `stage` beyond its first tier (or took a part over); read
    from the batch's prefetch when `prefetch_directory` loaded them."""
    rows = getattr(escalation, "manager_participants", None)
    if rows is None:
        rows = list(
            Participant.objects.filter(
                escalation=escalation, part__in=MANAGER_PARTS
            ).select_related("person")
        )
    return [
        Target(r.person, r.person.email, r.person.full_name, r.part)
        for r in rows
        if r.stage_key == stage.key and r.person.is_active
    ]


def _with_part(target: Target, part: str) -> Target:
    return Target(target.person, target.email, target.label, part)


def _role_holders(escalation: Escalation, role: str, part: str, label: str) -> list[Target]:
    people = Person.objects.filter(
        partnership=escalation.partnership, is_active=True, role_assignments__role=role
    ).distinct()
    return [Target(p, p.email, f"{p.full_name} ({label})", part) for p in people]


def _allocated(
    escalation: Escalation, person: Person | None, part: str, label: str
) -> list[Target]:
    """The escalation's own IRO or CP chair; "not known": the reviewing service's team.

    Never every IRO of the partnership: only the one allocated to the child is told (and so
    may open it); until one is allocated, the team that allocates them is asked to.
    """
    if person is not None and person.is_active:
        return [Target(person, person.email, f"{person.full_name} ({label})", part)]
    mailbox = escalation.partnership.reviewing_service_email
    if mailbox:
        return [Target(None, mailbox.lower(), f"Reviewing service team ({label} not known)")]
    return business_unit(escalation, f"{label} not known")


def business_unit(escalation: Escalation, why: str = "") -> list[Target]:
    """The partnership's business team mailbox, or else its business managers in the app."""
    suffix = f" ({why})" if why else ""
    mailbox = escalation.partnership.business_team_email
    if mailbox:
        return [
            Target(None, mailbox.lower(), f"Partnership business team{suffix}", Part.BUSINESS_TEAM)
        ]
    return [
        Target(p, p.email, f"{p.full_name} (business manager){suffix}", Part.BUSINESS_TEAM)
        for p in Person.objects.filter(
            partnership=escalation.partnership,
            is_active=True,
            role_assignments__role=Role.BUSINESS_MANAGER,
        ).distinct()
    ]


def dsl_chain(escalation: Escalation) -> list[Target]:
    """Immediate harm: the raiser's agency's DSL, else its safeguarding contact, else the
    partnership's business unit (labelled so, and the escalation page warns: no DSL reached).
    """
    agency = escalation.raiser_agency
    dsls = Person.objects.filter(
        agency=agency, is_active=True, role_assignments__role=Role.DESIGNATED_SAFEGUARDING_LEAD
    ).distinct()
    found = [Target(p, p.email, f"{p.full_name} (DSL)", Part.DSL) for p in dsls]
    if found:
        return found
    if agency.email:
        return [Target(None, agency.email.lower(), f"{agency.name} safeguarding contact", Part.DSL)]
    return business_unit(escalation, f"no DSL or safeguarding contact in {agency.name}")


def resolve(
    escalation: Escalation, stage: Stage, recipient: Recipient, *, action: Action | None = None
) -> list[Target]:
    """The people or mailboxes a policy `recipient` means for `escalation` at `stage`.

    `action` is the agreed action the event is about, if any (for ACTION_OWNER).
    """
    if recipient is Recipient.RAISER:
        raiser = escalation.raised_by
        return [Target(raiser, raiser.email, raiser.full_name, Part.RAISER)]
    if recipient is Recipient.RESPONDENT:
        if escalation.respondent_person is not None:
            person = escalation.respondent_person
            return [Target(person, person.email, person.full_name, Part.RESPONDENT)]
        if escalation.respondent_email:
            return [
                Target(
                    None,
                    escalation.respondent_email.lower(),
                    escalation.respondent_name,
                    Part.RESPONDENT,
                )
            ]
        return []
    if recipient is Recipient.STAGE_PARTICIPANTS:
        people = stage_people(escalation, stage)
        keys = {target.key for target in people}
        return people + [
            target
            for target in _stage_manager_participants(escalation, stage)
            if target.key not in keys
        ]
    if recipient is Recipient.COUNTERPART_MANAGERS:
        managers = []
        for side, agency, level, part in (
            (
                escalation.raised_by,
                escalation.raiser_agency,
                stage.raiser_level,
                Part.RAISER_MANAGER,
            ),
            (
                escalation.respondent_person,
                escalation.respondent_agency,
                stage.respondent_level,
                Part.RESPONDENT_MANAGER,
            ),
        ):
            target = person_at_level(side, agency, max(level, Level.LINE_MANAGER))
            if target is not None and not (target.person is not None and target.person == side):
                managers.append(_with_part(target, part))
        return managers
    if recipient is Recipient.BUSINESS_TEAM:
        mailbox = escalation.partnership.business_team_email
        return (
            [Target(None, mailbox.lower(), "Partnership business team", Part.BUSINESS_TEAM)]
            if mailbox
            else []
        )
    if recipient is Recipient.IRO:
        return _allocated(escalation, escalation.allocated_iro, Part.IRO, "IRO")
    if recipient is Recipient.CP_CHAIR:
        return _allocated(escalation, escalation.allocated_cp_chair, Part.CP_CHAIR, "CP chair")
    if recipient is Recipient.PARTNERSHIP_CHAIR:
        return _role_holders(
            escalation, Role.PARTNERSHIP_CHAIR, Part.PARTNERSHIP_CHAIR, "partnership chair"
        )
    if recipient is Recipient.PANEL_MEMBERS:
        panel = getattr(escalation, "panel", None)
        if panel is None:
            return []
        return [
            Target(p, p.email, f"{p.full_name} (panel)", Part.PANEL_MEMBER)
            for p in panel.members.all()
        ]
    if recipient is Recipient.DSL:
        return dsl_chain(escalation)
    if recipient is Recipient.ACTION_OWNER:
        if action is None or not action.owner.is_active:
            return []
        owner = action.owner
        return [Target(owner, owner.email, owner.full_name, Part.ACTION_OWNER)]
    raise ValueError(f"unknown recipient {recipient!r}")
