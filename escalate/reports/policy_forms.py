"""The forms the policies name, filled in from the record (Word templates, docxtpl).

Each form is a Word template whose placeholders name the fields below (`FIELDS`). The shipped
templates are in reports/forms/<kind>.docx; a business unit may upload its own, which is
checked here for placeholders the app does not know before it can be used. Templates render in
Jinja's sandbox with escaping on, so an uploaded template cannot reach anything but its fields.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from jinja2 import TemplateSyntaxError, nodes
from jinja2.sandbox import SandboxedEnvironment

from escalate.policies.schema import PolicySpec
from escalate.policies.schema_forms import FormReader, PolicyForm
from escalate.reports.record import Record

SHIPPED = Path(__file__).with_name("forms")

# Every placeholder a form may use: top-level names, and the fields of each (for a list, the
# fields of each of its items). Anything else in a template is refused, by name.
FIELDS: dict[str, tuple[str, ...]] = {
    "form_title": (),
    "reference": (),
    "partnership": (),
    "policy": (),
    "status": (),
    "made": (),
    "current_stage": (),
    "concern": (
        "raised_at",
        "raised_by",
        "raiser_agency",
        "respondent",
        "respondent_agency",
        "subject_name",
        "subject_date_of_birth",
        "case_references",
        "circumstances",
        "categories",
        "disputed",
        "risk",
        "outcome_wanted",
        "already_tried",
        "started_at_later_stage_reason",
    ),
    "stages": ("name", "started", "due", "ended", "outcome"),
    "discussions": ("when", "stage", "recorded_by", "with_whom", "method", "said", "outcome"),
    "entries": ("when", "stage", "title", "recorded_by", "details"),
    "outcome": ("decision", "decided_by", "closed_at", "learning", "learning_themes"),
    "actions": ("description", "owner", "due", "status"),
    "panel_members": ("name", "job_title", "agency"),
    "representations": ("when", "agency", "summary"),
    "people": ("name", "job_title", "agency", "parts"),
    "evidence": ("name", "file_type", "added_by", "when"),
}
LISTS = frozenset(
    {
        "stages",
        "discussions",
        "entries",
        "actions",
        "panel_members",
        "representations",
        "people",
        "evidence",
    }
)


MAX_TEMPLATE_BYTES = 2 * 1024 * 1024
MAX_UNPACKED_BYTES = 20 * 1024 * 1024
# Parts and content types that carry macros (Word's .docm and templates with a VBA project).
MACRO_MARKERS = ("vbaproject", "vbadata", "macroenabled")


class FormTemplateError(ValueError):
    """A template that cannot be used: the message says what to change."""


def _facts(facts: Iterable[Any]) -> dict[str, str]:
    return {fact.key: fact.value for fact in facts}


def form_context(record: Record, form: PolicyForm) -> dict[str, Any]:
    """The fields of a form, from the record (missing facts are empty strings, never absent)."""
    concern = _facts(record.concern)
    outcome = _facts(record.outcome)
    discussions = []
    entries = []
    for stage in record.stages:
        for entry in stage.entries:
            facts = _facts(entry.facts)
            entries.append(
                {
                    "when": entry.when,
                    "stage": stage.name,
                    "title": entry.title,
                    "recorded_by": entry.recorded_by,
                    "details": "\n".join(f"{f.label}: {f.value}" for f in entry.facts),
                }
            )
            if entry.kind == "discussion":
                discussions.append(
                    {
                        "when": entry.when,
                        "stage": stage.name,
                        "recorded_by": entry.recorded_by,
                        "with_whom": facts.get("with_whom", ""),
                        "method": facts.get("method", ""),
                        "said": facts.get("text", ""),
                        "outcome": facts.get("outcome", ""),
                    }
                )
    panel = record.panel
    return {
        "form_title": form.title,
        "reference": record.reference,
        "partnership": record.partnership,
        "policy": record.policy,
        "status": record.status,
        "made": record.made_at.strftime("%-d %B %Y"),
        "current_stage": record.stages[-1].name if record.stages else "",
        "concern": {key: concern.get(key, "") for key in FIELDS["concern"]},
        "stages": [
            {
                "name": stage.name,
                **{
                    key: _facts(stage.facts).get(name, "")
                    for key, name in (
                        ("started", "started_at"),
                        ("due", "due_at"),
                        ("ended", "ended_at"),
                        ("outcome", "outcome"),
                    )
                },
            }
            for stage in record.stages
        ],
        "discussions": discussions,
        "entries": entries,
        "outcome": {
            "decision": outcome.get("decision", ""),
            "decided_by": outcome.get("decided_by", ""),
            "closed_at": outcome.get("closed_at", ""),
            "learning": outcome.get("learning", ""),
            "learning_themes": outcome.get("learning_themes", ""),
        },
        "actions": [
            {"description": a.description, "owner": a.owner, "due": a.due, "status": a.status}
            for a in record.actions
        ],
        "panel_members": [
            {"name": m.name, "job_title": m.job_title, "agency": m.agency}
            for m in (panel.members if panel else [])
        ],
        "representations": [
            {
                "when": entry.when,
                "agency": _facts(entry.facts).get("agency", ""),
                "summary": _facts(entry.facts).get("text", ""),
            }
            for entry in (panel.representations if panel else [])
        ],
        "people": [
            {
                "name": p.name,
                "job_title": p.job_title,
                "agency": p.agency,
                "parts": "; ".join(p.parts),
            }
            for p in record.people
        ],
        "evidence": [
            {"name": e.name, "file_type": e.file_type, "added_by": e.added_by, "when": e.when}
            for e in record.evidence
        ],
    }


def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(autoescape=True)


def _template_source(content: bytes) -> str:
    from docxtpl import DocxTemplate

    template = DocxTemplate(io.BytesIO(content))
    template.init_docx()
    document = template.docx
    assert document is not None
    source = template.patch_xml(template.xml_to_string(document._element.body))
    for uri in (template.HEADER_URI, template.FOOTER_URI):
        for relation in document._part.rels.values():
            if relation.reltype == uri and relation.target_part.blob:
                from docx.oxml import parse_xml

                source += template.patch_xml(
                    template.xml_to_string(parse_xml(relation.target_part.blob))
                )
    return str(source)


def unknown_placeholders(content: bytes) -> list[str]:
    """Placeholders the template uses that no form field has, e.g. ["concern.colour"].

    FormTemplateError for a file that is not a Word document or whose placeholders do not parse.
    """
    if not zipfile.is_zipfile(io.BytesIO(content)):
        raise FormTemplateError("The file must be a Word document (.docx)")
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
            raise FormTemplateError("The file unpacks to more than 20MB: it cannot be a template")
    try:
        source = _template_source(content)
    except (KeyError, ValueError, zipfile.BadZipFile) as error:
        raise FormTemplateError("The file must be a Word document (.docx)") from error
    try:
        tree = _environment().parse(source)
    except TemplateSyntaxError as error:
        raise FormTemplateError(
            f"A placeholder is not written correctly: {error.message}"
        ) from error
    unknown: list[str] = []
    _walk(tree, {}, unknown)
    return list(dict.fromkeys(unknown))


def _walk(node: nodes.Node, loops: Mapping[str, str], unknown: list[str]) -> None:
    """Check each name and field used; `loops` maps a loop variable to the list it runs over."""
    if isinstance(node, nodes.For):
        target = node.target
        source = node.iter
        _walk(source, loops, unknown)
        inner = dict(loops)
        if isinstance(target, nodes.Name) and isinstance(source, nodes.Name):
            inner[target.name] = source.name
        for child in [*node.body, *node.else_]:
            _walk(child, inner, unknown)
        if node.test is not None:
            _walk(node.test, inner, unknown)
        return
    if isinstance(node, nodes.Getattr | nodes.Getitem) and isinstance(node.node, nodes.Name):
        name = node.node.name
        attribute = (
            node.attr
            if isinstance(node, nodes.Getattr)
            else (node.arg.value if isinstance(node.arg, nodes.Const) else None)
        )
        owner = loops.get(name, name)
        if owner not in FIELDS and name not in ("loop",):
            unknown.append(f"{name}.{attribute}" if attribute else name)
        elif (
            owner in FIELDS
            and (name in loops or owner not in LISTS)
            and attribute not in FIELDS[owner]
        ):
            unknown.append(f"{name}.{attribute}")
        return
    if isinstance(node, nodes.Name) and node.ctx == "load":
        if node.name not in FIELDS and node.name not in loops and node.name != "loop":
            unknown.append(node.name)
        return
    for child in node.iter_child_nodes():
        _walk(child, loops, unknown)


def check_upload(name: str, content: bytes) -> None:
    """Refuse an uploaded file that cannot be a safe Word template, saying why: not a .docx,
    macros (a .docm, or a VBA project inside), too large, or unknown placeholders (named)."""
    lowered = name.lower()
    if lowered.endswith((".docm", ".dotm")):
        raise FormTemplateError(
            "The template must not contain macros: save it as a Word document (.docx)"
        )
    if not lowered.endswith(".docx"):
        raise FormTemplateError("The selected file must be a Word document (.docx)")
    if len(content) > MAX_TEMPLATE_BYTES:
        raise FormTemplateError("The selected file must be smaller than 2MB")
    if not zipfile.is_zipfile(io.BytesIO(content)):
        raise FormTemplateError("The file must be a Word document (.docx)")
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = archive.namelist()
        if "word/document.xml" not in names or "[Content_Types].xml" not in names:
            raise FormTemplateError("The file must be a Word document (.docx)")
        types = archive.read("[Content_Types].xml")[:200_000].decode("utf-8", "replace").lower()
    if any(marker in part.lower() for part in names for marker in MACRO_MARKERS) or any(
        marker in types for marker in MACRO_MARKERS
    ):
        raise FormTemplateError(
            "The template must not contain macros: remove them and save it as a Word "
            "document (.docx)"
        )
    check_template(content)


def check_template(content: bytes) -> None:
    """Refuse a template with a placeholder no form field has, naming it."""
    unknown = unknown_placeholders(content)
    if unknown:
        listed = ", ".join("{{ " + name + " }}" for name in unknown)
        plural = "s" if len(unknown) > 1 else ""
        raise FormTemplateError(
            f"The template uses placeholder{plural} Escalate does not know: {listed}. "
            "Use the fields listed on this page."
        )


def render_form(content: bytes, context: Mapping[str, Any]) -> bytes:
    """The template filled in with `context` (escaped, in the sandbox)."""
    from docxtpl import DocxTemplate

    template = DocxTemplate(io.BytesIO(content))
    try:
        template.render(dict(context), jinja_env=_environment(), autoescape=True)
    except Exception as error:  # a template error must not become a 500
        raise FormTemplateError(f"The template could not be filled in: {error}") from error
    buffer = io.BytesIO()
    template.save(buffer)
    return buffer.getvalue()


def shipped_template(kind: str) -> bytes:
    return (SHIPPED / f"{kind}.docx").read_bytes()


# --- who may have which form, when -------------------------------------------------------------

RAISER_PARTS = frozenset({"raiser", "raiser_manager"})
RESPONDENT_PARTS = frozenset({"respondent", "respondent_manager"})


def availability_text(form: PolicyForm, spec: PolicySpec) -> str:
    if form.available_at == "raised":
        return "From when it is raised"
    if form.available_at == "closed":
        return "Once it is resolved or withdrawn"
    return f"From when it reaches {spec.stage(form.available_at).name}"


def form_is_available(
    form: PolicyForm, *, stage_order: list[str], reached: set[str], closed: bool
) -> bool:
    """Whether the policy offers the form yet: from the start, once closed, or once the
    escalation has reached the named stage or any later one."""
    if form.available_at == "raised":
        return True
    if form.available_at == "closed":
        return closed
    furthest = max((stage_order.index(key) for key in reached if key in stage_order), default=-1)
    return furthest >= stage_order.index(form.available_at)


def may_download(form: PolicyForm, *, parts: set[str], roles: set[str]) -> bool:
    """Whether someone who may see the escalation may download this form under the policy."""
    readers = set(form.may_download)
    return bool(
        FormReader.VIEWERS in readers
        or (FormReader.RAISER_SIDE in readers and parts & RAISER_PARTS)
        or (FormReader.RESPONDENT_SIDE in readers and parts & RESPONDENT_PARTS)
        or (FormReader.PARTNERSHIP_CHAIR in readers and "partnership_chair" in parts | roles)
        or (FormReader.BUSINESS_MANAGER in readers and "business_manager" in roles)
    )


def offered_forms(
    spec: PolicySpec, *, reached: set[str], closed: bool, parts: set[str], roles: set[str]
) -> list[PolicyForm]:
    """The policy's forms this person may download for this escalation now."""
    return [
        form
        for form in spec.forms
        if form_is_available(
            form,
            stage_order=[stage.key for stage in spec.stages],
            reached=reached,
            closed=closed,
        )
        and may_download(form, parts=parts, roles=roles)
    ]


def fictitious_record(partnership: str, policy: str) -> Record:
    """An invented escalation for previewing a template (no real person, child or agency)."""
    from datetime import UTC, date, datetime

    from escalate.reports.record import (
        RecordAction,
        RecordEntry,
        RecordFact,
        RecordPerson,
        RecordStage,
    )

    def fact(key: str, label: str, value: str) -> RecordFact:
        return RecordFact(key=key, label=label, value=value)

    moment = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    return Record(
        reference="PREVIEW-2026-0001",
        title="Escalation record PREVIEW-2026-0001",
        partnership=partnership,
        policy=policy,
        status="Resolved",
        made_at=moment,
        concern=[
            fact("raised_at", "Raised", "2 March 2026 10:00"),
            fact("raised_by", "Raised by", "Alex Sample, Class teacher, Example Primary School"),
            fact("raiser_agency", "Raising agency", "Example Primary School"),
            fact("respondent", "Decision challenged by", "Jo Placeholder"),
            fact("respondent_agency", "Agency", "Example Children's Social Care"),
            fact("subject_name", "Child's name", "Preview Child"),
            fact("subject_date_of_birth", "Date of birth", "1 January 2016"),
            fact("case_references", "Case references", "PREVIEW-CASE-1"),
            fact("categories", "Categories", "Levels of need"),
            fact("disputed", "What is disputed", "A referral closed with no further action."),
            fact("risk", "Risk", "Invented risk, for a preview only."),
            fact("outcome_wanted", "Outcome wanted", "An assessment."),
        ],
        people=[
            RecordPerson(
                name="Alex Sample",
                job_title="Class teacher",
                agency="Example Primary School",
                parts=["Raised the escalation"],
            )
        ],
        stages=[
            RecordStage(
                key="stage_1",
                name="Stage 1",
                facts=[
                    fact("started_at", "Started", "2 March 2026 10:00"),
                    fact("ended_at", "Ended", "4 March 2026 16:00"),
                    fact("outcome", "Outcome", "Resolved"),
                ],
                entries=[
                    RecordEntry(
                        id=1,
                        kind="discussion",
                        title="Discussion",
                        occurred_at=moment,
                        when="3 March 2026",
                        recorded_by="Alex Sample, Class teacher, Example Primary School",
                        facts=[
                            fact("text", "What was said", "An invented discussion."),
                            fact("with_whom", "Who took part", "Jo Placeholder"),
                            fact("method", "How it was held", "Phone call"),
                            fact("outcome", "Outcome", "Agreed: an assessment will start."),
                        ],
                    )
                ],
            )
        ],
        panel=None,
        outcome=[
            fact("decision", "Decision", "An assessment will start this week."),
            fact("decided_by", "Decided by", "Both practitioners"),
            fact("learning", "Learning", "Invented learning."),
        ],
        actions=[
            RecordAction(
                description="Start the assessment",
                owner="Jo Placeholder",
                due_on=date(2026, 3, 9),
                due="9 March 2026",
                agreed="4 March 2026 by Alex Sample",
                status="Not done yet",
            )
        ],
        told=[],
        evidence=[],
        copies=[],
    )
