"""Accounts: starting a partnership, invitations, password resets, resetting an authenticator.

Every link is single-use and expiring; only its SHA-256 is stored. Emails go through the
notifications outbox like every other message (one row, email channel only).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django_otp.plugins.otp_totp.models import TOTPDevice

from escalate.accounts import messages
from escalate.accounts.models import AccountLink, LinkPurpose
from escalate.audit.services import record_audit
from escalate.directory.models import Agency, AgencyType, Partnership, Person, Role, RoleAssignment
from escalate.directory.permissions import is_platform_admin, may_manage_directory
from escalate.directory.services import DirectoryRefused, end_sessions
from escalate.escalations.messages import Message
from escalate.notifications.models import Channel
from escalate.notifications.services import enqueue_notification

INVITATION_LIFETIME = timedelta(days=7)
PASSWORD_RESET_LIFETIME = timedelta(hours=2)
# At most this many reset emails per person per hour, so the form cannot flood a mailbox.
RESETS_PER_HOUR = 3


class AccountRefused(ValueError):
    """An account change that is not allowed; the message says why (and names the field)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def hash_link_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_url(token: str) -> str:
    return f"{settings.SITE_URL}/account/set-password/{token}/"


def _new_link(*, person: Person, purpose: str, lifetime: timedelta) -> tuple[AccountLink, str]:
    token = secrets.token_urlsafe(32)
    link = AccountLink.objects.create(
        person=person,
        purpose=purpose,
        token_hash=hash_link_token(token),
        expires_at=timezone.now() + lifetime,
    )
    return link, token


def _email(*, person: Person, link: AccountLink, message: Message) -> None:
    assert person.partnership is not None
    enqueue_notification(
        partnership=person.partnership,
        escalation=None,
        event=message.key,
        event_key=f"account-link:{link.pk}",
        subject=message.subject,
        body=message.body,
        recipient=person,
        channels=(Channel.EMAIL,),
        template_key=message.key,
        personalisation=message.personalisation,
    )


def _send_invitation(*, person: Person, by: Person | None) -> AccountLink:
    link, token = _new_link(
        person=person, purpose=LinkPurpose.INVITATION, lifetime=INVITATION_LIFETIME
    )
    partnership = person.partnership
    assert partnership is not None
    _email(
        person=person,
        link=link,
        message=messages.invitation(
            name=person.full_name,
            partnership=partnership.name,
            link=link_url(token),
            expires_at=link.expires_at,
        ),
    )
    record_audit(
        actor=by,
        action="person_invited",
        partnership=partnership,
        obj=person,
        changes={"expires_at": (None, link.expires_at.isoformat())},
    )
    return link


@transaction.atomic
def invite_person(*, person: Person, by: Person) -> AccountLink:
    """Email `person` a link to set their password (7 days, single use). Audited."""
    if not may_manage_directory(by, person.partnership_id):
        raise AccountRefused("You can only invite people in your own partnership.")
    if not person.is_active:
        raise AccountRefused("This person is disabled. Reactivate them first.")
    return _send_invitation(person=person, by=by)


@transaction.atomic
def create_partnership(
    *,
    by: Person | None,
    name: str,
    nation: str,
    covers: str,
    reference_prefix: str,
    manager_name: str,
    manager_email: str,
) -> tuple[Partnership, Person]:
    """A new partnership, its business unit, and its first business manager, invited by email.

    `by` is a platform administrator (None from `manage.py create_partnership`). Refused with
    the field named when the name, prefix or email is taken. Audited on the new partnership's
    chain.
    """
    if by is not None and not is_platform_admin(by):
        raise AccountRefused("Only a platform administrator can start a partnership.")
    name = name.strip()
    prefix = reference_prefix.strip().upper()
    email = manager_email.strip().lower()
    slug = slugify(name)[:60]
    if Partnership.objects.filter(name__iexact=name).exists() or (
        slug and Partnership.objects.filter(slug=slug).exists()
    ):
        raise AccountRefused("A partnership with this name already exists.", "name")
    if Partnership.objects.filter(reference_prefix=prefix).exists():
        raise AccountRefused("Another partnership uses this reference prefix.", "reference_prefix")
    if not manager_name.strip():
        raise AccountRefused("Enter the business manager's full name.", "manager_name")
    try:
        validate_email(email)
    except ValidationError:
        raise AccountRefused(
            "Enter an email address in the correct format, like name@example.org",
            "manager_email",
        ) from None
    if Person.objects.filter(email__iexact=email).exists():
        raise AccountRefused("Someone already has an account with this email.", "manager_email")
    partnership = Partnership(
        name=name, slug=slug, nation=nation, covers=covers, reference_prefix=prefix
    )
    partnership.full_clean()
    partnership.save()
    unit = Agency.objects.create(
        partnership=partnership,
        name=f"{name} business unit",
        agency_type=AgencyType.PARTNERSHIP,
    )
    manager = Person.objects.create_user(
        email,
        None,  # no usable password until they follow the invitation
        full_name=manager_name.strip(),
        job_title="Partnership business manager",
        partnership=partnership,
        agency=unit,
        level=3,
    )
    RoleAssignment.objects.create(person=manager, role=Role.BUSINESS_MANAGER)
    record_audit(
        actor=by,
        action="partnership_created",
        partnership=partnership,
        obj=partnership,
        changes={
            "name": (None, name),
            "nation": (None, nation),
            "covers": (None, covers),
            "reference_prefix": (None, prefix),
            "business_manager": (None, email),
        },
    )
    _send_invitation(person=manager, by=by)
    return partnership, manager


@transaction.atomic
def request_password_reset(*, email: str) -> None:
    """Email a reset link (2 hours, single use) if `email` is an active person's address.

    Says nothing either way: the page tells everyone the same. Audited when a link is sent.
    At most RESETS_PER_HOUR links an hour per person; later requests are silently dropped.
    """
    person = (
        Person.objects.select_related("partnership")
        .filter(email__iexact=email.strip(), is_active=True, partnership__isnull=False)
        .first()
    )
    if person is None:
        return
    recent = AccountLink.objects.filter(
        person=person,
        purpose=LinkPurpose.PASSWORD_RESET,
        created_at__gt=timezone.now() - timedelta(hours=1),
    ).count()
    if recent >= RESETS_PER_HOUR:
        return
    link, token = _new_link(
        person=person, purpose=LinkPurpose.PASSWORD_RESET, lifetime=PASSWORD_RESET_LIFETIME
    )
    _email(
        person=person,
        link=link,
        message=messages.password_reset(
            name=person.full_name, link=link_url(token), expires_at=link.expires_at
        ),
    )
    record_audit(
        actor=person, action="password_reset_requested", partnership=person.partnership, obj=person
    )


def usable_link(token: str) -> AccountLink | None:
    """The unused, unexpired link `token` is, for an active person; None otherwise."""
    if not token or len(token) > 100:
        return None
    link = (
        AccountLink.objects.select_related("person", "person__partnership")
        .filter(token_hash=hash_link_token(token))
        .first()
    )
    if link is None or not link.is_usable or not link.person.is_active:
        return None
    return link


@transaction.atomic
def set_password_from_link(*, token: str, password: str) -> Person:
    """Set the password of the link's person, use the link up, and end their other sessions.

    Every other open link of the person is used up too. Refused (AccountRefused) if the link is
    unknown, used or expired. The caller has validated `password`. Audited.
    """
    link = usable_link(token)
    if link is None:
        raise AccountRefused("This link has expired or has already been used.")
    locked = AccountLink.objects.select_for_update().get(pk=link.pk)
    if locked.used_at is not None:
        raise AccountRefused("This link has expired or has already been used.")
    now = timezone.now()
    AccountLink.objects.filter(person=link.person, used_at__isnull=True).update(used_at=now)
    person = link.person
    person.set_password(password)
    person.save(update_fields=["password"])
    ended = end_sessions(person=person)
    record_audit(
        actor=person,
        action="password_set_from_invitation"
        if link.purpose == LinkPurpose.INVITATION
        else "password_reset",
        partnership=person.partnership,
        obj=person,
        changes={"sessions": (ended, 0)},
    )
    return person


@transaction.atomic
def reset_authenticator(*, person: Person, by: Person, reason: str) -> int:
    """Remove `person`'s authenticator apps: at their next sign-in they set up a new one.

    `by` manages the person's partnership's directory and is not `person`. Their sessions end.
    Audited with `reason`; the person is told by email and in Escalate. Returns how many
    authenticators were removed.
    """
    if by.pk == person.pk:
        raise AccountRefused("Ask another business manager to reset your own authenticator.")
    if not may_manage_directory(by, person.partnership_id):
        raise DirectoryRefused("You can only reset authenticators in your own partnership.")
    if not reason.strip():
        raise AccountRefused("Say why the authenticator is being reset.", "reason")
    removed, _ = TOTPDevice.objects.filter(user=person).delete()
    ended = end_sessions(person=person)
    event = record_audit(
        actor=by,
        action="authenticator_reset",
        partnership=person.partnership,
        obj=person,
        changes={"authenticators": (removed, 0), "sessions": (ended, 0)},
        reason=reason.strip(),
    )
    if person.partnership is not None:
        message = messages.authenticator_reset(
            name=person.full_name,
            by=by.full_name,
            partnership=person.partnership.name,
            when=timezone.now(),
            link=f"{settings.SITE_URL}/",
        )
        enqueue_notification(
            partnership=person.partnership,
            escalation=None,
            event=message.key,
            event_key=f"audit:{event.pk}",
            subject=message.subject,
            body=message.body,
            recipient=person,
            template_key=message.key,
            personalisation=message.personalisation,
        )
    return removed
