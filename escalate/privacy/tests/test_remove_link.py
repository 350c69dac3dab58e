"""Removing a link made in error (issue 21, item 3; escalations/services/linking.py): the business
unit, with a reason; audited; on both timelines (only for people who may see both); the repeat
figure follows; nobody else can, and nobody learns of an escalation they may not see."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command
from django.urls import reverse

from escalate.audit.models import AuditEvent
from escalate.audit.services import fingerprint
from escalate.directory.models import Person
from escalate.escalations import figures, services
from escalate.escalations.models import ChronologyEntry, EntryKind, Escalation, EscalationLink
from escalate.escalations.tests.factories import World, make_world
from escalate.escalations.tests.views_support import signed_in
from escalate.reports.selectors import escalation_record

pytestmark = pytest.mark.django_db

BORN = date(2016, 5, 4)
REASON = "Two different children called Sam Example, born the same day."


def _raise(world: World, by: Person, **more: object) -> Escalation:
    more = {"subject_name": "Sam Example", "subject_date_of_birth": BORN, **more}
    return services.raise_escalation(by=by, details=world.details(**more))


def _linked_unseen(world: World) -> tuple[Escalation, Escalation]:
    """An escalation by the nurse, and a later one by the teacher about a child with the same
    name and date of birth, linked without telling the teacher (who may not see the first)."""
    earlier = _raise(world, world.nurse)
    later = _raise(world, world.teacher)
    assert EscalationLink.objects.filter(earlier=earlier, later=later).exists()
    return earlier, later


def _url(escalation: Escalation, other: Escalation | str) -> str:
    other_reference = other if isinstance(other, str) else other.reference
    return reverse("escalations:remove_link", args=[escalation.reference, other_reference])


def test_the_business_unit_removes_a_wrong_link_with_a_reason() -> None:
    world = make_world(access_roles=["business_manager"])
    earlier, later = _linked_unseen(world)
    stored = figures.figures_of(world.partnership.pk)
    assert stored.of(figures.REPEAT) == {figures.REPEAT_CELL: 1}
    client = signed_in(world.business_manager)
    page = client.get(later.get_absolute_url()).content.decode()
    assert _url(later, earlier) in page  # "Remove link" beside the linked escalation

    form = client.get(_url(later, earlier))
    assert form.status_code == 200
    assert "Why was the link made in error?" in form.content.decode()
    missing = client.post(_url(later, earlier), {"reason": "   "})
    assert missing.status_code == 200
    assert "Enter why the link was made in error" in missing.content.decode()
    assert EscalationLink.objects.exists()

    done = client.post(_url(later, earlier), {"reason": REASON})
    assert done.status_code == 302
    assert not EscalationLink.objects.exists()
    later.refresh_from_db()
    earlier.refresh_from_db()
    assert not later.is_repeat and not later.has_links and not earlier.has_links
    # The dashboard's figures moved in the same transaction, and agree with a recount.
    assert figures.figures_of(world.partnership.pk).of(figures.REPEAT) == {}
    assert figures.stored() == figures.recount()
    # On both timelines, with the reason ...
    for side in (earlier, later):
        entry = ChronologyEntry.objects.get(escalation=side, kind=EntryKind.LINK_REMOVED)
        assert (entry.text, entry.actor) == (REASON, world.business_manager)
        assert REASON in client.get(side.get_absolute_url()).content.decode()
    # ... and audited on each, the reason only as a fingerprint.
    events = AuditEvent.objects.filter(action="escalation_link_removed").order_by("pk")
    assert [event.object_id for event in events] == [str(earlier.pk), str(later.pk)]
    for event, side in zip(events, (earlier, later), strict=True):
        assert event.old_values["link"] == {
            "earlier": earlier.reference,
            "later": later.reference,
            "kind": EscalationLink.Kind.IDENTIFIERS,
        }
        assert REASON not in str(event.new_values) and REASON not in str(event.old_values)
        assert event.new_values["chronology"][0]["text"] == fingerprint(
            REASON, salt=side.fingerprint_salt
        )
    assert events[1].new_values["is_repeat"] is False
    call_command("verify_audit")  # raises if the chain is broken
    # Gone: asking again is not found.
    assert client.get(_url(later, earlier)).status_code == 404


def test_the_entry_is_shown_only_to_people_who_may_see_the_other_escalation() -> None:
    world = make_world(access_roles=["business_manager"])
    earlier, later = _linked_unseen(world)
    services.remove_link(
        escalation=earlier,
        other_reference=later.reference,
        by=world.business_manager,
        reason=REASON,
    )
    # The teacher may see only the later one: a "link removed" entry would tell them the other
    # exists, so it is not on their page nor in the record they can download.
    teacher_page = signed_in(world.teacher).get(later.get_absolute_url()).content.decode()
    assert REASON not in teacher_page and "Link to another escalation removed" not in teacher_page
    record = escalation_record(world.teacher, later.reference)
    assert REASON not in record.model_dump_json()
    assert REASON in escalation_record(world.business_manager, later.reference).model_dump_json()


def test_a_repeat_still_linked_to_another_earlier_one_stays_a_repeat() -> None:
    world = make_world(access_roles=["business_manager"])
    first = _raise(world, world.nurse, case_references="LA-77001")
    second = _raise(world, world.nurse)  # same name and date of birth as the third
    third = _raise(world, world.teacher, case_references="LA-77001")
    assert EscalationLink.objects.filter(later=third).count() == 2
    services.remove_link(
        escalation=third, other_reference=second.reference, by=world.business_manager, reason="x"
    )
    third.refresh_from_db()
    assert third.is_repeat  # still the same child as the first
    assert EscalationLink.objects.filter(earlier=first, later=third).exists()
    assert figures.stored() == figures.recount()


def test_who_may_not_remove_a_link() -> None:
    world = make_world(access_roles=["business_manager"])
    earlier = _raise(world, world.teacher)
    later = services.raise_escalation(
        by=world.teacher,
        details=world.details(
            subject_name="Sam Example", subject_date_of_birth=BORN, link_to=(earlier.reference,)
        ),
    )
    # The raiser sees both, but removing links is the business unit's: refused, page and service.
    client = signed_in(world.teacher)
    assert _url(later, earlier) not in client.get(later.get_absolute_url()).content.decode()
    assert client.get(_url(later, earlier)).status_code == 403
    assert client.post(_url(later, earlier), {"reason": REASON}).status_code == 403
    with pytest.raises(services.ActionRefused):
        services.remove_link(
            escalation=later, other_reference=earlier.reference, by=world.teacher, reason=REASON
        )
    # Someone who may not see one of them: not found, as for a link that never was.
    assert signed_in(world.outsider).get(_url(later, earlier)).status_code == 404
    # Another partnership's business unit: not found.
    elsewhere = make_world(access_roles=["business_manager"])
    assert signed_in(elsewhere.business_manager).get(_url(later, earlier)).status_code == 404
    assert (
        signed_in(elsewhere.business_manager)
        .post(_url(later, earlier), {"reason": REASON})
        .status_code
        == 404
    )
    # Two escalations that are not linked, or a reference that does not exist: not found.
    unrelated = _raise(world, world.teacher, subject_name="Robin Other")
    manager = signed_in(world.business_manager)
    assert manager.get(_url(later, unrelated)).status_code == 404
    assert manager.get(_url(later, "NOPE-2026-9999")).status_code == 404
    assert manager.get(_url(later, later)).status_code == 404
    assert EscalationLink.objects.count() == 1
    assert not AuditEvent.objects.filter(action="escalation_link_removed").exists()


def test_hostile_reasons_are_refused_or_kept_as_text() -> None:
    world = make_world(access_roles=["business_manager"])
    earlier, later = _linked_unseen(world)
    client = signed_in(world.business_manager)
    too_long = client.post(_url(later, earlier), {"reason": "x" * 2001})
    assert too_long.status_code == 200
    assert "The reason must be 2,000 characters or fewer" in too_long.content.decode()
    assert EscalationLink.objects.exists()
    odd = client.get(f"/escalations/{later.reference}/links/%3Cscript%3E%00'--/remove/")
    assert odd.status_code == 404
    script = "<script>alert(1)</script> ' OR 1=1 --\x00"
    assert client.post(_url(later, earlier), {"reason": script}).status_code in (200, 302)
    if EscalationLink.objects.exists():  # the NUL refused: the same without it
        answer = client.post(_url(later, earlier), {"reason": script[:-1]})
        assert answer.status_code == 302
    assert not any(
        "\x00" in text for text in ChronologyEntry.objects.values_list("text", flat=True)
    )
    page = client.get(later.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
