"""A fictitious demo directory: two partnerships, their agencies, and people in every role.

Every name here is invented and every address is under example.org. Running it twice changes
nothing: records are found by their natural keys before anything is created.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from escalate.directory.models import (
    Agency,
    AgencyType,
    Covers,
    EscalationContact,
    Level,
    Nation,
    Partnership,
    Person,
    Role,
    RoleAssignment,
)

DEMO_PASSWORD = "demo-escalate-2026"


@dataclass(frozen=True)
class DemoPerson:
    key: str
    full_name: str
    job_title: str
    agency: str
    level: int
    roles: tuple[str, ...]
    manager: str | None = None
    staff: bool = False


RIVERSIDE_AGENCIES: dict[str, tuple[str, str]] = {
    "school": ("Riverside Primary School", AgencyType.SCHOOL),
    "csc": ("Riverside Children's Social Care", AgencyType.CHILDRENS_SOCIAL_CARE),
    "health": ("Riverside Community Health", AgencyType.HEALTH),
    "gp": ("Oakfield Surgery", AgencyType.GP),
    "police": ("Riverside Police", AgencyType.POLICE),
    "early_help": ("Riverside Early Help", AgencyType.EARLY_HELP),
    "asc": ("Riverside Adult Social Care", AgencyType.ADULT_SOCIAL_CARE),
    "partnership": ("Riverside Safeguarding Partnership", AgencyType.PARTNERSHIP),
}

# Agencies on the partnership's full Board (Havering 2.12): their senior officers (the demo's
# panel members) are the Resolution Panel's candidates.
RIVERSIDE_BOARD_AGENCIES = frozenset({"school", "csc", "health", "police"})

P, LM, SM = Role.PRACTITIONER, Role.LINE_MANAGER, Role.SENIOR_MANAGER
RIVERSIDE_PEOPLE: list[DemoPerson] = [
    DemoPerson(
        "clare.dawson",
        "Clare Dawson",
        "Deputy head (DSL lead)",
        "school",
        3,
        (SM, Role.PANEL_MEMBER),
    ),
    DemoPerson(
        "ben.carter",
        "Ben Carter",
        "Designated safeguarding lead",
        "school",
        2,
        (LM, Role.DESIGNATED_SAFEGUARDING_LEAD),
        "clare.dawson",
    ),
    DemoPerson("amira.khan", "Amira Khan", "Class teacher", "school", 1, (P,), "ben.carter"),
    DemoPerson(
        "gareth.hughes", "Gareth Hughes", "Service manager", "csc", 3, (SM, Role.PANEL_MEMBER)
    ),
    DemoPerson("erin.fox", "Erin Fox", "Team manager", "csc", 2, (LM,), "gareth.hughes"),
    DemoPerson("dan.evans", "Dan Evans", "Social worker", "csc", 1, (P,), "erin.fox"),
    DemoPerson(
        "isla.jones",
        "Isla Jones",
        "Independent Reviewing Officer",
        "csc",
        2,
        (Role.IRO,),
        "gareth.hughes",
    ),
    DemoPerson(
        "kemi.lawal",
        "Kemi Lawal",
        "Child protection conference chair",
        "csc",
        2,
        (Role.CP_CHAIR,),
        "gareth.hughes",
    ),
    DemoPerson(
        "omar.quinn", "Omar Quinn", "Designated nurse", "health", 3, (SM, Role.PANEL_MEMBER)
    ),
    DemoPerson(
        "nina.owen", "Nina Owen", "Named nurse for safeguarding", "health", 2, (LM,), "omar.quinn"
    ),
    DemoPerson("maya.patel", "Maya Patel", "Health visitor", "health", 1, (P,), "nina.owen"),
    DemoPerson("hana.ito", "Hana Ito", "Safeguarding lead GP", "gp", 2, (LM,)),
    DemoPerson("leo.morgan", "Leo Morgan", "GP", "gp", 1, (P,), "hana.ito"),
    DemoPerson(
        "sam.taylor", "Sam Taylor", "Detective inspector", "police", 3, (SM, Role.PANEL_MEMBER)
    ),
    DemoPerson("rosa.singh", "Rosa Singh", "Detective sergeant", "police", 2, (LM,), "sam.taylor"),
    DemoPerson("paul.reid", "Paul Reid", "Police constable", "police", 1, (P,), "rosa.singh"),
    DemoPerson("uma.vance", "Uma Vance", "Early help team leader", "early_help", 2, (LM,)),
    DemoPerson(
        "tom.usher", "Tom Usher", "Family support worker", "early_help", 1, (P,), "uma.vance"
    ),
    DemoPerson("jo.baker", "Jo Baker", "Adult social care manager", "asc", 2, (LM,)),
    DemoPerson("ravi.shah", "Ravi Shah", "Social worker (adults)", "asc", 1, (P,), "jo.baker"),
    DemoPerson(
        "vera.walsh",
        "Vera Walsh",
        "Partnership business manager",
        "partnership",
        3,
        (Role.BUSINESS_MANAGER,),
    ),
    DemoPerson(
        "will.young",
        "Will Young",
        "Independent partnership chair",
        "partnership",
        4,
        (Role.PARTNERSHIP_CHAIR,),
    ),
    DemoPerson(
        "xena.adams", "Xena Adams", "Quality assurance auditor", "partnership", 3, (Role.AUDITOR,)
    ),
    DemoPerson(
        "yusuf.ali",
        "Yusuf Ali",
        "Partnership systems administrator",
        "partnership",
        1,
        (Role.ADMINISTRATOR,),
        staff=True,
    ),
]

EASTMOOR_AGENCIES: dict[str, tuple[str, str]] = {
    "csc": ("Eastmoor Children's Services", AgencyType.CHILDRENS_SOCIAL_CARE),
    "school": ("Eastmoor Academy", AgencyType.SCHOOL),
    "partnership": ("Eastmoor Safeguarding Partnership", AgencyType.PARTNERSHIP),
}
EASTMOOR_PEOPLE: list[DemoPerson] = [
    DemoPerson("fern.hall", "Fern Hall", "Team manager", "csc", 2, (LM,)),
    DemoPerson("gus.irwin", "Gus Irwin", "Social worker", "csc", 1, (P,), "fern.hall"),
    DemoPerson("holly.jack", "Holly Jack", "Teacher", "school", 1, (P,)),
    DemoPerson(
        "ivan.kerr",
        "Ivan Kerr",
        "Partnership administrator",
        "partnership",
        1,
        (Role.ADMINISTRATOR,),
        staff=True,
    ),
]


@dataclass
class DemoDirectory:
    partnership: Partnership
    agencies: dict[str, Agency]
    people: dict[str, Person]


def _build(
    *,
    name: str,
    slug: str,
    prefix: str,
    covers: str,
    nation: str,
    domain: str,
    agencies: dict[str, tuple[str, str]],
    people: list[DemoPerson],
    board_agencies: frozenset[str] = frozenset(),
) -> DemoDirectory:
    partnership, _ = Partnership.objects.get_or_create(
        slug=slug,
        defaults={
            "name": name,
            "reference_prefix": prefix,
            "covers": covers,
            "nation": nation,
            "business_team_email": f"business-team@{domain}",
            "reviewing_service_email": f"reviewing-service@{domain}",
            "front_door_name": "the Integrated Front Door",
            "front_door_phone": "0300 000 0000",
            "lado_contact": f"LADO: lado@{domain}, 0300 000 0001",
        },
    )
    made_agencies = {
        key: Agency.objects.get_or_create(
            partnership=partnership,
            name=agency_name,
            defaults={"agency_type": agency_type, "email": f"safeguarding.{key}@{domain}"},
        )[0]
        for key, (agency_name, agency_type) in agencies.items()
    }
    Agency.objects.filter(
        pk__in=[made_agencies[key].pk for key in board_agencies], is_board_member=False
    ).update(is_board_member=True)
    made_people: dict[str, Person] = {}
    for spec in people:
        email = f"{spec.key}@{domain}"
        person = Person.objects.filter(email=email).first()
        if person is None:
            person = Person.objects.create_user(
                email,
                DEMO_PASSWORD,
                full_name=spec.full_name,
                job_title=spec.job_title,
                partnership=partnership,
                agency=made_agencies[spec.agency],
                level=spec.level,
                is_staff=spec.staff,
                phone="0300 000 0100",
            )
        if Role.PANEL_MEMBER in spec.roles and not person.is_senior_officer:
            person.is_senior_officer = True
            person.save(update_fields=["is_senior_officer"])
        made_people[spec.key] = person
        for role in spec.roles:
            RoleAssignment.objects.get_or_create(person=person, role=role)
    for spec in people:
        if spec.manager and made_people[spec.key].line_manager_id is None:
            made_people[spec.key].line_manager = made_people[spec.manager]
            made_people[spec.key].save(update_fields=["line_manager"])
    # Escalation contacts: each agency's managers at levels 2 and 3 (the "Level 2 contacts").
    for person in made_people.values():
        if person.level in (Level.LINE_MANAGER, Level.SENIOR_MANAGER) and person.has_role(LM, SM):
            EscalationContact.objects.get_or_create(
                agency=person.agency,
                level=person.level,
                person=person,
                defaults={
                    "name": person.full_name,
                    "job_title": person.job_title,
                    "email": person.email,
                    "phone": person.phone,
                },
            )
    return DemoDirectory(partnership, made_agencies, made_people)


@transaction.atomic
def create_demo_directory() -> tuple[DemoDirectory, DemoDirectory]:
    """The demo partnership (Riverside) and a second one (Eastmoor) that it must never see."""
    riverside = _build(
        name="Riverside Safeguarding Children Partnership",
        slug="riverside",
        prefix="RIV",
        covers=Covers.CHILDREN,
        nation=Nation.ENGLAND,
        domain="riverside.example.org",
        agencies=RIVERSIDE_AGENCIES,
        people=RIVERSIDE_PEOPLE,
        board_agencies=RIVERSIDE_BOARD_AGENCIES,
    )
    eastmoor = _build(
        name="Eastmoor Safeguarding Partnership",
        slug="eastmoor",
        prefix="EAS",
        covers=Covers.BOTH,
        nation=Nation.SCOTLAND,
        domain="eastmoor.example.org",
        agencies=EASTMOOR_AGENCIES,
        people=EASTMOOR_PEOPLE,
    )
    return riverside, eastmoor
