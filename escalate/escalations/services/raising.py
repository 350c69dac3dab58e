"""Raising an escalation, and the draft the raise pages keep while a person types."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from escalate.audit.services import fingerprint, record_audit
from escalate.directory.models import Agency, Person, Role
from escalate.escalations import workflow
from escalate.escalations.auditing import audited
from escalate.escalations.models import (
    DecisionDraft,
    Escalation,
    EscalationLink,
    Part,
    RaiseDraft,
    SubjectKind,
)
from escalate.escalations.references import next_reference
from escalate.escalations.services.transition import add_participant, apply_transition
from escalate.escalations.workflow import ActionRefused
from escalate.policies.schema import PolicySpec
from escalate.policies.selectors import current_policy


@dataclass(frozen=True)
class RaiseDetails:
    """Everything the raise pages collect."""

    respondent_agency: Agency
    subject_name: str
    disputed: str
    risk: str
    outcome_wanted: str
    respondent_person: Person | None = None
    respondent_name: str = ""
    respondent_email: str = ""
    subject_kind: str = SubjectKind.CHILD
    subject_date_of_birth: date | None = None
    case_references: str = ""
    cp_plan: bool = False
    looked_after: bool = False
    cp_conference: bool = False
    immediate_harm: bool = False
    urgent_guidance_shown: bool = False
    # With immediate harm: what was already done to protect them (the policy's
    # urgent.protective_actions) and a note of what and why.
    protective_actions: list[str] = field(default_factory=list)
    protective_action: str = ""
    start_stage_key: str = ""
    later_stage_reason: str = ""
    categories: list[str] = field(default_factory=list)
    already_tried: str = ""
    allocated_iro: Person | None = None  # None: not known (the reviewing service is told)
    allocated_cp_chair: Person | None = None
    # References of earlier escalations about the same person that the raiser chose to link,
    # from those offered (privacy.search.offered_links).
    link_to: tuple[str, ...] = ()


@transaction.atomic(durable=True)
def raise_escalation(
    *, by: Person, details: RaiseDetails, discard_draft: bool = False
) -> Escalation:
    """Raise an escalation at the policy's first stage (or, for immediate harm, where allowed).

    Records the raiser and respondent, the stage's people from the directory, the chronology,
    and every notification the policy calls for on raising and on entering the stage.

    With `discard_draft`, the raiser's draft from the raise pages is forgotten in the same
    transaction: both happen or neither does.
    """
    with audited("escalation_raised", escalation=None, by=by) as audit:
        if by.partnership_id is None or by.agency_id is None:
            raise ActionRefused("You need to belong to an agency in a partnership to raise one.")
        policy = current_policy(by.partnership)
        if policy is None:
            raise ActionRefused("Your partnership has no escalation policy loaded yet.")
        spec = policy.spec
        _check_raise_details(by, details, spec)
        now = timezone.now()
        flags = {details.subject_kind}
        for name in ("cp_plan", "looked_after", "cp_conference", "immediate_harm"):
            if getattr(details, name):
                flags.add(name)
        protective = None
        if details.immediate_harm:
            protective = workflow.ProtectiveAction(
                taken=frozenset(details.protective_actions),
                note=details.protective_action.strip(),
            )
        workflow.check_protective_action(spec, frozenset(flags), protective)
        transition = workflow.start(
            spec,
            at=now,
            flags=frozenset(flags),
            start_stage_key=details.start_stage_key or None,
            later_stage_reason=details.later_stage_reason,
            protective=protective,
        )
        state = transition.state
        escalation = Escalation.objects.create(
            partnership_id=by.partnership_id,
            reference=next_reference(by.partnership, now),  # type: ignore[arg-type]
            policy_version=policy,
            raised_by=by,
            raiser_agency_id=by.agency_id,
            respondent_agency=details.respondent_agency,
            respondent_person=details.respondent_person,
            respondent_name=details.respondent_name.strip()
            or (details.respondent_person.full_name if details.respondent_person else ""),
            respondent_email=details.respondent_email.strip().lower()
            or (details.respondent_person.email if details.respondent_person else ""),
            subject_kind=details.subject_kind,
            subject_name=details.subject_name.strip(),
            subject_date_of_birth=details.subject_date_of_birth,
            case_references=details.case_references.strip(),
            cp_plan=details.cp_plan,
            looked_after=details.looked_after,
            cp_conference=details.cp_conference,
            immediate_harm=details.immediate_harm,
            categories=list(details.categories),
            disputed=details.disputed.strip(),
            risk=details.risk.strip(),
            outcome_wanted=details.outcome_wanted.strip(),
            already_tried=details.already_tried.strip(),
            allocated_iro=details.allocated_iro,
            allocated_cp_chair=details.allocated_cp_chair,
            status=state.status,
            current_stage_key=state.stage_key,
            stage_due_at=state.due_at,
            raised_at=now,
            version=state.version,
            started_at_later_stage_reason=details.later_stage_reason.strip()
            if state.stage_index > 0
            else "",
        )
        add_participant(escalation, by, Part.RAISER, state.stage_key, now)
        if details.respondent_person is not None:
            add_participant(
                escalation, details.respondent_person, Part.RESPONDENT, state.stage_key, now
            )
        apply_transition(escalation, transition, by=by, before_version=state.version, now=now)
        _link_earlier(escalation, by=by, chosen=details.link_to, now=now)
        audit.record(escalation)
        if discard_draft:
            _discard_drafts(by)
        return escalation


def _link_earlier(
    escalation: Escalation, *, by: Person, chosen: tuple[str, ...], now: datetime
) -> None:
    """Link the new escalation to earlier ones about the same person (docs/privacy.md, "Linking").

    Of the matches the raiser may see, those they chose are linked (the rest they judged to be
    someone else). Matches they may not see are linked too, without telling them, so the
    partnership's count of repeat escalations is whole; each side of a link is only ever shown
    to people who may see both.
    """
    from escalate.escalations.selectors import escalations_visible_to
    from escalate.privacy.search import Identifiers, earlier_about_same_person

    identifiers = Identifiers(
        subject_kind=escalation.subject_kind,
        name=escalation.subject_name,
        date_of_birth=escalation.subject_date_of_birth,
        case_references=escalation.case_references,
    )
    assert escalation.partnership_id is not None
    matches = list(
        earlier_about_same_person(escalation.partnership_id, identifiers, before=escalation)
    )
    visible = set(
        escalations_visible_to(by)
        .filter(pk__in=[match.pk for match in matches])
        .values_list("pk", flat=True)
    )
    offered = {match.reference for match in matches if match.pk in visible}
    if set(chosen) - offered:
        raise ActionRefused("Choose escalations from those offered.", field="link_to")
    links = [
        EscalationLink(
            earlier=match,
            later=escalation,
            kind=EscalationLink.Kind.RAISER,
            made_by=by,
            made_at=now,
        )
        if match.pk in visible
        else EscalationLink(
            earlier=match, later=escalation, kind=EscalationLink.Kind.IDENTIFIERS, made_at=now
        )
        for match in matches
        if match.pk not in visible or match.reference in chosen
    ]
    if not links:
        return
    EscalationLink.objects.bulk_create(links)
    escalation.is_repeat = escalation.has_links = True
    Escalation.objects.filter(pk=escalation.pk).update(is_repeat=True, has_links=True)
    Escalation.objects.filter(pk__in=[link.earlier_id for link in links]).update(has_links=True)
    record_audit(
        actor=by,
        action="escalations_linked",
        partnership=escalation.partnership,
        obj=escalation,
        changes={
            # References only: no identifiers. Links the raiser may not see are counted, not
            # named, so even this row does not tell them which escalation it was.
            "linked_by_raiser": (
                None,
                sorted(link.earlier.reference for link in links if link.made_by),
            ),
            "linked_unseen_by_raiser": (None, sum(1 for link in links if not link.made_by)),
        },
    )


def _check_raise_details(by: Person, details: RaiseDetails, spec: PolicySpec) -> None:
    for role, chosen, name in (
        (Role.IRO, details.allocated_iro, "allocated_iro"),
        (Role.CP_CHAIR, details.allocated_cp_chair, "allocated_cp_chair"),
    ):
        if chosen is not None and not is_reviewer(chosen, role, by.partnership_id):
            raise ActionRefused("Choose someone from the list, or 'I don't know'.", field=name)
    agency = details.respondent_agency
    if agency.partnership_id != by.partnership_id or not agency.is_active:
        raise ActionRefused("Choose an agency in your partnership.", field="respondent_agency")
    person = details.respondent_person
    if person is not None and person.agency_id != agency.pk:
        raise ActionRefused(
            "The person you disagree with must work in the agency you chose.",
            field="respondent_person",
        )
    if person is None and not details.respondent_name.strip():
        raise ActionRefused(
            "Choose the professional you disagree with, or type their name.",
            field="respondent_name",
        )
    if person is not None and person.pk == by.pk:
        raise ActionRefused(
            "You cannot raise an escalation about yourself.", field="respondent_person"
        )
    if details.subject_kind not in SubjectKind.values:
        raise ActionRefused("Say whether this is about a child or an adult.", field="subject_kind")
    for value, message, name in (
        (details.subject_name, "Enter the name of the child or adult.", "subject_name"),
        (details.disputed, "Enter the decision, action or inaction you disagree with.", "disputed"),
        (details.risk, "Enter the risk to the child or adult.", "risk"),
        (details.outcome_wanted, "Enter the outcome you want.", "outcome_wanted"),
    ):
        if not value.strip():
            raise ActionRefused(message, field=name)
    dob = details.subject_date_of_birth
    if dob is not None and dob > timezone.localdate():
        raise ActionRefused(
            "The date of birth must be today or in the past.", field="subject_date_of_birth"
        )
    known = {category.key for category in spec.categories}
    unknown = [key for key in details.categories if key not in known]
    if unknown:
        raise ActionRefused("Choose categories from the list.", field="categories")
    if details.immediate_harm and not details.urgent_guidance_shown:
        raise ActionRefused(
            "Read the emergency guidance before raising an escalation about immediate harm.",
            field="immediate_harm",
        )


# --- drafts ------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def save_raise_draft(*, by: Person, data: dict[str, Any]) -> RaiseDraft:
    """Keep everything typed on the raise pages so far (one open draft per person).

    Audited as "raise_draft_saved" with the answers that changed, each only as a fingerprint
    (a draft holds the child's or adult's details).
    """
    draft = RaiseDraft.objects.select_for_update().filter(person=by).order_by("-pk").first()
    before: dict[str, Any] = {} if draft is None else dict(draft.data)
    if draft is None:
        draft = RaiseDraft.objects.create(person=by, data=data)
    else:
        draft.data = data
        draft.save(update_fields=["data", "updated_at"])
    _audit_draft(by, draft, "raise_draft_saved", before, data)
    return draft


@transaction.atomic(durable=True)
def discard_raise_draft(*, by: Person) -> None:
    """Forget the person's draft (when they start again)."""
    _discard_drafts(by)


def _discard_drafts(by: Person) -> None:
    for draft in RaiseDraft.objects.select_for_update().filter(person=by):
        _audit_draft(by, draft, "raise_draft_discarded", dict(draft.data), {})
        draft.delete()


def _audit_draft(
    by: Person,
    draft: RaiseDraft | DecisionDraft,
    action: str,
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    def shown(value: Any) -> str | None:
        return None if value is None else fingerprint(json.dumps(value, sort_keys=True))

    changed = {
        key: (shown(before.get(key)), shown(after.get(key)))
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }
    if changed or not action.endswith("_draft_saved"):  # the same answers change nothing
        record_audit(
            actor=by, action=action, partnership=by.partnership, obj=draft, changes=changed
        )


def is_reviewer(person: Person, role: str, partnership_id: int | None) -> bool:
    """An active IRO (or CP chair) of the partnership: who may be allocated as one."""
    return (
        person.is_active
        and person.partnership_id == partnership_id
        and person.role_assignments.filter(role=role).exists()
    )


# --- decision drafts (resolve, propose, the panel's decision: escalations/steps.py) -------


@transaction.atomic(durable=True)
def save_decision_draft(
    *, by: Person, escalation: Escalation, action: str, version: int, data: dict[str, Any]
) -> DecisionDraft:
    """Keep what `by` typed so far on a decision's pages (one draft per person, escalation and
    action). `version` is kept from when the draft was started: the service's version check
    then refuses a decision made on an escalation that changed meanwhile. Audited like a raise
    draft, each answer only as a fingerprint."""
    draft = (
        DecisionDraft.objects.select_for_update()
        .filter(person=by, escalation=escalation, action=action)
        .first()
    )
    before: dict[str, Any] = {} if draft is None else dict(draft.data)
    if draft is None:
        draft = DecisionDraft.objects.create(
            person=by, escalation=escalation, action=action, version=version, data=data
        )
    else:
        draft.data = data
        draft.version = version
        draft.save(update_fields=["data", "version", "updated_at"])
    _audit_draft(by, draft, "decision_draft_saved", before, data)
    return draft


@transaction.atomic(durable=True)
def discard_decision_draft(*, by: Person, escalation: Escalation, action: str) -> None:
    """Forget `by`'s draft of `action` on `escalation` (made, or started again)."""
    for draft in DecisionDraft.objects.select_for_update().filter(
        person=by, escalation=escalation, action=action
    ):
        _audit_draft(by, draft, "decision_draft_discarded", dict(draft.data), {})
        draft.delete()
