"""What the emails about a person's own account say: each its own words and Notify template.

Like the escalation notices (escalations/messages.py), each message has a template key: its
GOV.UK Notify template is `NOTIFY_TEMPLATE_IDS[key]` and the plain email is the same template
filled with the same personalisation. Each says what happened, what to do and, when its link
expires, by when. docs/notifications.md lists them (escalations/messages_doc.py).
"""

from __future__ import annotations

from datetime import datetime

from escalate.escalations.messages import Message, templated
from escalate.policies.calendar import govuk_date_time

INVITATION_TEMPLATE = "\n".join(
    [
        "Hello ((name)),",
        "",
        "((partnership)) has given you an account on Escalate, where professionals raise and "
        "resolve disagreements about the safety of children and adults.",
        "",
        "To start using it, set your password by ((expires)) with this link. It works once:",
        "((link))",
        "",
        "After that, you will set up an authenticator app on your phone. It gives you a one-time "
        "code each time you sign in.",
        "",
        "If the link has expired, ask ((partnership))'s business unit to invite you again.",
        "",
        "If you did not expect this email, you can ignore it.",
    ]
)

PASSWORD_RESET_TEMPLATE = "\n".join(
    [
        "Hello ((name)),",
        "",
        "Someone asked to reset the password of your Escalate account.",
        "",
        "To choose a new password, use this link by ((expires)). It works once:",
        "((link))",
        "",
        "If the link has expired, ask for a new one from the sign-in page.",
        "",
        "If you did not ask for this, you can ignore this email: your password has not changed.",
    ]
)

AUTHENTICATOR_RESET_TEMPLATE = "\n".join(
    [
        "Hello ((name)),",
        "",
        "((by)) reset the authenticator app of your Escalate account on ((when)). You have been "
        "signed out.",
        "",
        "The next time you sign in, you will set up your authenticator app again:",
        "((link))",
        "",
        "If you did not ask for this, tell ((partnership))'s business unit today.",
    ]
)

# By template key: the body template of each account email (for docs/notifications.md).
ACCOUNT_TEMPLATES: dict[str, str] = {
    "account_invited": INVITATION_TEMPLATE,
    "password_reset": PASSWORD_RESET_TEMPLATE,
    "authenticator_reset": AUTHENTICATOR_RESET_TEMPLATE,
}
ACCOUNT_SUBJECTS: dict[str, str] = {
    "account_invited": "Set up your Escalate account by <date>",
    "password_reset": "Reset your Escalate password by <date>",
    "authenticator_reset": "Your Escalate authenticator app was reset",
}


def invitation(*, name: str, partnership: str, link: str, expires_at: datetime) -> Message:
    """To a person given an account: set a password with the link before it expires."""
    expires = govuk_date_time(expires_at)
    return templated(
        "account_invited",
        INVITATION_TEMPLATE,
        subject=f"Set up your Escalate account by {expires}",
        name=name,
        partnership=partnership,
        link=link,
        expires=expires,
    )


def password_reset(*, name: str, link: str, expires_at: datetime) -> Message:
    """To a person who asked (or someone asked for them) to reset their password."""
    expires = govuk_date_time(expires_at)
    return templated(
        "password_reset",
        PASSWORD_RESET_TEMPLATE,
        subject=f"Reset your Escalate password by {expires}",
        name=name,
        link=link,
        expires=expires,
    )


def authenticator_reset(
    *, name: str, by: str, partnership: str, when: datetime, link: str
) -> Message:
    """To a person whose authenticator app a business manager removed: a security notice."""
    return templated(
        "authenticator_reset",
        AUTHENTICATOR_RESET_TEMPLATE,
        subject="Your Escalate authenticator app was reset",
        name=name,
        by=by,
        partnership=partnership,
        when=govuk_date_time(when),
        link=link,
    )
