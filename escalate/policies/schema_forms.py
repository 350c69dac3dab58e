"""The parts of a policy file about documents: the forms it names and the 7-minute briefing.

Kept apart from schema.py's stage rules. A form is declared with what it is for (from the
policy's own words), when it becomes available, and who may download it; its fields are the
shipped Word template's placeholders (escalate/reports/forms/).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class FormKind(StrEnum):
    AGENCY_REPORT = "agency_report"  # Pan Berkshire 002, "Agency Report Template"
    PROFESSIONALS_ESCALATION_REPORT = "professionals_escalation_report"  # Pan Berkshire 002
    ESCALATION_FORM = "escalation_form"  # West Sussex 003, "Escalation Form Template"
    BOARD_CHAIR_DETAILS = "board_chair_details"  # Havering 004 §2.11


class FormReader(StrEnum):
    """Who may download a form (always also someone who may see the escalation)."""

    VIEWERS = "viewers"  # anyone who may see the escalation
    RAISER_SIDE = "raiser_side"  # the raiser and the managers on the raiser's side
    RESPONDENT_SIDE = "respondent_side"
    PARTNERSHIP_CHAIR = "partnership_chair"
    BUSINESS_MANAGER = "business_manager"


class PolicyForm(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: FormKind
    title: str = Field(min_length=1, max_length=120)
    purpose: str = Field(min_length=1, description="What the policy says the form is for.")
    available_at: str = Field(
        default="raised",
        description='"raised" (from the start), "closed" (once resolved or withdrawn), or a '
        "stage key: from when the escalation reaches that stage.",
    )
    may_download: list[FormReader] = Field(default_factory=lambda: [FormReader.VIEWERS])
    for_chair: bool = Field(
        default=False,
        description="Shown to the partnership chair on the escalation page once available.",
    )


DEFAULT_WHAT_YOU_SHOULD_DO = (
    "Talk to the other professional first, by phone or in person, as soon as you disagree.",
    "Record every discussion and decision, and what it means for the child or adult.",
    "If it is not resolved in time, escalate to your line manager: do not let it drift.",
    "If a child or adult is in immediate danger, call 999; do not wait for the process.",
)


class Briefing(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    what_you_should_do: list[str] = Field(
        default_factory=lambda: list(DEFAULT_WHAT_YOU_SHOULD_DO), min_length=1, max_length=8
    )


# A practitioner guide to escalation (seed 001), "If You're the Subject of Escalation".
DEFAULT_SUBJECT_OF_ESCALATION = (
    "Treat it professionally, not personally.",
    "Listen to the concerns raised.",
    "Explain your rationale clearly.",
    "Be open to reconsidering if new information emerges.",
    "Involve your manager as appropriate.",
)
# Seed 001, "Barriers to Escalation" and its "Remember" line.
DEFAULT_BARRIERS = (
    "Not wanting to damage relationships",
    "Fear of being seen as difficult",
    "Uncertainty about being right",
    "Not knowing the process",
    'Pressure to "get on with" other work',
    "Culture of not challenging",
)
DEFAULT_BARRIERS_REMINDER = "Your duty to the child or adult at risk outweighs these concerns."


class PeopleGuidance(BaseModel):
    """Guidance shown to one part of an escalation in "What you need to do" (issue 16)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    subject_of_escalation: list[str] = Field(
        default_factory=lambda: list(DEFAULT_SUBJECT_OF_ESCALATION),
        min_length=1,
        max_length=10,
        description="For the respondent: how to respond when your decision is escalated.",
    )
    barriers: list[str] = Field(
        default_factory=lambda: list(DEFAULT_BARRIERS),
        max_length=10,
        description="The barriers to escalating, shown to both sides.",
    )
    barriers_reminder: str = DEFAULT_BARRIERS_REMINDER
