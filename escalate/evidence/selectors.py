"""Reading evidence, only through an escalation the person may see."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from escalate.directory.models import Person
from escalate.escalations.models import Escalation
from escalate.escalations.selectors import access_escalation
from escalate.evidence.models import Attachment


def escalation_evidence(escalation: Escalation) -> QuerySet[Attachment]:
    """Evidence on an escalation the caller has already loaded through access_escalation."""
    return Attachment.objects.filter(escalation=escalation).select_related(
        "uploaded_by", "uploaded_by__agency"
    )


def attachments_for(person: Person, reference: str) -> QuerySet[Attachment]:
    """Evidence on the escalation; Http404 if the person may not see the escalation."""
    return escalation_evidence(access_escalation(person, reference))


def access_attachment(person: Person, reference: str, attachment_id: int) -> Attachment:
    """One attachment, or Http404 exactly as for an id that does not exist."""
    try:
        return (
            attachments_for(person, reference)
            .select_related("escalation__partnership")
            .get(pk=attachment_id)
        )
    except Attachment.DoesNotExist:
        raise Http404("No attachment found") from None
