"""Demo escalations for the Riverside partnership: every stage, some overdue, some resolved.

Everything is invented. Each escalation is made through the real services, with the clock set
back to when each step "happened", so deadlines, the chronology and overdue flags are all what
the application itself would have produced. Running it twice changes nothing: a scenario whose
child is already on an escalation in the partnership is skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from unittest import mock

from django.utils import timezone

from escalate.directory.demo import DemoDirectory
from escalate.directory.models import Person
from escalate.escalations import services
from escalate.escalations.models import Escalation
from escalate.escalations.services import ActionSpec, RaiseDetails
from escalate.policies.selectors import current_policy


@contextmanager
def _at(moment: datetime) -> Iterator[None]:
    """Run the services as if it were `moment` (demo data only)."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


@dataclass(frozen=True)
class Step:
    days_ago: float
    do: str  # discuss | rationale | escalate | pause | resolve | withdraw | panel | complete
    by: str = ""
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    child: str
    raiser: str
    respondent: str
    days_ago: float
    categories: tuple[str, ...]
    disputed: str
    risk: str
    outcome_wanted: str
    steps: tuple[Step, ...] = ()
    cp_plan: bool = False


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        child="Riley Example",
        raiser="amira.khan",
        respondent="dan.evans",
        days_ago=1,
        categories=("levels_of_need",),
        disputed="The referral about Riley's attendance and hunger was closed with no action.",
        risk="Riley arrives hungry most days and has missed eleven days this half term.",
        outcome_wanted="An early help assessment, or a clear reason why not.",
    ),
    Scenario(
        child="Jordan Sample",
        raiser="maya.patel",
        respondent="paul.reid",
        days_ago=12,
        categories=("need_for_action",),
        disputed="Police did not share the domestic abuse incident with the health visiting team.",
        risk="A baby lives in the home; the health visitor was not told of the incident.",
        outcome_wanted="The incident shared and a joint visit agreed.",
    ),
    Scenario(
        child="Casey Placeholder",
        raiser="amira.khan",
        respondent="dan.evans",
        days_ago=9,
        categories=("progressing_plans_and_communication",),
        cp_plan=True,
        disputed="Core group actions for school have not been shared since the last conference.",
        risk="School cannot carry out its part of the child protection plan.",
        outcome_wanted="The plan's actions shared and a core group date set.",
        steps=(
            Step(8, "discuss", "amira.khan"),
            Step(6, "escalate", "amira.khan", {"reason": "No reply after the discussion."}),
        ),
    ),
    Scenario(
        child="Morgan Example",
        raiser="maya.patel",
        respondent="dan.evans",
        days_ago=30,
        categories=("roles_and_responsibilities",),
        disputed="Who leads on the neglect concerns: health or children's social care.",
        risk="Nobody is leading; the home conditions have not been reviewed for two months.",
        outcome_wanted="A named lead agency and a strategy discussion.",
        steps=(
            Step(29, "rationale", "maya.patel"),
            Step(28, "discuss", "maya.patel"),
            Step(26, "escalate", "maya.patel", {"reason": "Still no agreed lead."}),
            Step(22, "discuss", "nina.owen"),
            Step(20, "escalate", "nina.owen", {"reason": "Managers could not agree."}),
        ),
    ),
    Scenario(
        child="Taylor Specimen",
        raiser="amira.khan",
        respondent="paul.reid",
        days_ago=35,
        categories=("need_for_action",),
        disputed="No strategy discussion after a disclosure at school.",
        risk="The child said an adult at home hurt them; no joint investigation has started.",
        outcome_wanted="A strategy discussion with police and social care.",
        steps=(
            Step(34, "discuss", "amira.khan"),
            Step(33, "escalate", "amira.khan", {"reason": "Police declined a joint visit."}),
            Step(30, "discuss", "ben.carter"),
            Step(29, "escalate", "ben.carter", {"reason": "No agreement between managers."}),
            Step(25, "discuss", "clare.dawson"),
            Step(
                24,
                "escalate",
                "clare.dawson",
                {
                    "reason": "Referred to the Board Chair.",
                    "board_engagement": "Both agencies' Board members were asked to help and "
                    "could not agree.",
                },
            ),
            Step(3, "panel", "will.young"),
        ),
    ),
    Scenario(
        child="Avery Example",
        raiser="maya.patel",
        respondent="leo.morgan",
        days_ago=40,
        categories=("progressing_plans_and_communication",),
        disputed="The GP did not send a report to the initial child protection conference.",
        risk="The conference decided without the child's health history.",
        outcome_wanted="GP reports sent to every conference.",
        steps=(
            Step(39, "discuss", "maya.patel"),
            Step(38, "escalate", "maya.patel", {"reason": "The practice would not commit."}),
            Step(36, "discuss", "nina.owen"),
            Step(
                35,
                "resolve",
                "nina.owen",
                {
                    "decision": "The practice will send conference reports within three days.",
                    "decided_by": "Named nurse and the practice safeguarding lead",
                    "learning": "Conference invitations must go to the practice's shared inbox.",
                    "themes": ["information sharing", "conferences"],
                    "actions": [
                        ("hana.ito", "Set up the shared inbox for conference invitations", 5),
                        ("nina.owen", "Tell health visitors about the shared inbox", 30),
                    ],
                },
            ),
        ),
    ),
    Scenario(
        child="Quinn Sample",
        raiser="tom.usher",
        respondent="dan.evans",
        days_ago=20,
        categories=("levels_of_need",),
        disputed="Step-down to early help without a handover meeting.",
        risk="The family lost support for three weeks.",
        outcome_wanted="A handover meeting for every step-down.",
        steps=(
            Step(19, "discuss", "tom.usher"),
            Step(
                18,
                "resolve",
                "tom.usher",
                {
                    "decision": "A handover meeting was held and a plan agreed.",
                    "decided_by": "Both practitioners",
                    "learning": "Step-downs need a handover meeting before the case closes.",
                    "themes": ["step-down"],
                    "actions": [("dan.evans", "Book the handover meeting", 3)],
                    "complete": True,
                },
            ),
        ),
    ),
    Scenario(
        child="Harper Placeholder",
        raiser="tom.usher",
        respondent="dan.evans",
        days_ago=4,
        categories=("need_for_action",),
        disputed="The request for a child and family assessment was refused.",
        risk="Parental mental health is getting worse.",
        outcome_wanted="An assessment.",
        steps=(Step(3, "pause", "tom.usher", {"reason": "Waiting for the mental health review."}),),
    ),
    Scenario(
        child="Rowan Specimen",
        raiser="ravi.shah",
        respondent="rosa.singh",
        days_ago=15,
        categories=("roles_and_responsibilities",),
        disputed="Who visits the young carer's family first.",
        risk="A young carer with no support plan.",
        outcome_wanted="An agreed first visit.",
        steps=(Step(14, "withdraw", "ravi.shah", {"reason": "Agreed informally the next day."}),),
    ),
)


def _moment(days_ago: float) -> datetime:
    # Mid-morning, so the steps of a scenario keep their order within a day.
    base = timezone.now().replace(hour=10, minute=0, second=0, microsecond=0)
    return base - timedelta(days=days_ago)


def _fresh(escalation: Escalation) -> Escalation:
    return Escalation.objects.get(pk=escalation.pk)


def _run_step(escalation: Escalation, step: Step, people: dict[str, Person]) -> Escalation:
    by = people[step.by]
    e = _fresh(escalation)
    options = step.options
    actions: Callable[[], list[ActionSpec]] = lambda: [  # noqa: E731
        ActionSpec(
            owner=people[owner],
            description=text,
            due_on=timezone.localdate() + timedelta(days=due_in),
        )
        for owner, text, due_in in options.get("actions", [])
    ]
    if step.do == "discuss":
        services.record_discussion(
            escalation=e,
            by=by,
            expected_version=e.version,
            held_on=timezone.localdate(),
            with_whom="The other agency's worker",
            method="Telephone",
            summary="We went through the concern and each agency's view.",
            outcome="Not resolved at this stage.",
        )
    elif step.do == "rationale":
        services.request_rationale(
            escalation=e,
            by=by,
            expected_version=e.version,
            message="Please set out in writing why the decision was made.",
        )
    elif step.do == "escalate":
        services.escalate_to_next_stage(
            escalation=e,
            by=by,
            expected_version=e.version,
            reason=options["reason"],
            board_engagement=options.get("board_engagement", ""),
        )
    elif step.do == "pause":
        services.pause_escalation(
            escalation=e, by=by, expected_version=e.version, reason=options["reason"]
        )
    elif step.do == "withdraw":
        services.withdraw_escalation(
            escalation=e, by=by, expected_version=e.version, reason=options["reason"]
        )
    elif step.do == "resolve":
        resolved = services.resolve_escalation(
            escalation=e,
            by=by,
            expected_version=e.version,
            decision=options["decision"],
            decided_by=options["decided_by"],
            learning=options["learning"],
            learning_themes=options["themes"],
            actions=actions(),
        )
        if options.get("complete"):
            for action in resolved.actions.all():
                services.complete_action(action=action, by=action.owner, note="Done as agreed.")
    elif step.do == "panel":
        services.convene_panel(
            escalation=e,
            by=by,
            expected_version=e.version,
            members=[people["clare.dawson"], people["sam.taylor"], people["omar.quinn"]],
            # Havering 2.12: senior officers of the Board's agencies, the disputing ones among
            # them; one handled the escalation before, so the Chair gives a reason to seat her.
            handled_reason="The school's senior officer knows the case; no other is free.",
        )
        e = _fresh(e)
        services.record_representation(
            escalation=e,
            by=people["clare.dawson"],
            expected_version=e.version,
            agency=e.raiser_agency,
            summary="School's account of the disclosure and what followed.",
        )
    else:  # pragma: no cover - a typo in SCENARIOS
        raise ValueError(f"unknown demo step {step.do!r}")
    return _fresh(e)


def create_demo_escalations(directory: DemoDirectory) -> list[Escalation]:
    """Make the demo escalations for `directory`'s partnership (skipping ones already made)."""
    partnership = directory.partnership
    if current_policy(partnership) is None:
        from escalate.policies.demo import load_demo_policies

        load_demo_policies(partnership)
    people = directory.people
    made: list[Escalation] = []
    for scenario in SCENARIOS:
        if Escalation.objects.filter(partnership=partnership, subject_name=scenario.child).exists():
            continue
        # Each step is its own service call, which commits its own transaction (as in use).
        raiser = people[scenario.raiser]
        respondent = people[scenario.respondent]
        with _at(_moment(scenario.days_ago)):
            escalation = services.raise_escalation(
                by=raiser,
                details=RaiseDetails(
                    respondent_agency=respondent.agency,  # type: ignore[arg-type]
                    respondent_person=respondent,
                    subject_name=scenario.child,
                    case_references="Demo record, not a real case",
                    categories=list(scenario.categories),
                    disputed=scenario.disputed,
                    risk=scenario.risk,
                    outcome_wanted=scenario.outcome_wanted,
                    already_tried="Spoke to the worker informally.",
                    cp_plan=scenario.cp_plan,
                    # The child's own IRO and CP chair (demo: the one of each there is).
                    allocated_iro=people["isla.jones"] if scenario.cp_plan else None,
                    allocated_cp_chair=people["kemi.lawal"] if scenario.cp_plan else None,
                ),
            )
        for step in scenario.steps:
            with _at(_moment(step.days_ago)):
                escalation = _run_step(escalation, step, people)
        made.append(escalation)
    return made
