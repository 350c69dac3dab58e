"""Stage work: discussions, rationale, moving on, pausing, resolving, withdrawing, views and
corrections."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from escalate.directory.models import Person
from escalate.escalations import workflow
from escalate.escalations.auditing import audited
from escalate.escalations.models import (
    ChronologyEntry,
    Escalation,
    Part,
    Participant,
)
from escalate.escalations.services.actions import ActionSpec, check_action_specs, create_actions
from escalate.escalations.services.transition import Change
from escalate.policies import calendar


@transaction.atomic(durable=True)
def record_discussion(
    *,
    escalation: Escalation,
    by: Person,
    expected_version: int,
    held_on: date,
    with_whom: str,
    method: str,
    summary: str,
    outcome: str,
) -> ChronologyEntry:
    """Record a discussion held at the current stage (a date in the future is refused)."""
    with audited("escalation_discussion_recorded", escalation=escalation, by=by):
        change = Change(escalation, by, expected_version)
        action = workflow.RecordDiscussion(
            at=change.now,
            held_on=held_on,
            with_whom=with_whom.strip(),
            method=method.strip(),
            summary=summary.strip(),
            outcome=outcome.strip(),
        )
        entries = change.run(action)
        return entries[0]


@transaction.atomic(durable=True)
def request_rationale(
    *, escalation: Escalation, by: Person, expected_version: int, message: str
) -> ChronologyEntry:
    """Ask the respondent for their rationale in writing (the raiser's side only)."""
    with audited("escalation_rationale_requested", escalation=escalation, by=by):
        change = Change(escalation, by, expected_version)
        action = workflow.RequestRationale(at=change.now, message=message.strip())
        entries = change.run(action)
        return entries[0]


@transaction.atomic(durable=True)
def give_rationale(
    *, escalation: Escalation, by: Person, expected_version: int, rationale: str
) -> ChronologyEntry:
    """The respondent's side explains their decision in writing."""
    with audited("escalation_rationale_given", escalation=escalation, by=by):
        change = Change(escalation, by, expected_version)
        action = workflow.GiveRationale(at=change.now, rationale=rationale.strip())
        entries = change.run(action)
        return entries[0]


@transaction.atomic(durable=True)
def escalate_to_next_stage(
    *,
    escalation: Escalation,
    by: Person,
    expected_version: int,
    reason: str,
    board_engagement: str = "",
) -> Escalation:
    """Move to the policy's next stage: new people from the directory, a new deadline (where
    the next stage requires it, the Board members engaged are recorded first)."""
    with audited("escalation_stage_changed", escalation=escalation, by=by):
        change = Change(escalation, by, expected_version)
        action = workflow.EscalateToNextStage(
            at=change.now, reason=reason.strip(), board_engagement=board_engagement.strip()
        )
        change.run(action)
        return change.escalation


@transaction.atomic(durable=True)
def pause_escalation(
    *,
    escalation: Escalation,
    by: Person,
    expected_version: int,
    reason: str,
    review_on: date | None = None,
    raiser_manager_agrees: bool = False,
    agreed_by: Person | None = None,
) -> Escalation:
    """Stop the stage's clock, with a reason and a review date (empty: the latest the policy
    allows); an urgent one only with a raiser-side manager's agreement: the manager pauses it,
    or the raiser names the manager who agreed (`agreed_by`)."""
    with audited("escalation_paused", escalation=escalation, by=by):
        change = Change(escalation, by, expected_version)
        extra: dict[str, str] = {}
        if agreed_by is not None:
            if not raiser_side_manager(change.escalation, agreed_by):
                raise workflow.ActionRefused(
                    "Choose a manager on the raiser's side: the raiser's line manager or the "
                    "raiser's manager at this stage.",
                    field="agreed_by",
                )
            raiser_manager_agrees = True
            extra = {"agreed_by": agreed_by.full_name}
        if review_on is None:
            spec = escalation.policy_version.spec
            review_on = calendar.add_working_days(
                calendar.local_date(change.now),
                spec.pause.review_within_working_days,
                spec.nation.value,
            )
        action = workflow.Pause(
            at=change.now,
            reason=reason.strip(),
            review_on=review_on,
            raiser_manager_agrees=raiser_manager_agrees,
        )
        change.run(action, extra_data=extra or None)
        return change.escalation


def raiser_side_manager(escalation: Escalation, person: Person) -> bool:
    """Whether `person` is a manager on the raiser's side: the raiser's line manager, or the
    raiser's manager at the current stage."""
    if not person.is_active or person.partnership_id != escalation.partnership_id:
        return False
    if escalation.raised_by.line_manager_id == person.pk:
        return True
    return Participant.objects.filter(
        escalation=escalation,
        person=person,
        part=Part.RAISER_MANAGER,
        stage_key=escalation.current_stage_key,
    ).exists()


@transaction.atomic(durable=True)
def resume_escalation(
    *, escalation: Escalation, by: Person, expected_version: int, reason: str
) -> Escalation:
    """Restart the clock; the due date moves on by the time paused."""
    with audited("escalation_resumed", escalation=escalation, by=by):
        change = Change(escalation, by, expected_version)
        action = workflow.Resume(at=change.now, reason=reason.strip())
        change.run(action)
        return change.escalation


@transaction.atomic(durable=True)
def resolve_escalation(
    *,
    escalation: Escalation,
    by: Person,
    expected_version: int,
    decision: str,
    decided_by: str,
    learning: str,
    learning_themes: list[str],
    actions: list[ActionSpec],
) -> Escalation:
    """Close the escalation as resolved: the decision, who made it, actions and learning."""
    with audited("escalation_resolved", escalation=escalation, by=by):
        change = Change(escalation, by, expected_version)
        check_action_specs(change.escalation, actions)
        # Decided before anything is written (agreeing actions leaves the state as it is).
        resolved = change.decide(
            workflow.Resolve(
                at=change.now,
                decision=decision.strip(),
                decided_by=decided_by.strip(),
                learning=learning.strip(),
                action_count=len(actions),
            )
        )
        create_actions(change, actions)
        record_outcome(change.escalation, decision, decided_by, learning, learning_themes)
        change.write(resolved)
        return change.escalation


def record_outcome(
    escalation: Escalation, decision: str, decided_by: str, learning: str, themes: list[str]
) -> None:
    escalation.decision = decision.strip()
    escalation.decided_by_text = decided_by.strip()
    escalation.learning = learning.strip()
    escalation.learning_themes = [theme.strip() for theme in themes if theme.strip()]
    escalation.save(update_fields=["decision", "decided_by_text", "learning", "learning_themes"])


@transaction.atomic(durable=True)
def withdraw_escalation(
    *, escalation: Escalation, by: Person, expected_version: int, reason: str
) -> Escalation:
    """Close the escalation as withdrawn (the raiser's side only), with a reason."""
    with audited("escalation_withdrawn", escalation=escalation, by=by):
        change = Change(escalation, by, expected_version)
        action = workflow.Withdraw(at=change.now, reason=reason.strip())
        change.run(action)
        return change.escalation


@transaction.atomic(durable=True)
def add_view(*, escalation: Escalation, by: Person, view: str) -> ChronologyEntry:
    """An IRO or CP chair adds their view to the chronology."""
    with audited("escalation_view_added", escalation=escalation, by=by):
        change = Change(escalation, by)
        return change.run(workflow.AddView(at=change.now, view=view.strip()))[0]


@transaction.atomic(durable=True)
def correct_entry(*, entry: ChronologyEntry, by: Person, correction: str) -> ChronologyEntry:
    """Correct an entry with a new one pointing at it; the original is never changed."""
    with audited("escalation_entry_corrected", escalation=entry.escalation, by=by):
        change = Change(entry.escalation, by)
        transition = change.decide(
            workflow.CorrectEntry(
                at=change.now, correction=correction.strip(), by_author=entry.actor_id == by.pk
            )
        )
        return change.write(transition, corrects=entry)[0]
