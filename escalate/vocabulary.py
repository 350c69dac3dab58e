"""The words the apps share, defined once: partnership roles, parts on an escalation and the
sides they act for, and an escalation's statuses.

Plain Python (no Django), so the core (escalations/workflow.py), the policy schema and the
models all use the same values. Each is a `Choices`: a StrEnum whose members carry a label and
which offers `.choices`, `.values` and `.labels` as Django's TextChoices do, so a model field
takes `choices=Part.choices`.
"""

from __future__ import annotations

from enum import EnumMeta, StrEnum
from typing import Any


class _ChoicesMeta(EnumMeta):
    @property
    def choices(cls) -> list[tuple[str, str]]:
        return [(member.value, member.label) for member in cls]  # type: ignore[var-annotated]

    @property
    def values(cls) -> list[str]:
        return [member.value for member in cls]  # type: ignore[var-annotated]

    @property
    def labels(cls) -> list[str]:
        return [member.label for member in cls]  # type: ignore[var-annotated]


class Choices(StrEnum, metaclass=_ChoicesMeta):
    """A StrEnum whose members are written `NAME = "value", "Label"`."""

    _value_: str
    label: str

    def __new__(cls, value: str, label: str = "") -> Any:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label or value
        return member


class Role(Choices):
    """What a person may do beyond their own cases (directory.RoleAssignment.role)."""

    PRACTITIONER = "practitioner", "Practitioner"
    LINE_MANAGER = "line_manager", "Line manager or named safeguarding professional"
    SENIOR_MANAGER = "senior_manager", "Senior manager or designated safeguarding representative"
    DESIGNATED_SAFEGUARDING_LEAD = "dsl", "Designated safeguarding lead"
    IRO = "iro", "Independent Reviewing Officer"
    CP_CHAIR = "cp_chair", "Child protection conference chair"
    BUSINESS_MANAGER = "business_manager", "Partnership business manager"
    PARTNERSHIP_CHAIR = "partnership_chair", "Partnership chair"
    PANEL_MEMBER = "panel_member", "Resolution Panel member"
    ADMINISTRATOR = "administrator", "Administrator"
    AUDITOR = "auditor", "Auditor"


# The roles a policy may name (grant access, notify, ask to act): every role but the
# practitioner's (everyone's) and the administrator's (the application's, not the policy's).
# policies.schema.PartnershipRole must list exactly these (a test checks).
POLICY_ROLES = frozenset(Role) - {Role.PRACTITIONER, Role.ADMINISTRATOR}


class Part(Choices):
    """What a person is to one escalation (escalations.Participant.part)."""

    RAISER = "raiser", "Raised the escalation"
    RESPONDENT = "respondent", "Respondent"
    RAISER_MANAGER = "raiser_manager", "Manager for the raiser's agency"
    RESPONDENT_MANAGER = "respondent_manager", "Manager for the respondent's agency"
    IRO = "iro", "Independent Reviewing Officer"
    CP_CHAIR = "cp_chair", "Child protection conference chair"
    PARTNERSHIP_CHAIR = "partnership_chair", "Partnership chair"
    PANEL_MEMBER = "panel_member", "Resolution Panel member"
    PANEL_LEAD = "panel_lead", "Resolution Panel lead (records its decision)"
    BUSINESS_TEAM = "business_team", "Partnership business team"
    DSL = "dsl", "Designated safeguarding lead"
    ACTION_OWNER = "action_owner", "Owns an agreed action"


# The two sides of a disagreement, and the parts that act for each.
RAISER_SIDE = frozenset({Part.RAISER, Part.RAISER_MANAGER})
RESPONDENT_SIDE = frozenset({Part.RESPONDENT, Part.RESPONDENT_MANAGER})
STAGE_SIDES = RAISER_SIDE | RESPONDENT_SIDE
# Managers act only at the stage they were brought in for.
MANAGER_PARTS = (Part.RAISER_MANAGER, Part.RESPONDENT_MANAGER)


class Status(Choices):
    """An escalation's status."""

    OPEN = "open", "Open"
    PAUSED = "paused", "Paused"
    RESOLVED = "resolved", "Resolved"
    WITHDRAWN = "withdrawn", "Withdrawn"


CLOSED_STATUSES = (Status.RESOLVED, Status.WITHDRAWN)
