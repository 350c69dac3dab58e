"""Who decides, stored: proposing and answering a resolution, reopening, and the silence the
sweep records (issue 15)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from escalate.escalations import selectors, services
from escalate.escalations.deadlines import sweep_deadlines
from escalate.escalations.models import Action, ChronologyEntry, EntryKind, Escalation, Status
from escalate.escalations.services import ActionRefused, ActionSpec
from escalate.escalations.tests.factories import World, make_world, policy_document
from escalate.notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return make_world()


def discussed(world: World) -> Escalation:
    escalation = services.raise_escalation(by=world.teacher, details=world.details())
    services.record_discussion(
        escalation=escalation,
        by=world.teacher,
        expected_version=escalation.version,
        held_on=timezone.localdate(),
        with_whom="The social worker",
        method="phone",
        summary="We went through the referral.",
        outcome="We disagree.",
    )
    escalation.refresh_from_db()
    return escalation


def pass_due(entry: ChronologyEntry, key: str) -> None:
    """Time passes: the date `key` of the entry is a minute ago."""
    data = dict(entry.data) | {key: (timezone.now() - timedelta(minutes=1)).isoformat()}
    ChronologyEntry.objects.filter(pk=entry.pk).update(data=data)


def propose(world: World, escalation: Escalation) -> ChronologyEntry:
    return services.propose_resolution(
        escalation=escalation,
        by=world.social_worker,
        expected_version=escalation.version,
        decision="No further action stands; we will review in a month.",
        learning="Explain threshold decisions in writing.",
        learning_themes=["thresholds"],
        actions=[
            ActionSpec(
                owner=world.social_worker,
                description="Review the referral",
                due_on=timezone.localdate() + timedelta(days=20),
            )
        ],
    )


def test_the_respondent_proposes_and_only_the_raiser_accepting_resolves_it(world: World) -> None:
    escalation = discussed(world)
    entry = propose(world, escalation)
    escalation.refresh_from_db()
    assert escalation.status == Status.OPEN
    assert entry.kind == EntryKind.RESOLUTION_PROPOSED
    assert not Action.objects.filter(escalation=escalation).exists()  # made when accepted
    # The raiser is told and asked; the respondent cannot accept their own proposal.
    assert Notification.objects.filter(escalation=escalation, recipient=world.teacher).exists()
    assert "accept_resolution" in selectors.allowed_actions(escalation, world.teacher)
    assert "accept_resolution" not in selectors.allowed_actions(escalation, world.social_worker)
    with pytest.raises(ActionRefused, match="Only the raiser's side"):
        services.accept_resolution(
            escalation=escalation, by=world.social_worker, expected_version=escalation.version
        )
    resolved = services.accept_resolution(
        escalation=escalation, by=world.teacher, expected_version=escalation.version
    )
    assert resolved.status == Status.RESOLVED
    assert resolved.decided_by_text == services.deciding.AGREED_BY_BOTH
    assert resolved.learning_themes == ["thresholds"]
    assert resolved.actions.get().description == "Review the referral"
    kinds = list(resolved.chronology.values_list("kind", flat=True))
    assert EntryKind.RESOLUTION_ACCEPTED in kinds and EntryKind.RESOLVED in kinds


def test_the_raiser_declines_with_a_reason_and_escalates_at_once(world: World) -> None:
    escalation = discussed(world)
    propose(world, escalation)
    escalation.refresh_from_db()
    with pytest.raises(ActionRefused) as no_reason:
        services.decline_resolution(
            escalation=escalation, by=world.teacher, expected_version=escalation.version, reason=" "
        )
    assert no_reason.value.field == "reason"
    moved = services.decline_resolution(
        escalation=escalation,
        by=world.teacher,
        expected_version=escalation.version,
        reason="A month is too long for a hungry child.",
        next_step="escalate",
    )
    assert moved.status == Status.OPEN
    assert moved.current_stage_key == "stage_2"
    declined = moved.chronology.get(kind=EntryKind.RESOLUTION_DECLINED)
    assert declined.text == "A month is too long for a hungry child."
    # The proposal stays on the record; nothing is waiting any more.
    assert moved.chronology.filter(kind=EntryKind.RESOLUTION_PROPOSED).count() == 1
    assert "accept_resolution" not in selectors.allowed_actions(moved, world.teacher)


def test_a_declined_proposal_can_be_followed_by_another(world: World) -> None:
    escalation = discussed(world)
    propose(world, escalation)
    escalation.refresh_from_db()
    with pytest.raises(ActionRefused, match="already waiting"):
        propose(world, escalation)
    services.decline_resolution(
        escalation=escalation, by=world.teacher, expected_version=escalation.version, reason="No"
    )
    escalation.refresh_from_db()
    assert escalation.current_stage_key == "stage_1"
    assert "propose_resolution" in selectors.allowed_actions(escalation, world.social_worker)


def test_an_unanswered_proposal_goes_to_the_raisers_manager_by_the_sweep(world: World) -> None:
    escalation = discussed(world)
    entry = propose(world, escalation)
    escalation.refresh_from_db()
    assert services.record_silence(escalation=escalation) == 0  # not due yet
    pass_due(entry, "answer_due_at")
    assert services.record_silence(escalation=escalation) == 1
    escalation.refresh_from_db()
    assert escalation.status == Status.OPEN  # the test policy sends it to the manager
    lapsed = escalation.chronology.get(kind=EntryKind.RESOLUTION_UNANSWERED)
    assert lapsed.data["outcome"] == "raiser_manager"
    assert services.record_silence(escalation=escalation) == 0  # once


def test_an_unanswered_proposal_is_accepted_where_the_policy_says(world: World) -> None:
    document = policy_document()
    document["proposals"] = {"answer_within_working_days": 2, "when_unanswered": "accepted"}
    world = make_world(document)
    escalation = discussed(world)
    entry = propose(world, escalation)
    pass_due(entry, "answer_due_at")
    escalation.refresh_from_db()
    assert services.record_silence(escalation=escalation) == 1
    escalation.refresh_from_db()
    assert escalation.status == Status.RESOLVED
    # The action stands as the proposer's, but nobody made it by hand: the timeline says the
    # sweep accepted it when no answer came, and names who proposed it.
    assert escalation.actions.get().created_by == world.social_worker
    made = escalation.chronology.get(kind=EntryKind.ACTION_ADDED)
    assert made.actor is None
    assert made.data["accepted_proposal_of"] == world.social_worker.full_name


def test_a_silent_respondent_does_not_block_escalating() -> None:
    # Pan Berkshire asks for the respondent's rationale before Stage 1 is left (002).
    world = make_world(policy_file="pan-berkshire.yaml")
    escalation = services.raise_escalation(
        by=world.teacher, details=world.details(categories=["levels_of_need"])
    )
    stage = escalation.policy_version.spec.stage(escalation.current_stage_key)
    assert "rationale" in [record.value for record in stage.must_record]
    request = services.request_rationale(
        escalation=escalation,
        by=world.teacher,
        expected_version=escalation.version,
        message="Why was the referral closed?",
    )
    escalation.refresh_from_db()
    services.record_discussion(
        escalation=escalation,
        by=world.teacher,
        expected_version=escalation.version,
        held_on=timezone.localdate(),
        with_whom="Nobody answered",
        method="phone",
        summary="Left a message.",
        outcome="No answer.",
    )
    escalation.refresh_from_db()
    assert "escalate_to_next_stage" not in selectors.allowed_actions(escalation, world.teacher)
    pass_due(request, "due_at")
    assert services.record_silence(escalation=escalation) == 1
    lapsed = escalation.chronology.get(kind=EntryKind.RATIONALE_LAPSED)
    assert lapsed.text.startswith("No rationale given by ")
    escalation.refresh_from_db()
    assert "escalate_to_next_stage" in selectors.allowed_actions(escalation, world.teacher)


def test_the_raiser_reopens_a_resolved_escalation_when_the_concern_recurs(world: World) -> None:
    escalation = discussed(world)
    propose(world, escalation)
    escalation.refresh_from_db()
    resolved = services.accept_resolution(
        escalation=escalation, by=world.teacher, expected_version=escalation.version
    )
    with pytest.raises(ActionRefused, match="Only the raiser's side"):
        services.reopen_escalation(
            escalation=resolved,
            by=world.social_worker,
            expected_version=resolved.version,
            grounds="recurred",
            reason="x",
        )
    with pytest.raises(ActionRefused, match="No agreed action is overdue"):
        services.reopen_escalation(
            escalation=resolved,
            by=world.teacher,
            expected_version=resolved.version,
            grounds="action_overdue",
            reason="x",
        )
    reopened = services.reopen_escalation(
        escalation=resolved,
        by=world.teacher,
        expected_version=resolved.version,
        grounds="recurred",
        reason="Riley came to school hungry again all week.",
    )
    assert reopened.status == Status.OPEN
    assert reopened.closed_at is None
    assert reopened.current_stage_key == "stage_1"
    assert reopened.stage_due_at is not None
    assert reopened.chronology.filter(kind=EntryKind.REOPENED).exists()
    # The stage starts afresh: its discussion is asked for again before it can be resolved.
    allowed = selectors.allowed_actions(reopened, world.social_worker)
    assert "propose_resolution" not in allowed
    assert "record_discussion" in allowed


def test_the_deadline_sweep_records_a_silence_once(world: World) -> None:
    escalation = discussed(world)
    request = services.request_rationale(
        escalation=escalation,
        by=world.teacher,
        expected_version=escalation.version,
        message="Why was the referral closed?",
    )
    assert sweep_deadlines().silences_recorded == 0
    pass_due(request, "due_at")
    assert sweep_deadlines().silences_recorded == 1
    assert sweep_deadlines().silences_recorded == 0
    lapsed = escalation.chronology.get(kind=EntryKind.RATIONALE_LAPSED)
    assert lapsed.actor is None
    # The raiser is told, in the words the notice has for it.
    told = Notification.objects.filter(
        escalation=escalation, recipient=world.teacher, event="rationale_lapsed"
    )
    assert told.exists()
    assert "may now escalate" in told.first().subject  # type: ignore[union-attr]
