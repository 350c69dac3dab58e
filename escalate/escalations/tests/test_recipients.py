"""Who is told: for every shipped policy, every event and every stage, exactly the people its
rules name (derived here from the world, independently of recipients.py), and never anyone else:
not another IRO or CP chair, not the other agency's DSL, not a practitioner without an action."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from escalate.directory.models import Person, Role
from escalate.directory.tests.factories import PersonFactory
from escalate.escalations import recipients, selectors, services, workflow
from escalate.escalations.models import Action, Escalation, Participant
from escalate.escalations.tests.factories import World, make_world
from escalate.notifications.models import Notification
from escalate.policies.schema import Event, PolicySpec, Recipient, Stage

pytestmark = pytest.mark.django_db

SHIPPED = sorted(path.name for path in Path(settings.POLICY_DIR).glob("*.yaml"))
ALL_FLAGS = frozenset({"child", "cp_plan", "looked_after", "cp_conference", "immediate_harm"})


def key(person: Person) -> str:
    return f"person:{person.pk}"


def expected(world: World, stage: Stage, recipient: Recipient, owner: Person) -> set[str]:
    """Who each recipient means in this world, worked out from the world, not recipients.py."""
    school_line = {1: world.teacher, 2: world.dsl, 3: world.head, 4: world.school_director}
    csc_line = {
        1: world.social_worker,
        2: world.team_manager,
        3: world.service_manager,
        4: world.csc_director,
    }
    if recipient is Recipient.RAISER:
        return {key(world.teacher)}
    if recipient is Recipient.RESPONDENT:
        return {key(world.social_worker)}
    if recipient is Recipient.STAGE_PARTICIPANTS:
        return {
            key(school_line[stage.raiser_level]),
            key(csc_line[stage.respondent_level]),
        }
    if recipient is Recipient.COUNTERPART_MANAGERS:
        return {
            key(school_line[max(stage.raiser_level, 2)]),
            key(csc_line[max(stage.respondent_level, 2)]),
        }
    if recipient is Recipient.BUSINESS_TEAM:
        return {f"email:{world.partnership.business_team_email.lower()}"}
    if recipient is Recipient.IRO:
        return {key(world.iro)}
    if recipient is Recipient.CP_CHAIR:
        return {key(world.cp_chair)}
    if recipient is Recipient.PARTNERSHIP_CHAIR:
        return {key(world.chair)}
    if recipient is Recipient.PANEL_MEMBERS:
        return set()  # no panel convened in this world
    if recipient is Recipient.DSL:
        return {key(world.dsl)}  # the raiser's agency's DSL
    if recipient is Recipient.ACTION_OWNER:
        return {key(owner)}
    raise AssertionError(f"the test does not know {recipient}")


def rule_recipients(spec: PolicySpec, event: Event, stage: Stage) -> set[Recipient]:
    named = {
        recipient
        for rule in spec.notifications
        if rule.on == event
        and (not rule.stages or stage.key in rule.stages)
        and (not rule.when_any or any(c.value in ALL_FLAGS for c in rule.when_any))
        for recipient in rule.notify
    }
    if event == Event.STAGE_ENTERED:
        named.add(Recipient.RESPONDENT)  # told at every stage change, whatever the rules say
    return named


@pytest.mark.parametrize("policy_file", SHIPPED)
def test_each_event_tells_exactly_whom_the_policy_names(policy_file: str) -> None:
    world = make_world(policy_file=policy_file)
    # Decoys with the same roles: never told, whatever the event.
    decoys = [
        PersonFactory(agency=world.csc, level=2, roles=[Role.IRO]),
        PersonFactory(agency=world.csc, level=2, roles=[Role.CP_CHAIR]),
        PersonFactory(agency=world.csc, level=2, roles=[Role.DESIGNATED_SAFEGUARDING_LEAD]),
    ]
    spec = world.policy.spec
    escalation = services.raise_escalation(
        by=world.teacher,
        details=world.details(
            categories=[spec.categories[0].key],
            cp_plan=True,
            looked_after=True,
            cp_conference=True,
            immediate_harm=True,
            urgent_guidance_shown=True,
            protective_actions=["dsl_told"],
            protective_action="Told our DSL at 9am.",
            allocated_iro=world.iro,
            allocated_cp_chair=world.cp_chair,
        ),
    )
    owner = world.outsider
    action = Action(
        escalation=escalation,
        description="x",
        owner=owner,
        due_on=timezone.localdate() + timedelta(days=3),
        created_by=world.teacher,
    )
    checked = 0
    for stage in spec.stages:
        for event in Event:
            notification = workflow.notifications_for(spec, event.value, stage.key, ALL_FLAGS)
            named = rule_recipients(spec, event, stage)
            told: set[str] = set()
            for recipient in notification.recipients if notification else ():
                for target in recipients.resolve(escalation, stage, recipient, action=action):
                    told.add(target.key)
            want: set[str] = set()
            for recipient in named:
                want |= expected(world, stage, recipient, owner)
            assert told == want, (policy_file, stage.key, event.value)
            assert not told & {key(decoy) for decoy in decoys}, (stage.key, event.value)
            checked += 1
    assert checked == len(spec.stages) * len(Event)


def _raise(world: World, **details: object) -> Escalation:
    return services.raise_escalation(
        by=world.teacher,
        details=world.details(
            immediate_harm=True,
            urgent_guidance_shown=True,
            protective_actions=["dsl_told"],
            protective_action="Told our DSL at 9am.",
            **details,
        ),
    )


def dsl_world() -> World:
    return make_world(
        notifications=[{"on": "raised", "when_any": ["immediate_harm"], "notify": ["dsl"]}]
    )


def test_immediate_harm_tells_the_raisers_dsl_and_not_the_other_agencys() -> None:
    world = dsl_world()
    other = PersonFactory(agency=world.csc, roles=[Role.DESIGNATED_SAFEGUARDING_LEAD])
    escalation = _raise(world)
    told = Notification.objects.filter(escalation=escalation, event="raised")
    assert told.filter(recipient=world.dsl).exists()
    assert not told.filter(recipient=other).exists()


def test_without_a_dsl_the_agencys_safeguarding_contact_is_told() -> None:
    world = dsl_world()
    world.dsl.role_assignments.filter(role=Role.DESIGNATED_SAFEGUARDING_LEAD).delete()
    world.school.email = "safeguarding@school.example.org"
    world.school.save()
    escalation = _raise(world)
    assert Notification.objects.filter(
        escalation=escalation, recipient_email="safeguarding@school.example.org"
    ).exists()
    assert not selectors.dsl_not_reached(escalation)


def test_with_nobody_to_tell_the_business_unit_is_told_and_the_page_warns() -> None:
    world = dsl_world()
    world.dsl.role_assignments.filter(role=Role.DESIGNATED_SAFEGUARDING_LEAD).delete()
    world.school.email = ""
    world.school.save()
    escalation = _raise(world)
    mailbox = world.partnership.business_team_email.lower()
    assert Notification.objects.filter(escalation=escalation, recipient_email=mailbox).exists()
    assert selectors.dsl_not_reached(escalation)


def test_only_the_allocated_iro_is_told_and_may_open_it() -> None:
    world = make_world(notifications=[{"on": "raised", "notify": ["iro", "cp_chair"]}])
    other_iro = PersonFactory(agency=world.csc, level=2, roles=[Role.IRO])
    escalation = services.raise_escalation(
        by=world.teacher, details=world.details(allocated_iro=world.iro)
    )
    assert Notification.objects.filter(escalation=escalation, recipient=world.iro).exists()
    assert not Notification.objects.filter(escalation=escalation, recipient=other_iro).exists()
    assert not Participant.objects.filter(escalation=escalation, person=other_iro).exists()
    # The CP chair is "not known": the reviewing service's team is asked, and gains no access.
    assert not Notification.objects.filter(escalation=escalation, recipient=world.cp_chair).exists()


def test_an_unknown_iro_tells_the_reviewing_service_team() -> None:
    world = make_world(notifications=[{"on": "raised", "notify": ["iro"]}])
    world.partnership.reviewing_service_email = "reviewing@testshire.example.org"
    world.partnership.save()
    escalation = services.raise_escalation(by=world.teacher, details=world.details())
    assert Notification.objects.filter(
        escalation=escalation, recipient_email="reviewing@testshire.example.org"
    ).exists()
    assert not Notification.objects.filter(escalation=escalation, recipient=world.iro).exists()


def test_the_business_unit_allocates_the_iro_who_is_then_told_and_may_open_it() -> None:
    world = make_world()
    escalation = services.raise_escalation(by=world.teacher, details=world.details())
    with pytest.raises(services.ActionRefused):
        services.allocate_reviewers(
            escalation=escalation,
            by=world.teacher,
            expected_version=escalation.version,
            iro=world.iro,
            cp_chair=None,
        )
    with pytest.raises(services.ActionRefused):
        services.allocate_reviewers(
            escalation=escalation,
            by=world.business_manager,
            expected_version=escalation.version,
            iro=world.teacher,  # not an IRO
            cp_chair=None,
        )
    services.allocate_reviewers(
        escalation=escalation,
        by=world.business_manager,
        expected_version=escalation.version,
        iro=world.iro,
        cp_chair=None,
    )
    escalation.refresh_from_db()
    assert escalation.allocated_iro == world.iro
    assert Notification.objects.filter(escalation=escalation, recipient=world.iro).exists()
    assert Participant.objects.filter(escalation=escalation, person=world.iro).exists()


def test_an_action_notice_goes_to_its_owner_only_with_its_own_due_date() -> None:
    world = make_world(notifications=[{"on": "action_assigned", "notify": ["action_owner"]}])
    escalation = services.raise_escalation(by=world.teacher, details=world.details())
    due = timezone.localdate() + timedelta(days=20)
    services.add_action(
        escalation=escalation,
        by=world.teacher,
        owner=world.outsider,
        description="Send the chronology.",
        due_on=due,
    )
    told = Notification.objects.filter(escalation=escalation, event="action_assigned")
    assert {n.recipient_id for n in told} == {world.outsider.pk}
    assert all(f"Action due: {due.day} {due:%B %Y}" in n.body for n in told)


def test_the_respondent_is_told_when_their_escalation_moves_up() -> None:
    world = make_world(notifications=[{"on": "stage_entered", "notify": ["stage_participants"]}])
    escalation = services.raise_escalation(by=world.teacher, details=world.details())
    services.record_discussion(
        escalation=escalation,
        by=world.teacher,
        expected_version=escalation.version,
        held_on=timezone.localdate(),
        with_whom="The social worker",
        method="phone",
        summary="Talked.",
        outcome="Not agreed.",
    )
    escalation.refresh_from_db()
    services.escalate_to_next_stage(
        escalation=escalation, by=world.teacher, expected_version=escalation.version, reason="x"
    )
    told = Notification.objects.filter(
        escalation=escalation, event="stage_entered", recipient=world.social_worker
    )
    assert told.count() >= 2  # at Stage 1 and again at Stage 2


def test_the_reviewers_page_refuses_a_name_not_on_the_list_and_keeps_the_page() -> None:
    from django.test import Client
    from django.urls import reverse

    world = make_world()
    escalation = services.raise_escalation(by=world.teacher, details=world.details(cp_plan=True))
    client = Client()
    client.force_login(world.business_manager)
    url = reverse("escalations:reviewers", args=[escalation.reference])
    page = client.get(url).content.decode()
    assert world.iro.full_name in page and "Not known" in page
    refused = client.post(
        url, {"expected_version": escalation.version, "iro": "99999", "cp_chair": "not-known"}
    )
    assert refused.status_code == 200
    assert "Select someone from the list, or &#x27;Not known&#x27;" in refused.content.decode()
    done = client.post(
        url,
        {"expected_version": escalation.version, "iro": world.iro.pk, "cp_chair": "not-known"},
    )
    assert done.status_code == 302
    detail = client.get(escalation.get_absolute_url()).content.decode()
    assert f"IRO: {world.iro.full_name}" in detail
