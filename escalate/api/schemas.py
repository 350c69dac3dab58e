"""What the API reads and writes. Shapes only: every rule is the services' and selectors' job."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from ninja import Schema
from pydantic import BeforeValidator, Field, Strict, StrictBool, StringConstraints

# PostgreSQL cannot store a NUL character, so no text field accepts one.
NO_NUL = r"^[^\x00]*$"
Reference = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{1,30}$")]
LongText = Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=10000)]
ShortText = Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=500)]
Version = Annotated[
    int,
    Strict(),
    Field(
        ge=1,
        le=2_147_483_647,
        description="The escalation's `version` you read; a stale one is refused with 409.",
    ),
]
BodyId = Annotated[int, Strict(), Field(ge=1, le=9_223_372_036_854_775_807)]


def _iso_date(value: object) -> object:
    """Only a date written YYYY-MM-DD (pydantic would also take a number of seconds)."""
    if isinstance(value, date) or (
        isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)
    ):
        return value
    raise ValueError("Enter a date as YYYY-MM-DD")


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Id = Annotated[int, Field(ge=1, le=9_223_372_036_854_775_807)]


class StatusFilter(StrEnum):
    OPEN = "open"
    PAUSED = "paused"
    RESOLVED = "resolved"
    WITHDRAWN = "withdrawn"


class ListName(StrEnum):
    ALL = "all"
    WAITING = "waiting"
    RAISED = "raised"
    AGENCY = "agency"
    TEAM = "team"
    QUEUE = "queue"


class SubjectKindIn(StrEnum):
    CHILD = "child"
    ADULT = "adult"


# --- out --------------------------------------------------------------------------------


class AgencyRef(Schema):
    id: int
    name: str


class AgencyOut(AgencyRef):
    agency_type: str
    email: str


class PersonOut(Schema):
    id: int
    full_name: str
    job_title: str


class ContactOut(Schema):
    id: int
    level: int
    service: str
    name: str
    job_title: str
    email: str
    phone: str
    person_id: int | None


class EscalationSummary(Schema):
    reference: str
    status: str
    stage_key: str
    stage_name: str
    raised_at: datetime
    stage_due_at: datetime | None
    closed_at: datetime | None
    raiser_agency: AgencyRef
    respondent_agency: AgencyRef
    subject_kind: str
    immediate_harm: bool
    categories: list[str]
    version: int
    url: str


class ActionOut(Schema):
    id: int
    escalation_reference: str
    description: str
    owner: PersonOut
    due_on: date
    created_at: datetime
    done_at: datetime | None
    done_note: str
    is_overdue: bool


class TimelineEntryOut(Schema):
    id: int
    kind: str
    stage_key: str
    occurred_at: datetime
    recorded_at: datetime
    actor: str | None
    text: str
    corrects_id: int | None


class EscalationDetail(EscalationSummary):
    raised_by: PersonOut
    respondent_name: str
    respondent_person_id: int | None
    subject_name: str
    subject_date_of_birth: date | None
    case_references: str
    cp_plan: bool
    looked_after: bool
    cp_conference: bool
    disputed: str
    risk: str
    outcome_wanted: str
    already_tried: str
    decision: str
    decided_by: str
    learning: str
    learning_themes: list[str]
    stage_number: int
    stage_count: int
    working_days_left: int | None
    is_overdue: bool
    allowed_actions: list[str]
    actions: list[ActionOut]
    timeline: list[TimelineEntryOut]


class EscalationPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[EscalationSummary]


class ActionPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[ActionOut]


class PolicyOut(Schema):
    number: int
    name: str
    loaded_at: datetime
    checksum: str
    document: dict[str, Any]


class FigureRow(Schema):
    label: str
    count: int | None = Field(description="null when between 1 and 4 (small numbers withheld)")


class FigureTable(Schema):
    key: str
    title: str
    heading: str
    rows: list[FigureRow]


class DashboardOut(Schema):
    partnership: str
    total: int | None
    open_now: int | None
    overdue_now: int | None
    resolved: int | None
    withdrawn: int | None
    resolution_count: int
    median_working_days: float | None
    p90_working_days: int | None
    small_numbers_apply: bool
    tables: list[FigureTable]


# --- in ---------------------------------------------------------------------------------


class RaiseIn(Schema):
    respondent_agency_id: BodyId
    respondent_person_id: BodyId | None = None
    respondent_name: Annotated[str, StringConstraints(pattern=NO_NUL, max_length=150)] = ""
    respondent_email: Annotated[
        str, StringConstraints(pattern=r"^$|^[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+$", max_length=254)
    ] = ""
    subject_kind: SubjectKindIn = SubjectKindIn.CHILD
    subject_name: Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=150)]
    subject_date_of_birth: IsoDate | None = None
    case_references: Annotated[str, StringConstraints(pattern=NO_NUL, max_length=300)] = ""
    cp_plan: StrictBool = False
    looked_after: StrictBool = False
    cp_conference: StrictBool = False
    immediate_harm: StrictBool = False
    urgent_guidance_shown: StrictBool = Field(
        False, description="Must be true with immediate_harm: you have read the emergency guidance"
    )
    protective_actions: Annotated[
        list[Annotated[str, StringConstraints(pattern=NO_NUL, max_length=40)]],
        Field(
            max_length=10,
            description="With immediate_harm: what was already done to protect them, one or "
            "more of emergency_services, front_door, dsl_told, senior_manager, other",
        ),
    ] = []
    protective_action: Annotated[
        str,
        StringConstraints(pattern=NO_NUL, max_length=5000),
        Field(description="With immediate_harm: what you did to protect them, and why"),
    ] = ""
    start_stage_key: Annotated[str, StringConstraints(pattern=NO_NUL, max_length=40)] = ""
    later_stage_reason: Annotated[str, StringConstraints(pattern=NO_NUL, max_length=5000)] = ""
    categories: Annotated[
        list[Annotated[str, StringConstraints(pattern=NO_NUL, max_length=40)]], Field(max_length=20)
    ] = []
    disputed: LongText
    risk: LongText
    outcome_wanted: LongText
    already_tried: Annotated[str, StringConstraints(pattern=NO_NUL, max_length=10000)] = ""


class ExportReasonIn(Schema):
    reason: Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=500)] = Field(
        description="Why you need this copy of the record; written to the audit trail."
    )


class ActionIn(Schema):
    owner_id: BodyId
    description: Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=1000)]
    due_on: IsoDate


class EscalationFilters(Schema):
    view: ListName = Field(
        ListName.ALL,
        description="Which list: all you may see, waiting for you, raised by you, your "
        "agency's, your team's, your manager's queue",
    )
    status: StatusFilter | None = None
    stage: Annotated[str, StringConstraints(pattern=NO_NUL, max_length=40)] | None = None
    raised_from: IsoDate | None = None
    raised_to: IsoDate | None = None
    page: Annotated[int, Field(ge=1, le=100_000)] = 1
    page_size: Annotated[int, Field(ge=1, le=100)] = 25


class PageIn(Schema):
    page: Annotated[int, Field(ge=1, le=100_000)] = 1
    page_size: Annotated[int, Field(ge=1, le=100)] = 25


class DashboardFilters(Schema):
    date_from: IsoDate | None = None
    date_to: IsoDate | None = None
    agency: Id | None = None
    category: Annotated[str, StringConstraints(pattern=NO_NUL, max_length=40)] | None = None
    stage: Annotated[str, StringConstraints(pattern=NO_NUL, max_length=40)] | None = None
