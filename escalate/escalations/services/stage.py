"""Stage work: discussions, rationale, moving on, pausing, resolving, withdrawing, views and
corrections."""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from escalate.directory.models import Person
from escalate.escalations import workflow
from escalate.escalations.auditing import audited
from escalate.escalations.models import (
    ChronologyEntry,
    Escalation,
)
from escalate.escalations.services.actions import ActionSpec, check_action_specs, create_actions
from escalate.escalations.services.transition import act, apply_transition, lock_escalation
from escalate.escalations.state import actor_of, state_of


@audited("escalation_discussion_recorded")
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
    action = workflow.RecordDiscussion(
        at=timezone.now(),
        held_on=held_on,
        with_whom=with_whom.strip(),
        method=method.strip(),
        summary=summary.strip(),
        outcome=outcome.strip(),
    )
    _, entries = act(escalation, by, expected_version, action)
    return entries[0]


@audited("escalation_rationale_requested")
def request_rationale(
    *, escalation: Escalation, by: Person, expected_version: int, message: str
) -> ChronologyEntry:
    """Ask the respondent for their rationale in writing (the raiser's side only)."""
    action = workflow.RequestRationale(at=timezone.now(), message=message.strip())
    _, entries = act(escalation, by, expected_version, action)
    return entries[0]


@audited("escalation_rationale_given")
def give_rationale(
    *, escalation: Escalation, by: Person, expected_version: int, rationale: str
) -> ChronologyEntry:
    """The respondent's side explains their decision in writing."""
    action = workflow.GiveRationale(at=timezone.now(), rationale=rationale.strip())
    _, entries = act(escalation, by, expected_version, action)
    return entries[0]


@audited("escalation_stage_changed")
def escalate_to_next_stage(
    *, escalation: Escalation, by: Person, expected_version: int, reason: str
) -> Escalation:
    """Move to the policy's next stage: new people from the directory, a new deadline."""
    action = workflow.EscalateToNextStage(at=timezone.now(), reason=reason.strip())
    locked, _ = act(escalation, by, expected_version, action)
    return locked


@audited("escalation_paused")
def pause_escalation(
    *, escalation: Escalation, by: Person, expected_version: int, reason: str
) -> Escalation:
    """Stop the stage's clock, with a reason."""
    action = workflow.Pause(at=timezone.now(), reason=reason.strip())
    locked, _ = act(escalation, by, expected_version, action)
    return locked


@audited("escalation_resumed")
def resume_escalation(
    *, escalation: Escalation, by: Person, expected_version: int, reason: str
) -> Escalation:
    """Restart the clock; the due date moves on by the time paused."""
    action = workflow.Resume(at=timezone.now(), reason=reason.strip())
    locked, _ = act(escalation, by, expected_version, action)
    return locked


@audited("escalation_resolved")
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
    locked = lock_escalation(escalation, expected_version)
    check_action_specs(locked, actions)
    spec = locked.policy_version.spec
    now = timezone.now()
    resolve = workflow.Resolve(
        at=now,
        decision=decision.strip(),
        decided_by=decided_by.strip(),
        learning=learning.strip(),
        action_count=len(actions),
    )
    # Check the resolution itself before anything is written.
    workflow.apply(spec, state_of(locked), resolve, actor_of(locked, by))
    create_actions(locked, by, actions, now)
    transition = workflow.apply(spec, state_of(locked), resolve, actor_of(locked, by))
    record_outcome(locked, decision, decided_by, learning, learning_themes)
    apply_transition(locked, transition, by=by, before_version=locked.version, now=now)
    return locked


def record_outcome(
    escalation: Escalation, decision: str, decided_by: str, learning: str, themes: list[str]
) -> None:
    escalation.decision = decision.strip()
    escalation.decided_by_text = decided_by.strip()
    escalation.learning = learning.strip()
    escalation.learning_themes = [theme.strip() for theme in themes if theme.strip()]
    escalation.save(update_fields=["decision", "decided_by_text", "learning", "learning_themes"])


@audited("escalation_withdrawn")
def withdraw_escalation(
    *, escalation: Escalation, by: Person, expected_version: int, reason: str
) -> Escalation:
    """Close the escalation as withdrawn (the raiser's side only), with a reason."""
    action = workflow.Withdraw(at=timezone.now(), reason=reason.strip())
    locked, _ = act(escalation, by, expected_version, action)
    return locked


@audited("escalation_view_added")
def add_view(*, escalation: Escalation, by: Person, view: str) -> ChronologyEntry:
    """An IRO or CP chair adds their view to the chronology."""
    _, entries = act(escalation, by, None, workflow.AddView(at=timezone.now(), view=view.strip()))
    return entries[0]


@audited("escalation_entry_corrected")
def correct_entry(*, entry: ChronologyEntry, by: Person, correction: str) -> ChronologyEntry:
    """Correct an entry with a new one pointing at it; the original is never changed."""
    escalation = Escalation.objects.select_related("policy_version").get(pk=entry.escalation_id)
    now = timezone.now()
    transition = workflow.apply(
        escalation.policy_version.spec,
        state_of(escalation),
        workflow.CorrectEntry(
            at=now, correction=correction.strip(), by_author=entry.actor_id == by.pk
        ),
        actor_of(escalation, by),
    )
    entries = apply_transition(
        escalation,
        transition,
        by=by,
        before_version=escalation.version,
        now=now,
        corrects=entry,
    )
    return entries[0]
