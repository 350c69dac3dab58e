"""Finding a child's escalations (issue 21, item 3): who may search, what they find, what the
audit trail keeps, and that a search never reveals an escalation the searcher may not see."""

from __future__ import annotations

import json
from datetime import date

import pytest

from escalate.audit.models import AuditEvent
from escalate.escalations import services
from escalate.escalations.tests.factories import World, make_world
from escalate.escalations.tests.views_support import signed_in

pytestmark = pytest.mark.django_db

URL = "/find-a-person/"


def _raise(world: World, name: str, **more: object) -> str:
    by = more.pop("by", world.teacher)
    escalation = services.raise_escalation(by=by, details=world.details(subject_name=name, **more))
    return escalation.reference


def _search(person: object, **form: str) -> str:
    body = {"reason": "subject_access", **form}
    response = signed_in(person).post(URL, body)
    assert response.status_code == 200
    return response.content.decode()


def test_the_business_unit_finds_a_child_by_name_birth_date_or_case_reference() -> None:
    world = make_world()
    sam = _raise(
        world,
        "Sam Example-Jones",
        subject_date_of_birth=date(2015, 3, 27),
        case_references="LCS 4411",
    )
    twin = _raise(world, "Samira Example", subject_date_of_birth=date(2015, 3, 27))
    other = _raise(world, "Robin Other")
    bm = world.business_manager
    by_name = _search(bm, name="  example-jones   SAM ")
    assert sam in by_name and twin not in by_name and other not in by_name
    by_birth = _search(
        bm, date_of_birth_day="27", date_of_birth_month="3", date_of_birth_year="2015"
    )
    assert sam in by_birth and twin in by_birth and other not in by_birth
    by_case = _search(bm, case_reference="lcs 4411")
    assert sam in by_case and twin not in by_case
    both = _search(
        bm, name="Sam", date_of_birth_day="27", date_of_birth_month="3", date_of_birth_year="2015"
    )
    assert sam in both and twin in both and other not in both  # "Sam" is in "Samira" too
    assert "2 escalations found" in both


def test_a_search_never_reveals_an_escalation_the_searcher_may_not_see() -> None:
    world = make_world()
    # The DSL takes part in the escalation they raised, not in one raised by the nurse.
    own = _raise(world, "Sam Example", by=world.dsl)
    elsewhere = _raise(world, "Sam Example", by=world.nurse)
    found = _search(world.dsl, name="Sam Example")
    assert own in found and elsewhere not in found
    assert "1 escalation found" in found
    # A name nobody has and a name only on an escalation they may not see read the same.
    hidden = _search(world.dsl, name="Robin Hidden")
    _raise(world, "Robin Hidden", by=world.nurse)
    after = _search(world.dsl, name="Robin Hidden")
    assert "No escalations found" in hidden and "No escalations found" in after

    other_partnership = make_world()
    assert "No escalations found" in _search(other_partnership.business_manager, name="Sam")


def test_only_the_business_unit_and_safeguarding_leads_may_search() -> None:
    world = make_world()
    _raise(world, "Sam Example")
    for person in (world.teacher, world.social_worker, world.chair, world.iro, world.outsider):
        assert signed_in(person).get(URL).status_code == 403
        response = signed_in(person).post(URL, {"name": "Sam", "reason": "subject_access"})
        assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="subject_searched").exists()


def test_a_search_needs_a_reason_and_something_to_look_for_and_keeps_what_was_typed() -> None:
    world = make_world()
    client = signed_in(world.business_manager)
    no_reason = client.post(URL, {"name": "Sam Example"}).content.decode()
    assert "Select why you are searching" in no_reason
    assert 'value="Sam Example"' in no_reason
    nothing = client.post(URL, {"reason": "legal"}).content.decode()
    assert "Enter a name, a date of birth or a case reference" in nothing
    huge = client.post(URL, {"name": "x" * 5000, "reason": "legal"})
    assert huge.status_code == 200 and "150 characters or fewer" in huge.content.decode()
    assert not AuditEvent.objects.filter(action="subject_searched").exists()
    control = client.post(URL, {"name": "Sam\x00\x1b", "reason": "legal"})
    assert control.status_code == 200


def test_each_search_is_audited_with_fingerprints_never_the_name() -> None:
    world = make_world()
    _raise(world, "Sam Example", subject_date_of_birth=date(2015, 3, 27))
    _search(
        world.business_manager,
        name="Sam Example",
        date_of_birth_day="27",
        date_of_birth_month="3",
        date_of_birth_year="2015",
        request_reference="SAR-2026-14",
        reason="practice_review",
    )
    event = AuditEvent.objects.get(action="subject_searched")
    assert event.actor == world.business_manager
    assert event.partnership == world.business_manager.partnership
    assert event.new_values["results"] == 1
    assert event.new_values["search_reason"] == "practice_review"
    assert event.new_values["searched_for"].startswith("text ")
    stored = json.dumps([event.old_values, event.new_values, event.reason]).casefold()
    for secret in ("sam", "example", "2015", "sar-2026-14"):
        assert secret not in stored
