"""The retention review (issue 21, item 1): what falls due over the years, legal holds that keep
a record until lifted, extensions with a date, each decision audited and kept."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from escalate.audit.models import AuditEvent
from escalate.escalations import services
from escalate.escalations.models import Escalation, Status
from escalate.escalations.tests.factories import World, make_world
from escalate.escalations.tests.views_support import signed_in
from escalate.privacy.models import RetentionDecision
from escalate.privacy.review import retention_review, review_due_on

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 28)


def _closed(world: World, *, years_ago: float, **details: object) -> Escalation:
    escalation = services.raise_escalation(by=world.teacher, details=world.details(**details))
    closed = timezone.now() - timedelta(days=int(365 * years_ago))
    Escalation.objects.filter(pk=escalation.pk).update(status=Status.RESOLVED, closed_at=closed)
    escalation.refresh_from_db()
    return escalation


def test_records_fall_due_35_years_after_closure_or_at_75_for_a_looked_after_child() -> None:
    world = make_world()
    old = _closed(world, years_ago=35.1)
    almost = _closed(world, years_ago=34.9)  # within the 90 days' notice
    recent = _closed(world, years_ago=10)
    looked_after = _closed(
        world, years_ago=36, looked_after=True, subject_date_of_birth=date(1990, 1, 1)
    )
    open_one = services.raise_escalation(by=world.teacher, details=world.details())
    review = retention_review(world.business_manager, today=TODAY)
    assert {e.reference for e in review.due} == {old.reference, almost.reference}
    assert review_due_on(looked_after) == date(2065, 1, 1)
    assert review_due_on(open_one) is None
    assert recent not in review.due


def test_a_legal_hold_keeps_a_record_until_lifted_and_an_extension_until_its_date() -> None:
    world = make_world()
    held = _closed(world, years_ago=36)
    kept = _closed(world, years_ago=36)
    client = signed_in(world.business_manager)
    url = f"/retention/{held.reference}/"
    placed = client.post(url, {"action": "hold", "hold-reason": "Practice review under way."})
    assert placed.status_code == 302
    extended = client.post(
        f"/retention/{kept.reference}/",
        {
            "action": "extend",
            "extend-keep_until_day": "1",
            "extend-keep_until_month": "6",
            "extend-keep_until_year": "2032",
            "extend-reason": "Civil claim expected.",
        },
    )
    assert extended.status_code == 302, extended.content.decode()[:2000]
    review = retention_review(world.business_manager, today=timezone.localdate())
    assert review.due == [] and review.held == [held]
    page = client.get("/retention/").content.decode()
    assert held.reference in page and "On legal hold" in page

    hold = RetentionDecision.objects.get(escalation=held, kind="hold")
    lifted = client.post(url, {"action": "lift", "lift-hold": str(hold.pk), "lift-reason": "Done."})
    assert lifted.status_code == 302
    again = client.post(url, {"action": "lift", "lift-hold": str(hold.pk), "lift-reason": "Again"})
    assert "already been lifted" in again.content.decode()
    review = retention_review(world.business_manager, today=timezone.localdate())
    assert review.due == [held] and review.held == []
    hold.refresh_from_db()
    assert hold.lifted_by == world.business_manager and hold.reason == "Practice review under way."
    actions = list(
        AuditEvent.objects.filter(object_reference__in=[held.reference, kept.reference])
        .values_list("action", flat=True)
        .order_by("sequence")
    )
    assert actions[-3:] == ["legal_hold_placed", "retention_extended", "legal_hold_lifted"]
    for event in AuditEvent.objects.filter(action__startswith="legal_hold"):
        assert "Practice review" not in str(event.new_values)  # reasons kept as fingerprints


def test_bad_input_keeps_what_was_typed_and_only_the_business_unit_decides() -> None:
    world = make_world()
    record = _closed(world, years_ago=36)
    url = f"/retention/{record.reference}/"
    client = signed_in(world.business_manager)
    empty = client.post(url, {"action": "hold", "hold-reason": ""}).content.decode()
    assert "Enter the reason" in empty
    past = client.post(
        url,
        {
            "action": "extend",
            "extend-keep_until_day": "1",
            "extend-keep_until_month": "1",
            "extend-keep_until_year": "2001",
            "extend-reason": "Kept for the claim.",
        },
    ).content.decode()
    assert "Kept for the claim." in past and "error" in past.lower()
    assert not RetentionDecision.objects.exists()
    for person in (world.teacher, world.dsl, world.chair, world.outsider):
        assert signed_in(person).get("/retention/").status_code == 403
        refused = signed_in(person).post(url, {"action": "hold", "hold-reason": "Mine."})
        assert refused.status_code == 403
    assert not RetentionDecision.objects.exists()
