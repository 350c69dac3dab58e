""" "What you need to do": the next step of one person on one escalation, in plain Python.

Worked out from the core's answers only: what the escalation waits for (`deciding.asked`), what
this person may do now (`workflow.allowed_actions`) and, for Escalate and Resolve, why not
(`workflow.refusal`). No rule is written here; the page shows what this module returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from escalate.escalations import deciding, workflow
from escalate.policies import calendar
from escalate.policies.schema import DecisionMaker, PolicySpec
from escalate.vocabulary import Part

# What the escalation waits for (deciding.Asked.what), and the action that answers it.
ANSWERED_BY = {
    "answer the proposed resolution": "accept_resolution",
    "give the rationale": "give_rationale",
    "review the pause": "resume_escalation",
    "resolve it directly or convene a panel": "resolve_escalation",
    "record the panel's decision": "record_panel_decision",
}
# The two moves that end a stage; when they are not offered to someone at the stage, say why.
STAGE_MOVES = (
    ("escalate_to_next_stage", "Escalate"),
    ("resolve_escalation", "Resolve"),
)
# The part whose guidance a person reads, when they have several (first found wins).
PART_ORDER = (
    Part.PARTNERSHIP_CHAIR,
    Part.PANEL_LEAD,
    Part.PANEL_MEMBER,
    Part.RAISER,
    Part.RESPONDENT,
    Part.RAISER_MANAGER,
    Part.RESPONDENT_MANAGER,
    Part.IRO,
    Part.CP_CHAIR,
    Part.DSL,
    Part.ACTION_OWNER,
    Part.BUSINESS_TEAM,
)


@dataclass(frozen=True)
class Task:
    """One thing asked of this person: the words, the action that does it, and by when."""

    what: str  # a sentence: "Give your rationale"
    action: str | None  # the action's name (its page is linked), or None
    due_at: datetime | None = None
    working_days_left: int | None = None  # negative when overdue
    question: str = ""  # the question asked, when a rationale is requested of them
    item_id: int | None = None  # the agreed action, for "complete_action"


@dataclass(frozen=True)
class NotOffered:
    label: str  # "Escalate", "Resolve"
    why: str  # the core's refusal, as a sentence


@dataclass(frozen=True)
class Guidance:
    title: str
    points: tuple[str, ...] = ()
    text: str = ""


@dataclass(frozen=True)
class NextStep:
    part: str  # the part this page speaks to ("raiser", "respondent", ...; "" for a reader)
    tasks: tuple[Task, ...]
    not_offered: tuple[NotOffered, ...]
    guidance: tuple[Guidance, ...]
    stage_due_at: datetime | None
    stage_working_days_left: int | None

    @property
    def nothing_asked(self) -> bool:
        return not self.tasks


def part_of(actor: workflow.Actor) -> str:
    """The one part this person's page speaks to (a chair by role counts as the chair)."""
    if actor.is_partnership_chair:
        return Part.PARTNERSHIP_CHAIR.value
    for part in PART_ORDER:
        if part in actor.parts:
            return part.value
    return ""


def _days_left(due_at: datetime | None, nation: str, today: date) -> int | None:
    if due_at is None:
        return None
    return calendar.working_days_between(today, due_at.astimezone(calendar.LONDON).date(), nation)


def _task_words(asked: deciding.Asked, part: str) -> str:
    words = {
        "answer the proposed resolution": "Accept or decline the proposed resolution",
        "give the rationale": "Give your rationale in writing",
        "review the pause": "Review the pause: resume the escalation when it can go on",
        "resolve it directly or convene a panel": (
            "Decide: resolve it directly with the senior managers, or convene a Resolution Panel"
        ),
        "record the panel's decision": "Record the Resolution Panel's decision",
    }
    return words.get(asked.what, asked.what[:1].upper() + asked.what[1:])


def _stage_task(
    spec: PolicySpec,
    state: workflow.EscalationState,
    part: str,
    allowed: frozenset[str] | None = None,
) -> str:
    stage = spec.stage(state.stage_key)
    if part in (Part.RAISER_MANAGER, Part.RESPONDENT_MANAGER):
        return stage.manager_task.strip() or stage.summary
    missing = workflow._missing_records(spec, state)
    if "discussion" in missing:
        return "Talk to the other side about the disagreement, then record the discussion"
    may_escalate = allowed is None or "escalate_to_next_stage" in allowed
    if spec.next_stage(state.stage_key) is None or not may_escalate:
        # Not offered now (a rationale awaited, say): "Not offered" below says why.
        return "Agree a resolution"
    return "Agree a resolution, or escalate it to the next stage"


def _managers_stage(
    spec: PolicySpec,
    state: workflow.EscalationState,
    actor: workflow.Actor,
    person_level: int | None,
) -> bool:
    """Whether the stage is the managers' and not this person's: past the first stage the
    disagreement goes to each side's managers (001 Step 2, 004 2.3-2.8); a raiser or respondent
    below their side's level there is kept informed and may still act, but the task is not
    theirs. (A raiser who is themselves at that level acts at the stage as the raiser.)"""
    if state.stage_index == 0 or person_level is None:
        return False
    if {Part.RAISER_MANAGER, Part.RESPONDENT_MANAGER} & set(actor.parts):
        return False
    stage = spec.stage(state.stage_key)
    side_level = stage.raiser_level if Part.RAISER in actor.parts else stage.respondent_level
    return person_level < side_level


def next_step(
    spec: PolicySpec,
    state: workflow.EscalationState,
    actor: workflow.Actor,
    *,
    allowed: frozenset[str],
    rationale_question: str = "",
    own_actions: tuple[tuple[int, str, date], ...] = (),
    today: date,
    person_level: int | None = None,
) -> NextStep:
    """What `actor` is asked to do on the escalation now, by when, and why not the rest."""
    part = part_of(actor)
    nation = spec.nation.value
    stage_due = None if state.is_closed else state.due_at
    tasks: list[Task] = []
    for asked in deciding.asked(spec, state):
        action = ANSWERED_BY.get(asked.what)
        if action is None or action not in allowed:
            continue
        if any(task.action == action for task in tasks):
            continue
        tasks.append(
            Task(
                what=_task_words(asked, part),
                action=action,
                due_at=asked.by,
                working_days_left=_days_left(asked.by, nation, today),
                question=rationale_question if action == "give_rationale" else "",
            )
        )
    parties = deciding.decision_maker(spec, state.stage_key) == DecisionMaker.PARTIES
    if (
        not state.is_closed
        and state.status == workflow.OPEN
        and actor.in_stage
        and parties
        and state.proposal is None
        and not _managers_stage(spec, state, actor, person_level)
    ):
        missing = workflow._missing_records(spec, state)
        action = "record_discussion" if "discussion" in missing else None
        if action is None:
            action = next(
                (name for name in ("resolve_escalation", "propose_resolution") if name in allowed),
                None,
            )
        tasks.append(
            Task(
                what=_stage_task(spec, state, part, allowed),
                action=action if action in allowed else None,
                due_at=stage_due,
                working_days_left=_days_left(stage_due, nation, today),
            )
        )
    for item_id, description, due_on in own_actions:
        due_at = calendar.end_of_day(due_on)
        tasks.append(
            Task(
                what=f"Do the action agreed: {description}",
                action="complete_action",
                due_at=due_at,
                working_days_left=_days_left(due_at, nation, today),
                item_id=item_id,
            )
        )
    not_offered: list[NotOffered] = []
    if not state.is_closed and (actor.in_stage or (actor.is_partnership_chair and not parties)):
        for name, label in STAGE_MOVES:
            if name in allowed:
                continue
            why = workflow.refusal(spec, state, actor, name)
            if why and why not in (item.why for item in not_offered):
                not_offered.append(NotOffered(label=label, why=why))
    return NextStep(
        part=part,
        tasks=tuple(tasks),
        not_offered=tuple(not_offered),
        guidance=_guidance(spec, state, part),
        stage_due_at=stage_due,
        stage_working_days_left=_days_left(stage_due, nation, today),
    )


def _guidance(spec: PolicySpec, state: workflow.EscalationState, part: str) -> tuple[Guidance, ...]:
    """The policy's guidance for this part: the respondent's, the managers' task, the stage's."""
    people = spec.people_guidance
    stage = spec.stage(state.stage_key)
    barriers = Guidance(
        title="Barriers to escalating",
        points=tuple(people.barriers),
        text=people.barriers_reminder,
    )
    if part == Part.RESPONDENT:
        found = [
            Guidance(
                title="If you're the subject of escalation",
                points=tuple(people.subject_of_escalation),
            )
        ]
        return (*found, barriers) if people.barriers else tuple(found)
    if part in (Part.RAISER_MANAGER, Part.RESPONDENT_MANAGER):
        return (Guidance(title=f"Your task at {stage.name}", text=_stage_task(spec, state, part)),)
    if part == Part.RAISER:
        found = [Guidance(title=f"About {stage.name}", text=stage.guidance)]
        return (*found, barriers) if people.barriers else tuple(found)
    if part in (Part.PARTNERSHIP_CHAIR, Part.PANEL_LEAD, Part.PANEL_MEMBER):
        text = spec.panel.guidance if spec.panel is not None and spec.panel.guidance else ""
        return (Guidance(title=f"About {stage.name}", text=text or stage.guidance),)
    return ()
