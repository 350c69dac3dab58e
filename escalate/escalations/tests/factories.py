"""Factories for escalations. Every name is invented; every address is under example.org.

`EscalationFactory()` makes a bare open escalation row (at the policy's first stage) without
going through the services: use `services.raise_escalation` when a test needs participants,
the chronology and notifications as a real raise makes them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import factory
from django.conf import settings
from django.utils import timezone
from factory.django import DjangoModelFactory

from escalate.directory.models import Agency, AgencyType, Partnership, Person, Role
from escalate.directory.tests.factories import AgencyFactory, PartnershipFactory, PersonFactory
from escalate.escalations.models import (
    Action,
    ChronologyEntry,
    EntryKind,
    Escalation,
    Panel,
    Part,
    Participant,
    RaiseDraft,
    StageRecord,
)
from escalate.policies.loader import parse_policy_file
from escalate.policies.models import PolicyVersion
from escalate.policies.services import load_policy


def policy_document(
    *,
    stage_count: int = 4,
    working_days: int = 5,
    panel: bool = True,
    notifications: list[dict[str, Any]] | None = None,
    access_roles: list[str] | None = None,
    covers: str = "children",
    may_start_at: list[str] | None = None,
    forms: list[dict[str, Any]] | None = None,
    board_panel: bool = False,
    tiers: dict[str, int] | None = None,
) -> dict[str, Any]:
    """A valid policy document (PolicySpec shape) with `stage_count` stages stage_1..stage_n."""
    stages = []
    for number in range(1, stage_count + 1):
        level = min(number, 4)
        stages.append(
            {
                "key": f"stage_{number}",
                "name": f"Stage {number}",
                "summary": f"Who acts at stage {number}.",
                "raiser_level": level,
                "respondent_level": level,
                "guidance": f"What to do at stage {number}.",
                "timescale": {"working_days": working_days},
                "must_record": ["discussion"] if number == 1 else [],
                "allows_panel": panel and number == stage_count,
                "tiers": (tiers or {}).get(f"stage_{number}", 1),
            }
        )
    document: dict[str, Any] = {
        "schema_version": 1,
        "name": "Testshire escalation policy",
        "short_name": "Testshire",
        "source": "Invented for tests.",
        "covers": covers,
        "nation": "england",
        "stages": stages,
        "categories": [
            {"key": "threshold", "name": "Threshold decisions"},
            {"key": "planning", "name": "Planning and review"},
        ],
        "notifications": notifications
        if notifications is not None
        else [
            {"on": "raised", "notify": ["respondent", "stage_participants"]},
            {"on": "stage_entered", "notify": ["stage_participants"]},
            {"on": "resolved", "notify": ["raiser", "respondent", "business_team"]},
            # Escalate's standard deadline rules, as in the shipped policies.
            {"on": "reminder", "notify": ["stage_participants"]},
            {"on": "overdue", "notify": ["stage_participants", "raiser"]},
            {"on": "action_overdue", "notify": ["stage_participants", "raiser"]},
        ],
        "urgent": {
            "may_start_at": may_start_at
            if may_start_at is not None
            else (["stage_2"] if stage_count > 1 else []),
            "reason_required": True,
            "guidance": "If a child is in immediate danger call 999.",
        },
        "access_roles": access_roles if access_roles is not None else ["business_manager"],
        "conduct_signpost": "Concerns about a professional's conduct go to the LADO.",
    }
    document["forms"] = (
        forms
        if forms is not None
        else [
            {
                "kind": "escalation_form",
                "title": "Escalation Form",
                "purpose": "Tells the partnership about the escalation.",
            },
            {
                "kind": "board_chair_details",
                "title": "Details for the chair",
                "purpose": "What the chair needs at the last stage.",
                "available_at": f"stage_{stage_count}",
                "may_download": ["raiser_side", "partnership_chair", "business_manager"],
                "for_chair": True,
            },
        ]
    )
    if panel:
        document["panel"] = {
            "stage": f"stage_{stage_count}",
            "min_agencies": 2,
            "must_include_disputing_agencies": True,
            # Havering's rule (senior officers of Board agencies) only where a test asks for it.
            "candidates_board_senior_officers": board_panel,
        }
    return document


class PolicyVersionFactory(DjangoModelFactory[PolicyVersion]):
    class Meta:
        model = PolicyVersion

    partnership = factory.SubFactory(PartnershipFactory)
    number = factory.Sequence(lambda n: n + 1)
    name = "Testshire escalation policy"
    document = factory.LazyFunction(policy_document)
    source_name = "testshire.yaml"
    source_text = "# invented for tests"
    checksum = factory.LazyAttribute(
        lambda version: hashlib.sha256(
            json.dumps(version.document, sort_keys=True).encode()
        ).hexdigest()
    )


def current_policy(partnership: Partnership, **document: Any) -> PolicyVersion:
    """A new policy version for `partnership` (numbered after any it has) from policy_document."""
    latest = partnership.policy_versions.order_by("-number").first()
    return PolicyVersionFactory(  # type: ignore[return-value]
        partnership=partnership,
        number=(latest.number + 1) if latest else 1,
        document=policy_document(**document),
    )


class EscalationFactory(DjangoModelFactory[Escalation]):
    class Meta:
        model = Escalation

    partnership = factory.SubFactory(PartnershipFactory)
    reference = factory.Sequence(lambda n: f"TST-2026-{n + 1:04d}")
    policy_version = factory.SubFactory(
        PolicyVersionFactory, partnership=factory.SelfAttribute("..partnership")
    )
    raiser_agency = factory.SubFactory(
        AgencyFactory, partnership=factory.SelfAttribute("..partnership")
    )
    raised_by = factory.SubFactory(PersonFactory, agency=factory.SelfAttribute("..raiser_agency"))
    respondent_agency = factory.SubFactory(
        AgencyFactory, partnership=factory.SelfAttribute("..partnership")
    )
    respondent_person = factory.SubFactory(
        PersonFactory, agency=factory.SelfAttribute("..respondent_agency")
    )
    subject_name = factory.Sequence(lambda n: f"Child {n}")
    categories = factory.LazyFunction(lambda: ["threshold"])
    disputed = "The decision to close the case."
    risk = "Neglect may continue unnoticed."
    outcome_wanted = "A strategy discussion."
    current_stage_key = "stage_1"
    stage_due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))


class StageRecordFactory(DjangoModelFactory[StageRecord]):
    class Meta:
        model = StageRecord

    escalation = factory.SubFactory(EscalationFactory)
    stage_key = factory.LazyAttribute(lambda record: record.escalation.current_stage_key)
    index = 0
    due_at = factory.LazyAttribute(lambda record: record.escalation.stage_due_at)


class ParticipantFactory(DjangoModelFactory[Participant]):
    class Meta:
        model = Participant

    escalation = factory.SubFactory(EscalationFactory)
    person = factory.SubFactory(
        PersonFactory, agency=factory.SelfAttribute("..escalation.raiser_agency")
    )
    part = Part.RAISER_MANAGER
    stage_key = factory.LazyAttribute(lambda row: row.escalation.current_stage_key)


class ChronologyEntryFactory(DjangoModelFactory[ChronologyEntry]):
    class Meta:
        model = ChronologyEntry

    escalation = factory.SubFactory(EscalationFactory)
    kind = EntryKind.DISCUSSION
    actor = factory.LazyAttribute(lambda entry: entry.escalation.raised_by)
    stage_key = factory.LazyAttribute(lambda entry: entry.escalation.current_stage_key)
    text = "We talked on the phone."


class ActionFactory(DjangoModelFactory[Action]):
    class Meta:
        model = Action

    escalation = factory.SubFactory(EscalationFactory)
    description = "Hold a strategy discussion."
    owner = factory.LazyAttribute(lambda action: action.escalation.raised_by)
    created_by = factory.LazyAttribute(lambda action: action.escalation.raised_by)
    due_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=14))


class PanelFactory(DjangoModelFactory[Panel]):
    class Meta:
        model = Panel

    escalation = factory.SubFactory(EscalationFactory)
    convened_by = factory.LazyAttribute(lambda panel: panel.escalation.raised_by)


class RaiseDraftFactory(DjangoModelFactory[RaiseDraft]):
    class Meta:
        model = RaiseDraft

    person = factory.SubFactory(PersonFactory)
    data = factory.LazyFunction(dict)


@dataclass
class World:
    """A partnership with a loaded policy, two agencies with full management lines, role holders."""

    partnership: Partnership
    policy: PolicyVersion
    school: Agency
    csc: Agency
    health: Agency
    teacher: Person  # level 1, school
    dsl: Person  # level 2, school (line manager, DSL)
    head: Person  # level 3, school
    school_director: Person  # level 4, school
    social_worker: Person  # level 1, csc
    team_manager: Person  # level 2, csc
    service_manager: Person  # level 3, csc
    csc_director: Person  # level 4, csc
    nurse: Person  # level 3, health, panel member
    iro: Person
    cp_chair: Person
    chair: Person
    business_manager: Person
    outsider: Person  # same partnership, no part in anything

    def details(self, **overrides: Any) -> Any:
        from escalate.escalations.services import RaiseDetails

        values: dict[str, Any] = {
            "respondent_agency": self.csc,
            "respondent_person": self.social_worker,
            "subject_name": "Alex Example",
            "disputed": "The decision to close the case.",
            "risk": "Neglect may continue.",
            "outcome_wanted": "A strategy discussion.",
            "categories": ["threshold"],
        }
        values.update(overrides)
        return RaiseDetails(**values)


def _line(agency: Agency, titles: list[str], roles: dict[int, list[str]]) -> list[Person]:
    people: list[Person] = []
    manager: Person | None = None
    for level in (4, 3, 2, 1):
        person = PersonFactory(
            agency=agency,
            level=level,
            line_manager=manager,
            job_title=titles[level - 1],
            roles=roles.get(level, []),
        )
        people.insert(0, person)
        manager = person
    return people


def make_world(
    document: dict[str, Any] | None = None,
    *,
    policy_file: str | None = None,
    **policy: Any,
) -> World:
    """Everything a lifecycle test needs.

    `policy_file` loads a shipped file from settings.POLICY_DIR through the policies loader
    (the partnership gets the file's nation and covers); `document` replaces the generated
    policy; otherwise `policy_document(**policy)` is used.
    """
    spec = parse_policy_file(settings.POLICY_DIR / policy_file) if policy_file else None
    partnership = PartnershipFactory(
        **({"nation": spec.nation.value, "covers": spec.covers.value} if spec else {})
    )
    school = AgencyFactory(partnership=partnership, name=f"School {partnership.pk}")
    csc = AgencyFactory(
        partnership=partnership,
        name=f"Children's Social Care {partnership.pk}",
        agency_type=AgencyType.CHILDRENS_SOCIAL_CARE,
    )
    health = AgencyFactory(
        partnership=partnership, name=f"Health {partnership.pk}", agency_type=AgencyType.HEALTH
    )
    unit = AgencyFactory(
        partnership=partnership, name=f"Business unit {partnership.pk}", agency_type="partnership"
    )
    if policy_file:
        version, _ = load_policy(partnership=partnership, path=settings.POLICY_DIR / policy_file)
    else:
        version = PolicyVersionFactory(
            partnership=partnership, number=1, document=document or policy_document(**policy)
        )
    teacher, dsl, head, school_director = _line(
        school,
        ["Teacher", "DSL", "Head teacher", "Director of education"],
        {
            1: [Role.PRACTITIONER],
            2: [Role.LINE_MANAGER, Role.DESIGNATED_SAFEGUARDING_LEAD],
            3: [Role.SENIOR_MANAGER, Role.PANEL_MEMBER],
        },
    )
    social_worker, team_manager, service_manager, csc_director = _line(
        csc,
        ["Social worker", "Team manager", "Service manager", "Director of children's services"],
        {
            1: [Role.PRACTITIONER],
            2: [Role.LINE_MANAGER],
            3: [Role.SENIOR_MANAGER, Role.PANEL_MEMBER],
        },
    )
    return World(
        partnership=partnership,
        policy=version,
        school=school,
        csc=csc,
        health=health,
        teacher=teacher,
        dsl=dsl,
        head=head,
        school_director=school_director,
        social_worker=social_worker,
        team_manager=team_manager,
        service_manager=service_manager,
        csc_director=csc_director,
        nurse=PersonFactory(agency=health, level=3, roles=[Role.PANEL_MEMBER]),
        iro=PersonFactory(agency=csc, level=2, roles=[Role.IRO]),
        cp_chair=PersonFactory(agency=csc, level=2, roles=[Role.CP_CHAIR]),
        chair=PersonFactory(agency=unit, level=4, roles=[Role.PARTNERSHIP_CHAIR]),
        business_manager=PersonFactory(agency=unit, level=3, roles=[Role.BUSINESS_MANAGER]),
        outsider=PersonFactory(agency=health, level=1),
    )


def board_senior_officers(world: World) -> list[Person]:
    """The school, children's social care and health are Board member agencies (Havering 2.12),
    each with a senior officer who has not handled any escalation: a panel the policy accepts."""
    agencies = [world.school, world.csc, world.health]
    Agency.objects.filter(pk__in=[a.pk for a in agencies]).update(is_board_member=True)
    return [
        PersonFactory(agency=agency, level=4, is_senior_officer=True, job_title="Director")
        for agency in agencies
    ]
