"""Linking repeat escalations (issue 21, item 3): on raising, an earlier escalation about the same
person is offered for linking if the raiser may see it, and linked without telling them if not;
linked escalations show each other only to people who may see both; the dashboard counts them."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.urls import reverse

from escalate.audit.models import AuditEvent
from escalate.directory.models import Person
from escalate.escalations import services
from escalate.escalations.models import Escalation, EscalationLink, RaiseDraft
from escalate.escalations.tests.factories import World, make_world
from escalate.escalations.tests.views_support import signed_in

pytestmark = pytest.mark.django_db

BORN = date(2016, 5, 4)
CHECK = "/escalations/raise/check/"


def _raise(world: World, by: Person, name: str = "Sam Example", **more: Any) -> Escalation:
    more.setdefault("subject_date_of_birth", BORN)
    return services.raise_escalation(by=by, details=world.details(subject_name=name, **more))


def _draft(world: World, by: Person, name: str = "sam EXAMPLE", **more: Any) -> None:
    """A raise draft with every question answered, as the question pages leave it."""
    data = {
        "immediate_harm": "no",
        "respondent_agency": world.csc.pk,
        "respondent_choice": str(world.social_worker.pk),
        "subject_kind": "child",
        "subject_name": name,
        "subject_date_of_birth": BORN.isoformat(),
        "case_references": "",
        "flags": [],
        "categories": ["threshold"],
        "disputed": "The case was closed.",
        "risk": "Neglect continues.",
        "outcome_wanted": "A strategy discussion.",
        "already_tried": "A call.",
        **more,
    }
    RaiseDraft.objects.create(person=by, data=data)


def _repeats(world: World) -> int:
    """The repeat escalations the partnership's figures count (is_repeat, kept on disposal)."""
    return Escalation.objects.filter(partnership=world.partnership, is_repeat=True).count()


def _page(person: Person, escalation: Escalation) -> str:
    response = signed_in(person).get(escalation.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def test_an_earlier_escalation_the_raiser_may_see_is_offered_and_linked_when_chosen() -> None:
    world = make_world()
    assert reverse("escalations:raise_check") == CHECK
    earlier = _raise(world, world.teacher)
    other_child = _raise(world, world.teacher, name="Robin Other")
    _draft(world, world.teacher)
    client = signed_in(world.teacher)
    check = client.get(CHECK).content.decode()
    assert "Earlier escalations that may be about the same person" in check
    assert earlier.reference in check and other_child.reference not in check

    response = client.post(CHECK, {"link_to": [earlier.reference]})
    assert response.status_code == 302
    later = Escalation.objects.get(pk__gt=other_child.pk)
    link = EscalationLink.objects.get()
    assert (link.earlier, link.later, link.kind) == (earlier, later, EscalationLink.Kind.RAISER)
    assert link.made_by == world.teacher
    later.refresh_from_db()
    earlier.refresh_from_db()
    assert later.is_repeat and later.has_links and earlier.has_links and not earlier.is_repeat
    # Each shows the other, to those who may see both.
    for person in (world.teacher, world.business_manager):
        assert later.reference in _page(person, earlier)
        assert earlier.reference in _page(person, later)
    event = AuditEvent.objects.get(action="escalations_linked")
    assert event.new_values == {
        "linked_by_raiser": [earlier.reference],
        "linked_unseen_by_raiser": 0,
    }
    assert "Sam" not in str(event.new_values)
    assert _repeats(world) == 1


def test_an_offered_escalation_not_chosen_is_not_linked() -> None:
    world = make_world()
    _raise(world, world.teacher)
    _draft(world, world.teacher)
    assert signed_in(world.teacher).post(CHECK, {}).status_code == 302
    assert not EscalationLink.objects.exists()
    assert _repeats(world) == 0


def test_one_the_raiser_may_not_see_is_never_offered_but_linked_for_the_partnership() -> None:
    world = make_world()
    hidden = _raise(world, world.nurse)  # the teacher takes no part in it
    _draft(world, world.teacher)
    client = signed_in(world.teacher)
    check = client.get(CHECK).content.decode()
    assert hidden.reference not in check
    assert "Earlier escalations" not in check  # the page reads as if there were none
    # Choosing it anyway (a forged form) is refused, and nothing is raised.
    refused = client.post(CHECK, {"link_to": [hidden.reference]})
    assert refused.status_code == 200
    assert "Choose escalations from those offered" in refused.content.decode()
    assert Escalation.objects.count() == 1

    assert client.post(CHECK, {}).status_code == 302
    later = Escalation.objects.exclude(pk=hidden.pk).get()
    link = EscalationLink.objects.get()
    assert (link.earlier, link.kind, link.made_by) == (
        hidden,
        EscalationLink.Kind.IDENTIFIERS,
        None,
    )
    # Not shown to the raiser (nor to the nurse, who may not see the later one) ...
    assert hidden.reference not in _page(world.teacher, later)
    assert later.reference not in _page(world.nurse, hidden)
    done = client.get(reverse("escalations:raise_done", args=[later.reference])).content.decode()
    assert hidden.reference not in done
    # ... but to the business unit, who may see both, and counted.
    assert hidden.reference in _page(world.business_manager, later)
    assert later.reference in _page(world.business_manager, hidden)
    assert _repeats(world) == 1
    event = AuditEvent.objects.get(action="escalations_linked")
    assert event.new_values == {"linked_by_raiser": [], "linked_unseen_by_raiser": 1}


def test_what_counts_as_the_same_person() -> None:
    world = make_world()
    same = _raise(world, world.teacher, name="Sam  Example")
    no_birth_date = _raise(world, world.teacher, subject_date_of_birth=None)
    other_birth_date = _raise(world, world.teacher, subject_date_of_birth=date(2016, 5, 5))
    by_case = _raise(
        world,
        world.teacher,
        name="Samuel Different",
        subject_date_of_birth=None,
        case_references="NHS 943 476 5919; LCS 77",
    )
    an_adult = _raise(world, world.teacher, subject_kind="adult")
    _draft(world, world.teacher, case_references="NHS 943 476 5919, 77")
    check = signed_in(world.teacher).get(CHECK).content.decode()
    assert same.reference in check and by_case.reference in check
    for not_offered in (no_birth_date, other_birth_date, an_adult):
        assert not_offered.reference not in check
    # A name alone, without a date of birth or a case reference, is never enough.
    RaiseDraft.objects.all().delete()
    _draft(world, world.teacher, subject_date_of_birth=None)
    assert "Earlier escalations" not in signed_in(world.teacher).get(CHECK).content.decode()


def test_another_partnerships_escalation_is_never_linked() -> None:
    world = make_world()
    elsewhere = make_world()
    theirs = _raise(elsewhere, elsewhere.teacher)
    _raise(world, world.teacher)
    assert not EscalationLink.objects.filter(earlier=theirs).exists()
    assert _repeats(world) == 0
