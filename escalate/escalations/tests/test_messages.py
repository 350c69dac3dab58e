"""What each person is told: one message per event and part, saying what it asks of them.

The words are snapshot-tested (every event and part), docs/notifications.md must be the page
generated from them, and a raise through the service shows each person getting their own words.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from escalate.accounts import messages as account_words
from escalate.escalations import messages, services
from escalate.escalations.messages_doc import document
from escalate.escalations.tests.factories import make_world
from escalate.notifications.models import Channel, Notification
from escalate.policies.schema import Event
from escalate.vocabulary import Part

ROOT = Path(__file__).resolve().parents[3]
SNAPSHOT = Path(__file__).parent / "snapshots" / "messages.txt"


def every_message() -> str:
    """Every event's message for every part, as a person would read it (fixed dates, link)."""
    blocks = []
    for event in Event:
        for part in [*Part.values, ""]:
            message = messages.event_message(
                event,
                reference="ESC-2027-0001",
                stage_name="Stage 2: line managers",
                due_at=datetime(2027, 1, 5, 23, 59, tzinfo=UTC),
                link="https://escalate.example.org/escalations/ESC-2027-0001/",
                action_due_on=date(2027, 1, 8) if event == Event.ACTION_ASSIGNED else None,
                part=part,
                told_parts=[Part.RAISER, Part.RESPONDENT, Part.RAISER_MANAGER, part],
                urgent=event == Event.RAISED and part == Part.DSL,
                raised_by="Sam Teacher, Example Primary School",
            )
            heading = f"{event.value} / {part or 'others'}"
            blocks.append(f"=== {heading}\n{message.subject}\n\n{message.body}\n")
    for message in [*other_messages(), *account_messages()]:
        blocks.append(f"=== {message.key}\n{message.subject}\n\n{message.body}\n")
    return "\n".join(blocks)


def account_messages() -> list[messages.Message]:
    """The emails about a person's own account (accounts/messages.py), with fixed words."""
    expires = datetime(2027, 1, 5, 15, 30, tzinfo=UTC)
    link = "https://escalate.example.org/account/set-password/TOKEN/"
    return [
        account_words.invitation(
            name="Sam Teacher", partnership="Riverside Partnership", link=link, expires_at=expires
        ),
        account_words.password_reset(name="Sam Teacher", link=link, expires_at=expires),
        account_words.authenticator_reset(
            name="Sam Teacher",
            by="Bea Manager",
            partnership="Riverside Partnership",
            when=expires,
            link="https://escalate.example.org/",
        ),
    ]


def test_every_message_matches_its_snapshot() -> None:
    text = every_message()
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(text)
    assert SNAPSHOT.read_text() == text, (
        "A notification's words changed: check them, then run with UPDATE_SNAPSHOTS=1."
    )


def sample_messages() -> list[messages.Message]:
    """Every event's message to every part (urgent and not), and every other message."""
    made = []
    for event in Event:
        for part in [*Part.values, ""]:
            for urgent in (False, True):
                made.append(
                    messages.event_message(
                        event,
                        reference="ESC-2027-0001",
                        stage_name="Stage 2: line managers",
                        due_at=datetime(2027, 1, 5, 23, 59, tzinfo=UTC),
                        link="https://escalate.example.org/escalations/ESC-2027-0001/",
                        part=part,
                        told_parts=[Part.RAISER, part],
                        urgent=urgent,
                    )
                )
    return [*made, *other_messages()]


def other_messages() -> list[messages.Message]:
    """Every message that is not an event's: reviewer, sweeps, pause review, stranded, digest."""
    day = date(2027, 1, 5)
    return [
        messages.reviewer_allocated(reference="ESC-2027-0001", label="IRO", link="https://e/"),
        messages.stage_overdue(reference="ESC-2027-0001", stage_name="Stage 1", due_on=day),
        messages.stage_reminder(reference="ESC-2027-0001", stage_name="Stage 1", due_on=day),
        messages.may_escalate(
            reference="ESC-2027-0001", stage_name="Stage 1", next_stage_name="Stage 2", due_on=day
        ),
        messages.action_overdue(reference="ESC-2027-0001", due_on=day),
        messages.action_reminder(reference="ESC-2027-0001", due_on=day),
        messages.pause_review(reference="ESC-2027-0001", review_on=day),
        messages.stranded(reference="ESC-2027-0001", sides="the raiser's side"),
        messages.daily_digest(
            name="Sam Manager",
            day=day,
            items=[
                messages.DigestItem(
                    "ESC-2027-0001",
                    ["A new escalation has been raised", "A discussion has been recorded"],
                    messages.ask_of("discussion_recorded", "respondent_manager"),
                    "5 January 2027, 11:59pm",
                    "https://escalate.example.org/escalations/ESC-2027-0001/",
                ),
                messages.DigestItem(
                    "ESC-2027-0002",
                    ["An escalation stage is nearly due"],
                    "",
                    "",
                    "https://escalate.example.org/escalations/ESC-2027-0002/",
                ),
            ],
            settings_link="https://escalate.example.org/notifications/settings/",
        ),
    ]


def test_every_message_has_a_template_key_its_personalisation_fills() -> None:
    keys = messages.all_template_keys()
    assert len(keys) == len(set(keys))
    templates = {
        **{key: messages.EVENT_TEMPLATE for key in keys if "." in key},
        **messages.OTHER_TEMPLATES,
    }
    seen = set()
    for message in sample_messages():
        assert message.key in keys, message.subject
        seen.add(message.key)
        body_template = templates[message.key]
        # Notify fills the same template with the same words: the emails say the same.
        assert set(messages.placeholders(body_template)) <= set(message.personalisation)
        assert messages.fill(body_template, message.personalisation) == message.body
        assert messages.fill(messages.SUBJECT_TEMPLATE, message.personalisation) == (
            message.subject
        )
    assert seen == set(keys)


def test_docs_show_every_messages_template_key() -> None:
    page = (ROOT / "docs" / "notifications.md").read_text()
    assert "NOTIFY_TEMPLATE_IDS" in page
    for key in messages.all_template_keys():
        assert f"`{key}`" in page, key


def test_docs_notifications_is_the_generated_page() -> None:
    committed = (ROOT / "docs" / "notifications.md").read_text()
    assert committed == document(), (
        "docs/notifications.md is out of date: "
        "python -m escalate.escalations.messages_doc > docs/notifications.md"
    )


def test_a_message_names_the_others_told_but_not_the_reader() -> None:
    message = messages.event_message(
        Event.RAISED,
        reference="ESC-1",
        stage_name="Stage 1",
        due_at=None,
        link="https://escalate.example.org/x/",
        part=Part.RESPONDENT,
        told_parts=[Part.RAISER, Part.RESPONDENT, Part.IRO],
    )
    assert "Also told: the person who raised it and the Independent Reviewing Officer" in (
        message.body
    )
    assert "whose decision is challenged" not in message.body


@pytest.mark.django_db
def test_each_person_told_of_a_raise_gets_their_own_words_and_none_the_childs_details() -> None:
    world = make_world(policy_file="havering.yaml")
    escalation = services.raise_escalation(
        by=world.teacher,
        details=world.details(
            categories=["levels_of_need"],
            immediate_harm=True,
            urgent_guidance_shown=True,
            protective_actions=["dsl_told"],
            protective_action="The DSL was told at 9am.",
            cp_plan=True,
        ),
    )
    emails = {
        n.recipient_id: n
        for n in Notification.objects.filter(escalation=escalation, channel=Channel.EMAIL)
        if n.recipient_id is not None
    }
    respondent = emails[world.social_worker.pk]
    assert respondent.subject.startswith(
        "Urgent: A professional disagrees with a decision of yours"
    )
    assert "It is about a decision or action of yours" in respondent.body
    assert f"Raised by: {world.teacher.full_name}" in respondent.body
    raiser = emails[world.teacher.pk]
    assert "You raised it" in raiser.body
    assert raiser.body != respondent.body
    for notice in emails.values():
        assert "Alex Example" not in notice.subject + notice.body
        assert messages.URGENT_LINE in notice.body
