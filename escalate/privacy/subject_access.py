"""A subject access export (issue 21, item 4; UK GDPR Art. 15): everything held about a named
child or adult, as machine-readable JSON and as PDFs, with a contents list.

The records are the same ones the child's file gets (`reports.record`), so nothing is held that
the export leaves out without saying so. Other people's names can be withheld: each is replaced
by what they were to the escalation (their job title and agency), and the choice is recorded in
the contents list and in the audit trail.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from escalate.escalations.models import Escalation
from escalate.reports.exports import escalation_record_pdf, html_to_pdf
from escalate.reports.record import Record, build_record

WITHHELD_FILES = (
    "The contents of uploaded evidence files are not included: the business unit reviews each "
    "file for third parties' information before releasing it."
)


@dataclass(frozen=True)
class ContentsLine:
    reference: str
    included: str
    withheld: list[str]


@dataclass(frozen=True)
class SubjectAccessExport:
    filename: str
    zip_bytes: bytes
    contents: list[ContentsLine]


def _replace_in(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        for name, stand_in in names.items():
            value = value.replace(name, stand_in)
        return value
    if isinstance(value, list):
        return [_replace_in(item, names) for item in value]
    if isinstance(value, dict):
        return {key: _replace_in(item, names) for key, item in value.items()}
    return value


def withhold_other_names(record: Record) -> Record:
    """The record with every professional's name replaced by their job title and agency."""
    people = list(record.people) + (list(record.panel.members) if record.panel else [])
    names = {
        person.name: f"[name withheld: {person.job_title or 'professional'}, {person.agency}]"
        for person in people
        if person.name
    }
    # Longest first, so "Sam Jones" is replaced before "Sam".
    ordered = dict(sorted(names.items(), key=lambda item: -len(item[0])))
    return Record.model_validate(_replace_in(record.model_dump(mode="json"), ordered))


def build_export(
    escalations: list[Escalation], *, about: str, reason: str, withhold_names: bool
) -> SubjectAccessExport:
    made_at = timezone.localtime()
    records: list[Record] = []
    contents: list[ContentsLine] = []
    for escalation in escalations:
        record = build_record(escalation)
        if withhold_names:
            record = withhold_other_names(record)
        records.append(record)
        withheld = [f"{file.name}: {WITHHELD_FILES}" for file in record.evidence]
        if withhold_names:
            withheld.append("Professionals' names: withheld, replaced by job title and agency.")
        contents.append(
            ContentsLine(
                reference=record.reference,
                included="The whole record: concern, people, every stage and entry, outcome, "
                "actions, who was told, evidence listed",
                withheld=withheld,
            )
        )
    document = {
        "about": about,
        "made_at": made_at.isoformat(),
        "reason": reason,
        "names_withheld": withhold_names,
        "contents": [line.__dict__ for line in contents],
        "records": [record.model_dump(mode="json") for record in records],
    }
    contents_pdf = html_to_pdf(
        render_to_string(
            "privacy/pdf/subject_access_contents.html",
            {"about": about, "made_at": made_at, "contents": contents, "withhold": withhold_names},
        )
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("subject-access.json", json.dumps(document, indent=2, ensure_ascii=False))
        archive.writestr("contents.pdf", contents_pdf)
        for record in records:
            archive.writestr(f"records/{record.filename_stem}.pdf", escalation_record_pdf(record))
    return SubjectAccessExport(
        filename=f"subject-access-{made_at:%Y-%m-%d}.zip",
        zip_bytes=buffer.getvalue(),
        contents=contents,
    )
