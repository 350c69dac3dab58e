"""Attaching evidence to an escalation."""

from __future__ import annotations

import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest
from django.utils.text import get_valid_filename

from escalate.audit.services import record_audit
from escalate.directory.models import Person
from escalate.escalations.models import Escalation
from escalate.evidence.filetypes import ALLOWED, detect
from escalate.evidence.models import Attachment
from escalate.evidence.storage import evidence_storage


def max_bytes() -> int:
    from django.conf import settings

    return int(settings.EVIDENCE_MAX_BYTES)


def allowed_types_text() -> str:
    labels = [kind.label for kind in ALLOWED]
    return ", ".join(labels[:-1]) + " or " + labels[-1]


def _display_name(uploaded: str, extension: str) -> str:
    stem = get_valid_filename(uploaded.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]).rsplit(".", 1)[0]
    return f"{(stem or 'evidence')[:150]}.{extension}"


def attach_evidence(
    *, escalation: Escalation, by: Person, upload: UploadedFile, request: HttpRequest | None = None
) -> Attachment:
    """Check the file's size and real type, store it under a random name, and audit it.

    Raises ValidationError (with the message to show) for a file that is too big, empty, or not
    one of the allowed types whatever its name says. The caller has already checked `by` may
    see the escalation (access_escalation).
    """
    if escalation.is_closed:
        raise ValidationError("This escalation is closed, so evidence can no longer be added")
    size = upload.size or 0
    if size == 0:
        raise ValidationError("The selected file is empty")
    if size > max_bytes():
        raise ValidationError(f"The selected file must be smaller than {max_bytes() // 2**20}MB")
    kind = detect(upload.file) if upload.file is not None else None
    if kind is None:
        raise ValidationError(f"The selected file must be a {allowed_types_text()}")
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
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
            )
            record_audit(
                actor=by,
                action="evidence_attached",
                partnership=escalation.partnership,
                obj=escalation,
                changes={"attachment": (None, attachment.pk), "type": (None, kind.label)},
                request=request,
            )
    except BaseException:
        storage.delete(stored_name)  # no row, no file
        raise
    return attachment


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
