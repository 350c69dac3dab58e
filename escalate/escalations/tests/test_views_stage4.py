"""Stage 4 as the policies mean it (issue 15, items 4 and 5): the chair's and the business unit's
queue, the chair resolving directly or through a panel, and the panel's candidates."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from escalate.api.tests.support import api_as, error_of
from escalate.directory.models import Level, Person
from escalate.directory.tests.factories import PartnershipFactory, PersonFactory
from escalate.escalations import services
from escalate.escalations.models import EntryKind, Escalation, Panel, Status
from escalate.escalations.tests.factories import (
    EscalationFactory,
    World,
    board_senior_officers,
    current_policy,
    make_world,
)
from escalate.escalations.tests.test_shipped_policies import (
    BOARD_ENGAGED,
    raiser_side,
    work_the_stage,
)
from escalate.escalations.tests.views_support import Cast, cast, decide, signed_in
from escalate.notifications.models import Notification

pytestmark = pytest.mark.django_db

ACCESS = ["business_manager", "partnership_chair"]


def at_stage(people: Cast, stage_key: str, *, overdue: bool = False) -> Escalation:
    version = people.raiser.partnership.policy_versions.order_by("-number").first()  # type: ignore[union-attr]
    return EscalationFactory(  # type: ignore[return-value]
        partnership=people.raiser.partnership,
        policy_version=version,
        raised_by=people.raiser,
        raiser_agency=people.raiser.agency,
        respondent_agency=people.respondent.agency,
        respondent_person=people.respondent,
        current_stage_key=stage_key,
        stage_due_at=timezone.now() + timedelta(days=-3 if overdue else 5),
    )


def test_the_chair_and_the_business_unit_see_everything_at_the_chairs_stage() -> None:
    people = cast(stage_count=4, access_roles=ACCESS)
    at_four = at_stage(people, "stage_4")  # names no one: the chair was not told by name
    at_two = at_stage(people, "stage_2")
    chair = PersonFactory(
        agency=people.raiser.agency, level=Level.STRATEGIC, roles=["partnership_chair"]
    )
    business = PersonFactory(agency=people.raiser.agency, level=1, roles=["business_manager"])

    home = signed_in(chair).get(reverse("home")).content.decode()
    waiting = home.split("Needs your action")[1].split("Following")[0]
    assert at_four.reference in waiting and at_two.reference not in waiting

    for person in (chair, business):
        client = signed_in(person)
        page = client.get(reverse("escalations:queue")).content.decode()
        section = page.split("Waiting for the partnership chair")[1].split("</table>")[0]
        assert at_four.reference in section and at_two.reference not in section
        assert reverse("escalations:queue") in client.get(reverse("home")).content.decode()

    # A manager's queue has no such section; another partnership's chair sees none of it.
    manager = signed_in(people.raiser_manager).get(reverse("escalations:queue")).content.decode()
    assert "Waiting for the partnership chair" not in manager
    elsewhere = PersonFactory(partnership=PartnershipFactory(), roles=["partnership_chair"])
    current_policy(elsewhere.partnership, stage_count=4, access_roles=ACCESS)
    other = signed_in(elsewhere).get(reverse("escalations:queue")).content.decode()
    assert at_four.reference not in other


def test_the_business_unit_sees_everything_overdue_in_the_partnership() -> None:
    people = cast(stage_count=4, access_roles=ACCESS)
    late_four = at_stage(people, "stage_4", overdue=True)
    late_one = at_stage(people, "stage_1", overdue=True)
    on_time = at_stage(people, "stage_1")
    closed = at_stage(people, "stage_1", overdue=True)
    Escalation.objects.filter(pk=closed.pk).update(status="resolved", closed_at=timezone.now())
    business = PersonFactory(agency=people.raiser.agency, level=1, roles=["business_manager"])
    client = signed_in(business)
    page = client.get(reverse("escalations:queue")).content.decode()
    overdue = page.split("Overdue in the partnership")[1].split("</table>")[0]
    assert late_four.reference in overdue and late_one.reference in overdue
    assert on_time.reference not in overdue and closed.reference not in overdue
    # The chair's queue is not the business unit's overdue list.
    chair = PersonFactory(
        agency=people.raiser.agency, level=Level.STRATEGIC, roles=["partnership_chair"]
    )
    assert (
        "Overdue in the partnership"
        not in signed_in(chair).get(reverse("escalations:queue")).content.decode()
    )


# --- Havering Stage 4: the Chair resolves directly or convenes a panel (004 2.10-2.13) -------


def havering_at_stage_4(stage_key: str = "stage_4") -> tuple[World, Escalation]:
    """A Havering escalation referred to the Board Chair, worked through Stages 1-3 (or one
    escalated as far as `stage_key`)."""
    world = make_world(policy_file="havering.yaml")
    spec = world.policy.spec
    escalation = services.raise_escalation(
        by=world.teacher, details=world.details(categories=[spec.categories[0].key])
    )
    while escalation.current_stage_key != stage_key:
        escalation = work_the_stage(world, escalation)
        stage = spec.stage(escalation.current_stage_key)
        escalation = services.escalate_to_next_stage(
            escalation=escalation,
            by=raiser_side(world, stage.raiser_level),
            expected_version=escalation.version,
            reason="Still not resolved.",
            board_engagement=BOARD_ENGAGED,
        )
    return world, escalation


def page_of(client: Client, escalation: Escalation) -> str:
    return client.get(reverse("escalations:detail", args=[escalation.reference])).content.decode()


def action_url(escalation: Escalation, slug: str) -> str:
    return reverse("escalations:stage_action", args=[escalation.reference, slug])


def test_havering_stage_4_waits_for_the_chair_on_their_home_page() -> None:
    world, escalation = havering_at_stage_4()
    home = signed_in(world.chair).get(reverse("home")).content.decode()
    assert escalation.reference in home.split("Needs your action")[1].split("Following")[0]
    queue = signed_in(world.business_manager).get(reverse("escalations:queue")).content.decode()
    assert escalation.reference in queue.split("Waiting for the partnership chair")[1]


def test_the_chair_resolves_stage_4_directly_and_no_senior_manager_may_by_page_or_api() -> None:
    world, escalation = havering_at_stage_4()
    decision = {
        "expected_version": escalation.version,
        "decision": "The case is reopened for assessment.",
        "decided_by": "The Board Chair with both directors",
        "learning": "Refer sooner.",
        "action_rows": "3",
    }
    for manager in (world.csc_director, world.school_director):
        client = signed_in(manager)
        assert action_url(escalation, "resolve") not in page_of(client, escalation)
        refused = decide(client, escalation, "resolve", decision)
        assert refused.status_code == 403
        assert "only the partnership chair decides" in refused.content.decode()
        by_api = api_as(manager).post(
            f"/escalations/{escalation.reference}/resolve",
            {k: v for k, v in decision.items() if k != "action_rows"},
        )
        assert by_api.status_code == 422, by_api.content
        assert "only the partnership chair decides" in error_of(by_api)["message"]
    chair = signed_in(world.chair)
    page = page_of(chair, escalation)
    assert action_url(escalation, "resolve") in page
    assert action_url(escalation, "convene-panel") in page
    assert decide(chair, escalation, "resolve", decision).status_code == 302
    escalation.refresh_from_db()
    assert escalation.status == Status.RESOLVED
    entry = escalation.chronology.get(kind=EntryKind.RESOLVED)
    assert entry.actor == world.chair

    # The same through the API, on a second referral.
    _, second = havering_at_stage_4()
    chair_of_second = Person.objects.get(
        partnership=second.partnership, role_assignments__role="partnership_chair"
    )
    done = api_as(chair_of_second).post(
        f"/escalations/{second.reference}/resolve",
        {k: v for k, v in decision.items() if k != "action_rows"}
        | {"expected_version": second.version},
    )
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "resolved"


def test_panel_candidates_are_board_senior_officers_with_those_who_handled_it_flagged() -> None:
    world, escalation = havering_at_stage_4()
    officers = board_senior_officers(world)
    # A senior officer of a Board agency who already handled it (the respondent's director).
    Person.objects.filter(pk=world.csc_director.pk).update(is_senior_officer=True)
    chair = signed_in(world.chair)
    form = chair.get(action_url(escalation, "convene-panel")).content.decode()
    for officer in officers:
        assert f'name="members" type="checkbox" value="{officer.pk}"' in form
    assert "Director, " in form and "Agency on the Board. Senior officer" in form
    # Not a senior officer: not a candidate.
    assert f'name="members" type="checkbox" value="{world.head.pk}"' not in form
    assert "Already handled this escalation" in form
    assert "at least 3 agencies" in form

    def convene(members: list[Person], **more: object) -> str:
        response = chair.post(
            action_url(escalation, "convene-panel"),
            {"expected_version": escalation.version, "members": [m.pk for m in members], **more},
        )
        assert response.status_code == 200, "expected a refusal"
        return response.content.decode()

    assert "at least 3 agencies" in convene(officers[:2])
    school, csc, health = officers
    extra_health: Person = PersonFactory(agency=world.health, level=4, is_senior_officer=True)
    assert "each agency in the disagreement" in convene([school, health, extra_health])
    handled = convene([school, world.csc_director, health])
    assert "already handled this escalation: confirm why" in handled
    # The API refuses a member who is not a candidate with the rule named, as a 422.
    by_api = api_as(world.chair).post(
        f"/escalations/{escalation.reference}/panel",
        {
            "expected_version": escalation.version,
            "member_ids": [school.pk, world.head.pk, health.pk, csc.pk],
        },
    )
    assert by_api.status_code == 422, by_api.content
    assert (
        "senior officers of agencies that are members of the Board" in error_of(by_api)["message"]
    )
    response = chair.post(
        action_url(escalation, "convene-panel"),
        {
            "expected_version": escalation.version,
            "members": [school.pk, world.csc_director.pk, health.pk],
            "lead": school.pk,
            "handled_reason": "The director knows the case and no other officer is free.",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    convened = escalation.chronology.get(kind=EntryKind.PANEL_CONVENED)
    assert convened.data["handled_reason"].startswith("The director knows")
    assert Panel.objects.get(escalation=escalation).members.count() == 3


def test_the_panel_lead_records_the_decision_with_who_took_part_and_the_chair_is_told() -> None:
    world, escalation = havering_at_stage_4()
    school, csc, health = board_senior_officers(world)
    services.convene_panel(
        escalation=escalation,
        by=world.chair,
        expected_version=escalation.version,
        members=[school, csc, health],
        lead=health,
    )
    escalation.refresh_from_db()
    decision = {
        "expected_version": escalation.version,
        "decision": "A multi-agency assessment starts this week.",
        "members_present": [school.pk, health.pk],
        "learning": "Refer sooner.",
        "action_rows": "3",
    }
    # A member who is not the lead cannot record it, by page or API.
    member = signed_in(school)
    assert action_url(escalation, "panel-decision") not in page_of(member, escalation)
    refused = decide(member, escalation, "panel-decision", decision)
    assert refused.status_code == 403
    assert "The panel decides together" in refused.content.decode()
    by_api = api_as(school).post(
        f"/escalations/{escalation.reference}/panel/decision",
        {
            "expected_version": escalation.version,
            "decision": "x",
            "learning": "x",
            "members_present_ids": [school.pk],
        },
    )
    assert by_api.status_code == 422, by_api.content
    assert "The panel decides together" in error_of(by_api)["message"]
    lead = signed_in(health)
    assert action_url(escalation, "panel-decision") in page_of(lead, escalation)
    # "Who took part" offers only the members seated on this panel.
    form = lead.get(action_url(escalation, "panel-decision"), follow=True).content.decode()
    offered = form.split("Which panel members took part?")[1].split("</fieldset>")[0]
    assert f'value="{school.pk}"' in offered and f'value="{csc.pk}"' in offered
    assert f'value="{world.chair.pk}"' not in offered
    assert f'value="{world.teacher.pk}"' not in offered
    done = decide(lead, escalation, "panel-decision", decision)
    assert done.status_code == 302, done.content.decode()[:2000]
    escalation.refresh_from_db()
    assert escalation.status == Status.RESOLVED
    page = page_of(lead, escalation)
    took_part = page.split("Members who took part")[1][:400]
    assert school.full_name in took_part and health.full_name in took_part
    assert csc.full_name not in took_part
    told = set(
        Notification.objects.filter(escalation=escalation, event="panel_decided").values_list(
            "recipient_id", flat=True
        )
    )
    assert {world.chair.pk, world.teacher.pk, world.social_worker.pk} <= told
    assert {school.pk, csc.pk, health.pk} <= told
