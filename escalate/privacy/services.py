"""Writes: routine disposal of short-lived personal data, and the legal pages' wording."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime

from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from escalate.audit.services import fingerprint, record_audit
from escalate.directory.models import Person, Role
from escalate.escalations.models import DecisionDraft, Escalation, RaiseDraft
from escalate.notifications.models import Channel, Notification, Status
from escalate.privacy.disposal import DisposalReport, dispose, is_due
from escalate.privacy.models import LegalPage, LegalPageKind, RetentionDecision
from escalate.privacy.professional_access import build_professional_export
from escalate.privacy.retention import period_of
from escalate.privacy.review import may_review
from escalate.privacy.search import (
    MOST_RESULTS,
    SEARCH_REASONS,
    SubjectQuery,
    matching_escalations,
    may_search,
)
from escalate.privacy.subject_access import SubjectAccessExport, build_export

DISPOSED_BODY = ""


@dataclass(frozen=True)
class RoutineDisposal:
    drafts_deleted: int
    notification_bodies_removed: int
    sessions_deleted: int


@transaction.atomic
def dispose_routine(*, now: datetime | None = None) -> RoutineDisposal:
    """Delete what is past its short retention period (docs/privacy.md), in one audited step.

    Drafts (raise and decision) untouched for 28 days; the text of emails delivered 28 days ago
    (who was told and when stay); expired sessions. Idempotent: a second run the same day
    removes nothing more.
    """
    now = now or timezone.now()
    drafts, _ = RaiseDraft.objects.filter(updated_at__lt=now - period_of("raise_draft")).delete()
    # A decision typed on the resolve or panel pages but never made goes the same way.
    decisions, _ = DecisionDraft.objects.filter(
        updated_at__lt=now - period_of("raise_draft")
    ).delete()
    drafts += decisions
    bodies = (
        Notification.objects.filter(channel__in=[Channel.EMAIL, Channel.NOTIFY])
        .filter(
            Q(status=Status.SENT, sent_at__lt=now - period_of("notification_body"))
            # Held for a daily email, then no longer theirs to see: never sent, kept as long.
            | Q(status=Status.WITHHELD, created_at__lt=now - period_of("notification_body"))
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


def _query_fingerprint(query: SubjectQuery) -> str:
    """What was searched for, as the audit trail keeps it: a keyed fingerprint, never the name."""
    parts = [query.name.casefold(), str(query.date_of_birth or ""), query.case_reference.casefold()]
    return fingerprint("|".join(parts))


def search_for_subject(
    *, by: Person, query: SubjectQuery, reason: str, request_reference: str = ""
) -> list[Escalation]:
    """The escalations `by` may see about the person searched for; the search itself audited.

    The audit row keeps who searched, why (a reason from a fixed list) and how many were found,
    and only keyed fingerprints of what was searched for and of the request's reference: the
    trail shows a search was made and can prove for whom, without holding the name itself.
    """
    if not may_search(by):
        raise PermissionDenied("Only the business unit and safeguarding leads may search")
    if reason not in dict(SEARCH_REASONS):
        raise ValueError(f"Unknown search reason {reason!r}")
    found = list(matching_escalations(by, query)[: MOST_RESULTS + 1])
    with transaction.atomic():
        record_audit(
            actor=by,
            action="subject_searched",
            partnership=by.partnership,
            object_type="search",
            changes={
                "searched_for": (None, _query_fingerprint(query)),
                "request_reference": (None, fingerprint(request_reference)),
                "results": (None, len(found)),
                "search_reason": (None, reason),
            },
            reason=dict(SEARCH_REASONS)[reason],
        )
    return found


def _review_guard(by: Person) -> None:
    if not may_review(by):
        raise PermissionDenied("Only the partnership's business unit reviews retention")


@transaction.atomic
def place_legal_hold(*, by: Person, escalation: Escalation, reason: str) -> RetentionDecision:
    """Keep the record, whatever its schedule says, until the hold is lifted."""
    _review_guard(by)
    decision = RetentionDecision.objects.create(
        escalation=escalation, kind=RetentionDecision.Kind.HOLD, reason=reason, made_by=by
    )
    record_audit(
        actor=by,
        action="legal_hold_placed",
        partnership=escalation.partnership,
        obj=escalation,
        changes={"hold": (None, decision.pk), "reason": (None, fingerprint(reason))},
    )
    return decision


@transaction.atomic
def lift_legal_hold(*, by: Person, decision: RetentionDecision, reason: str) -> None:
    _review_guard(by)
    if decision.kind != RetentionDecision.Kind.HOLD or decision.lifted_at is not None:
        raise ValueError("This hold has already been lifted")
    decision.lifted_by, decision.lifted_at, decision.lift_reason = by, timezone.now(), reason
    decision.save(update_fields=["lifted_by", "lifted_at", "lift_reason"])
    record_audit(
        actor=by,
        action="legal_hold_lifted",
        partnership=decision.escalation.partnership,
        obj=decision.escalation,
        changes={"hold": (decision.pk, None), "reason": (None, fingerprint(reason))},
    )


@transaction.atomic
def keep_record_longer(
    *, by: Person, escalation: Escalation, until: date, reason: str
) -> RetentionDecision:
    """Review the record again on `until` instead of disposing of it now."""
    _review_guard(by)
    decision = RetentionDecision.objects.create(
        escalation=escalation,
        kind=RetentionDecision.Kind.EXTEND,
        reason=reason,
        keep_until=until,
        made_by=by,
    )
    record_audit(
        actor=by,
        action="retention_extended",
        partnership=escalation.partnership,
        obj=escalation,
        changes={"keep_until": (None, until.isoformat()), "reason": (None, fingerprint(reason))},
    )
    return decision


def export_subject_access(
    *,
    by: Person,
    query: SubjectQuery,
    reason: str,
    request_reference: str = "",
    withhold_names: bool,
) -> SubjectAccessExport:
    """The business unit's subject access export for the person searched for, audited."""
    if not by.has_role(Role.BUSINESS_MANAGER):
        raise PermissionDenied("Only the business unit makes subject access exports")
    if reason not in dict(SEARCH_REASONS):
        raise ValueError(f"Unknown reason {reason!r}")
    found = list(matching_escalations(by, query)[:MOST_RESULTS])
    about = " ".join(part for part in (query.name, str(query.date_of_birth or "")) if part)
    export = build_export(
        found,
        about=about or "the person searched for",
        reason=dict(SEARCH_REASONS)[reason],
        withhold_names=withhold_names,
    )
    with transaction.atomic():
        record_audit(
            actor=by,
            action="subject_access_exported",
            partnership=by.partnership,
            object_type="subject_access",
            changes={
                "searched_for": (None, _query_fingerprint(query)),
                "request_reference": (None, fingerprint(request_reference)),
                "references": (None, [line.reference for line in export.contents]),
                "withheld_other_names": (None, withhold_names),
                "search_reason": (None, reason),
            },
            reason=dict(SEARCH_REASONS)[reason],
        )
    return export


def export_professional_access(
    *,
    by: Person,
    subject: Person,
    reason: str,
    request_reference: str = "",
    withhold_names: bool,
) -> SubjectAccessExport:
    """The business unit's subject access export about a professional in its directory, audited.

    The audit row names the person it is about (a professional's record in the directory, not
    a child's identifiers), the escalations included and whether other names were withheld.
    """
    if not by.has_role(Role.BUSINESS_MANAGER) or by.partnership_id is None:
        raise PermissionDenied("Only the business unit makes subject access exports")
    if subject.partnership_id != by.partnership_id:
        raise PermissionDenied("Only for people in your partnership's directory")
    if reason not in dict(SEARCH_REASONS):
        raise ValueError(f"Unknown reason {reason!r}")
    export = build_professional_export(
        subject, reason=dict(SEARCH_REASONS)[reason], withhold_names=withhold_names
    )
    with transaction.atomic():
        record_audit(
            actor=by,
            action="professional_subject_access_exported",
            partnership=by.partnership,
            obj=subject,
            changes={
                "request_reference": (None, fingerprint(request_reference)),
                "contents": (None, [line.reference for line in export.contents]),
                "withheld_other_names": (None, withhold_names),
                "search_reason": (None, reason),
            },
            reason=dict(SEARCH_REASONS)[reason],
        )
    return export


class DisposalRefused(Exception):
    """A record that may not be disposed of now; the message says why, for the page."""


def disposal_refusal(escalation: Escalation, *, today: date) -> str:
    """Why `escalation` may not be disposed of today, or "" if it may."""
    decisions = list(RetentionDecision.objects.filter(escalation=escalation))
    if any(d.kind == RetentionDecision.Kind.DISPOSED for d in decisions):
        return "This record has already been disposed of."
    if any(d.kind == RetentionDecision.Kind.HOLD and d.lifted_at is None for d in decisions):
        return "This record is under a legal hold. Lift the hold before disposing of it."
    if not is_due(escalation, today=today):
        return "This record is not due for disposal yet."
    if any(
        d.kind == RetentionDecision.Kind.EXTEND and d.keep_until and d.keep_until > today
        for d in decisions
    ):
        return "This record is being kept longer. It can be disposed of after that date."
    return ""


def dispose_escalation(
    *, by: Person, escalation: Escalation, reason: str, dry_run: bool, today: date | None = None
) -> DisposalReport:
    """Anonymise a record past its retention, as one audited event; `dry_run` reports only."""
    _review_guard(by)
    today = today or timezone.localdate()
    refusal = disposal_refusal(escalation, today=today)
    if refusal:
        raise DisposalRefused(refusal)
    if dry_run:
        return dispose(escalation, apply=False)
    with transaction.atomic():
        report = dispose(escalation, apply=True)
        RetentionDecision.objects.create(
            escalation=escalation,
            kind=RetentionDecision.Kind.DISPOSED,
            reason=reason,
            made_by=by,
        )
        record_audit(
            actor=by,
            action="escalation_disposed",
            partnership=escalation.partnership,
            obj=escalation,
            changes={
                "fields_disposed": (None, dict(report.fields)),
                "files_removed": (None, len(report.files)),
                "reason": (None, fingerprint(reason)),
            },
        )
    return report
