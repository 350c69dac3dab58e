"""Plain-English words for the policy format's keys, as practitioners read them."""

from __future__ import annotations

from escalate.policies.schema import (
    Condition,
    Event,
    PartnershipRole,
    Recipient,
    Record,
    Stage,
    TemplateKind,
    Timescale,
)

LEVELS = {
    1: "practitioner",
    2: "line manager or named safeguarding professional",
    3: "senior manager or designated safeguarding representative",
    4: "director, strategic lead or partnership chair",
}

RECORDS = {
    Record.DISCUSSION: "the discussion: who, when, what was said",
    Record.RATIONALE: "the other agency's rationale for its decision, in writing",
    Record.OUTCOME: "the outcome: what was decided, and what happens next",
    Record.PANEL_DECISION: "the Resolution Panel's decision",
}

ROLES = {
    PartnershipRole.LINE_MANAGER: "line managers",
    PartnershipRole.SENIOR_MANAGER: "senior managers",
    PartnershipRole.DSL: "designated safeguarding leads",
    PartnershipRole.IRO: "the Independent Reviewing Officer (IRO)",
    PartnershipRole.CP_CHAIR: "the child protection conference chair",
    PartnershipRole.BUSINESS_MANAGER: "the partnership business manager",
    PartnershipRole.PARTNERSHIP_CHAIR: "the partnership chair",
    PartnershipRole.PANEL_MEMBER: "Resolution Panel members",
    PartnershipRole.AUDITOR: "auditors",
}

RECIPIENTS = {
    Recipient.RAISER: "the person who raised it",
    Recipient.RESPONDENT: "the professional whose decision is challenged",
    Recipient.STAGE_PARTICIPANTS: "everyone involved at this stage",
    Recipient.COUNTERPART_MANAGERS: "the managers on both sides",
    Recipient.BUSINESS_TEAM: "the partnership's business team",
    Recipient.IRO: "the Independent Reviewing Officer (IRO)",
    Recipient.CP_CHAIR: "the child protection conference chair",
    Recipient.PARTNERSHIP_CHAIR: "the partnership chair",
    Recipient.PANEL_MEMBERS: "the Resolution Panel members",
    Recipient.DSL: "the raiser's designated safeguarding lead",
    Recipient.ACTION_OWNER: "the action's owner",
}

CONDITIONS = {
    Condition.CP_PLAN: "the child has a Child Protection Plan",
    Condition.LOOKED_AFTER: "the child is Looked After",
    Condition.CP_CONFERENCE: "it concerns a child protection conference",
    Condition.IMMEDIATE_HARM: "there is a risk of immediate harm",
    Condition.CHILD: "it concerns a child",
    Condition.ADULT: "it concerns an adult",
}

EVENTS = {
    Event.RAISED: "an escalation is raised",
    Event.STAGE_ENTERED: "it reaches this stage",
    Event.RATIONALE_REQUESTED: "a rationale is asked for",
    Event.RATIONALE_GIVEN: "a rationale is given",
    Event.DISCUSSION_RECORDED: "a discussion is recorded",
    Event.PAUSED: "it is paused",
    Event.RESUMED: "it resumes",
    Event.REMINDER: "a deadline is near",
    Event.OVERDUE: "a deadline passes",
    Event.RESOLVED: "it is resolved",
    Event.WITHDRAWN: "it is withdrawn",
    Event.PANEL_CONVENED: "a Resolution Panel is convened",
    Event.PANEL_DECIDED: "the Resolution Panel decides",
    Event.ACTION_ASSIGNED: "an action is assigned",
    Event.ACTION_OVERDUE: "an action is overdue",
}

TEMPLATES = {
    TemplateKind.ESCALATION_FORM: "Escalation form",
    TemplateKind.AGENCY_REPORT: "Agency report",
    TemplateKind.PROFESSIONALS_ESCALATION_REPORT: "Professionals escalation report",
    TemplateKind.SEVEN_MINUTE_BRIEFING: "7 minute briefing",
}


def timescale_text(timescale: Timescale) -> str:
    """'5 working days', 'the same working day', '48 hours'."""
    if timescale.hours is not None:
        return f"{timescale.hours} hours" if timescale.hours != 1 else "1 hour"
    if timescale.working_days == 0:
        return "the same working day"
    if timescale.working_days == 1:
        return "1 working day"
    return f"{timescale.working_days} working days"


def who_text(stage: Stage) -> str:
    if stage.raiser_level == stage.respondent_level:
        return f"The {LEVELS[stage.raiser_level]} on each side"
    return (
        f"Your side: {LEVELS[stage.raiser_level]}. "
        f"The other agency: {LEVELS[stage.respondent_level]}"
    )


def join_words(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]
