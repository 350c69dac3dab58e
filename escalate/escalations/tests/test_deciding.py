"""Who decides, stage by stage, under the shipped policies: examples from the seeds."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache

import pytest
from django.conf import settings

from escalate.escalations import deciding as dc
from escalate.escalations import workflow as wf
from escalate.escalations.tests.factories import policy_document
from escalate.policies.calendar import LONDON
from escalate.policies.loader import parse_policy_file
from escalate.policies.schema import PolicySpec

MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=LONDON)  # term time, no bank holidays near

RAISER = wf.Actor(parts=frozenset({"raiser"}))
RESPONDENT = wf.Actor(parts=frozenset({"respondent"}))
RAISER_MANAGER = wf.Actor(parts=frozenset({"raiser_manager"}))
RESPONDENT_MANAGER = wf.Actor(parts=frozenset({"respondent_manager"}))
CHAIR = wf.Actor(roles=frozenset({"partnership_chair"}))
PANEL_MEMBER = wf.Actor(parts=frozenset({"panel_member"}))
PANEL_LEAD = wf.Actor(parts=frozenset({"panel_member", "panel_lead"}))
BUSINESS_UNIT = wf.Actor(roles=frozenset({"business_manager"}))


@cache
def shipped(name: str) -> PolicySpec:
    return parse_policy_file(settings.POLICY_DIR / f"{name}.yaml")


def started(policy: PolicySpec, flags: frozenset[str] = frozenset({"child"})) -> wf.EscalationState:
    return wf.start(policy, at=MONDAY, flags=flags).state


def at_stage(policy: PolicySpec, state: wf.EscalationState, key: str) -> wf.EscalationState:
    return wf.replace(state, stage_key=key, stage_index=policy.stage_index(key))


def discussed(policy: PolicySpec, state: wf.EscalationState) -> wf.EscalationState:
    discussion = wf.RecordDiscussion(
        at=MONDAY,
        held_on=MONDAY.date(),
        with_whom="The social worker",
        method="Telephone",
        summary="We talked it through",
        outcome="We disagree",
    )
    return wf.apply(policy, state, discussion, RAISER).state


def kinds(transition: wf.Transition) -> list[str]:
    return [event.kind for event in transition.of_type(wf.ChronologyEvent)]


# --- agreement closes a stage ------------------------------------------------------------


def test_the_respondent_cannot_close_a_stage_the_parties_decide_alone() -> None:
    policy = shipped("havering")
    state = discussed(policy, started(policy))
    resolve = wf.Resolve(at=MONDAY, decision="No further action stands", decided_by="Me")
    for actor in (RESPONDENT, RESPONDENT_MANAGER):
        with pytest.raises(wf.ActionRefused, match="cannot close the escalation alone"):
            wf.apply(policy, state, resolve, actor)


def test_a_respondents_proposal_takes_effect_when_the_raiser_accepts_it() -> None:
    policy = shipped("havering")
    state = discussed(policy, started(policy))
    proposed = wf.apply(
        policy, state, dc.ProposeResolution(at=MONDAY, decision="A strategy meeting"), RESPONDENT
    )
    assert kinds(proposed) == ["resolution_proposed"]
    assert proposed.state.status == wf.OPEN and proposed.state.proposal is not None
    assert proposed.state.proposal.side == "respondent"
    told = proposed.of_type(wf.NotificationEvent)[0]
    assert wf.Recipient.RAISER in told.recipients
    with pytest.raises(wf.ActionRefused, match="raiser's side can answer"):
        wf.apply(policy, proposed.state, dc.AcceptProposal(at=MONDAY), RESPONDENT)
    accepted = wf.apply(policy, proposed.state, dc.AcceptProposal(at=MONDAY), RAISER)
    assert accepted.state.status == wf.RESOLVED
    assert kinds(accepted) == ["resolution_accepted", "resolved"]
    assert accepted.state.closed_at == MONDAY


def test_the_raiser_declines_with_a_reason_and_escalates_and_both_stay_on_the_record() -> None:
    policy = shipped("havering")
    state = discussed(policy, started(policy))
    proposed = wf.apply(
        policy, state, dc.ProposeResolution(at=MONDAY, decision="NFA stands"), RESPONDENT
    ).state
    with pytest.raises(wf.ActionRefused) as refused:
        wf.apply(policy, proposed, dc.DeclineProposal(at=MONDAY, reason=" "), RAISER)
    assert refused.value.field == "reason"
    declined = wf.apply(
        policy,
        proposed,
        dc.DeclineProposal(at=MONDAY, reason="The child is still at risk", escalate=True),
        RAISER,
    )
    assert kinds(declined) == ["resolution_declined", "escalated"]
    assert declined.state.stage_key == "stage_2" and declined.state.proposal is None


def test_only_one_proposal_waits_at_a_time_and_not_at_a_chair_stage() -> None:
    policy = shipped("havering")
    state = discussed(policy, started(policy))
    propose = dc.ProposeResolution(at=MONDAY, decision="Agreed")
    proposed = wf.apply(policy, state, propose, RESPONDENT).state
    with pytest.raises(wf.ActionRefused, match="already waiting"):
        wf.apply(policy, proposed, propose, RAISER)
    with pytest.raises(wf.ActionRefused, match="partnership chair decides"):
        wf.apply(policy, at_stage(policy, state, "stage_4"), propose, RESPONDENT)


def test_an_unanswered_proposal_goes_to_the_raisers_manager_where_the_policy_says() -> None:
    policy = shipped("havering")  # two working days, then the raiser's manager
    state = discussed(policy, started(policy))
    proposed = wf.apply(
        policy, state, dc.ProposeResolution(at=MONDAY, decision="Agreed"), RESPONDENT
    ).state
    assert proposed.proposal is not None
    assert proposed.proposal.answer_due_at == datetime(2026, 3, 4, 23, 59, 59, tzinfo=LONDON)
    assert dc.sweep_actions(proposed, MONDAY + timedelta(days=1)) == []
    with pytest.raises(wf.ActionRefused, match="can still be answered"):
        wf.apply(policy, proposed, dc.LapseProposal(at=MONDAY), dc.SWEEP)
    later = MONDAY + timedelta(days=3)
    assert dc.sweep_actions(proposed, later) == [dc.LapseProposal(at=later)]
    lapsed = wf.apply(policy, proposed, dc.LapseProposal(at=later), dc.SWEEP)
    assert lapsed.state.status == wf.OPEN
    assert lapsed.state.proposal is not None and lapsed.state.proposal.with_raiser_manager
    assert "raiser's manager" in lapsed.of_type(wf.ChronologyEvent)[0].text
    assert [a.who for a in dc.asked(policy, lapsed.state)] == ["raiser_manager"]
    accepted = wf.apply(policy, lapsed.state, dc.AcceptProposal(at=later), RAISER_MANAGER)
    assert accepted.state.status == wf.RESOLVED


def test_an_unanswered_proposal_is_accepted_where_the_policy_says_so() -> None:
    document = policy_document(panel=False)
    document["proposals"] = {"answer_within_working_days": 1, "when_unanswered": "accepted"}
    policy = PolicySpec.model_validate(document)
    state = discussed(policy, started(policy))
    proposed = wf.apply(
        policy, state, dc.ProposeResolution(at=MONDAY, decision="Agreed"), RESPONDENT
    ).state
    lapsed = wf.apply(policy, proposed, dc.LapseProposal(at=MONDAY + timedelta(days=2)), dc.SWEEP)
    assert lapsed.state.status == wf.RESOLVED
    assert kinds(lapsed) == ["resolution_unanswered", "resolved"]


# --- decision-makers ---------------------------------------------------------------------


def test_havering_stage_4_needs_the_board_members_engaged_before_the_referral() -> None:
    policy = shipped("havering")
    state = at_stage(policy, started(policy), "stage_3")
    state = wf.replace(state, records=frozenset({"discussion"}))
    escalate = wf.EscalateToNextStage(at=MONDAY, reason="Still no agreement")
    with pytest.raises(wf.ActionRefused, match="Board members") as refused:
        wf.apply(policy, state, escalate, RAISER_MANAGER)
    assert refused.value.field == "board_engagement"
    referred = wf.apply(
        policy,
        state,
        wf.replace(escalate, board_engagement="Director of education; director of CSC"),
        RAISER_MANAGER,
    )
    assert referred.state.stage_key == "stage_4"
    assert referred.of_type(wf.ChronologyEvent)[0].data["board_engagement"].startswith("Director")


def test_the_chair_may_resolve_stage_4_directly_and_no_senior_manager_may() -> None:
    policy = shipped("havering")
    state = at_stage(policy, started(policy), "stage_4")
    resolve = wf.Resolve(at=MONDAY, decision="Assessment to go ahead", decided_by="The Chair")
    for actor in (RESPONDENT_MANAGER, RAISER_MANAGER, RAISER, PANEL_MEMBER):
        with pytest.raises(wf.ActionRefused, match="only the partnership chair decides"):
            wf.apply(policy, state, resolve, actor)
    assert wf.apply(policy, state, resolve, CHAIR).state.status == wf.RESOLVED
    assert [a.who for a in dc.asked(policy, state)] == ["partnership_chair"]


def test_the_panel_decision_is_recorded_by_the_chair_or_the_panel_lead_with_who_took_part() -> None:
    policy = shipped("havering")
    state = at_stage(policy, started(policy), "stage_4")
    convened = wf.apply(
        policy,
        state,
        wf.ConvenePanel(
            at=MONDAY,
            member_count=3,
            agency_ids=frozenset({1, 2, 3}),
            disputing_agency_ids=frozenset({1, 2}),
        ),
        CHAIR,
    ).state
    decide = wf.RecordPanelDecision(at=MONDAY, decision="Plan agreed", members_present=(7, 8, 9))
    with pytest.raises(wf.ActionRefused, match="panel decides together"):
        wf.apply(policy, convened, decide, PANEL_MEMBER)
    decided = wf.apply(policy, convened, decide, PANEL_LEAD)
    assert decided.state.status == wf.RESOLVED
    assert decided.of_type(wf.ChronologyEvent)[0].data["members_present"] == [7, 8, 9]
    assert wf.apply(policy, convened, decide, CHAIR).state.status == wf.RESOLVED


def test_panel_members_must_be_board_senior_officers_and_those_who_handled_it_need_a_reason() -> (
    None
):
    policy = shipped("havering")
    state = at_stage(policy, started(policy), "stage_4")
    convene = wf.ConvenePanel(
        at=MONDAY,
        member_count=3,
        agency_ids=frozenset({1, 2, 3}),
        disputing_agency_ids=frozenset({1, 2}),
    )
    with pytest.raises(wf.ActionRefused, match="senior officers"):
        wf.apply(policy, state, wf.replace(convene, non_candidate_count=1), CHAIR)
    with pytest.raises(wf.ActionRefused) as refused:
        wf.apply(policy, state, wf.replace(convene, handled_count=1), CHAIR)
    assert refused.value.field == "handled_reason"
    seated = wf.replace(convene, handled_count=1, handled_reason="The only officer for health")
    assert wf.apply(policy, state, seated, CHAIR).state.panel_convened
    people = [
        dc.PanelCandidate(1, 10, True, True, False),
        dc.PanelCandidate(2, 11, True, False, False),  # agency not on the Board
        dc.PanelCandidate(3, 10, False, True, False),  # not a senior officer
        dc.PanelCandidate(4, 12, True, True, True),  # handled it: listed, flagged
    ]
    assert [c.person_id for c in dc.panel_candidates(policy, people)] == [1, 4]


# --- nobody blocks by silence --------------------------------------------------------------


def test_pan_berkshire_a_silent_respondent_cannot_block_the_raiser() -> None:
    policy = shipped("pan-berkshire")  # Stage 1 must record the rationale
    state = discussed(policy, started(policy))
    escalate = wf.EscalateToNextStage(at=MONDAY, reason="Still worried")
    with pytest.raises(wf.ActionRefused, match="rationale"):
        wf.apply(policy, state, escalate, RAISER)
    requested = wf.apply(
        policy, state, wf.RequestRationale(at=MONDAY, message="Why was it closed?"), RAISER
    ).state
    # Due with the stage: five working days (the page gives no timescale).
    assert requested.rationale_due_at == datetime(2026, 3, 9, 23, 59, 59, tzinfo=LONDON)
    assert dc.asked(policy, requested)[0].what == "give the rationale"
    with pytest.raises(wf.ActionRefused, match="can still be given"):
        wf.apply(policy, requested, dc.LapseRationale(at=MONDAY), dc.SWEEP)
    later = datetime(2026, 3, 10, 8, 0, tzinfo=LONDON)
    assert dc.sweep_actions(requested, later) == [dc.LapseRationale(at=later)]
    lapsed = wf.apply(policy, requested, dc.LapseRationale(at=later), dc.SWEEP)
    assert lapsed.of_type(wf.ChronologyEvent)[0].text.startswith("No rationale given by 9 March")
    assert wf.Recipient.RAISER in lapsed.of_type(wf.NotificationEvent)[0].recipients
    moved = wf.apply(policy, lapsed.state, wf.replace(escalate, at=later), RAISER)
    assert moved.state.stage_key == "stage_2"


def test_a_respondent_who_is_someone_not_listed_blocks_nothing() -> None:
    policy = shipped("pan-berkshire")
    state = wf.replace(discussed(policy, started(policy)), respondent_unlisted=True)
    escalate = wf.EscalateToNextStage(at=MONDAY, reason="No one to ask")
    assert wf.apply(policy, state, escalate, RAISER).state.stage_key == "stage_2"
    assert dc.stranded_sides(state, frozenset({"raiser"})) == []
    assert dc.stranded_sides(wf.replace(state, respondent_unlisted=False), frozenset()) == [
        "raiser",
        "respondent",
    ]


# --- reopening ---------------------------------------------------------------------------


def resolved(policy: PolicySpec, key: str = "stage_1") -> wf.EscalationState:
    state = at_stage(policy, discussed(policy, started(policy)), key)
    state = wf.replace(state, records=frozenset({"discussion", "rationale"}))
    resolve = wf.Resolve(at=MONDAY, decision="Agreed plan", decided_by="Both")
    return wf.apply(policy, state, resolve, RAISER).state


def test_the_raiser_reopens_when_an_agreed_action_is_overdue_back_to_the_closing_stage() -> None:
    policy = shipped("havering")
    closed = resolved(policy)
    later = MONDAY + timedelta(days=14)
    reopen = dc.Reopen(at=later, reason="The plan was not done", grounds="action_overdue")
    with pytest.raises(wf.ActionRefused, match="raiser's side"):
        wf.apply(policy, closed, wf.replace(reopen, overdue_action_count=1), RESPONDENT)
    with pytest.raises(wf.ActionRefused, match="No agreed action is overdue"):
        wf.apply(policy, closed, reopen, RAISER)
    reopened = wf.apply(policy, closed, wf.replace(reopen, overdue_action_count=1), RAISER)
    assert reopened.state.status == wf.OPEN and reopened.state.stage_key == "stage_1"
    assert kinds(reopened) == ["reopened"]
    assert reopened.of_type(wf.StageEntered)[0].stage_key == "stage_1"
    too_late = wf.replace(reopen, at=MONDAY + timedelta(days=40), grounds="recurred")
    with pytest.raises(wf.ActionRefused, match="within 20 working days"):
        wf.apply(policy, closed, too_late, RAISER)


def test_the_guide_reopens_at_the_next_step() -> None:
    policy = shipped("practitioner-guide")
    closed = resolved(policy, "stage_2")
    reopen = dc.Reopen(
        at=MONDAY + timedelta(days=1), reason="It happened again", grounds="recurred"
    )
    assert wf.apply(policy, closed, reopen, RAISER).state.stage_key == "stage_3"


# --- tiers, timescales, urgency, pauses, reassignment --------------------------------------


def test_havering_stage_3_moves_up_three_tiers_each_with_its_own_deadline() -> None:
    policy = shipped("havering")
    state = at_stage(policy, started(policy), "stage_3")
    up = dc.MoveUpTier(at=MONDAY + timedelta(days=2), reason="The directors must meet")
    second = wf.apply(policy, state, up, RAISER_MANAGER)
    assert second.state.tier == 2
    assert second.state.due_at == datetime(2026, 3, 11, 23, 59, 59, tzinfo=LONDON)
    third = wf.apply(policy, second.state, up, RESPONDENT_MANAGER).state
    with pytest.raises(wf.ActionRefused, match="all used"):
        wf.apply(policy, third, up, RAISER_MANAGER)
    with pytest.raises(wf.ActionRefused, match="has one tier of management"):
        wf.apply(policy, at_stage(policy, state, "stage_2"), up, RAISER_MANAGER)


def test_a_manager_at_the_stage_shortens_its_due_date_with_a_reason() -> None:
    policy = shipped("havering")
    state = at_stage(policy, started(policy), "stage_2")
    shorten = dc.ChangeTimescale(at=MONDAY, due_on=date(2026, 3, 4), reason="Child at risk")
    with pytest.raises(wf.ActionRefused, match="manager at this stage"):
        wf.apply(policy, state, shorten, RESPONDENT)
    changed = wf.apply(policy, state, shorten, RESPONDENT_MANAGER)
    assert changed.state.due_at == datetime(2026, 3, 4, 23, 59, 59, tzinfo=LONDON)
    assert changed.of_type(wf.DeadlineSet)[0].due_at == changed.state.due_at
    assert kinds(changed) == ["timescale_changed"]
    with pytest.raises(wf.ActionRefused, match="brought forward, not put back"):
        wf.apply(policy, state, wf.replace(shorten, due_on=date(2026, 3, 20)), RAISER_MANAGER)
    with pytest.raises(wf.ActionRefused) as refused:
        wf.apply(policy, state, wf.replace(shorten, reason=""), RAISER_MANAGER)
    assert refused.value.field == "reason"


def test_the_guides_step_2_managers_set_a_timescale_up_to_the_maximum() -> None:
    policy = shipped("practitioner-guide")  # may set at Step 2; at most 10 working days
    state = at_stage(policy, started(policy), "stage_2")
    set_later = dc.ChangeTimescale(at=MONDAY, due_on=date(2026, 3, 13), reason="Meeting Friday")
    assert wf.apply(policy, state, set_later, RAISER_MANAGER).state.due_at == datetime(
        2026, 3, 13, 23, 59, 59, tzinfo=LONDON
    )
    with pytest.raises(wf.ActionRefused, match="no later than 16 March 2026") as refused:
        wf.apply(policy, state, wf.replace(set_later, due_on=date(2026, 3, 30)), RAISER_MANAGER)
    assert refused.value.field == "due_on"


def test_immediate_harm_uses_the_urgent_timescale() -> None:
    urgent = frozenset({"child", "immediate_harm"})
    havering = shipped("havering")
    assert started(havering, urgent).due_at == datetime(2026, 3, 2, 23, 59, 59, tzinfo=LONDON)
    assert started(havering).due_at == datetime(2026, 3, 9, 23, 59, 59, tzinfo=LONDON)
    state = discussed(havering, started(havering, urgent))
    escalated = wf.apply(
        havering, state, wf.EscalateToNextStage(at=MONDAY, reason="Unsafe"), RAISER
    )
    assert escalated.state.due_at == datetime(2026, 3, 3, 23, 59, 59, tzinfo=LONDON)


def test_a_pause_needs_a_reason_and_a_review_date_and_urgent_ones_a_raiser_side_manager() -> None:
    policy = shipped("havering")  # review within five working days
    pause = wf.Pause(at=MONDAY, reason="Waiting for the strategy meeting")
    for review_on, field in ((None, "review_on"), (date(2026, 3, 2), "review_on")):
        with pytest.raises(wf.ActionRefused) as refused:
            wf.apply(policy, started(policy), wf.replace(pause, review_on=review_on), RESPONDENT)
        assert refused.value.field == field
    with pytest.raises(wf.ActionRefused, match="no later than 9 March 2026"):
        wf.apply(policy, started(policy), wf.replace(pause, review_on=date(2026, 3, 20)), RAISER)
    paused = wf.apply(
        policy, started(policy), wf.replace(pause, review_on=date(2026, 3, 5)), RESPONDENT
    ).state
    assert paused.pause_review_on == date(2026, 3, 5)
    assert dc.asked(policy, paused)[0].what == "review the pause"
    urgent = started(policy, frozenset({"child", "immediate_harm"}))
    pause = wf.replace(pause, review_on=date(2026, 3, 3), raiser_manager_agrees=True)
    with pytest.raises(wf.ActionRefused, match="side being challenged cannot pause"):
        wf.apply(policy, urgent, pause, RESPONDENT_MANAGER)
    with pytest.raises(wf.ActionRefused, match="must agree"):
        wf.apply(policy, urgent, wf.replace(pause, raiser_manager_agrees=False), RAISER)
    assert wf.apply(policy, urgent, pause, RAISER).state.status == wf.PAUSED
    no_agreement = wf.replace(pause, raiser_manager_agrees=False)
    assert wf.apply(policy, urgent, no_agreement, RAISER_MANAGER).state.status == wf.PAUSED


def test_a_part_is_reassigned_by_the_persons_manager_or_the_business_unit_with_a_reason() -> None:
    policy = shipped("havering")
    state = started(policy)
    reassign = dc.Reassign(
        at=MONDAY,
        part="respondent",
        reason="On long leave",
        from_person_gone=True,
        by_their_manager=False,
    )
    with pytest.raises(wf.ActionRefused, match="line manager or the partnership's business unit"):
        wf.apply(policy, state, reassign, RAISER)
    done = wf.apply(policy, state, reassign, BUSINESS_UNIT)
    assert kinds(done) == ["reassigned"] and done.state.version == state.version + 1
    with pytest.raises(wf.ActionRefused, match="deactivated or marked away"):
        wf.apply(
            policy,
            state,
            wf.replace(reassign, from_person_gone=False, by_their_manager=True),
            RESPONDENT_MANAGER,
        )
