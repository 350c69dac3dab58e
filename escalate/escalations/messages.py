"""What notifications say: every subject and body Escalate writes, in one place.

Nothing about the child or adult is ever put in a message: only the escalation's reference,
the stage, dates and a link (delivery.py checks again before sending). Each function returns
`Message(subject, body)`; the words for an event sit in `EVENT_WORDS`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import NamedTuple

from django.conf import settings

from escalate.policies.calendar import govuk_date, govuk_date_time
from escalate.policies.schema import Event


class Message(NamedTuple):
    subject: str
    body: str


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


def event_message(
    event: str,
    *,
    reference: str,
    stage_name: str,
    due_at: datetime | None,
    link: str,
    action_due_on: date | None = None,
) -> Message:
    """The message for an event of the workflow (`due_at` None once the escalation is closed).

    About an agreed action (`action_due_on`), the due date given is the action's own.
    """
    words = EVENT_WORDS.get(event, UPDATED)  # type: ignore[call-overload]
    lines = [f"{words}.", "", f"Reference: {reference}", f"Stage: {stage_name}"]
    if action_due_on is not None:
        lines.append(f"Action due: {govuk_date(action_due_on)}")
    elif due_at is not None:
        lines.append(f"Due: {govuk_date_time(due_at)}")
    lines += ["", SIGN_IN, link]
    if event in RECORD_EVENTS:
        lines += ["", RECORD_SHARED, f"{link}#record"]
    lines += ["", NO_CASE_DETAILS]
    return Message(f"{words}: {reference}", "\n".join(lines))


def reviewer_allocated(*, reference: str, label: str, link: str) -> Message:
    """To the IRO or CP chair the business unit has named for the child."""
    return Message(
        f"You are the {label} for escalation {reference}",
        "\n".join(
            [
                f"You have been named as the {label} for escalation {reference}, "
                "a professional disagreement about a child you work with.",
                "",
                "Sign in to Escalate to see it and add your view:",
                link,
                "",
                NO_CASE_DETAILS,
            ]
        ),
    )


# --- the deadline sweep ------------------------------------------------------------------


def stage_overdue(*, reference: str, stage_name: str, due_on: date) -> Message:
    return Message(
        f"Escalation {reference}: {stage_name} is overdue",
        f"{stage_name} of escalation {reference} was due by {long_date(due_on)} "
        "and has not been resolved or escalated. Please agree the next step.",
    )


def stage_reminder(*, reference: str, stage_name: str, due_on: date) -> Message:
    return Message(
        f"Escalation {reference}: {stage_name} is due by {long_date(due_on)}",
        f"{stage_name} of escalation {reference} is due by {long_date(due_on)}.",
    )


def may_escalate(*, reference: str, stage_name: str, next_stage_name: str, due_on: date) -> Message:
    return Message(
        f"Escalation {reference}: you may escalate to {next_stage_name}",
        f"The time for {stage_name} of escalation {reference} ended on "
        f"{long_date(due_on)} without a resolution. If you are still "
        f"concerned, you may escalate it to {next_stage_name}.",
    )


def action_overdue(*, reference: str, description: str, due_on: date) -> Message:
    return Message(
        f"Escalation {reference}: an action is overdue",
        f"An action agreed on escalation {reference} was due on "
        f"{long_date(due_on)} and is not marked done:\n\n{description}",
    )


def action_reminder(*, reference: str, description: str, due_on: date) -> Message:
    return Message(
        f"Escalation {reference}: an action is due on {long_date(due_on)}",
        f"An action agreed on escalation {reference} is due on "
        f"{long_date(due_on)}:\n\n{description}",
    )
