"""Every export: checked, rendered and written to the audit trail with the reason given.

Each function is keyword-only and runs in one transaction: if the audit row cannot be written,
no file is handed out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.text import slugify

from escalate.audit.models import AuditEvent
from escalate.audit.services import record_audit
from escalate.directory.models import Partnership, Person, Role
from escalate.escalations.models import ChronologyEntry, EntryKind, Escalation, Part, Participant
from escalate.escalations.selectors import access_escalation
from escalate.policies.calendar import govuk_date
from escalate.policies.schema import PolicySpec
from escalate.policies.schema_forms import PolicyForm
from escalate.reports import exports, policy_forms, selectors
from escalate.reports.calendar_table import working_day_rows
from escalate.reports.models import AttachedForm, FormTemplate, WorkingDay
from escalate.reports.record import Record, build_record

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


@dataclass(frozen=True)
class ExportFile:
    filename: str
    file_format: str
    content: bytes

    def response(self) -> HttpResponse:
        response = HttpResponse(self.content, content_type=CONTENT_TYPES[self.file_format])
        response["Content-Disposition"] = f'attachment; filename="{self.filename}"'
        response["Cache-Control"] = "no-store"
        return response


def record_export(
    *,
    actor: Person,
    kind: str,
    reason: str,
    partnership: Partnership | None,
    reference: str = "",
    details: str = "",
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Write one export to the audit trail: who, what (`kind`), which record, why."""
    return record_audit(
        actor=actor,
        action=f"export_{kind}",
        partnership=partnership,
        object_type="reports.export",
        object_id=details[:100],
        reference=reference,
        reason=reason,
        request=request,
    )


@transaction.atomic
def export_escalation_record(
    *,
    by: Person,
    reference: str,
    file_format: Literal["pdf", "docx"],
    reason: str,
    request: HttpRequest | None = None,
) -> ExportFile:
    """The record for the child's file (Http404 if `by` may not see the escalation)."""
    escalation = access_escalation(by, reference)
    record = build_record(escalation, viewer=by)
    if file_format == "pdf":
        content = exports.escalation_record_pdf(record)
    else:
        content = exports.escalation_record_docx(record)
    record_export(
        actor=by,
        kind=f"escalation_record_{file_format}",
        reason=reason,
        partnership=escalation.partnership,
        reference=record.reference,
        request=request,
    )
    return ExportFile(f"{record.filename_stem}.{file_format}", file_format, content)


@transaction.atomic
def export_escalation_record_data(
    *, by: Person, reference: str, reason: str, request: HttpRequest | None = None
) -> Record:
    """The record as data (the API's JSON), audited with the reason exactly as the files are."""
    escalation = access_escalation(by, reference)
    record = build_record(escalation, viewer=by)
    record_export(
        actor=by,
        kind="escalation_record_json",
        reason=reason,
        partnership=escalation.partnership,
        reference=record.reference,
        request=request,
    )
    return record


def _policy_form(spec: PolicySpec, kind: str) -> PolicyForm:
    form = next((form for form in spec.forms if form.kind == kind), None)
    if form is None:
        raise Http404("The policy names no such form")
    return form


def _template_in_use(partnership: Partnership, kind: str) -> bytes:
    custom = FormTemplate.objects.filter(partnership=partnership, kind=kind, in_use=True).first()
    return bytes(custom.content) if custom is not None else policy_forms.shipped_template(kind)


def forms_offered(*, person: Person, escalation: Escalation) -> list[PolicyForm]:
    """The policy's forms `person` (who may see the escalation) may download for it now."""
    return policy_forms.offered_forms(
        escalation.policy_version.spec,
        # .all(): what the escalation page already loaded (selectors.escalation_page), if it did.
        reached={stage.stage_key for stage in escalation.stages.all()},
        closed=escalation.is_closed,
        parts={p.part for p in escalation.participants.all() if p.person_id == person.pk},
        roles=set(person.role_set),
    )


@transaction.atomic
def export_form(
    *, by: Person, reference: str, kind: str, reason: str, request: HttpRequest | None = None
) -> ExportFile:
    """One of the policy's forms filled in from the record, audited with the reason.

    Http404 if `by` may not see the escalation, the policy names no such form, or the policy
    does not offer it to `by` yet; FormTemplateError if the template cannot be filled in.
    """
    escalation = access_escalation(by, reference)
    form = _policy_form(escalation.policy_version.spec, kind)
    if form not in forms_offered(person=by, escalation=escalation):
        raise Http404("This form is not available to you for this escalation")
    record = build_record(escalation, viewer=by)
    content = policy_forms.render_form(
        _template_in_use(escalation.partnership, kind), policy_forms.form_context(record, form)
    )
    record_export(
        actor=by,
        kind=f"form_{kind}",
        reason=reason,
        partnership=escalation.partnership,
        reference=record.reference,
        details=form.title,
        request=request,
    )
    return ExportFile(f"{kind.replace('_', '-')}-{record.reference}.docx", "docx", content)


def _require_business_unit(person: Person) -> PolicySpec:
    return selectors.business_unit_policy(person)


@transaction.atomic
def upload_form_template(*, by: Person, kind: str, name: str, content: bytes) -> FormTemplate:
    """Keep a business unit's own template for a form, once its placeholders are all known.

    FormTemplateError (naming each unknown placeholder) if it cannot be used. It is not used
    for downloads until previewed and chosen (`use_form_template`).
    """
    spec = _require_business_unit(by)
    form = _policy_form(spec, kind)
    policy_forms.check_upload(name, content)
    assert by.partnership is not None
    template = FormTemplate.objects.create(
        partnership=by.partnership, kind=form.kind, name=name[:200], content=content, uploaded_by=by
    )
    record_audit(
        actor=by,
        action="form_template_uploaded",
        partnership=by.partnership,
        object_type="reports.formtemplate",
        object_id=str(template.pk),
        reason=f"{form.title}: {template.name}",
    )
    return template


def _business_template(by: Person, template_id: int) -> FormTemplate:
    _require_business_unit(by)
    template = FormTemplate.objects.filter(partnership=by.partnership, pk=template_id).first()
    if template is None:
        raise Http404("No such template")
    return template


@transaction.atomic
def preview_form_template(
    *, by: Person, template_id: int, request: HttpRequest | None = None
) -> ExportFile:
    """An uploaded template filled in with an invented escalation, to check before using it.

    The first preview makes the template usable (`use_form_template`); each one is audited.
    """
    template = _business_template(by, template_id)
    spec = _require_business_unit(by)
    form = _policy_form(spec, template.kind)
    assert by.partnership is not None
    record = policy_forms.fictitious_record(by.partnership.name, spec.name)
    content = policy_forms.render_form(
        bytes(template.content), policy_forms.form_context(record, form)
    )
    if template.previewed_at is None:
        template.previewed_at = timezone.now()
        template.save(update_fields=["previewed_at"])
    record_audit(
        actor=by,
        action="form_template_previewed",
        partnership=by.partnership,
        object_type="reports.formtemplate",
        object_id=str(template.pk),
        reason=f"{form.title}: {template.name}",
        request=request,
    )
    return ExportFile(f"preview-{template.kind.replace('_', '-')}.docx", "docx", content)


@transaction.atomic
def use_form_template(
    *, by: Person, template_id: int, request: HttpRequest | None = None
) -> FormTemplate:
    """Use a previewed template for the form's downloads from now on (audited).

    FormTemplateError if its preview has not been downloaded yet.
    """
    template = _business_template(by, template_id)
    if template.previewed_at is None:
        raise policy_forms.FormTemplateError(
            "Download the preview and check it before you use this template"
        )
    FormTemplate.objects.filter(
        partnership=template.partnership, kind=template.kind, in_use=True
    ).update(in_use=False)
    template.in_use = True
    template.save(update_fields=["in_use"])
    record_audit(
        actor=by,
        action="form_template_used",
        partnership=template.partnership,
        object_type="reports.formtemplate",
        object_id=str(template.pk),
        reason=f"{template.kind}: {template.name}",
        request=request,
    )
    return template


def _render_with_template_in_use(escalation: Escalation, form: PolicyForm) -> bytes:
    context = policy_forms.form_context(build_record(escalation), form)
    try:
        return policy_forms.render_form(
            _template_in_use(escalation.partnership, form.kind), context
        )
    except policy_forms.FormTemplateError:  # the business unit's template: Escalate's own
        return policy_forms.render_form(policy_forms.shipped_template(form.kind), context)


def attach_forms_for_chair(
    escalation: Escalation, stage_key: str, by: Person | None, now: datetime
) -> list[AttachedForm]:
    """Entering a stage: make each form the policy marks for the chair and makes available at
    this stage, and keep it on the escalation for the chair (Havering 004 §2.10-2.11: the
    raising agency sends the details to the Chair at the Stage 4 referral; here it is attached
    in the app, never e-mailed). Runs inside the stage change's transaction; audited."""
    spec = escalation.policy_version.spec
    made = []
    for form in spec.forms:
        if not form.for_chair or form.available_at != stage_key:
            continue
        attached, created = AttachedForm.objects.update_or_create(
            escalation=escalation,
            kind=form.kind.value,
            stage_key=stage_key,
            defaults={
                "title": form.title,
                "content": _render_with_template_in_use(escalation, form),
                "made_at": now,
                "made_by": by,
            },
        )
        ChronologyEntry.objects.create(
            escalation=escalation,
            kind=EntryKind.FORM_ATTACHED,
            actor=by,
            stage_key=stage_key,
            occurred_at=now,
            recorded_at=now,
            text=f"{form.title} prepared{'' if created else ' again'} for "
            f"{_chair_names(escalation)} on {govuk_date(now)}",
            data={"form": form.kind.value, "title": form.title},
        )
        record_audit(
            actor=by,
            action="form_attached_for_chair",
            partnership=escalation.partnership,
            object_type="reports.attachedform",
            object_id=str(attached.pk),
            reference=escalation.reference,
            reason=f"{form.title}, made at the referral to {spec.stage(stage_key).name}"
            + ("" if created else " (made again: the stage was entered again)"),
        )
        made.append(attached)
    return made


def _chair_names(escalation: Escalation) -> str:
    """Who the chair's form is for, by name: the partnership chair on the escalation, else
    whoever holds the role in the partnership."""
    chairs = [
        participant.person.full_name
        for participant in Participant.objects.filter(
            escalation=escalation, part=Part.PARTNERSHIP_CHAIR
        )
        .select_related("person")
        .order_by("added_at", "pk")
    ]
    if not chairs:
        chairs = list(
            Person.objects.filter(
                partnership_id=escalation.partnership_id,
                is_active=True,
                role_assignments__role=Role.PARTNERSHIP_CHAIR,
            )
            .order_by("full_name", "pk")
            .values_list("full_name", flat=True)
            .distinct()
        )
    return " and ".join(dict.fromkeys(chairs)) or "the partnership chair"


def attached_form_offered(*, person: Person, escalation: Escalation, kind: str) -> PolicyForm:
    """The chair's form `person` may download for this escalation (Http404 otherwise)."""
    form = next(
        (
            form
            for form in forms_offered(person=person, escalation=escalation)
            if form.kind == kind and form.for_chair
        ),
        None,
    )
    if form is None:
        raise Http404("This form is not available to you for this escalation")
    return form


@transaction.atomic
def export_attached_form(
    *, by: Person, reference: str, kind: str, reason: str, request: HttpRequest | None = None
) -> ExportFile:
    """The chair's form as it was made at the referral, audited with the reason.

    An escalation referred before forms were attached has none yet: it is made now and kept.
    """
    escalation = access_escalation(by, reference)
    form = attached_form_offered(person=by, escalation=escalation, kind=kind)
    attached = (
        AttachedForm.objects.filter(escalation=escalation, kind=kind)
        .order_by("-made_at", "-pk")
        .first()
    )
    if attached is None:
        attached = AttachedForm.objects.create(
            escalation=escalation,
            kind=kind,
            title=form.title,
            stage_key=form.available_at,
            content=_render_with_template_in_use(escalation, form),
            made_by=by,
        )
    record_export(
        actor=by,
        kind=f"attached_form_{kind}",
        reason=reason,
        partnership=escalation.partnership,
        reference=escalation.reference,
        details=form.title,
        request=request,
    )
    return ExportFile(
        f"{kind.replace('_', '-')}-{escalation.reference}-at-referral.docx",
        "docx",
        bytes(attached.content),
    )


@transaction.atomic
def export_figures(
    *,
    by: Person,
    filters: selectors.Filters,
    file_format: Literal["csv", "xlsx"],
    reason: str,
    request: HttpRequest | None = None,
) -> ExportFile:
    """The dashboard's anonymised figures (PermissionDenied without a partnership role)."""
    figures = selectors.dashboard(by, filters)
    content = (
        exports.figures_csv(figures) if file_format == "csv" else exports.figures_xlsx(figures)
    )
    record_export(
        actor=by,
        kind=f"figures_{file_format}",
        reason=reason,
        partnership=by.partnership,
        details="; ".join(filters.describe()) or "all escalations",
        request=request,
    )
    return ExportFile(f"escalation-figures.{file_format}", file_format, content)


@transaction.atomic
def export_board_report(
    *,
    by: Person,
    title: str,
    filters: selectors.Filters,
    reason: str,
    request: HttpRequest | None = None,
) -> ExportFile:
    """The board report PDF for a quarter or a year: charts, tables and learning themes."""
    figures = selectors.dashboard(by, filters)
    lessons = selectors.learning(by, closed_from=filters.date_from, closed_to=filters.date_to)
    content = exports.board_report_pdf(title=title, dashboard=figures, lessons=lessons)
    record_export(
        actor=by,
        kind="board_report_pdf",
        reason=reason,
        partnership=by.partnership,
        details=title,
        request=request,
    )
    return ExportFile(f"{slugify(title)}.pdf", "pdf", content)


@transaction.atomic
def fill_working_days() -> int:
    """Rebuild the working-day table from the calendar (run when bank holidays change), and the
    dashboard's working days to resolution counted with it (escalations/figures.py)."""
    from escalate.escalations import figures

    WorkingDay.objects.all().delete()
    days = len(WorkingDay.objects.bulk_create(working_day_rows(WorkingDay), batch_size=2000))
    figures.rebuild()
    return days
