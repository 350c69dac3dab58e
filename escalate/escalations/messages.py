"""What notifications say: every subject and body Escalate writes, in one place.

Nothing about the child or adult is ever put in a message: only the escalation's reference,
the stage, dates and a link (delivery.py checks again before sending). Each function returns
`Message(subject, body, key, personalisation)`; the words for an event sit in `EVENT_WORDS`.

Each message has a template key (`raised.respondent`, `stage_overdue`): the GOV.UK Notify
template for it is `NOTIFY_TEMPLATE_IDS[key]` (settings). Its personalisation holds the words
that change; the plain email is the same template filled with them (`fill`), so both say the same.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import NamedTuple

from django.conf import settings
from django.urls import reverse

from escalate.policies.calendar import govuk_date, govuk_date_time
from escalate.policies.schema import Event
from escalate.vocabulary import Part


class Message(NamedTuple):
    subject: str
    body: str
    # The Notify template key (NOTIFY_TEMPLATE_IDS) and the words its ((placeholders)) take.
    key: str = ""
    personalisation: Mapping[str, str] = {}


PLACEHOLDER = re.compile(r"\(\(([a-z_]+)\)\)")
# Every template's subject is one placeholder: the whole subject is personalised.
SUBJECT_TEMPLATE = "((subject))"


def placeholders(template: str) -> list[str]:
    return PLACEHOLDER.findall(template)


def fill(template: str, fields: Mapping[str, str]) -> str:
    """A Notify template's text with its ((placeholders)) filled in, as Notify would."""
    return PLACEHOLDER.sub(lambda match: fields[match.group(1)], template)


def templated(key: str, body_template: str, *, subject: str, **fields: str) -> Message:
    """The message of template `key`: its plain email is `body_template` filled with `fields`."""
    personalisation = {"subject": subject, **fields}
    return Message(subject, fill(body_template, personalisation), key, personalisation)


EVENT_WORDS = {
    Event.RAISED: "A new escalation has been raised",
    Event.STAGE_ENTERED: "An escalation has reached a new stage",
    Event.RATIONALE_REQUESTED: "A rationale has been asked for",
    Event.RATIONALE_GIVEN: "A rationale has been given",
    Event.DISCUSSION_RECORDED: "A discussion has been recorded",
    Event.PAUSED: "An escalation has been paused",
    Event.RESUMED: "An escalation has been resumed",
    Event.REMINDER: "An escalation stage is nearly due",
    Event.OVERDUE: "An escalation stage is overdue",
    Event.RESOLVED: "An escalation has been resolved",
    Event.WITHDRAWN: "An escalation has been withdrawn",
    Event.PANEL_CONVENED: "A Resolution Panel has been convened",
    Event.PANEL_DECIDED: "A Resolution Panel has made its decision",
    Event.ACTION_ASSIGNED: "An action has been given to you",
    Event.ACTION_OVERDUE: "An action is overdue",
    Event.RESOLUTION_PROPOSED: "A resolution has been proposed: accept it or decline it",
    Event.RESOLUTION_DECLINED: "A proposed resolution has been declined",
    Event.RESOLUTION_UNANSWERED: "A proposed resolution was not answered in time",
    Event.RATIONALE_LAPSED: "No rationale was given in time: the raiser may now escalate",
    Event.TIMESCALE_CHANGED: "The due date of an escalation stage has changed",
    Event.TIER_UP: "An escalation has gone to the next tier of management",
}
UPDATED = "An escalation has been updated"
SIGN_IN = "Sign in to Escalate to see the details and what to do next:"
NO_CASE_DETAILS = (
    "This message does not contain case details. Do not reply to it with case details."
)


# Havering 004 §3.1: decisions are "shared with relevant personnel, to include the worker who
# raised the initial concern". When a stage ends or the escalation is decided, the notice points
# to the record for the child's file; the record lists these notices under "Who was told".
RECORD_EVENTS = frozenset(
    {Event.STAGE_ENTERED, Event.RESOLVED, Event.WITHDRAWN, Event.PANEL_DECIDED}
)
RECORD_SHARED = (
    "The record of what was discussed and decided, for the child's file, is on the "
    "escalation's page:"
)


def escalation_link(path: str) -> str:
    """The full address of a page of the site (`path` from get_absolute_url)."""
    return f"{settings.SITE_URL}{path}"


def long_date(moment: date) -> str:
    """GOV.UK style: 5 January 2027."""
    return govuk_date(moment)


# What each event asks of each person told (issue 16: "what it asks of *this* person"). A part
# not listed for an event is told for information. Words follow the guide (001) and Havering
# (004): the sides resolve together or escalate; decisions are shared with the raiser (§3.1).
FOR_INFORMATION = "You do not need to do anything: this is for your information."
_RESOLVE_OR_ESCALATE = (
    "Talk to your counterpart in the other agency and agree a resolution, or escalate it, "
    "by the due date."
)
_CHECK_RECORD = (
    "Check that the record on the escalation page is right (add a correction if it is not), "
    "then agree a resolution or escalate it."
)
ASKS: dict[str, dict[str, str]] = {
    Event.RAISED: {
        Part.RAISER: (
            "You raised it. Talk to the professional involved and record the discussion on the "
            "escalation page by the due date."
        ),
        Part.RESPONDENT: (
            "It is about a decision or action of yours. Read the concern, talk to the person who "
            "raised it and record the discussion by the due date. If you are asked for your "
            "rationale, give it on the escalation page."
        ),
        Part.RESPONDENT_MANAGER: (
            "It is about a decision or action of your agency. Read the concern and talk to the "
            "person who raised it by the due date."
        ),
        Part.DSL: (
            "You are told as your agency's safeguarding lead. Check today that protective "
            "action has been taken, and add what was done to the escalation page."
        ),
        Part.IRO: "You may add your view on the escalation page.",
        Part.CP_CHAIR: "You may add your view on the escalation page.",
    },
    Event.STAGE_ENTERED: {
        Part.RAISER: (
            "Your escalation has moved to this stage. The people named for it now lead; you "
            "will be told of the outcome."
        ),
        Part.RESPONDENT: (
            "The disagreement about your decision has moved to this stage. The people named for "
            "it now lead; you will be told of the outcome."
        ),
        Part.RAISER_MANAGER: f"It has come to you at this stage. {_RESOLVE_OR_ESCALATE}",
        Part.RESPONDENT_MANAGER: f"It has come to you at this stage. {_RESOLVE_OR_ESCALATE}",
        Part.PARTNERSHIP_CHAIR: (
            "It has been referred to you. Resolve it with the senior managers, or convene a "
            "Resolution Panel, by the due date."
        ),
    },
    Event.RATIONALE_REQUESTED: {
        Part.RESPONDENT: (
            "You have been asked to explain the rationale for the decision. The question is on "
            "the escalation page: answer it there by the due date. If no rationale is given by "
            "then, the raiser may escalate."
        ),
        Part.RESPONDENT_MANAGER: (
            "Your agency has been asked to explain the rationale for the decision. The question "
            "is on the escalation page: answer it there by the due date."
        ),
    },
    Event.RATIONALE_GIVEN: {
        Part.RAISER: (
            "Read the rationale on the escalation page. Agree a resolution, or escalate it if "
            "you are still worried."
        ),
        Part.RAISER_MANAGER: (
            "Read the rationale on the escalation page. Agree a resolution, or escalate it if "
            "you are still worried."
        ),
    },
    Event.DISCUSSION_RECORDED: {
        Part.RAISER: _CHECK_RECORD,
        Part.RESPONDENT: _CHECK_RECORD,
        Part.RAISER_MANAGER: _CHECK_RECORD,
        Part.RESPONDENT_MANAGER: _CHECK_RECORD,
    },
    Event.PAUSED: {
        part: "Nothing falls due while it is paused. It will be looked at again on its review date."
        for part in (Part.RAISER, Part.RESPONDENT, Part.RAISER_MANAGER, Part.RESPONDENT_MANAGER)
    },
    Event.RESUMED: {
        part: f"The stage's time runs again. {_RESOLVE_OR_ESCALATE}"
        for part in (Part.RAISER, Part.RESPONDENT, Part.RAISER_MANAGER, Part.RESPONDENT_MANAGER)
    },
    Event.REMINDER: {
        part: f"The stage is nearly due. {_RESOLVE_OR_ESCALATE}"
        for part in (Part.RAISER, Part.RESPONDENT, Part.RAISER_MANAGER, Part.RESPONDENT_MANAGER)
    },
    Event.OVERDUE: {
        **{
            part: "The time for this stage has passed. Agree a resolution today or escalate it."
            for part in (Part.RAISER, Part.RESPONDENT, Part.RAISER_MANAGER, Part.RESPONDENT_MANAGER)
        },
        Part.BUSINESS_TEAM: "Check that the people at this stage are acting on it.",
    },
    Event.RESOLVED: {
        Part.RAISER: (
            "Check that the outcome and the agreed actions are what was agreed. If the agreed "
            "actions are not done, or the concern comes back, you may reopen it."
        ),
    },
    Event.PANEL_CONVENED: {
        Part.PANEL_MEMBER: (
            "You have been asked to sit on the Resolution Panel. Read the representations on the "
            "escalation page and take part in the panel's decision by the due date."
        ),
        Part.PANEL_LEAD: (
            "You lead the Resolution Panel. Read the representations and record the panel's "
            "decision, with the members who took part, by the due date."
        ),
    },
    Event.PANEL_DECIDED: {
        Part.RAISER: (
            "Read the panel's decision on the escalation page. If the agreed actions are not "
            "done, you may reopen it."
        ),
    },
    Event.ACTION_ASSIGNED: {
        Part.ACTION_OWNER: (
            "An action agreed to resolve it has been given to you. Do it by its due date and mark "
            "it done on the escalation page."
        ),
    },
    Event.ACTION_OVERDUE: {
        Part.ACTION_OWNER: (
            "Your action is overdue. Do it now and mark it done on the escalation page, or tell "
            "the person who raised the escalation why it cannot be done."
        ),
        Part.RAISER: (
            "An agreed action is overdue. If it is not done, you may reopen the escalation."
        ),
    },
    Event.RESOLUTION_PROPOSED: {
        **{
            part: (
                "A resolution has been proposed. Read it on the escalation page, then accept it, "
                "or decline it with your reason and escalate, by the due date."
            )
            for part in (Part.RAISER, Part.RAISER_MANAGER)
        },
        **{
            part: (
                "A resolution has been proposed. Read it on the escalation page, then accept it "
                "or decline it with your reason, by the due date."
            )
            for part in (Part.RESPONDENT, Part.RESPONDENT_MANAGER)
        },
    },
    Event.RESOLUTION_DECLINED: {
        part: "Read the reason on the escalation page. The escalation stays open at its stage."
        for part in (Part.RAISER, Part.RESPONDENT, Part.RAISER_MANAGER, Part.RESPONDENT_MANAGER)
    },
    Event.RATIONALE_LAPSED: {
        Part.RAISER: "No rationale was given in time. You may now escalate it to the next stage.",
        Part.RAISER_MANAGER: (
            "No rationale was given in time. You may now escalate it to the next stage."
        ),
    },
    Event.TIMESCALE_CHANGED: {
        part: "Note the new due date: the stage must be resolved or escalated by then."
        for part in (Part.RAISER, Part.RESPONDENT, Part.RAISER_MANAGER, Part.RESPONDENT_MANAGER)
    },
    Event.TIER_UP: {
        Part.RAISER_MANAGER: (
            "It now needs you: talk to your counterpart in the other agency and resolve it, or "
            "escalate it, by the due date."
        ),
        Part.RESPONDENT_MANAGER: (
            "It now needs you: talk to your counterpart in the other agency and resolve it, or "
            "escalate it, by the due date."
        ),
        Part.RAISER: "Senior managers now try to resolve it. You will be told the outcome.",
        Part.RESPONDENT: "Senior managers now try to resolve it. You will be told the outcome.",
    },
}

# How the others told are named in a message: by what they are to it, never by name.
TOLD_AS: dict[str, str] = {
    Part.RAISER: "the person who raised it",
    Part.RESPONDENT: "the professional whose decision is challenged",
    Part.RAISER_MANAGER: "the raiser's manager",
    Part.RESPONDENT_MANAGER: "the respondent's manager",
    Part.IRO: "the Independent Reviewing Officer",
    Part.CP_CHAIR: "the child protection conference chair",
    Part.PARTNERSHIP_CHAIR: "the partnership chair",
    Part.PANEL_MEMBER: "the Resolution Panel",
    Part.PANEL_LEAD: "the Resolution Panel",
    Part.BUSINESS_TEAM: "the partnership's business team",
    Part.DSL: "the designated safeguarding lead",
    Part.ACTION_OWNER: "the owner of the action",
}
# Where the event's general words would not tell this person it is about them.
SUBJECTS: dict[tuple[str, str], str] = {
    (Event.RAISED, Part.RESPONDENT): "A professional disagrees with a decision of yours",
    (
        Event.RAISED,
        Part.RESPONDENT_MANAGER,
    ): "A professional disagrees with a decision of your agency",
    (Event.RAISED, Part.DSL): "A child or adult may be at immediate risk",
    (
        Event.RATIONALE_REQUESTED,
        Part.RESPONDENT,
    ): "You are asked for the rationale of your decision",
    (Event.STAGE_ENTERED, Part.RAISER_MANAGER): "An escalation needs you at a new stage",
    (Event.STAGE_ENTERED, Part.RESPONDENT_MANAGER): "An escalation needs you at a new stage",
    (
        Event.STAGE_ENTERED,
        Part.RESPONDENT,
    ): "The disagreement about your decision has been escalated",
    (Event.STAGE_ENTERED, Part.PARTNERSHIP_CHAIR): "An escalation has been referred to you",
    (Event.PANEL_CONVENED, Part.PANEL_MEMBER): "You are asked to sit on a Resolution Panel",
}
URGENT = "Urgent"
URGENT_LINE = "This escalation was raised as putting a child or adult at immediate risk."


def subject_of(event: str, part: str) -> str:
    """The subject's words for `event`, to the person told as `part` (before the reference)."""
    return SUBJECTS.get((event, part)) or EVENT_WORDS.get(event, UPDATED)  # type: ignore[call-overload]


def ask_of(event: str, part: str) -> str:
    """What `event` asks of the person told as `part`."""
    return ASKS.get(event, {}).get(part, FOR_INFORMATION)


def also_told(parts: Sequence[str], *, besides: str) -> str:
    """ "the raiser's manager and the IRO": the others told, by what they are to the escalation."""
    names = list(dict.fromkeys(TOLD_AS.get(p, "others") for p in parts if p != besides))
    if not names:
        return ""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# The body of every event's template (each event and part has its own template, so each can be
# worded apart in Notify); the fields are filled by event_message.
EVENT_TEMPLATE = "\n".join(
    [
        "((what)).",
        "",
        "((urgent))((ask))",
        "",
        "((facts))",
        "",
        SIGN_IN,
        "((link))((record))",
        "",
        NO_CASE_DETAILS,
    ]
)


def template_key(event: str, part: str) -> str:
    """The Notify template key of `event`'s message to the person told as `part`:
    `raised.respondent`; `raised.others` for everyone told only for information."""
    if part and (part in ASKS.get(event, {}) or (event, part) in SUBJECTS):
        return f"{event}.{part}"
    return f"{event}.others"


def event_message(
    event: str,
    *,
    reference: str,
    stage_name: str,
    due_at: datetime | None,
    link: str,
    action_due_on: date | None = None,
    part: str = "",
    told_parts: Sequence[str] = (),
    urgent: bool = False,
    raised_by: str = "",
) -> Message:
    """The message for an event of the workflow, for the person told as `part`.

    It says what happened, what it asks of this person and by when, who else was told and where
    to look (`due_at` None once the escalation is closed). About an agreed action
    (`action_due_on`), the due date given is the action's own. `urgent` (immediate harm
    recorded) says so in the subject.
    """
    facts = [f"Reference: {reference}", f"Stage: {stage_name}"]
    if raised_by:
        facts.append(f"Raised by: {raised_by}")
    due = ""
    if action_due_on is not None:
        due = govuk_date(action_due_on)
        facts.append(f"Action due: {due}")
    elif due_at is not None:
        due = govuk_date_time(due_at)
        facts.append(f"Due: {due}")
    others = also_told(told_parts, besides=part)
    if others:
        facts.append(f"Also told: {others}")
    subject = f"{subject_of(event, part)}: {reference}"
    return templated(
        template_key(event, part),
        EVENT_TEMPLATE,
        subject=f"{URGENT}: {subject}" if urgent else subject,
        what=EVENT_WORDS.get(event, UPDATED),  # type: ignore[call-overload]
        urgent=f"{URGENT_LINE}\n\n" if urgent else "",
        ask=ask_of(event, part),
        facts="\n".join(facts),
        reference=reference,
        stage=stage_name,
        raised_by=raised_by,
        due=due,
        also_told=others,
        link=link,
        record=f"\n\n{RECORD_SHARED}\n{link}#record" if event in RECORD_EVENTS else "",
    )


def reviewer_allocated(*, reference: str, label: str, link: str) -> Message:
    """To the IRO or CP chair the business unit has named for the child."""
    return templated(
        "reviewer_allocated",
        REVIEWER_TEMPLATE,
        subject=f"You are the {label} for escalation {reference}",
        label=label,
        reference=reference,
        link=link,
    )


REVIEWER_TEMPLATE = "\n".join(
    [
        "You have been named as the ((label)) for escalation ((reference)), "
        "a professional disagreement about a child you work with.",
        "",
        "Sign in to Escalate to see it and add your view:",
        "((link))",
        "",
        NO_CASE_DETAILS,
    ]
)


# --- the deadline sweep ------------------------------------------------------------------
# One notice to everyone the policy names, so it says what is needed of each side. An action's
# own words are free text (they may name the child): the notice points to the page instead.


SWEEP_TEMPLATE = "\n".join(
    ["((what))", "", "((ask))", "", SIGN_IN, "((link))", "", NO_CASE_DETAILS]
)


def _sweep(
    key: str, *, subject: str, what: str, ask: str, reference: str, **fields: str
) -> Message:
    link = escalation_link(reverse("escalations:detail", kwargs={"reference": reference}))
    return templated(
        key,
        SWEEP_TEMPLATE,
        subject=subject,
        what=what,
        ask=ask,
        reference=reference,
        link=link,
        **fields,
    )


def stage_overdue(*, reference: str, stage_name: str, due_on: date) -> Message:
    due = long_date(due_on)
    return _sweep(
        "stage_overdue",
        subject=f"Escalation {reference}: {stage_name} is overdue",
        what=f"{stage_name} of escalation {reference} was due by {due} "
        "and has not been resolved or escalated.",
        ask="If you act at this stage: agree a resolution today, or escalate it.",
        reference=reference,
        stage=stage_name,
        due=due,
    )


def stage_reminder(*, reference: str, stage_name: str, due_on: date) -> Message:
    due = long_date(due_on)
    return _sweep(
        "stage_reminder",
        subject=f"Escalation {reference}: {stage_name} is due by {due}",
        what=f"{stage_name} of escalation {reference} is due by {due}.",
        ask="If you act at this stage: agree a resolution, or escalate it, by then.",
        reference=reference,
        stage=stage_name,
        due=due,
    )


def may_escalate(*, reference: str, stage_name: str, next_stage_name: str, due_on: date) -> Message:
    due = long_date(due_on)
    return _sweep(
        "may_escalate",
        subject=f"Escalation {reference}: you may escalate to {next_stage_name}",
        what=f"The time for {stage_name} of escalation {reference} ended on {due} "
        "without a resolution.",
        ask=f"If you are still worried, escalate it to {next_stage_name} on the escalation page.",
        reference=reference,
        stage=stage_name,
        next_stage=next_stage_name,
        due=due,
    )


def action_overdue(*, reference: str, due_on: date) -> Message:
    due = long_date(due_on)
    return _sweep(
        "action_overdue",
        subject=f"Escalation {reference}: an action is overdue",
        what=f"An action agreed on escalation {reference} was due on {due} and is not marked done.",
        ask="If it is yours: do it now and mark it done on the escalation page. If you raised "
        "the escalation and it is not done, you may reopen it.",
        reference=reference,
        due=due,
    )


def action_reminder(*, reference: str, due_on: date) -> Message:
    due = long_date(due_on)
    return _sweep(
        "action_reminder",
        subject=f"Escalation {reference}: an action is due on {due}",
        what=f"An action agreed on escalation {reference} is due on {due}.",
        ask="If it is yours: do it by then and mark it done on the escalation page.",
        reference=reference,
        due=due,
    )


PAUSE_REVIEW_TEMPLATE = (
    "Escalation ((reference)) was paused until it is reviewed on ((review_on)). "
    "Please check whether it can be resumed, or agree with the other side why it stays paused."
)


def pause_review(*, reference: str, review_on: date) -> Message:
    return templated(
        "pause_review",
        PAUSE_REVIEW_TEMPLATE,
        subject=f"Escalation {reference}: the pause is due for review",
        reference=reference,
        review_on=long_date(review_on),
    )


STRANDED_TEMPLATE = (
    "Nobody active in Escalate can act for ((sides)) on escalation ((reference)): the people "
    "holding its parts have left or are away. Please reassign their parts so that it can "
    "move on."
)


def stranded(*, reference: str, sides: str) -> Message:
    return templated(
        "stranded",
        STRANDED_TEMPLATE,
        subject=f"Escalation {reference}: nobody can act for {sides}",
        reference=reference,
        sides=sides,
    )


# --- the daily email -----------------------------------------------------------------------
# Issue 16: "Managers may choose a daily digest instead of one e-mail per notice; urgent notices
# are never digested." One email a day lists each escalation once: what happened, what is asked
# of this person and by when, and its link. Notify cannot repeat a block, so ((items)) is the
# list written out.

DIGEST_TEMPLATE = "\n".join(
    [
        "Hello ((name)),",
        "",
        "This is your daily email about escalations for ((date)). Since your last one, there has "
        "been news about ((count)):",
        "",
        "((items))",
        "",
        "Urgent notices are not held for this email: they are sent to you at once.",
        "",
        "To get one email for each notice instead, change your notification settings:",
        "((settings_link))",
        "",
        NO_CASE_DETAILS,
    ]
)


class DigestItem(NamedTuple):
    """One escalation in a daily email: what happened, what it asks and by when, its link."""

    reference: str
    happened: Sequence[str]
    ask: str
    due: str
    link: str


def digest_item_text(item: DigestItem) -> str:
    lines = [f"Escalation {item.reference}", "What happened: " + "; ".join(item.happened) + "."]
    if item.ask:
        lines.append(f"What you need to do: {item.ask}")
    if item.due:
        lines.append(f"By: {item.due}")
    lines.append(item.link)
    return "\n".join(lines)


def daily_digest(
    *, name: str, day: date, items: Sequence[DigestItem], settings_link: str
) -> Message:
    """A person's daily email: each escalation with news since their last one, once."""
    count = f"{len(items)} escalation{'' if len(items) == 1 else 's'}"
    return templated(
        "daily_digest",
        DIGEST_TEMPLATE,
        subject=f"Your daily email about escalations: {count}, {long_date(day)}",
        name=name,
        date=long_date(day),
        count=count,
        items="\n\n".join(digest_item_text(item) for item in items),
        settings_link=settings_link,
    )


# The messages that are not one event's to one part, by template key: their body templates.
OTHER_TEMPLATES: dict[str, str] = {
    "reviewer_allocated": REVIEWER_TEMPLATE,
    "stage_overdue": SWEEP_TEMPLATE,
    "stage_reminder": SWEEP_TEMPLATE,
    "may_escalate": SWEEP_TEMPLATE,
    "action_overdue": SWEEP_TEMPLATE,
    "action_reminder": SWEEP_TEMPLATE,
    "pause_review": PAUSE_REVIEW_TEMPLATE,
    "stranded": STRANDED_TEMPLATE,
    "daily_digest": DIGEST_TEMPLATE,
}


def all_template_keys() -> list[str]:
    """Every message's template key: each event's parts, its "others", then the rest."""
    keys = []
    for event in Event:
        keys += [template_key(event, part) for part in ASKS.get(event, {})]
        keys.append(f"{event}.others")
    return keys + list(OTHER_TEMPLATES)
