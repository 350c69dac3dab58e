"""The policy file format: one partnership's escalation policy, as validated data.

A policy file (YAML) is parsed into `PolicySpec`. Everything the escalation rules need to know
about a partnership's process comes from here: stages, timescales, who is told when, urgent
rules, the Resolution Panel rule. Validation errors name the field path and what is expected.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from escalate.policies.schema_forms import Briefing, PeopleGuidance, PolicyForm

Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", min_length=1, max_length=40)]


class PolicyReferenceError(ValueError):
    """A rule names something the policy does not define; `path` says where (e.g. `panel.stage`)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Covers(StrEnum):
    CHILDREN = "children"
    ADULTS = "adults"
    BOTH = "both"


class Nation(StrEnum):
    ENGLAND = "england"
    WALES = "wales"
    SCOTLAND = "scotland"
    NORTHERN_IRELAND = "northern_ireland"


class PartnershipRole(StrEnum):
    """Roles a policy can grant access to, notify, or ask to act (mirrors directory.Role)."""

    LINE_MANAGER = "line_manager"
    SENIOR_MANAGER = "senior_manager"
    DSL = "dsl"
    IRO = "iro"
    CP_CHAIR = "cp_chair"
    BUSINESS_MANAGER = "business_manager"
    PARTNERSHIP_CHAIR = "partnership_chair"
    PANEL_MEMBER = "panel_member"
    AUDITOR = "auditor"


class Record(StrEnum):
    """What must be on the record before an escalation leaves a stage."""

    DISCUSSION = "discussion"
    RATIONALE = "rationale"
    OUTCOME = "outcome"
    PANEL_DECISION = "panel_decision"


class Event(StrEnum):
    RAISED = "raised"
    STAGE_ENTERED = "stage_entered"
    RATIONALE_REQUESTED = "rationale_requested"
    RATIONALE_GIVEN = "rationale_given"
    DISCUSSION_RECORDED = "discussion_recorded"
    PAUSED = "paused"
    RESUMED = "resumed"
    REMINDER = "reminder"
    OVERDUE = "overdue"
    RESOLVED = "resolved"
    WITHDRAWN = "withdrawn"
    PANEL_CONVENED = "panel_convened"
    PANEL_DECIDED = "panel_decided"
    ACTION_ASSIGNED = "action_assigned"
    ACTION_OVERDUE = "action_overdue"
    # Who decides (issue 15): where a policy names no recipients, the people asked are told.
    RESOLUTION_PROPOSED = "resolution_proposed"
    RESOLUTION_DECLINED = "resolution_declined"
    RESOLUTION_UNANSWERED = "resolution_unanswered"
    RATIONALE_LAPSED = "rationale_lapsed"
    TIMESCALE_CHANGED = "timescale_changed"
    TIER_UP = "tier_up"  # the next tier of management within a stage (Havering 004 2.8)


class Condition(StrEnum):
    """Facts about the escalation a notification rule can depend on (any one suffices)."""

    CP_PLAN = "cp_plan"
    LOOKED_AFTER = "looked_after"
    CP_CONFERENCE = "cp_conference"
    IMMEDIATE_HARM = "immediate_harm"
    CHILD = "child"
    ADULT = "adult"


class Recipient(StrEnum):
    """Who a notification rule reaches. Roles are resolved within the partnership."""

    RAISER = "raiser"
    RESPONDENT = "respondent"
    STAGE_PARTICIPANTS = "stage_participants"  # both sides' people at the current stage
    COUNTERPART_MANAGERS = "counterpart_managers"  # managers at the stage level, from the directory
    BUSINESS_TEAM = "business_team"  # the partnership's business team mailbox
    IRO = "iro"
    CP_CHAIR = "cp_chair"
    PARTNERSHIP_CHAIR = "partnership_chair"
    PANEL_MEMBERS = "panel_members"
    DSL = "dsl"  # immediate harm: the raiser's agency's DSL, its safeguarding contact, the unit
    ACTION_OWNER = "action_owner"  # the owner of the action the event is about, and nobody else


class Timescale(Strict):
    """How long a stage has: whole working days, or clock hours (e.g. 48 hours)."""

    working_days: int | None = Field(default=None, ge=0, le=60)
    hours: int | None = Field(default=None, gt=0, le=24 * 30)
    is_default: bool = Field(
        default=False,
        description="True where the source document is silent and the London CP Procedures "
        "guide of one working week is used instead.",
    )
    note: str = ""

    @model_validator(mode="after")
    def exactly_one_unit(self) -> Timescale:
        if (self.working_days is None) == (self.hours is None):
            raise ValueError("give exactly one of working_days or hours")
        return self


class DecisionMaker(StrEnum):
    """Who ends a stage with a decision.

    `parties`: the people who disagree agree it: one side proposes a resolution and it takes
    effect when the other side accepts it (the side being challenged never closes it alone).
    `partnership_chair`: only the partnership chair records the decision (or, where the stage
    allows a panel, the Resolution Panel the chair convenes); it is final.
    """

    PARTIES = "parties"
    PARTNERSHIP_CHAIR = "partnership_chair"


class StageEntryRecord(StrEnum):
    """What must be on the record before an escalation may enter a stage."""

    BOARD_ENGAGEMENT = "board_engagement"  # which Board members of each agency were engaged


class Stage(Strict):
    key: Key
    name: str = Field(min_length=1, max_length=120)
    summary: str = Field(min_length=1, description="One line: who does what at this stage.")
    raiser_level: int = Field(ge=1, le=4, description="Directory level acting for the raiser.")
    respondent_level: int = Field(ge=1, le=4, description="Level acting for the respondent.")
    guidance: str = Field(min_length=1)
    manager_task: str = Field(
        default="",
        description="What the managers brought in at this stage are asked to do, for their "
        '"What you need to do" (empty: the stage\'s summary).',
    )
    timescale: Timescale
    must_record: list[Record] = Field(default_factory=list)
    involves_roles: list[PartnershipRole] = Field(default_factory=list)
    allows_panel: bool = False
    decision_maker: DecisionMaker = Field(
        default=DecisionMaker.PARTIES,
        description="Who ends this stage with a decision: the parties by agreement, or a named "
        "decision-maker whose decision is final.",
    )
    tiers: int = Field(
        default=1,
        ge=1,
        le=6,
        description="Tiers of management each side may move up within this stage before it "
        "goes to the next stage (1: one tier).",
    )
    rationale_due_working_days: int | None = Field(
        default=None,
        ge=0,
        le=60,
        description="Working days the other side has to answer a rationale request; empty: "
        "the stage's own timescale.",
    )
    urgent_timescale: Timescale | None = Field(
        default=None,
        description="The shorter timescale used when immediate harm is recorded (hours, or "
        "working_days: 0 for the same working day); empty: the ordinary timescale.",
    )
    entry_requires: list[StageEntryRecord] = Field(
        default_factory=list,
        description="What must be recorded before an escalation may enter this stage.",
    )


def _timescale_hours(timescale: Timescale) -> int:
    """A timescale in hours, for comparing two timescales (a working day counted as 24 hours)."""
    if timescale.hours is not None:
        return timescale.hours
    return max(timescale.working_days or 0, 1) * 24


class Category(Strict):
    key: Key
    name: str = Field(min_length=1)
    description: str = ""


class NotificationRule(Strict):
    on: Event
    stages: list[Key] = Field(default_factory=list, description="Empty: every stage.")
    when_any: list[Condition] = Field(default_factory=list, description="Empty: always.")
    notify: list[Recipient] = Field(min_length=1)
    note: str = ""


class ProtectiveActionChoice(Strict):
    """One thing a person raising about immediate harm may already have done to protect them."""

    key: Key
    label: str = Field(min_length=1, max_length=200)


# The shipped default (guide 001, "Urgent Situations": "Take immediate action to protect", "Go
# directly to senior managers if needed", "Use emergency services if appropriate", "Document
# your actions and rationale"; Havering 004 1.5: the designated safeguarding lead "should be
# informed immediately"). A policy may name its own, for example its front door's name.
DEFAULT_PROTECTIVE_ACTIONS: tuple[tuple[str, str], ...] = (
    ("emergency_services", "Called 999 (police or ambulance)"),
    ("front_door", "Made a referral to the front door (children's or adults' services)"),
    ("dsl_told", "Told our designated safeguarding lead"),
    ("senior_manager", "Went straight to a senior manager"),
    ("other", "Something else"),
)


def _default_protective_actions() -> list[ProtectiveActionChoice]:
    return [ProtectiveActionChoice(key=k, label=v) for k, v in DEFAULT_PROTECTIVE_ACTIONS]


class UrgentRule(Strict):
    may_start_at: list[Key] = Field(default_factory=list)
    reason_required: bool = True
    guidance: str = Field(min_length=1)
    # What the raiser is asked they have already done, on the immediate-harm page.
    protective_actions: list[ProtectiveActionChoice] = Field(
        default_factory=_default_protective_actions, min_length=1, max_length=20
    )

    @model_validator(mode="after")
    def _protective_keys_unique(self) -> UrgentRule:
        keys = [choice.key for choice in self.protective_actions]
        if len(keys) != len(set(keys)):
            raise ValueError("urgent.protective_actions has the same key twice")
        return self

    @property
    def protective_action_choices(self) -> list[tuple[str, str]]:
        return [(choice.key, choice.label) for choice in self.protective_actions]


class WhenUnanswered(StrEnum):
    """What happens when a proposed resolution is not answered within its window."""

    ACCEPTED = "accepted"
    RAISER_MANAGER = "raiser_manager"  # it goes to the raiser's manager to answer


class ProposalRule(Strict):
    """Proposed resolutions at stages the parties decide."""

    answer_within_working_days: int = Field(default=2, ge=0, le=30)
    when_unanswered: WhenUnanswered = WhenUnanswered.RAISER_MANAGER
    note: str = ""


class ReopenTo(StrEnum):
    CLOSING_STAGE = "closing_stage"
    NEXT_STAGE = "next_stage"


class ReopenRule(Strict):
    """Reopening a resolved escalation (an agreed action overdue, or the concern recurring)."""

    within_working_days: int = Field(default=20, ge=0, le=260)
    returns_to: ReopenTo = ReopenTo.CLOSING_STAGE
    note: str = ""


class TimescaleSetter(StrEnum):
    STAGE_MANAGERS = "stage_managers"  # a manager at the current stage, on either side
    PARTNERSHIP_CHAIR = "partnership_chair"


class TimescaleChangeRule(Strict):
    """Who may shorten (or set) the current stage's due date, with a reason, and how far."""

    by: list[TimescaleSetter] = Field(default_factory=lambda: [TimescaleSetter.STAGE_MANAGERS])
    may_shorten: bool = True
    may_set_at: list[Key] = Field(
        default_factory=list,
        description="Stages where the people in `by` may set a later due date, up to the maximum.",
    )
    maximum_working_days: int = Field(default=10, ge=0, le=60)
    may_exceed_maximum: bool = False
    note: str = ""


class PauseRule(Strict):
    """Pausing a stage: always with a reason and a review date."""

    review_within_working_days: int = Field(default=10, ge=1, le=60)
    urgent_needs_raiser_manager_agreement: bool = True
    note: str = ""


class PublishingRule(Strict):
    """How a new version of the policy is published (issue 18)."""

    requires_chair_approval: bool = Field(
        default=False,
        description="The business unit's Publish only asks the partnership chair, who approves "
        "(publishes) or declines the new version with a reason.",
    )


class PanelRule(Strict):
    stage: Key
    min_agencies: int = Field(ge=2, le=20)
    must_include_disputing_agencies: bool = True
    candidates_board_senior_officers: bool = Field(
        default=True,
        description="Candidates are the senior officers of the Board's member agencies.",
    )
    guidance: str = ""


class TemplateKind(StrEnum):
    ESCALATION_FORM = "escalation_form"
    AGENCY_REPORT = "agency_report"
    PROFESSIONALS_ESCALATION_REPORT = "professionals_escalation_report"
    SEVEN_MINUTE_BRIEFING = "seven_minute_briefing"


class ExportTemplate(Strict):
    kind: TemplateKind
    title: str = Field(min_length=1)


class PolicySpec(Strict):
    schema_version: Literal[1] = 1
    name: str = Field(min_length=1)
    short_name: str = Field(min_length=1, max_length=60)
    source: str = Field(min_length=1, description="The document this policy is taken from.")
    covers: Covers
    nation: Nation
    reminder_working_days_before: int = Field(default=1, ge=0, le=10)
    stages: list[Stage] = Field(min_length=1)
    categories: list[Category] = Field(min_length=1)
    notifications: list[NotificationRule] = Field(default_factory=list)
    urgent: UrgentRule
    panel: PanelRule | None = None
    proposals: ProposalRule = Field(default_factory=ProposalRule)
    reopen: ReopenRule = Field(default_factory=ReopenRule)
    timescale_changes: TimescaleChangeRule = Field(default_factory=TimescaleChangeRule)
    pause: PauseRule = Field(default_factory=PauseRule)
    access_roles: list[PartnershipRole] = Field(
        default_factory=list,
        description="Partnership roles that may see every escalation of the partnership.",
    )
    conduct_signpost: str = Field(min_length=1)
    templates: list[ExportTemplate] = Field(default_factory=list)
    # The forms the policy names and the briefing's advice (policies/schema_forms.py).
    forms: list[PolicyForm] = Field(default_factory=list)
    briefing: Briefing = Field(default_factory=Briefing)
    people_guidance: PeopleGuidance = Field(default_factory=PeopleGuidance)
    publishing: PublishingRule = Field(default_factory=PublishingRule)

    @model_validator(mode="before")
    @classmethod
    def panel_stages_default_to_the_chair(cls, data: Any) -> Any:
        """A panel stage that names no decision-maker is the chair's (versions stored before
        `decision_maker` existed keep loading as they were meant)."""
        if not isinstance(data, dict) or not isinstance(data.get("stages"), list):
            return data
        panel = data.get("panel")
        panel_stage = panel.get("stage") if isinstance(panel, dict) else None
        stages = []
        for stage in data["stages"]:
            if (
                isinstance(stage, dict)
                and "decision_maker" not in stage
                and (stage.get("allows_panel") is True or stage.get("key") == panel_stage)
            ):
                stage = {**stage, "decision_maker": DecisionMaker.PARTNERSHIP_CHAIR.value}
            stages.append(stage)
        return {**data, "stages": stages}

    @model_validator(mode="after")
    def references_are_known(self) -> PolicySpec:
        keys = [stage.key for stage in self.stages]
        for index, key in enumerate(keys):
            if key in keys[:index]:
                raise PolicyReferenceError(
                    f"stages[{index}].key",
                    f"stage keys must be unique; repeated: {key} "
                    f"(also stages[{keys.index(key)}].key); expected a key no other stage has",
                )
        category_keys = [category.key for category in self.categories]
        for index, key in enumerate(category_keys):
            if key in category_keys[:index]:
                raise PolicyReferenceError(
                    f"categories[{index}].key",
                    f"category keys must be unique; repeated: {key}; "
                    "expected a key no other category has",
                )
        known = set(keys)
        expected = f"expected one of {', '.join(keys)}"
        for index, rule in enumerate(self.notifications):
            for position, key in enumerate(rule.stages):
                if key not in known:
                    raise PolicyReferenceError(
                        f"notifications[{index}].stages[{position}]",
                        f"notifications[{index}].stages names unknown stage {key!r}; {expected}",
                    )
        for position, key in enumerate(self.urgent.may_start_at):
            if key not in known:
                raise PolicyReferenceError(
                    f"urgent.may_start_at[{position}]",
                    f"urgent.may_start_at names unknown stage {key!r}; {expected}",
                )
        for index, form in enumerate(self.forms):
            if form.available_at not in known | {"raised", "closed"}:
                raise PolicyReferenceError(
                    f"forms[{index}].available_at",
                    f"forms[{index}].available_at names unknown stage {form.available_at!r}; "
                    f"expected raised, closed or one of {', '.join(keys)}",
                )
        if self.panel is not None and self.panel.stage not in known:
            raise PolicyReferenceError(
                "panel.stage", f"panel.stage names unknown stage {self.panel.stage!r}; {expected}"
            )
        for position, key in enumerate(self.timescale_changes.may_set_at):
            if key not in known:
                raise PolicyReferenceError(
                    f"timescale_changes.may_set_at[{position}]",
                    f"timescale_changes.may_set_at names unknown stage {key!r}; {expected}",
                )
        self._check_decisions()
        return self

    def _check_decisions(self) -> None:
        for index, stage in enumerate(self.stages):
            is_panel_stage = stage.allows_panel or (
                self.panel is not None and self.panel.stage == stage.key
            )
            if is_panel_stage and stage.decision_maker == DecisionMaker.PARTIES:
                raise PolicyReferenceError(
                    f"stages[{index}].decision_maker",
                    "a stage with a Resolution Panel is decided by the partnership chair (who "
                    "convenes the panel); expected decision_maker: partnership_chair",
                )
            if index == 0 and stage.entry_requires:
                raise PolicyReferenceError(
                    f"stages[{index}].entry_requires",
                    "the first stage is entered when the escalation is raised, so nothing can be "
                    "recorded before it; expected entry_requires on a later stage",
                )
            urgent = stage.urgent_timescale
            if urgent is not None and _timescale_hours(urgent) > _timescale_hours(stage.timescale):
                raise PolicyReferenceError(
                    f"stages[{index}].urgent_timescale",
                    "the urgent timescale is longer than the stage's timescale; expected a "
                    "timescale no longer than the ordinary one",
                )

    def decision_maker_of(self, key: str) -> DecisionMaker:
        return self.stage(key).decision_maker

    def stage(self, key: str) -> Stage:
        for stage in self.stages:
            if stage.key == key:
                return stage
        raise KeyError(key)

    def stage_index(self, key: str) -> int:
        return [stage.key for stage in self.stages].index(key)

    def next_stage(self, key: str) -> Stage | None:
        index = self.stage_index(key)
        return self.stages[index + 1] if index + 1 < len(self.stages) else None
