"""The seeds' scenarios (issue 15, Deliver 10), walked person by person through the core and the
selectors the pages use: after each step, what each person in the partnership is asked first on
their home page ("Needs your action": what, by when) and who was told. People with no part are
checked too: they must see nothing and hear nothing. The main journey per policy is also walked
in a real browser (escalate/web/tests/browser/test_policy_journeys.py)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from escalate.directory.models import Person
from escalate.escalations import selectors, services
from escalate.escalations.deadlines import sweep_deadlines
from escalate.escalations.models import Action, ChronologyEntry, EntryKind, Escalation, Status
from escalate.escalations.services import ActionRefused, ActionSpec
from escalate.escalations.tests.factories import World, board_senior_officers, make_world
from escalate.escalations.tests.test_views_stage4 import havering_at_stage_4
from escalate.notifications.models import Notification
from escalate.policies.calendar import add_working_days, end_of_day

pytestmark = pytest.mark.django_db


class Walk:
    """One escalation's people, asked after each step what their home page asks of them."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.people: dict[str, Person] = {
            field.name: getattr(world, field.name)
            for field in dataclasses.fields(world)
            if isinstance(getattr(world, field.name), Person)
        }
        self.escalation: Escalation | None = None
        self.mark = 0

    def add(self, name: str, person: Person) -> Person:
        self.people[name] = person
        return person

    @property
    def current(self) -> Escalation:
        assert self.escalation is not None
        self.escalation.refresh_from_db()
        return self.escalation

    def asks(self) -> dict[str, str]:
        """Who is asked to do something now, and what (the "What is needed" column)."""
        return {name: what for name, (what, _) in self.asked().items()}

    def due(self, name: str) -> datetime | None:
        """By when `name` is asked to do it (the "By when" column)."""
        return self.asked()[name][1]

    def allowed(self, name: str) -> frozenset[str]:
        return selectors.allowed_actions(self.current, self.people[name])

    def asked(self) -> dict[str, tuple[str, datetime | None]]:
        """Who is asked to do something on the escalation now: name -> (what, by when)."""
        reference = self.current.reference
        found = {}
        for name, person in self.people.items():
            for row in selectors.needs_action_for(person):
                if row.escalation.reference == reference:
                    found[name] = (row.what, row.due_at)
        return found

    def told(self) -> set[str]:
        """Who was told anything about the escalation since the last time this was asked."""
        sent = Notification.objects.filter(escalation=self.current, pk__gt=self.mark)
        ids = set(sent.values_list("recipient_id", flat=True))
        self.mark = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        return {name for name, person in self.people.items() if person.pk in ids}


def raise_it(walk: Walk, **details: object) -> Escalation:
    world = walk.world
    category = world.policy.spec.categories[0].key
    walk.escalation = services.raise_escalation(
        by=world.teacher, details=world.details(categories=[category], **details)
    )
    return walk.current


def discuss(walk: Walk, by: Person, outcome: str = "We disagree.") -> None:
    escalation = walk.current
    services.record_discussion(
        escalation=escalation,
        by=by,
        expected_version=escalation.version,
        held_on=timezone.localdate(),
        with_whom="The other side",
        method="phone",
        summary="We went through the referral.",
        outcome=outcome,
    )


def pass_due(entry: ChronologyEntry, key: str) -> None:
    """Time passes: the date `key` of the entry is a minute ago."""
    data = dict(entry.data) | {key: (timezone.now() - timedelta(minutes=1)).isoformat()}
    ChronologyEntry.objects.filter(pk=entry.pk).update(data=data)


def working_days_on(walk: Walk, days: int) -> datetime:
    """The end of the `days`-th working day from today, in the policy's nation."""
    nation = walk.world.policy.spec.nation.value
    return end_of_day(add_working_days(timezone.localdate(), days, nation))


TALK = "Talk to the other side about the disagreement, then record the discussion"
AGREE_OR_ESCALATE = "Agree a resolution, or escalate it to the next stage"
ANSWER = "Accept or decline the proposed resolution"
NO_ONE_ELSE = "everyone else in the partnership is asked nothing"


# --- The practitioner guide (001) ---------------------------------------------------------


def test_guide_referral_rejected_the_respondent_cannot_close_it_and_the_raiser_escalates() -> None:
    # 001 "Referral Rejected": "Don't just accept 'NFA' if you're worried"; "Escalate if you
    # still believe it should be accepted". Step 2: "Your manager contacts their counterpart".
    walk = Walk(make_world(policy_file="practitioner-guide.yaml"))
    world = walk.world
    raise_it(walk)
    assert walk.asks() == {"teacher": TALK, "social_worker": TALK}, NO_ONE_ELSE
    assert walk.due("social_worker") == walk.current.stage_due_at == working_days_on(walk, 5)
    # Both are told: the respondent what is asked of them, the raiser their confirmation.
    assert walk.told() == {"teacher", "social_worker"}

    discuss(walk, world.social_worker, outcome="We disagree: no further action stands.")
    assert walk.asks() == {"teacher": AGREE_OR_ESCALATE, "social_worker": AGREE_OR_ESCALATE}
    # The side being challenged never closes it alone: it may only propose.
    assert "resolve_escalation" not in walk.allowed("social_worker")
    assert "propose_resolution" in walk.allowed("social_worker")
    with pytest.raises(ActionRefused):
        services.resolve_escalation(
            escalation=walk.current,
            by=world.social_worker,
            expected_version=walk.current.version,
            decision="No further action stands.",
            decided_by="The social worker",
            learning="",
            learning_themes=[],
            actions=[],
        )
    walk.told()

    escalation = walk.current
    services.propose_resolution(
        escalation=escalation,
        by=world.social_worker,
        expected_version=escalation.version,
        decision="No further action stands.",
    )
    # The raiser is asked to answer, by the policy's window; the respondent waits.
    assert walk.asks() == {"teacher": ANSWER}, NO_ONE_ELSE
    assert walk.due("teacher") == working_days_on(walk, 2)
    assert "teacher" in walk.told()
    assert walk.current.status == Status.OPEN

    escalation = walk.current
    services.decline_resolution(
        escalation=escalation,
        by=world.teacher,
        expected_version=escalation.version,
        reason="Still worried: the neglect threshold was misread.",
        next_step="escalate",
    )
    escalation = walk.current
    assert escalation.current_stage_key == "stage_2"
    kinds = list(escalation.chronology.values_list("kind", flat=True))
    assert EntryKind.RESOLUTION_PROPOSED in kinds and EntryKind.RESOLUTION_DECLINED in kinds
    # Step 2: each side's first-line manager is asked to contact their counterpart and set a
    # timescale; the practitioners are kept informed (told, and it is under "Following") but
    # not asked; the senior managers and the chair hear nothing.
    task = world.policy.spec.stage("stage_2").manager_task.strip()
    assert walk.asks() == {
        "dsl": task,
        "team_manager": task,
    }, NO_ONE_ELSE
    assert walk.told() == {"teacher", "social_worker", "dsl", "team_manager"}


def test_guide_step_2_managers_set_the_timescale_and_reminders_follow_it() -> None:
    # 001 Step 2: "Set a timescale for resolution" (may_set_at: stage_2, at most 10 days).
    walk = Walk(make_world(policy_file="practitioner-guide.yaml"))
    world = walk.world
    raise_it(walk)
    discuss(walk, world.teacher)
    escalation = walk.current
    services.escalate_to_next_stage(
        escalation=escalation, by=world.teacher, expected_version=escalation.version, reason="No."
    )
    walk.told()
    later = add_working_days(timezone.localdate(), 8, world.policy.spec.nation.value)
    escalation = walk.current
    services.change_timescale(
        escalation=escalation,
        by=world.team_manager,  # the respondent's side may set it too
        expected_version=escalation.version,
        due_on=later,
        reason="The assessment report is due next week.",
    )
    assert walk.current.stage_due_at == end_of_day(later)
    for name in ("dsl", "team_manager"):
        assert walk.due(name) == end_of_day(later), name
    # The other manager at the stage is told; the one who changed it is not e-mailed about it.
    told = walk.told()
    assert "dsl" in told and "team_manager" not in told
    # Never beyond the policy's maximum; never by a practitioner.
    too_late = add_working_days(timezone.localdate(), 11, world.policy.spec.nation.value)
    for who, day in ((world.dsl, too_late), (world.teacher, later)):
        with pytest.raises(ActionRefused):
            services.change_timescale(
                escalation=walk.current,
                by=who,
                expected_version=walk.current.version,
                due_on=day,
                reason="More time.",
            )


def test_guide_agreed_actions_not_completed_reopen_it_at_the_next_step() -> None:
    # 001 "Actions Not Being Completed": "Escalate if non-completion is putting someone at risk".
    walk = Walk(make_world(policy_file="practitioner-guide.yaml"))
    world = walk.world
    raise_it(walk)
    discuss(walk, world.teacher)
    escalation = walk.current
    services.propose_resolution(
        escalation=escalation,
        by=world.social_worker,
        expected_version=escalation.version,
        decision="A home visit this week.",
        actions=[
            ActionSpec(
                owner=world.social_worker,
                description="Visit the family at home",
                due_on=timezone.localdate() + timedelta(days=3),
            )
        ],
    )
    escalation = walk.current
    services.accept_resolution(
        escalation=escalation, by=world.teacher, expected_version=escalation.version
    )
    assert walk.current.status == Status.RESOLVED
    # The action's owner alone is asked to do it, by its date.
    assert walk.asks() == {"social_worker": "Do the action agreed: Visit the family at home"}
    Action.objects.filter(escalation=walk.current).update(
        due_on=timezone.localdate() - timedelta(days=1)
    )
    walk.told()
    assert "reopen_escalation" in walk.allowed("teacher")
    assert "reopen_escalation" not in walk.allowed("social_worker")
    escalation = walk.current
    services.reopen_escalation(
        escalation=escalation,
        by=world.teacher,
        expected_version=escalation.version,
        grounds="action_overdue",
        reason="The home visit has not happened and the child is still missing school.",
    )
    escalation = walk.current
    assert escalation.status == Status.OPEN and escalation.current_stage_key == "stage_2"
    assert {"dsl", "team_manager"} <= set(walk.asks())
    assert {"dsl", "team_manager"} <= walk.told()
    assert not walk.told() & {"chair", "head", "service_manager", "outsider", "nurse"}


# --- Pan Berkshire (002) ------------------------------------------------------------------


def test_pan_berkshire_a_silent_respondent_does_not_block_the_raiser() -> None:
    # 002: "first seek to understand the rationale"; issue 15: nobody blocks by silence.
    walk = Walk(make_world(policy_file="pan-berkshire.yaml"))
    world = walk.world
    raise_it(walk)
    walk.told()
    escalation = walk.current
    request = services.request_rationale(
        escalation=escalation,
        by=world.teacher,
        expected_version=escalation.version,
        message="Why was the referral closed?",
    )
    # The respondent is asked for the rationale, by its own due date (the stage's here).
    assert walk.asks() == {"teacher": TALK, "social_worker": "Give your rationale in writing"}
    assert walk.due("social_worker") == working_days_on(walk, 5)
    assert walk.told() == {"social_worker"}
    discuss(walk, world.teacher, outcome="No answer: a message was left.")
    walk.told()
    assert "escalate_to_next_stage" not in walk.allowed("teacher")  # the rationale first

    pass_due(request, "due_at")  # the respondent never answers
    assert sweep_deadlines().silences_recorded == 1
    lapsed = walk.current.chronology.get(kind=EntryKind.RATIONALE_LAPSED)
    assert lapsed.text.startswith("No rationale given by ")
    assert walk.told() == {"teacher", "social_worker"}
    assert "escalate_to_next_stage" in walk.allowed("teacher")
    # Nobody is asked for the rationale any more; the raiser is asked to agree or escalate.
    assert walk.asks() == {"teacher": AGREE_OR_ESCALATE, "social_worker": AGREE_OR_ESCALATE}

    escalation = walk.current
    services.escalate_to_next_stage(
        escalation=escalation,
        by=world.teacher,
        expected_version=escalation.version,
        reason="No rationale was given.",
    )
    assert walk.current.current_stage_key == "stage_2"
    assert {"dsl", "team_manager"} <= set(walk.asks())
    assert not set(walk.asks()) & {"head", "service_manager", "chair", "outsider", "nurse"}


# --- Havering (004): tiers, then the Chair ------------------------------------------------


def test_havering_stage_3_goes_up_the_tiers_of_management_in_each_organisation() -> None:
    # 004 2.8: "through the appropriate tiers of management in each organisation until the
    # matter is resolved" (three tiers at Stage 3).
    world, escalation = havering_at_stage_4("stage_3")
    walk = Walk(world)
    walk.escalation = escalation
    walk.told()
    stage_3 = world.policy.spec.stage("stage_3").manager_task.strip()
    assert walk.asks()["head"] == stage_3 and walk.asks()["service_manager"] == stage_3
    assert "school_director" not in walk.asks() and "csc_director" not in walk.asks()
    services.move_up_tier(
        escalation=walk.current,
        by=world.head,
        expected_version=walk.current.version,
        reason="The senior managers could not agree.",
    )
    assert {"school_director", "csc_director"} <= walk.told()
    asks = walk.asks()
    assert asks["school_director"] == stage_3 and asks["csc_director"] == stage_3
    assert walk.current.current_stage_key == "stage_3"
    assert not set(asks) & {"chair", "business_manager", "nurse", "outsider"}


def test_havering_stage_4_the_chair_sees_it_waiting_and_resolves_it_directly() -> None:
    # 004 2.10: the Chair "may either seek to resolve the issue direct with the relevant senior
    # managers, or convene a Resolution Panel".
    world, escalation = havering_at_stage_4()
    walk = Walk(world)
    walk.escalation = escalation
    officers = board_senior_officers(world)
    for number, officer in enumerate(officers):
        walk.add(f"officer_{number}", officer)
    assert (
        escalation.chronology.filter(kind=EntryKind.ESCALATED).last().data.get("board_engagement")
    )
    # Only the Chair is asked; the senior managers of Stage 3 are not offered the decision.
    decide = "Decide: resolve it directly with the senior managers, or convene a Resolution Panel"
    assert walk.asks() == {"chair": decide}, NO_ONE_ELSE
    assert walk.due("chair") == walk.current.stage_due_at
    for name in ("head", "service_manager", "school_director", "csc_director", "teacher"):
        assert "resolve_escalation" not in walk.allowed(name), name
    walk.told()
    escalation = walk.current
    services.resolve_escalation(
        escalation=escalation,
        by=world.chair,
        expected_version=escalation.version,
        decision="Children's social care reopens the assessment this week.",
        decided_by="The Board Chair with both directors",
        learning="Refer disagreements to senior managers sooner.",
        learning_themes=["timeliness"],
        actions=[],
    )
    assert walk.current.status == Status.RESOLVED
    assert walk.asks() == {}
    told = walk.told()
    assert {"teacher", "social_worker"} <= told
    # Candidates for a panel that was never convened hear nothing.
    assert not told & {"officer_0", "officer_1", "officer_2", "nurse", "outsider"}


def test_havering_stage_4_the_panel_decides_together_and_the_chair_is_told() -> None:
    # 004 2.12: "senior officers from three agencies who are members of the full Board";
    # 2.13: the panel "will collectively resolve".
    world, escalation = havering_at_stage_4()
    walk = Walk(world)
    walk.escalation = escalation
    school, csc, health = board_senior_officers(world)
    for name, officer in (("school_officer", school), ("csc_officer", csc), ("lead", health)):
        walk.add(name, officer)
    walk.told()
    services.convene_panel(
        escalation=escalation,
        by=world.chair,
        expected_version=escalation.version,
        members=[school, csc, health],
        lead=health,
    )
    record = "Record the Resolution Panel's decision"
    # The lead the Chair named and the Chair are asked; the other members are told, not asked.
    assert walk.asks() == {"chair": record, "lead": record}, NO_ONE_ELSE
    told = walk.told()
    assert {"school_officer", "csc_officer", "lead", "teacher"} <= told
    assert not told & {"nurse", "outsider", "business_manager"}
    assert "record_panel_decision" not in walk.allowed("school_officer")
    escalation = walk.current
    services.record_panel_decision(
        escalation=escalation,
        by=health,
        expected_version=escalation.version,
        decision="A multi-agency assessment starts this week.",
        learning="Refer sooner.",
        learning_themes=[],
        actions=[],
        members_present=[school, health],
    )
    assert walk.current.status == Status.RESOLVED
    assert walk.asks() == {}
    told = walk.told()
    assert {"chair", "teacher", "social_worker", "school_officer", "csc_officer"} <= told
    assert not told & {"nurse", "outsider"}


# --- West Sussex (003) and Waltham Forest (000) -------------------------------------------


def test_west_sussex_starts_at_level_3_when_harm_is_immediate() -> None:
    # 003: "If a child is thought to be at risk of immediate harm, discretion should be used as
    # to which stage is initiated"; "the shortest possible timescale" (urgent: one working day).
    walk = Walk(make_world(policy_file="west-sussex.yaml"))
    world = walk.world
    raise_it(
        walk,
        immediate_harm=True,
        urgent_guidance_shown=True,
        protective_actions=["front_door"],
        protective_action="Referred to the front door at 16:05.",
        start_stage_key="stage_3",
        later_stage_reason="The child is at risk tonight and the managers are away.",
    )
    escalation = walk.current
    assert escalation.current_stage_key == "stage_3"
    assert escalation.stage_due_at == working_days_on(walk, 1)
    task = (
        world.policy.spec.stage("stage_3").manager_task.strip()
        or world.policy.spec.stage("stage_3").summary
    )
    assert walk.asks() == {
        "head": task,
        "service_manager": task,
    }, NO_ONE_ELSE
    assert walk.due("head") == working_days_on(walk, 1)
    # Levels 1 and 2's managers were skipped, and are not told.
    assert walk.told() == {"teacher", "social_worker", "head", "service_manager"}
    # What was already done to protect the child is on the record (001 "Urgent Situations").
    emergency = escalation.chronology.get(kind="urgent_guidance")
    assert emergency.data["protective_actions"] == ["front_door"]
    assert emergency.data["protective_action"] == "Referred to the front door at 16:05."


def test_waltham_forest_keeps_going_up_the_hierarchy_and_the_directors_agree_it() -> None:
    # 000: "keep going up the hierarchy": no one outside the agencies decides, even at the top.
    walk = Walk(make_world(policy_file="waltham-forest.yaml"))
    world = walk.world
    raise_it(walk)
    spec = world.policy.spec
    while spec.next_stage(walk.current.current_stage_key) is not None:
        discuss(walk, world.teacher)
        escalation = walk.current
        services.escalate_to_next_stage(
            escalation=escalation,
            by=world.teacher,
            expected_version=escalation.version,
            reason="Not resolved.",
        )
    discuss(walk, world.school_director)
    assert "chair" not in walk.asks()
    assert "resolve_escalation" not in walk.allowed("csc_director")
    escalation = walk.current
    services.propose_resolution(
        escalation=escalation,
        by=world.csc_director,
        expected_version=escalation.version,
        decision="A joint review by both services.",
    )
    # The raiser's side answers: the raiser and their director at this stage.
    assert walk.asks() == {"teacher": ANSWER, "school_director": ANSWER}, NO_ONE_ELSE
    walk.told()
    escalation = walk.current
    services.accept_resolution(
        escalation=escalation, by=world.school_director, expected_version=escalation.version
    )
    assert walk.current.status == Status.RESOLVED
    assert "csc_director" in walk.told()


def test_guide_an_urgent_case_is_same_day_and_the_respondents_side_never_pauses_it() -> None:
    # 001 "Urgent Situations": "Do not wait for formal escalation processes. Take immediate
    # action to protect", "Go directly to senior managers if needed", "Document your actions".
    walk = Walk(make_world(policy_file="practitioner-guide.yaml"))
    world = walk.world
    raise_it(
        walk,
        immediate_harm=True,
        urgent_guidance_shown=True,
        protective_actions=["emergency_services", "dsl_told"],
        protective_action="Police called at 16:05; our DSL told at 16:10.",
        start_stage_key="stage_3",
        later_stage_reason="The child is at risk tonight.",
    )
    escalation = walk.current
    assert escalation.current_stage_key == "stage_3"
    assert escalation.stage_due_at == working_days_on(walk, 0)  # the same working day
    assert {"head", "service_manager"} <= set(walk.asks())
    assert walk.due("head") == working_days_on(walk, 0)
    assert not set(walk.asks()) & {"dsl", "team_manager", "chair", "outsider", "nurse"}
    walk.told()
    # "Busy" is no reason to stop the clock: the respondent's side is never offered a pause of
    # an urgent case, and the raiser pauses it only naming the manager who agreed.
    for name in ("social_worker", "service_manager"):
        assert "pause_escalation" not in walk.allowed(name), name
    with pytest.raises(ActionRefused):
        services.pause_escalation(
            escalation=walk.current,
            by=world.service_manager,
            expected_version=walk.current.version,
            reason="Busy",
        )
    with pytest.raises(ActionRefused):
        services.pause_escalation(
            escalation=walk.current,
            by=world.teacher,
            expected_version=walk.current.version,
            reason="The family has moved out of the area.",
        )
    review_on = add_working_days(timezone.localdate(), 2, world.policy.spec.nation.value)
    services.pause_escalation(
        escalation=walk.current,
        by=world.teacher,
        expected_version=walk.current.version,
        reason="The family has moved out of the area; the new area is checking.",
        review_on=review_on,
        agreed_by=world.dsl,
    )
    assert walk.current.status == Status.PAUSED
    paused = walk.current.chronology.filter(kind=EntryKind.PAUSED).get()
    assert world.dsl.full_name in str(paused.data) or world.dsl.full_name in paused.text


def test_pan_berkshire_a_respondent_with_no_account_cannot_block_it() -> None:
    # Issue 15: 'A respondent who is "someone not listed" can't block anything.'
    walk = Walk(make_world(policy_file="pan-berkshire.yaml"))
    world = walk.world
    raise_it(
        walk,
        respondent_person=None,
        respondent_name="Jo Unlisted",
        respondent_email="jo.unlisted@example.org",
    )
    # Nobody in the directory is asked on the respondent's side; the raiser is.
    assert set(walk.asks()) == {"teacher"}, NO_ONE_ELSE
    escalation = walk.current
    services.request_rationale(
        escalation=escalation,
        by=world.teacher,
        expected_version=escalation.version,
        message="Why was the referral closed?",
    )
    discuss(walk, world.teacher, outcome="No answer.")
    # Nobody listed can answer, so the rationale the stage asks for cannot hold the raiser.
    assert "escalate_to_next_stage" in walk.allowed("teacher")
    escalation = walk.current
    services.escalate_to_next_stage(
        escalation=escalation,
        by=world.teacher,
        expected_version=escalation.version,
        reason="No rationale was given.",
    )
    # At Stage 2 the raiser's manager is asked; the unlisted respondent is still told by email.
    assert walk.current.current_stage_key == "stage_2"
    assert "dsl" in walk.asks()
    assert Notification.objects.filter(
        escalation=walk.current, recipient_email="jo.unlisted@example.org", event="stage_entered"
    ).exists()


def test_havering_timescales_are_only_shortened_and_the_chair_may_shorten_stage_4() -> None:
    # 004 1.4: "within one working week or a timescale that protects the child from harm
    # (whichever is shortest)": managers at the stage, and the Chair at Stage 4, shorten it.
    world, escalation = havering_at_stage_4("stage_2")
    walk = Walk(world)
    walk.escalation = escalation
    nation = world.policy.spec.nation.value
    sooner = add_working_days(timezone.localdate(), 2, nation)
    later = add_working_days(timezone.localdate(), 7, nation)
    with pytest.raises(ActionRefused):
        services.change_timescale(
            escalation=walk.current,
            by=world.team_manager,
            expected_version=walk.current.version,
            due_on=later,
            reason="More time.",
        )
    walk.told()
    services.change_timescale(
        escalation=walk.current,
        by=world.team_manager,  # the respondent's side may shorten it too
        expected_version=walk.current.version,
        due_on=sooner,
        reason="The child's conference is on Tuesday.",
    )
    assert walk.due("dsl") == walk.due("team_manager") == end_of_day(sooner)
    told = walk.told()
    assert "dsl" in told and "team_manager" not in told  # not the one who shortened it

    world, escalation = havering_at_stage_4()
    walk = Walk(world)
    walk.escalation = escalation
    services.change_timescale(
        escalation=walk.current,
        by=world.chair,
        expected_version=walk.current.version,
        due_on=sooner,
        reason="The child's conference is on Tuesday.",
    )
    assert walk.due("chair") == end_of_day(sooner)
