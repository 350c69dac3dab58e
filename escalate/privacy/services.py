"""Writes: routine disposal of short-lived personal data, and the legal pages' wording."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from escalate.audit.services import record_audit
from escalate.directory.models import Person, Role
from escalate.escalations.models import RaiseDraft
from escalate.notifications.models import Channel, Notification, Status
from escalate.privacy.models import LegalPage, LegalPageKind
from escalate.privacy.retention import period_of

DISPOSED_BODY = ""


@dataclass(frozen=True)
class RoutineDisposal:
    drafts_deleted: int
    notification_bodies_removed: int
    sessions_deleted: int


@transaction.atomic
def dispose_routine(*, now: datetime | None = None) -> RoutineDisposal:
    """Delete what is past its short retention period (docs/privacy.md), in one audited step.

    Drafts untouched for 28 days; the text of e-mails delivered 28 days ago (who was told and
    when stay); expired sessions. Idempotent: a second run the same day removes nothing more.
    """
    now = now or timezone.now()
    drafts, _ = RaiseDraft.objects.filter(updated_at__lt=now - period_of("raise_draft")).delete()
    bodies = (
        Notification.objects.filter(
            channel__in=[Channel.EMAIL, Channel.NOTIFY],
            status=Status.SENT,
            sent_at__lt=now - period_of("notification_body"),
        )
        .exclude(body=DISPOSED_BODY)
        .update(body=DISPOSED_BODY)
    )
    sessions, _ = Session.objects.filter(expire_date__lt=now).delete()
    report = RoutineDisposal(
        drafts_deleted=drafts,
        notification_bodies_removed=bodies,
        sessions_deleted=sessions,
    )
    if drafts or bodies or sessions:
        record_audit(
            actor=None,
            action="routine_disposal",
            partnership=None,
            object_type="privacy.RoutineDisposal",
            changes={name: (None, count) for name, count in asdict(report).items()},
        )
    return report


class LegalPageRefused(ValueError):
    """A change to a legal page that is not allowed; the message says why."""


@transaction.atomic
def save_legal_page(*, by: Person, kind: LegalPageKind, body: str) -> LegalPage:
    """Set the wording of one of the partnership's legal pages (business manager only)."""
    if by.partnership is None or not by.has_role(Role.BUSINESS_MANAGER):
        raise LegalPageRefused("Only the partnership's business manager may change this page.")
    page = (
        LegalPage.objects.select_for_update().filter(partnership=by.partnership, kind=kind).first()
    )
    old = page.body if page else ""
    if page is None:
        page = LegalPage(partnership=by.partnership, kind=kind)
    page.body = body
    page.updated_by = by
    page.updated_at = timezone.now()
    page.save()
    record_audit(
        actor=by,
        action="legal_page_changed",
        partnership=by.partnership,
        obj=page,
        changes={"body": (old, body)},
    )
    return page
