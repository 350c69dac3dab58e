"""The escalation services: raising, stage work, the panel, actions, corrections."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from escalate.directory.tests.factories import PersonFactory
from escalate.escalations import services
from escalate.escalations.models import (
    ChronologyEntry,
    EntryKind,
    Escalation,
    Part,
    Participant,
    StageRecord,
    Status,
)
from escalate.escalations.services import ActionRefused, ActionSpec, StaleEscalation
from escalate.escalations.tests.factories import World, make_world
from escalate.notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return make_world()


def raise_one(world: World, **overrides: object) -> Escalation:
    return services.raise_escalation(by=world.teacher, details=world.details(**overrides))


def discuss(world: World, escalation: Escalation, by: object = None) -> ChronologyEntry:
    return services.record_discussion(
        escalation=escalation,
        by=by or world.teacher,  # type: ignore[arg-type]
        expected_version=escalation.version,
        held_on=timezone.localdate(),
        with_whom="The social worker",
        method="Phone call",
        summary="We went through the referral.",
        outcome="We still disagree.",
    )


def test_raising_records_the_people_the_stage_and_tells_the_respondent(world: World) -> None:
    escalation = raise_one(world)
    year = timezone.localdate().year
    assert escalation.reference == f"{world.partnership.reference_prefix}-{year}-0001"
    assert escalation.status == Status.OPEN
    assert escalation.current_stage_key == "stage_1"
    assert escalation.stage_due_at is not None and escalation.stage_due_at > timezone.now()
    parts = set(escalation.participants.values_list("person__email", "part"))
    assert (world.teacher.email, Part.RAISER) in parts
    assert (world.social_worker.email, Part.RESPONDENT) in parts
    assert StageRecord.objects.get(escalation=escalation).stage_key == "stage_1"
    kinds = list(escalation.chronology.values_list("kind", flat=True))
    assert kinds[0] == EntryKind.RAISED
    assert EntryKind.NOTIFICATION in kinds
    told = Notification.objects.filter(escalation=escalation, recipient=world.social_worker)
    assert told.exists()
    for notification in told:
        assert "Alex" not in notification.subject + notification.body
        assert escalation.reference in notification.subject
        assert f"/escalations/{escalation.reference}/" in notification.body


def test_references_count_up_within_a_partnership(world: World) -> None:
    first = raise_one(world)
    second = raise_one(world)
    assert first.reference.endswith("-0001")
    assert second.reference.endswith("-0002")


def test_raising_without_a_policy_is_refused() -> None:
    person = PersonFactory()
    world = make_world()
    with pytest.raises(ActionRefused, match="no escalation policy"):
        services.raise_escalation(by=person, details=world.details(respondent_agency=world.csc))


def test_immediate_harm_needs_the_emergency_guidance_and_records_it(world: World) -> None:
    with pytest.raises(ActionRefused) as refused:
        raise_one(world, immediate_harm=True)
    assert refused.value.field == "immediate_harm"
    # The protective action already taken is recorded (guide 001: "Document your actions").
    with pytest.raises(ActionRefused) as refused:
        raise_one(world, immediate_harm=True, urgent_guidance_shown=True)
    assert refused.value.field == "protective_actions"
    with pytest.raises(ActionRefused) as refused:
        raise_one(world, immediate_harm=True, urgent_guidance_shown=True, protective_actions=["x"])
    assert refused.value.field == "protective_actions"
    with pytest.raises(ActionRefused) as refused:
        raise_one(
            world,
            immediate_harm=True,
            urgent_guidance_shown=True,
            protective_actions=["emergency_services"],
        )
    assert refused.value.field == "protective_action"
    escalation = raise_one(
        world,
        immediate_harm=True,
        urgent_guidance_shown=True,
        protective_actions=["emergency_services", "dsl_told"],
        protective_action="Police called at 10:05; our DSL told at 10:10.",
        start_stage_key="stage_2",
        later_stage_reason="The child is at home with the risk tonight.",
    )
    assert escalation.current_stage_key == "stage_2"
    assert escalation.started_at_later_stage_reason.startswith("The child")
    kinds = list(escalation.chronology.values_list("kind", flat=True))
    assert kinds[:2] == [EntryKind.URGENT_GUIDANCE, EntryKind.RAISED]
    guidance = escalation.chronology.get(kind=EntryKind.URGENT_GUIDANCE)
    assert guidance.data["protective_actions"] == ["dsl_told", "emergency_services"]
    assert guidance.data["protective_action"].startswith("Police called")
    # Stage 2's managers are involved at once.
    assert Participant.objects.filter(
        escalation=escalation, person=world.dsl, part=Part.RAISER_MANAGER
    ).exists()


def test_raising_refuses_a_respondent_agency_of_another_partnership(world: World) -> None:
    other = make_world()
    with pytest.raises(ActionRefused) as refused:
        raise_one(world, respondent_agency=other.csc, respondent_person=other.social_worker)
    assert refused.value.field == "respondent_agency"


def test_a_discussion_dated_in_the_future_is_refused(world: World) -> None:
    escalation = raise_one(world)
    with pytest.raises(ActionRefused) as refused:
        services.record_discussion(
            escalation=escalation,
            by=world.teacher,
            expected_version=escalation.version,
            held_on=timezone.localdate() + timedelta(days=2),
            with_whom="x",
            method="x",
            summary="x",
            outcome="x",
        )
    assert refused.value.field == "held_on"


def test_acting_on_an_old_version_is_refused_and_writes_nothing(world: World) -> None:
    escalation = raise_one(world)
    shown = escalation.version
    discuss(world, escalation)
    before = ChronologyEntry.objects.count()
    with pytest.raises(StaleEscalation, match="Someone else updated"):
        services.escalate_to_next_stage(
            escalation=escalation, by=world.teacher, expected_version=shown, reason="x"
        )
    assert ChronologyEntry.objects.count() == before
    assert Escalation.objects.get().current_stage_key == "stage_1"


def test_escalating_brings_in_the_next_level_and_sets_a_new_deadline(world: World) -> None:
    escalation = raise_one(world)
    discuss(world, escalation)
    escalation.refresh_from_db()
    moved = services.escalate_to_next_stage(
        escalation=escalation,
        by=world.social_worker,
        expected_version=escalation.version,
        reason="No agreement at practitioner level.",
    )
    assert moved.current_stage_key == "stage_2"
    assert moved.version == escalation.version + 1
    managers = set(
        Participant.objects.filter(escalation=moved, stage_key="stage_2").values_list(
            "person", "part"
        )
    )
    assert managers == {
        (world.dsl.pk, Part.RAISER_MANAGER),
        (world.team_manager.pk, Part.RESPONDENT_MANAGER),
    }
    records = list(StageRecord.objects.filter(escalation=moved).order_by("index"))
    assert [r.outcome for r in records] == ["escalated", ""]
    assert records[1].due_at == moved.stage_due_at
    assert Notification.objects.filter(escalation=moved, recipient=world.team_manager).exists()


def test_escalating_without_the_required_discussion_is_refused(world: World) -> None:
    escalation = raise_one(world)
    with pytest.raises(ActionRefused, match="record a discussion"):
        services.escalate_to_next_stage(
            escalation=escalation, by=world.teacher, expected_version=escalation.version, reason="x"
        )


def test_someone_outside_the_escalation_cannot_act_on_it(world: World) -> None:
    escalation = raise_one(world)
    with pytest.raises(ActionRefused):
        discuss(world, escalation, by=world.outsider)


def test_only_the_respondent_side_gives_a_rationale(world: World) -> None:
    escalation = raise_one(world)
    services.request_rationale(
        escalation=escalation,
        by=world.teacher,
        expected_version=escalation.version,
        message="Why was the case closed?",
    )
    escalation.refresh_from_db()
    with pytest.raises(ActionRefused, match="respondent"):
        services.give_rationale(
            escalation=escalation,
            by=world.teacher,
            expected_version=escalation.version,
            rationale="x",
        )
    with pytest.raises(ActionRefused) as refused:
        services.give_rationale(
            escalation=escalation,
            by=world.social_worker,
            expected_version=escalation.version,
            rationale="   ",
        )
    assert refused.value.field == "rationale"
    entry = services.give_rationale(
        escalation=escalation,
        by=world.social_worker,
        expected_version=escalation.version,
        rationale="Threshold for a child in need was not met.",
    )
    assert entry.kind == EntryKind.RATIONALE


def test_pause_and_resume_record_the_paused_time_on_the_stage(world: World) -> None:
    escalation = raise_one(world)
    due = escalation.stage_due_at
    paused = services.pause_escalation(
        escalation=escalation, by=world.teacher, expected_version=1, reason="Strategy meeting"
    )
    assert paused.status == Status.PAUSED
    assert StageRecord.objects.get().paused_at is not None
    with pytest.raises(ActionRefused, match="Resume"):
        services.escalate_to_next_stage(
            escalation=paused, by=world.teacher, expected_version=paused.version, reason="x"
        )
    resumed = services.resume_escalation(
        escalation=paused, by=world.teacher, expected_version=paused.version, reason="Met"
    )
    assert resumed.status == Status.OPEN
    assert resumed.stage_due_at == due  # paused and resumed the same day: no time lost
    record = StageRecord.objects.get()
    assert record.paused_at is None


def test_resolving_records_outcome_actions_and_learning_and_is_final(world: World) -> None:
    escalation = raise_one(world)
    discuss(world, escalation)
    escalation.refresh_from_db()
    due_on = timezone.localdate() + timedelta(days=10)
    # The side being challenged never closes it alone (issue 15).
    with pytest.raises(ActionRefused, match="cannot close the escalation alone"):
        services.resolve_escalation(
            escalation=escalation,
            by=world.social_worker,
            expected_version=escalation.version,
            decision="No further action stands.",
            decided_by="The respondent",
            learning="",
            learning_themes=[],
            actions=[],
        )
    resolved = services.resolve_escalation(
        escalation=escalation,
        by=world.teacher,
        expected_version=escalation.version,
        decision="The case stays open for a child in need assessment.",
        decided_by="Both practitioners",
        learning="Share referral outcomes in writing.",
        learning_themes=["communication", " "],
        actions=[
            ActionSpec(owner=world.social_worker, description="Start the assessment", due_on=due_on)
        ],
    )
    assert resolved.status == Status.RESOLVED
    assert resolved.closed_at is not None
    assert resolved.learning_themes == ["communication"]
    assert resolved.actions.get().owner == world.social_worker
    # Havering 004 §3.1: the raiser is sent the record of what was decided.
    notices = Notification.objects.filter(
        escalation=resolved, recipient=world.teacher, event="resolved"
    )
    assert notices.exists()
    for notice in notices:
        assert f"/escalations/{resolved.reference}/#record" in notice.body
    raised = Notification.objects.filter(escalation=resolved, event="raised").first()
    assert raised is not None and "#record" not in raised.body
    assert Notification.objects.filter(
        escalation=resolved, recipient=world.social_worker, event="action_assigned"
    ).exists()
    with pytest.raises(ActionRefused, match="resolved"):
        discuss(world, resolved)
    with pytest.raises(ActionRefused):
        services.withdraw_escalation(
            escalation=resolved, by=world.teacher, expected_version=resolved.version, reason="x"
        )


def test_an_action_owner_from_another_partnership_is_refused(world: World) -> None:
    escalation = raise_one(world)
    discuss(world, escalation)
    escalation.refresh_from_db()
    stranger = make_world().teacher
    with pytest.raises(ActionRefused) as refused:
        services.resolve_escalation(
            escalation=escalation,
            by=world.teacher,
            expected_version=escalation.version,
            decision="Agreed",
            decided_by="Both",
            learning="",
            learning_themes=[],
            actions=[ActionSpec(owner=stranger, description="x", due_on=timezone.localdate())],
        )
    assert refused.value.field == "owner"
    assert Escalation.objects.get(pk=escalation.pk).status == Status.OPEN
    with pytest.raises(ActionRefused):
        services.add_action(
            escalation=escalation,
            by=world.teacher,
            owner=stranger,
            description="x",
            due_on=timezone.localdate(),
        )


def test_only_the_raiser_side_withdraws(world: World) -> None:
    escalation = raise_one(world)
    with pytest.raises(ActionRefused, match="raiser"):
        services.withdraw_escalation(
            escalation=escalation, by=world.social_worker, expected_version=1, reason="x"
        )
    withdrawn = services.withdraw_escalation(
        escalation=escalation, by=world.teacher, expected_version=1, reason="Sorted out"
    )
    assert withdrawn.status == Status.WITHDRAWN
    assert StageRecord.objects.get().outcome == "withdrawn"


def test_actions_are_completed_by_their_owner_and_only_once(world: World) -> None:
    escalation = raise_one(world)
    action = services.add_action(
        escalation=escalation,
        by=world.teacher,
        owner=world.dsl,
        description="Check attendance",
        due_on=timezone.localdate(),
    )
    # The owner can now see the escalation.
    assert Participant.objects.filter(person=world.dsl, part=Part.ACTION_OWNER).exists()
    with pytest.raises(ActionRefused, match="owner"):
        services.complete_action(action=action, by=world.outsider, note="")
    done = services.complete_action(action=action, by=world.dsl, note="Attendance is fine.")
    assert done.done_at is not None and done.done_by == world.dsl
    with pytest.raises(ActionRefused, match="already"):
        services.complete_action(action=action, by=world.dsl, note="")
    assert escalation.chronology.filter(kind=EntryKind.ACTION_DONE).exists()


def test_a_correction_is_a_new_entry_pointing_at_the_old_one(world: World) -> None:
    escalation = raise_one(world)
    entry = discuss(world, escalation)
    with pytest.raises(ActionRefused, match="made an entry"):
        services.correct_entry(entry=entry, by=world.social_worker, correction="No")
    correction = services.correct_entry(
        entry=entry, by=world.teacher, correction="The call was on Tuesday."
    )
    assert correction.corrects == entry
    assert ChronologyEntry.objects.get(pk=entry.pk).text == "We went through the referral."


def test_an_iro_adds_a_view_and_others_cannot(world: World) -> None:
    escalation = raise_one(world)
    view = services.add_view(escalation=escalation, by=world.iro, view="The plan is not working.")
    assert view.kind == EntryKind.VIEW
    with pytest.raises(ActionRefused):
        services.add_view(escalation=escalation, by=world.teacher, view="x")


def walk_to_last_stage(world: World, escalation: Escalation) -> Escalation:
    discuss(world, escalation)
    escalation.refresh_from_db()
    while escalation.current_stage_key != "stage_4":
        escalation = services.escalate_to_next_stage(
            escalation=escalation,
            by=world.teacher,
            expected_version=escalation.version,
            reason="Still no agreement.",
        )
    return escalation


def test_the_panel_rule_on_agencies_is_enforced_and_the_decision_resolves(world: World) -> None:
    escalation = walk_to_last_stage(world, raise_one(world))
    with pytest.raises(ActionRefused, match="partnership chair"):
        services.convene_panel(
            escalation=escalation,
            by=world.teacher,
            expected_version=escalation.version,
            members=[world.head, world.service_manager],
        )
    with pytest.raises(ActionRefused, match="never made of practitioners") as practitioners:
        services.convene_panel(
            escalation=escalation,
            by=world.chair,
            expected_version=escalation.version,
            members=[world.head, world.service_manager, world.teacher],
        )
    assert practitioners.value.field == "members"
    with pytest.raises(ActionRefused, match="each agency"):
        services.convene_panel(
            escalation=escalation,
            by=world.chair,
            expected_version=escalation.version,
            members=[world.head, world.nurse],
        )
    panel = services.convene_panel(
        escalation=escalation,
        by=world.chair,
        expected_version=escalation.version,
        members=[world.head, world.service_manager, world.nurse],
        lead=world.nurse,
        handled_reason="They managed it at an earlier stage and know the case.",
    )
    assert set(panel.agencies.all()) == {world.school, world.csc, world.health}
    escalation.refresh_from_db()
    services.record_representation(
        escalation=escalation,
        by=world.team_manager,
        expected_version=escalation.version,
        agency=world.csc,
        summary="Our threshold decision was sound.",
    )
    escalation.refresh_from_db()
    with pytest.raises(ActionRefused, match="only the partnership chair decides"):
        services.resolve_escalation(
            escalation=escalation,
            by=world.teacher,
            expected_version=escalation.version,
            decision="x",
            decided_by="x",
            learning="",
            learning_themes=[],
            actions=[],
        )
    # The panel decides together: a member who is not the lead does not record it alone.
    with pytest.raises(ActionRefused, match="panel decides together"):
        services.record_panel_decision(
            escalation=escalation,
            by=world.head,
            expected_version=escalation.version,
            decision="x",
            learning="",
            learning_themes=[],
            actions=[],
            members_present=[world.head],
        )
    with pytest.raises(ActionRefused, match="who took part") as nobody:
        services.record_panel_decision(
            escalation=escalation,
            by=world.nurse,
            expected_version=escalation.version,
            decision="x",
            learning="",
            learning_themes=[],
            actions=[],
        )
    assert nobody.value.field == "members_present"
    decided = services.record_panel_decision(
        escalation=escalation,
        by=world.nurse,
        expected_version=escalation.version,
        members_present=[world.head, world.nurse, world.service_manager],
        decision="An assessment starts this week.",
        learning="Escalate sooner.",
        learning_themes=["timeliness"],
        actions=[
            ActionSpec(
                owner=world.team_manager,
                description="Allocate a social worker",
                due_on=timezone.localdate() + timedelta(days=3),
            )
        ],
    )
    assert decided.status == Status.RESOLVED
    assert decided.decided_by_text == "The Resolution Panel"
    decided.panel.refresh_from_db()
    assert decided.panel.decided_at is not None


def test_a_manager_acts_only_at_their_own_stage(world: World) -> None:
    escalation = raise_one(world)
    discuss(world, escalation)
    escalation.refresh_from_db()
    escalation = services.escalate_to_next_stage(
        escalation=escalation, by=world.teacher, expected_version=escalation.version, reason="x"
    )
    discuss(world, escalation, by=world.dsl)
    escalation.refresh_from_db()
    escalation = services.escalate_to_next_stage(
        escalation=escalation, by=world.dsl, expected_version=escalation.version, reason="x"
    )
    assert escalation.current_stage_key == "stage_3"
    with pytest.raises(ActionRefused, match="involved at this stage"):
        discuss(world, escalation, by=world.dsl)
    discuss(world, escalation, by=world.head)


def test_each_person_is_told_once_per_event_even_when_two_rules_match(world: World) -> None:
    escalation = raise_one(world)
    # Raising fires "raised" and "stage_entered"; the respondent is in both rules.
    emails = Notification.objects.filter(
        escalation=escalation, recipient=world.social_worker, channel="email"
    )
    assert emails.count() == 1


def test_a_draft_keeps_what_was_typed_and_is_discarded_on_raise(world: World) -> None:
    draft = services.save_raise_draft(by=world.teacher, data={"subject_name": "Alex"})
    again = services.save_raise_draft(by=world.teacher, data={"subject_name": "Alex B"})
    assert again.pk == draft.pk and again.data == {"subject_name": "Alex B"}
    services.discard_raise_draft(by=world.teacher)
    assert not world.teacher.raise_drafts.exists()


def test_a_policy_event_from_outside_a_user_action_is_sent_once() -> None:
    world = make_world(notifications=[{"on": "overdue", "notify": ["raiser", "business_team"]}])
    escalation = raise_one(world)
    key = f"overdue:{escalation.reference}:stage_1"
    assert services.notify_policy_event(escalation=escalation, event="overdue", cause_key=key) == 2
    assert services.notify_policy_event(escalation=escalation, event="overdue", cause_key=key) == 2
    sent = Notification.objects.filter(escalation=escalation, event="overdue")
    assert sent.filter(recipient=world.teacher, channel="email").count() == 1
    assert sent.filter(recipient__isnull=True).count() == 1
    told = escalation.chronology.filter(kind=EntryKind.NOTIFICATION, data__event="overdue")
    assert told.count() == 1
    assert services.notify_policy_event(escalation=escalation, event="reminder", cause_key=key) == 0
