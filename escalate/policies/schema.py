"""The policy file format: one partnership's escalation policy, as validated data.

A policy file (YAML) is parsed into `PolicySpec`. Everything the escalation rules need to know
about a partnership's process comes from here: stages, timescales, who is told when, urgent
rules, the Resolution Panel rule. Validation errors name the field path and what is expected.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

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


class Stage(Strict):
    key: Key
    name: str = Field(min_length=1, max_length=120)
    summary: str = Field(min_length=1, description="One line: who does what at this stage.")
    raiser_level: int = Field(ge=1, le=4, description="Directory level acting for the raiser.")
    respondent_level: int = Field(ge=1, le=4, description="Level acting for the respondent.")
    guidance: str = Field(min_length=1)
    timescale: Timescale
    must_record: list[Record] = Field(default_factory=list)
    involves_roles: list[PartnershipRole] = Field(default_factory=list)
    allows_panel: bool = False


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


class UrgentRule(Strict):
    may_start_at: list[Key] = Field(default_factory=list)
    reason_required: bool = True
    guidance: str = Field(min_length=1)


class PanelRule(Strict):
    stage: Key
    min_agencies: int = Field(ge=2, le=20)
    must_include_disputing_agencies: bool = True
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
    access_roles: list[PartnershipRole] = Field(
        default_factory=list,
        description="Partnership roles that may see every escalation of the partnership.",
    )
    conduct_signpost: str = Field(min_length=1)
    templates: list[ExportTemplate] = Field(default_factory=list)

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
        if self.panel is not None and self.panel.stage not in known:
            raise PolicyReferenceError(
                "panel.stage", f"panel.stage names unknown stage {self.panel.stage!r}; {expected}"
            )
        return self

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
