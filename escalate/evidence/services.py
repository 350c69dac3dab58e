"""Attaching evidence to an escalation."""

from __future__ import annotations

import hashlib
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.text import get_valid_filename

from escalate.audit.services import record_audit
from escalate.directory.models import Person
from escalate.escalations.models import Escalation
from escalate.escalations.state import actor_of
from escalate.evidence.filetypes import ALLOWED, Refused, detect
from escalate.evidence.models import Attachment, ScanStatus
from escalate.evidence.scanning import ScannerUnavailable, scanner
from escalate.evidence.storage import evidence_storage

NOT_A_PARTY = "Only the people taking part in this escalation can add evidence to it"


def max_bytes() -> int:
    from django.conf import settings

    return int(settings.EVIDENCE_MAX_BYTES)


def allowed_types_text() -> str:
    labels = [kind.label for kind in ALLOWED]
    return ", ".join(labels[:-1]) + " or " + labels[-1]


def _display_name(uploaded: str, extension: str) -> str:
    stem = get_valid_filename(uploaded.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]).rsplit(".", 1)[0]
    return f"{(stem or 'evidence')[:150]}.{extension}"


def may_add_evidence(*, escalation: Escalation, person: Person) -> bool:
    """Parties to the escalation (now or at an earlier stage) add evidence; those who only see
    it through a partnership role (the business manager, the auditor) read it."""
    actor = actor_of(escalation, person)
    return bool(actor.parts or actor.former_parts)


def attach_evidence(
    *, escalation: Escalation, by: Person, upload: UploadedFile, request: HttpRequest | None = None
) -> Attachment:
    """Check who adds it, the file's size and real type, scan it, store it under a random
    name, and audit it.

    Raises PermissionDenied when `by` is not a party to the escalation, and ValidationError
    (with the message to show) for a file that is too big, empty, not one of the allowed types
    whatever its name says, holding scripts or macros, or infected. When the scanner cannot
    answer now the file is kept quarantined (not downloadable) until `scan_evidence` clears it.
    The caller has already checked `by` may see the escalation (access_escalation).
    """
    if not may_add_evidence(escalation=escalation, person=by):
        raise PermissionDenied(NOT_A_PARTY)
    if escalation.is_closed:
        raise ValidationError("This escalation is closed, so evidence can no longer be added")
    size = upload.size or 0
    if size == 0:
        raise ValidationError("The selected file is empty")
    if size > max_bytes():
        raise ValidationError(f"The selected file must be smaller than {max_bytes() // 2**20}MB")
    try:
        kind = detect(upload.file) if upload.file is not None else None
    except Refused as refusal:
        raise ValidationError(str(refusal)) from None
    if kind is None:
        raise ValidationError(f"The selected file must be a {allowed_types_text()}")
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    status, scanned_by = _scan(upload, escalation=escalation, by=by, request=request)
    token = secrets.token_hex(20)
    storage = evidence_storage()
    stored_name = storage.save(f"{token[:2]}/{token}", upload)
    try:
        with transaction.atomic():
            attachment = Attachment.objects.create(
                escalation=escalation,
                uploaded_by=by,
                name=_display_name(upload.name or "", kind.extension),
                stored_name=stored_name,
                content_type=kind.content_type,
                size=size,
                sha256=digest.hexdigest(),
                scan_status=status,
                scanned_by=scanned_by,
                scanned_at=timezone.now() if status == ScanStatus.CLEAN else None,
            )
            record_audit(
                actor=by,
                action="evidence_attached",
                partnership=escalation.partnership,
                obj=escalation,
                changes={
                    "attachment": (None, attachment.pk),
                    "type": (None, kind.label),
                    "scan": (None, status),
                },
                request=request,
            )
    except BaseException:
        storage.delete(stored_name)  # no row, no file
        raise
    return attachment


def _scan(
    upload: UploadedFile, *, escalation: Escalation, by: Person, request: HttpRequest | None
) -> tuple[str, str]:
    found = scanner()
    if found is None or upload.file is None:
        return ScanStatus.NOT_SCANNED, ""
    try:
        verdict = found.scan(upload.file)
    except ScannerUnavailable:
        return ScanStatus.QUARANTINED, found.name
    if verdict.clean:
        return ScanStatus.CLEAN, found.name
    with transaction.atomic():
        record_audit(
            actor=by,
            action="evidence_refused_malware",
            partnership=escalation.partnership,
            obj=escalation,
            changes={"signature": (None, verdict.signature), "scanner": (None, found.name)},
            request=request,
        )
    raise ValidationError(
        f"The selected file contains a virus ({verdict.signature}) and was not added. "
        "Tell your IT service desk."
    )


def scan_quarantined(*, limit: int = 100) -> dict[str, int]:
    """Scan files kept quarantined because the scanner could not answer at upload.

    Clean ones become available; an infected one is deleted from the store and marked. Each
    outcome is audited. Returns how many ended in each status.
    """
    found = scanner()
    counts = {ScanStatus.CLEAN.value: 0, ScanStatus.INFECTED.value: 0, "still_waiting": 0}
    if found is None:
        return counts
    storage = evidence_storage()
    waiting = Attachment.objects.filter(scan_status=ScanStatus.QUARANTINED).select_related(
        "escalation__partnership"
    )
    for attachment in waiting.order_by("pk")[:limit]:
        try:
            with storage.open(attachment.stored_name, "rb") as stream:
                verdict = found.scan(stream)
        except ScannerUnavailable:
            counts["still_waiting"] += 1
            continue
        status = ScanStatus.CLEAN if verdict.clean else ScanStatus.INFECTED
        with transaction.atomic():
            Attachment.objects.filter(pk=attachment.pk).update(
                scan_status=status, scanned_by=found.name, scanned_at=timezone.now()
            )
            record_audit(
                actor=None,
                action="evidence_scanned",
                partnership=attachment.escalation.partnership,
                obj=attachment.escalation,
                changes={
                    "attachment": (attachment.pk, attachment.pk),
                    "scan": (ScanStatus.QUARANTINED.value, status.value),
                    "signature": (None, verdict.signature),
                },
            )
        if status == ScanStatus.INFECTED:
            storage.delete(attachment.stored_name)
        counts[status.value] += 1
    return counts


def record_download(*, attachment: Attachment, by: Person, request: HttpRequest) -> None:
    """Every download of evidence is a disclosure: audit it."""
    record_audit(
        actor=by,
        action="evidence_downloaded",
        partnership=attachment.escalation.partnership,
        obj=attachment.escalation,
        changes={"attachment": (attachment.pk, attachment.pk)},
        request=request,
    )
