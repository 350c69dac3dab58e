"""docs/notifications.md, generated from messages.py so that the table cannot drift.

    python -m escalate.escalations.messages_doc > docs/notifications.md

A test (escalations/tests/test_messages.py) fails when the committed page differs.
"""

from __future__ import annotations

from escalate.accounts.messages import ACCOUNT_SUBJECTS, ACCOUNT_TEMPLATES
from escalate.escalations.messages import (
    ASKS,
    EVENT_TEMPLATE,
    EVENT_WORDS,
    FOR_INFORMATION,
    OTHER_TEMPLATES,
    SUBJECT_TEMPLATE,
    TOLD_AS,
    URGENT,
    placeholders,
    subject_of,
    template_key,
)
from escalate.policies.schema import Event

CHANNELS = "email and in-app (a mailbox: email only)"

INTRO = f"""# Notifications: who is told what

Generated from `escalate/escalations/messages.py` by
`python -m escalate.escalations.messages_doc > docs/notifications.md`; a test checks it is current.

**Who** is told of each event is policy data: each partnership's policy file names the recipients
of each event (`notifications:` in `policies/*.yaml`, docs/policies.md), and
`escalations/tests/test_recipients.py` derives the people told for every shipped policy. **What**
each person is told is below: one message per event and part, saying what happened, what it asks
of this person and by when (the stage's due date, or an action's own), who else was told (by what
they are to the escalation, never by name) and the link to the escalation. No message holds the
child's or adult's details or an action's free text. When immediate harm was recorded, the subject
starts "{URGENT}:" and the body says so. Channels: {CHANNELS}.

Nobody is told (by e-mail or in Escalate) about what they did themselves: the page they acted on
has just told them what happened and what is next (`transition.apply_transition`). The
exceptions are records to keep (`KEPT_BY_THE_ACTOR`): the raiser's confirmation of a raise, the
record at each stage's end (a new stage entered) and how it ended (resolved, withdrawn, the
panel's decision), which the policy says is shared with the raiser whoever acted.

The deadline sweep's own notices (a stage nearly due or overdue, an action nearly due or overdue,
"you may escalate") go to the people the policy names for `reminder`, `overdue` and
`action_overdue`, and say what each side is to do.

## The daily email

Managers (line managers and above) may choose, in their notification settings
(`/notifications/settings/`), one email a day instead of one per notice. Their routine emails
about escalations are then held (outbox status `held`) and sent together by the daily job
(`escalations/digest.py`, enqueued by `run_scheduler` once a day from
`NOTIFICATIONS_DIGEST_HOUR`, 7am UK time by default): one email per person per day (event key
`digest:<person>:<day>`, so running it twice sends once), listing each escalation once by its
reference with what happened, what is asked of them and by when, and one link. Urgent notices
(immediate harm recorded) are never held, and notices in Escalate appear at once. Access is
checked when the email is made: a notice about an escalation the person may no longer see is
withheld (status `withheld`), never sent. Each person's email and the marking of their held
notices are one transaction, so a crash mid-run loses nothing and sends nothing twice. Its
template key is `daily_digest`; Notify cannot repeat a block, so `((items))` is the list written
out.

## GOV.UK Notify templates

Each message below has a **template key**. With GOV.UK Notify, the setting `NOTIFY_TEMPLATE_IDS`
(a JSON object in the environment) maps a key to the id of that message's template in Notify,
e.g. `{{"raised.respondent": "<template id>"}}`; the message is then sent with that template and
its personalisation. A key not mapped is sent with the generic `NOTIFY_EMAIL_TEMPLATE_ID`, whose
placeholders are `((subject))` and `((body))`. Plain email (SMTP) sends the same template filled
with the same personalisation, so the wording is the same on both.

Every template's subject is `{SUBJECT_TEMPLATE}`. The body of each event's template is:

```
{EVENT_TEMPLATE}
```

Its personalisation also carries each fact on its own, for a template worded apart:
`reference`, `stage`, `raised_by`, `due` and `also_told` (empty when not known).
"""


def _row(*cells: str) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def document() -> str:
    lines = [
        INTRO,
        _row("event", "subject", "told as", "what it asks of them", "Notify template key"),
    ]
    lines.append(_row("---", "---", "---", "---", "---"))
    for event in Event:
        words = EVENT_WORDS.get(event, "")
        asks = ASKS.get(event, {})
        for part, ask in asks.items():
            subject = f"{subject_of(event, part)}: <reference>"
            key = f"`{template_key(event, part)}`"
            lines.append(_row(f"`{event.value}`", subject, TOLD_AS[part], ask, key))
        lines.append(
            _row(
                f"`{event.value}`",
                f"{words}: <reference>",
                "anyone else the policy names" if asks else "everyone the policy names",
                FOR_INFORMATION,
                f"`{event.value}.others`",
            )
        )
    lines += [
        "",
        "The other messages' templates (the deadline sweep's notices, the named reviewer, a",
        "stage nobody can act on, the daily email):",
        "",
        _row("Notify template key", "placeholders in its body"),
        _row("---", "---"),
    ]
    for key, body in OTHER_TEMPLATES.items():
        fields = ", ".join(f"`(({name}))`" for name in dict.fromkeys(placeholders(body)))
        lines.append(_row(f"`{key}`", fields))
    lines += [
        "",
        "## Emails about a person's own account",
        "",
        "Written in `escalate/accounts/messages.py`, each with its own template key and words:",
        "what happened, what to do and, when its link expires, by when. Email only (the",
        "authenticator notice also in-app). Their links are single-use; only their hash is stored.",
        "",
        _row("Notify template key", "subject", "placeholders in its body"),
        _row("---", "---", "---"),
    ]
    for key, body in ACCOUNT_TEMPLATES.items():
        fields = ", ".join(f"`(({name}))`" for name in dict.fromkeys(placeholders(body)))
        lines.append(_row(f"`{key}`", ACCOUNT_SUBJECTS[key], fields))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(document(), end="")
