"""A subject access export about a professional (issue 21, item 4; UK GDPR Art. 15): everything
Escalate holds about a named person in the partnership's directory.

What is held about a professional:
- their directory entry, roles and the agencies' escalation contacts that name them;
- every escalation they take part in (raised, responded to, decided, reviewed, owned an action,
  wrote an entry, sat on a panel), as the record the child's file gets, since the record is what
  says what they did and what was said about them;
- the notices sent to them (when, which channel, the subject);
- the audit trail of what they did (when, what, on which record).

Withheld, each with the reason in the contents list:
- the child's or adult's identifiers in each record (name, date of birth, case references),
  always: they are a third party's data (Data Protection Act 2018, Schedule 2, paragraph 16);
- other people's names, when the business unit chooses (each replaced by job title and agency);
- notices' text (it repeats the records, and names the child or adult);
- uploaded evidence files' contents (reviewed for third parties before release);
- API token secrets and sign-in codes (never stored readable; a security control).
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from escalate.audit.models import AuditEvent
from escalate.directory.models import EscalationContact, Person
from escalate.escalations.models import Action, ChronologyEntry, Escalation, Participant
from escalate.notifications.models import Notification
from escalate.privacy.subject_access import (
    WITHHELD_FILES,
    ContentsLine,
    SubjectAccessExport,
    _replace_in,
)
from escalate.reports.exports import escalation_record_pdf, html_to_pdf
from escalate.reports.record import Record, build_record

SUBJECT_WITHHELD = "[withheld: the child or adult this escalation is about]"
THIRD_PARTY = (
    "The child's or adult's name, date of birth and case references: withheld, as another "
    "person's data (Data Protection Act 2018, Schedule 2, paragraph 16)."
)
OTHER_NAMES = "Other people's names: withheld, replaced by job title and agency."
NOTICE_TEXT = (
    "The text of each notice: withheld; it repeats the escalation records (included above) "
    "and names the child or adult."
)
SECRETS = (
    "API token secrets and sign-in codes: not held in readable form (stored only as hashes), "
    "so there is nothing to give."
)
SUBJECT_FACTS = frozenset({"subject_name", "subject_date_of_birth", "case_references"})


def escalations_involving(person: Person) -> QuerySet[Escalation]:
    """Every escalation of the person's partnership in which they appear by name."""
    rule = (
        Q(raised_by=person)
        | Q(respondent_person=person)
        | Q(allocated_iro=person)
        | Q(allocated_cp_chair=person)
        | Q(pk__in=Participant.objects.filter(person=person).values("escalation_id"))
        | Q(pk__in=ChronologyEntry.objects.filter(actor=person).values("escalation_id"))
        | Q(
            pk__in=Action.objects.filter(Q(owner=person) | Q(created_by=person)).values(
                "escalation_id"
            )
        )
        | Q(panel__members=person)
    )
    return (
        Escalation.objects.filter(partnership_id=person.partnership_id or 0)
        .filter(rule)
        .distinct()
        .order_by("raised_at", "pk")
    )


def _redacted(record: Record, escalation: Escalation, subject: Person, others: bool) -> Record:
    """The record with the child's or adult's identifiers withheld everywhere, and (if `others`)
    every name but the subject's own replaced by job title and agency."""
    data = record.model_dump(mode="json")
    data["concern"] = [
        {**fact, "value": SUBJECT_WITHHELD} if fact["key"] in SUBJECT_FACTS and fact["value"]
        else fact
        for fact in data["concern"]
    ]  # fmt: skip
    names: dict[str, str] = {}
    words = [escalation.subject_name, escalation.case_references]
    words += [word for word in escalation.subject_name.split() if len(word) > 2]
    for word in words:
        if word.strip():
            names[word.strip()] = SUBJECT_WITHHELD
    if others:
        people = list(record.people) + (list(record.panel.members) if record.panel else [])
        for other in people:
            if other.name and other.name != subject.full_name:
                names[other.name] = (
                    f"[name withheld: {other.job_title or 'professional'}, {other.agency}]"
                )
    ordered = dict(sorted(names.items(), key=lambda item: -len(item[0])))
    # The subject's own name stays, even where it contains a withheld word.
    keep = {subject.full_name: "\x00subject\x00"}
    data = _replace_in(_replace_in(data, keep), ordered)
    data = _replace_in(data, {"\x00subject\x00": subject.full_name})
    return Record.model_validate(data)


def _directory_entry(person: Person) -> dict[str, Any]:
    return {
        "name": person.full_name,
        "email": person.email,
        "job_title": person.job_title,
        "phone": person.phone,
        "agency": person.agency.name if person.agency else "",
        "level": person.get_level_display(),
        "line_manager": person.line_manager.full_name if person.line_manager else "",
        "roles": sorted(person.role_assignments.values_list("role", flat=True)),
        "active": person.is_active,
        "away": person.is_away,
        "in_directory_since": person.date_joined.isoformat(),
        "last_signed_in": person.last_login.isoformat() if person.last_login else None,
        "escalation_contact_for": [
            {"agency": contact.agency.name, "level": contact.level}
            for contact in EscalationContact.objects.filter(person=person).select_related("agency")
        ],
    }


def _notices(person: Person) -> list[dict[str, Any]]:
    return [
        {
            "created_at": notice.created_at.isoformat(),
            "sent_at": notice.sent_at.isoformat() if notice.sent_at else None,
            "channel": notice.get_channel_display(),
            "subject": notice.subject,
            "status": notice.get_status_display(),
        }
        for notice in Notification.objects.filter(
            Q(recipient=person) | Q(recipient_email__iexact=person.email)
        ).order_by("created_at", "pk")
    ]


def _their_actions(person: Person) -> list[dict[str, Any]]:
    return [
        {
            "occurred_at": event.occurred_at.isoformat(),
            "action": event.action,
            "record": event.object_reference or event.object_type,
        }
        for event in AuditEvent.objects.filter(actor=person).order_by("occurred_at", "pk")
    ]


def build_professional_export(
    subject: Person, *, reason: str, withhold_names: bool
) -> SubjectAccessExport:
    made_at = timezone.localtime()
    directory = _directory_entry(subject)
    notices = _notices(subject)
    trail = _their_actions(subject)
    contents = [
        ContentsLine("Directory entry", "Name, contact details, agency, level, line manager, "
                     "roles, escalation contacts, when they joined and last signed in", [SECRETS]),
        ContentsLine("Notices sent to them", f"{len(notices)} notices: when, how, subject, "
                     "whether delivered", [NOTICE_TEXT] if notices else []),
        ContentsLine("What they did (audit trail)", f"{len(trail)} events: when, what, which "
                     "record", []),
    ]  # fmt: skip
    records: list[Record] = []
    for escalation in escalations_involving(subject):
        record = _redacted(build_record(escalation), escalation, subject, withhold_names)
        records.append(record)
        withheld = [THIRD_PARTY]
        if withhold_names:
            withheld.append(OTHER_NAMES)
        withheld += [f"{file.name}: {WITHHELD_FILES}" for file in record.evidence]
        contents.append(
            ContentsLine(
                reference=record.reference,
                included="The record: concern, people, every stage and entry, outcome, actions, "
                "who was told, evidence listed",
                withheld=withheld,
            )
        )
    about = f"{subject.full_name}, {subject.job_title or 'professional'}"
    document = {
        "about": about,
        "made_at": made_at.isoformat(),
        "reason": reason,
        "names_withheld": withhold_names,
        "contents": [line.__dict__ for line in contents],
        "directory_entry": directory,
        "notices": notices,
        "audit_trail": trail,
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
        filename=f"subject-access-professional-{made_at:%Y-%m-%d}.zip",
        zip_bytes=buffer.getvalue(),
        contents=contents,
    )
