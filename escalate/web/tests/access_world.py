"""A world for the access matrix: two partnerships, one person per role in each, one of everything.

Built from the apps' factories and services (a real raise, discussion, escalation to stage 2, an
action, evidence, notifications, a calendar address), so every kind of object a URL takes an id
or reference for exists in both partnerships. Partnership A is the one the matrix asks about;
B's objects are what A's people must not reach (test_isolation.py).

`build_access_world()` is called once per test module (see conftest.py); each request the tests
make runs in a savepoint that is rolled back, so the world is the same for every row.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from escalate.directory.models import Agency, EscalationContact, Partnership, Person, Role
from escalate.directory.tests.factories import PersonFactory
from escalate.escalations import services
from escalate.escalations.models import (
    Action,
    ChronologyEntry,
    Escalation,
    EscalationLink,
    RaiseDraft,
)
from escalate.escalations.tests.factories import EscalationFactory, World, make_world
from escalate.evidence.models import Attachment
from escalate.evidence.services import attach_evidence
from escalate.notifications.models import CalendarToken, Channel, Notification
from escalate.notifications.services import create_calendar_token
from escalate.reports.models import FormTemplate
from escalate.reports.policy_forms import shipped_template

PDF_BYTES = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"

# The roles the matrix asks about, each played by one person of partnership A (or, for
# "other_partnership", of B; "superuser" belongs to no partnership). "anonymous" is nobody.
ROLES = (
    "anonymous",
    "practitioner",  # a practitioner of A with no part in A's escalation
    "raiser",
    "respondent",
    "raiser_manager",  # line manager and designated safeguarding lead, at the current stage
    "respondent_manager",  # line manager, at the current stage
    "senior_manager",  # senior manager and panel member, not (yet) involved
    "iro",
    "cp_chair",
    "panel_member",
    "business_manager",  # the role the policy grants access to every escalation
    "partnership_chair",
    "auditor",
    "administrator",  # partnership administrator: staff, administrator role
    "other_partnership",  # B's business manager: sees every escalation of B, none of A
    "superuser",  # platform administrator, in no partnership
)


@dataclass
class Side:
    """One partnership's people and objects."""

    world: World
    auditor: Person
    administrator: Person
    escalation: Escalation
    action: Action
    entry: ChronologyEntry  # the discussion recorded by the raiser
    attachment: Attachment
    notification: Notification  # an in-app notification to the respondent
    failed_notice: Notification  # the email to the respondent, which could not be delivered
    calendar_token: CalendarToken  # the raiser's
    draft: RaiseDraft  # the practitioner's draft, half answered
    contact: EscalationContact  # a Level 2 contact of the agency
    form_template: FormTemplate  # the business unit's own Escalation Form, not yet previewed
    # A later escalation linked to `escalation` (same child), with no participants: only the
    # business unit (the policy's access role) may see both.
    linked: Escalation

    @property
    def partnership(self) -> Partnership:
        return self.world.partnership

    @property
    def agency(self) -> Agency:
        return self.world.csc

    def people(self) -> dict[str, Person]:
        w = self.world
        return {
            "practitioner": w.outsider,
            "raiser": w.teacher,
            "respondent": w.social_worker,
            "raiser_manager": w.dsl,
            "respondent_manager": w.team_manager,
            "senior_manager": w.head,
            "iro": w.iro,
            "cp_chair": w.cp_chair,
            "panel_member": w.nurse,
            "business_manager": w.business_manager,
            "partnership_chair": w.chair,
            "auditor": self.auditor,
            "administrator": self.administrator,
        }


@dataclass
class AccessWorld:
    a: Side
    b: Side
    superuser: Person
    people: dict[str, Person] = field(default_factory=dict)  # role -> person (A's, mostly)

    def person(self, role: str) -> Person:
        return self.people[role]


def _side() -> Side:
    world = make_world()
    partnership = world.partnership
    auditor = PersonFactory(agency=world.health, level=3, roles=[Role.AUDITOR])
    administrator = PersonFactory(
        agency=world.health, level=3, is_staff=True, roles=[Role.ADMINISTRATOR]
    )
    escalation = services.raise_escalation(by=world.teacher, details=world.details())
    entry = services.record_discussion(
        escalation=escalation,
        by=world.teacher,
        expected_version=escalation.version,
        held_on=timezone.localdate(),
        with_whom="The social worker",
        method="phone",
        summary="We talked it through.",
        outcome="Not agreed.",
    )
    escalation.refresh_from_db()
    escalation = services.escalate_to_next_stage(
        escalation=escalation,
        by=world.teacher,
        expected_version=escalation.version,
        reason="Still not agreed.",
    )
    action = services.add_action(
        escalation=escalation,
        by=world.teacher,
        owner=world.teacher,
        description="Send the chronology.",
        due_on=timezone.localdate() + timedelta(days=10),
    )
    attachment = attach_evidence(
        escalation=escalation,
        by=world.teacher,
        upload=SimpleUploadedFile("notes.pdf", PDF_BYTES, content_type="application/pdf"),
    )
    notification = Notification.objects.filter(
        escalation=escalation, recipient=world.social_worker, channel=Channel.IN_APP
    ).first()
    assert notification is not None, "raising tells the respondent in the app"
    failed_notice = Notification.objects.filter(
        escalation=escalation, recipient=world.social_worker, channel=Channel.EMAIL
    ).first()
    assert failed_notice is not None, "raising emails the respondent"
    Notification.objects.filter(pk=failed_notice.pk).update(status="failed", attempts=8)
    draft = services.save_raise_draft(by=world.outsider, data={"immediate_harm": "no"})
    linked = EscalationFactory(
        partnership=partnership,
        policy_version=world.policy,
        raised_by=world.nurse,
        raiser_agency=world.health,
        respondent_agency=world.csc,
        is_repeat=True,
        has_links=True,
    )
    EscalationLink.objects.create(
        earlier=escalation, later=linked, kind=EscalationLink.Kind.IDENTIFIERS
    )
    Escalation.objects.filter(pk=escalation.pk).update(has_links=True)
    escalation.refresh_from_db()
    assert partnership.pk == escalation.partnership_id
    return Side(
        world=world,
        auditor=auditor,
        administrator=administrator,
        escalation=escalation,
        action=action,
        entry=entry,
        attachment=attachment,
        notification=notification,
        failed_notice=failed_notice,
        calendar_token=create_calendar_token(person=world.teacher),
        draft=draft,
        contact=EscalationContact.objects.create(
            agency=world.csc,
            level=2,
            name="Duty team manager",
            email=f"duty-{partnership.pk}@testshire.example.org",
        ),
        form_template=FormTemplate.objects.create(
            partnership=partnership,
            kind="escalation_form",
            name="ours.docx",
            content=shipped_template("escalation_form"),
            uploaded_by=world.business_manager,
        ),
        linked=linked,
    )


def api_bearer_token(person: Person) -> str:
    """A token with every scope for `person`, for the matrix's API rows (auth="bearer").

    The API (escalate.api tokens) is built on its own branch; imported here only when a row
    asks for it, so the matrix runs without it.
    """
    models = importlib.import_module("escalate.api.models")
    services = importlib.import_module("escalate.api.services")
    scopes = list(models.Scope.values)
    return str(services.create_token(by=person, name="Access matrix", scopes=scopes).secret)


def build_access_world() -> AccessWorld:
    """Both partnerships, a platform superuser, and a confirmed authenticator for everyone."""
    a = _side()
    b = _side()
    superuser = Person.objects.create_superuser(
        "platform.admin@escalate.example.org", "a-long-test-passphrase-2026"
    )
    people = {**a.people(), "other_partnership": b.world.business_manager, "superuser": superuser}
    for person in Person.objects.all():
        TOTPDevice.objects.get_or_create(user=person, name="Test app", confirmed=True)
    return AccessWorld(a=a, b=b, superuser=superuser, people=people)


# Tables a refused request may write: the audit trail records refused accesses, sessions and
# the sign-in throttle keep their own books.
NOT_COMPARED = {"audit", "sessions", "axes", "admin", "contenttypes", "auth"}
# Reference data no page writes (the working-day calendar has a row per day for decades), and
# the API token's record of its last use, written on every request that presents it.
NOT_COMPARED_MODELS = {"reports.WorkingDay", "api.ApiToken"}


def snapshot() -> dict[str, list[Any]]:
    """Every row of every table a refused request must not touch."""
    state: dict[str, list[Any]] = {}
    for model in apps.get_models():
        if model._meta.app_label in NOT_COMPARED or model._meta.label in NOT_COMPARED_MODELS:
            continue
        state[model._meta.label] = list(model._default_manager.order_by("pk").values_list())
    return state


def changed_tables(before: dict[str, list[Any]], after: dict[str, list[Any]]) -> list[str]:
    return [label for label in before if before[label] != after[label]]
