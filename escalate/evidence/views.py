"""Evidence on an escalation: list and upload, and download through a permission check."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from escalate.directory.requests import person_of
from escalate.escalations.selectors import access_escalation
from escalate.evidence.forms import EvidenceForm
from escalate.evidence.selectors import access_attachment
from escalate.evidence.services import (
    NOT_A_PARTY,
    attach_evidence,
    may_add_evidence,
    record_download,
)
from escalate.evidence.storage import evidence_storage


@require_http_methods(["GET", "POST"])
def evidence(request: HttpRequest, reference: str) -> HttpResponse:
    person = person_of(request)
    escalation = access_escalation(person, reference)
    may_add = may_add_evidence(escalation=escalation, person=person)
    if request.method == "POST" and not may_add:
        raise PermissionDenied(NOT_A_PARTY)
    form = EvidenceForm(request.POST, request.FILES) if request.method == "POST" else EvidenceForm()
    if request.method == "POST" and form.is_valid():
        try:
            attachment = attach_evidence(
                escalation=escalation, by=person, upload=form.cleaned_data["file"], request=request
            )
        except ValidationError as error:
            form.add_error("file", error)
        else:
            messages.success(request, f"{attachment.name} has been added.")
            return redirect("evidence:list", reference=escalation.reference)
    return render(
        request,
        "evidence/evidence.html",
        {
            "escalation": escalation,
            "attachments": escalation.attachments.select_related("uploaded_by"),
            "form": form,
            "may_add": may_add,
        },
    )


@require_GET
def download(request: HttpRequest, reference: str, attachment_id: int) -> FileResponse:
    person = person_of(request)
    attachment = access_attachment(person, reference, attachment_id)
    if not attachment.available:
        raise Http404("No attachment found")  # quarantined: as if it were not there yet
    record_download(attachment=attachment, by=person, request=request)
    response = FileResponse(
        evidence_storage().open(attachment.stored_name, "rb"),
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type,
    )
    return response
