"""Every escalation service writes exactly one audit row, with old and new values and nothing
that identifies the child; every view of an escalation page writes one row."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from escalate.audit.models import AuditChain, AuditEvent
from escalate.audit.services import REDACTED, fingerprint
from escalate.audit.verification import verify_chain
from escalate.directory.models import Role
from escalate.directory.tests.factories import PersonFactory
from escalate.escalations import services
from escalate.escalations.auditing import AnonymousChange, audited
from escalate.escalations.models import ChronologyEntry, Escalation
from escalate.escalations.services import ActionRefused, ActionSpec, StaleEscalation
from escalate.escalations.tests.factories import World, make_world
from escalate.web.testing import sign_in

pytestmark = pytest.mark.django_db

CHILD_NAME = "Alex Example"
CHILD_DOB = date(2019, 3, 14)
CASE_REFS = "LCS-778812; NHS 943 476 5919"
# Every way the child's details could show up in a row.
IDENTIFYING = (
    CHILD_NAME,
    "Alex",
    CHILD_DOB.isoformat(),
    "14/03/2019",
    "LCS-778812",
    "943 476 5919",
)
# Services audited by record_audit directly, each answer a fingerprint (a raise draft belongs to
# no escalation yet; a decision draft is not the escalation's record until it is made).
DRAFT_SERVICES = {
    "save_raise_draft",
    "discard_raise_draft",
    "save_decision_draft",
    "discard_decision_draft",
}
# Writes to two escalations at once, each audited on its own chain with record_audit (one row per
# escalation, test_remove_link checks them).
AUDITS_EACH_SIDE = {"remove_link"}


@pytest.fixture
def world() -> World:
    return make_world()


def raise_one(world: World) -> Escalation:
    return services.raise_escalation(
        by=world.teacher,
        details=world.details(
            subject_name=CHILD_NAME,
            subject_date_of_birth=CHILD_DOB,
            case_references=CASE_REFS,
            disputed=f"The decision to close {CHILD_NAME}'s case.",
        ),
    )


def fresh(escalation: Escalation) -> Escalation:
    return Escalation.objects.get(pk=escalation.pk)


def one_row(run: Callable[[], Any], action: str) -> tuple[Any, AuditEvent]:
    """Run a service; it must write exactly one audit row, named `action`."""
    before = AuditEvent.objects.count()
    result = run()
    rows = list(AuditEvent.objects.order_by("pk")[before:])
    assert [row.action for row in rows] == [action]
    return result, rows[0]


def discuss(world: World, escalation: Escalation) -> Callable[[], ChronologyEntry]:
    return lambda: services.record_discussion(
        escalation=fresh(escalation),
        by=world.teacher,
        expected_version=fresh(escalation).version,
        held_on=timezone.localdate(),
        with_whom="The social worker",
        method="Phone call",
        summary=f"We talked about {CHILD_NAME}'s attendance.",
        outcome="We still disagree.",
    )


def assert_nothing_identifying(rows: Any) -> None:
    for row in rows:
        text = json.dumps(
            [row.old_values, row.new_values, row.reason, row.object_reference], default=str
        )
        for value in IDENTIFYING:
            assert value not in text, f"{value!r} in audit row {row.action}"


def public_writes() -> list[Callable[..., Any]]:
    writes = [
        getattr(services, name)
        for name in services.__all__
        if inspect.isfunction(getattr(services, name))
    ]
    assert services.record_discussion in writes  # the checks see the services
    return writes


def test_every_public_write_is_audited() -> None:
    """A new service cannot ship without its audit row: its work runs in `with audited(...)`
    (or, for the sweep's batches, `with audited_each(...)`: a row per escalation)."""
    unaudited = [
        write.__name__
        for write in public_writes()
        if write.__name__ not in DRAFT_SERVICES
        and not (
            write.__name__ in AUDITS_EACH_SIDE
            and "record_audit(" in inspect.getsource(inspect.unwrap(write))
        )
        and not any(
            opening in inspect.getsource(inspect.unwrap(write))
            for opening in ('with audited("', 'with audited_each("')
        )
    ]
    assert unaudited == []


@pytest.mark.parametrize("write", public_writes(), ids=lambda write: write.__name__)
def test_every_public_write_owns_its_transaction(write: Callable[..., Any]) -> None:
    """Each service opens a durable transaction: called inside someone else's, it is refused
    before doing anything (so what a service promises is committed when it returns)."""
    with transaction.atomic(), pytest.raises(RuntimeError, match="durable"):
        write()


def test_a_change_without_an_actor_is_refused(world: World) -> None:
    escalation = raise_one(world)
    with (
        transaction.atomic(),
        pytest.raises(AnonymousChange),
        audited("escalation_notified", escalation=escalation, by=None),  # type: ignore[arg-type]
    ):
        pass
    assert not AuditEvent.objects.filter(action="escalation_notified").exists()


@pytest.mark.django_db(transaction=True)
def test_auditing_outside_a_transaction_is_refused() -> None:
    world = make_world()
    escalation = raise_one(world)
    with (
        pytest.raises(RuntimeError, match="transaction"),
        audited("escalation_notified", escalation=escalation, by=world.teacher),
    ):
        pass


def test_raising_writes_one_row_with_the_new_values_and_the_child_redacted(world: World) -> None:
    escalation, row = one_row(lambda: raise_one(world), "escalation_raised")
    assert row.actor == world.teacher
    assert row.partnership_id == world.partnership.pk
    assert (row.object_type, row.object_id) == ("escalations.Escalation", str(escalation.pk))
    assert row.object_reference == escalation.reference
    assert row.new_values["status"] == "open"
    assert row.new_values["current_stage_key"] == escalation.current_stage_key
    assert row.old_values["status"] is None
    for field in ("subject_name", "subject_date_of_birth", "case_references"):
        assert row.new_values[field] == REDACTED
    assert row.new_values["disputed"] == fingerprint(
        escalation.disputed, salt=escalation.fingerprint_salt
    )
    assert row.new_values[f"participant[{world.teacher.pk}:raiser]"] == "stage_1"
    kinds = [entry["kind"] for entry in row.new_values["chronology"]]
    assert kinds[0] == "raised"
    assert_nothing_identifying([row])


def test_each_stage_action_writes_one_row_with_old_and_new_values(world: World) -> None:
    escalation = raise_one(world)
    entry, row = one_row(discuss(world, escalation), "escalation_discussion_recorded")
    assert row.actor == world.teacher
    (added,) = [e for e in row.new_values["chronology"] if e["kind"] == "discussion"]
    assert added == {
        "entry": entry.pk,
        "kind": "discussion",
        "stage": "stage_1",
        "text": fingerprint(entry.text, salt=escalation.fingerprint_salt),
    }
    _, row = one_row(
        lambda: services.request_rationale(
            escalation=fresh(escalation),
            by=world.teacher,
            expected_version=fresh(escalation).version,
            message="Why?",
        ),
        "escalation_rationale_requested",
    )
    _, row = one_row(
        lambda: services.give_rationale(
            escalation=fresh(escalation),
            by=world.social_worker,
            expected_version=fresh(escalation).version,
            rationale="The threshold was not met.",
        ),
        "escalation_rationale_given",
    )
    assert row.actor == world.social_worker
    version = fresh(escalation).version
    _, row = one_row(
        lambda: services.escalate_to_next_stage(
            escalation=fresh(escalation),
            by=world.teacher,
            expected_version=version,
            reason=f"{CHILD_NAME} is still at risk.",
        ),
        "escalation_stage_changed",
    )
    assert (row.old_values["current_stage_key"], row.new_values["current_stage_key"]) == (
        "stage_1",
        "stage_2",
    )
    assert (row.old_values["version"], row.new_values["version"]) == (version, version + 1)
    assert row.old_values["stage[0].ended_at"] is None
    assert row.new_values["stage[0].outcome"] == "escalated"
    assert row.new_values[f"participant[{world.dsl.pk}:raiser_manager]"] == "stage_2"
    assert row.reason == ""  # the typed reason may name the child: only its fingerprint is kept
    _, row = one_row(
        lambda: services.pause_escalation(
            escalation=fresh(escalation),
            by=world.teacher,
            expected_version=fresh(escalation).version,
            reason="Strategy meeting",
        ),
        "escalation_paused",
    )
    assert (row.old_values["status"], row.new_values["status"]) == ("open", "paused")
    assert row.old_values["stage[1].paused_at"] is None
    assert row.new_values["stage[1].paused_at"] is not None
    _, row = one_row(
        lambda: services.resume_escalation(
            escalation=fresh(escalation),
            by=world.teacher,
            expected_version=fresh(escalation).version,
            reason="Met",
        ),
        "escalation_resumed",
    )
    assert (row.old_values["status"], row.new_values["status"]) == ("paused", "open")
    _, row = one_row(
        lambda: services.add_view(escalation=fresh(escalation), by=world.iro, view="Agree."),
        "escalation_view_added",
    )
    _, row = one_row(
        lambda: services.correct_entry(entry=entry, by=world.teacher, correction="On Tuesday."),
        "escalation_entry_corrected",
    )
    action, row = one_row(
        lambda: services.add_action(
            escalation=fresh(escalation),
            by=world.teacher,
            owner=world.dsl,
            description="Check attendance",
            due_on=timezone.localdate(),
        ),
        "escalation_action_added",
    )
    assert row.new_values[f"action[{action.pk}].owner_id"] == world.dsl.pk
    assert row.new_values[f"action[{action.pk}].description"] == fingerprint(
        "Check attendance", salt=escalation.fingerprint_salt
    )
    _, row = one_row(
        lambda: services.complete_action(action=action, by=world.dsl, note="Fine."),
        "escalation_action_completed",
    )
    assert row.old_values[f"action[{action.pk}].done_at"] is None
    assert row.new_values[f"action[{action.pk}].done_by_id"] == world.dsl.pk
    _, row = one_row(
        lambda: services.resolve_escalation(
            escalation=fresh(escalation),
            by=world.dsl,
            expected_version=fresh(escalation).version,
            decision=f"An assessment for {CHILD_NAME}.",
            decided_by="Both managers",
            learning="Share outcomes in writing.",
            learning_themes=["communication"],
            actions=[
                ActionSpec(
                    owner=world.social_worker,
                    description="Start",
                    due_on=timezone.localdate() + timedelta(days=5),
                ),
                ActionSpec(
                    owner=world.teacher,
                    description="Tell the family",
                    due_on=timezone.localdate() + timedelta(days=5),
                ),
            ],
        ),
        "escalation_resolved",  # one row, however many actions come with it
    )
    assert (row.old_values["status"], row.new_values["status"]) == ("open", "resolved")
    assert row.new_values["decision"] == fingerprint(
        f"An assessment for {CHILD_NAME}.", salt=escalation.fingerprint_salt
    )
    assert row.new_values["learning_themes"] == ["communication"]
    assert len([name for name in row.new_values if name.endswith(".owner_id")]) == 2
    rows = AuditEvent.objects.filter(object_reference=escalation.reference)
    assert_nothing_identifying(rows)
    assert verify_chain(AuditChain.objects.get(key=f"partnership:{world.partnership.pk}")) is None


def test_withdrawing_writes_one_row(world: World) -> None:
    escalation = raise_one(world)
    _, row = one_row(
        lambda: services.withdraw_escalation(
            escalation=escalation, by=world.teacher, expected_version=1, reason="Sorted out"
        ),
        "escalation_withdrawn",
    )
    assert (row.old_values["status"], row.new_values["status"]) == ("open", "withdrawn")
    assert row.old_values["closed_at"] is None and row.new_values["closed_at"] is not None


def test_the_panel_writes_one_row_per_step(world: World) -> None:
    escalation = raise_one(world)
    discuss(world, escalation)()
    while fresh(escalation).current_stage_key != "stage_4":
        services.escalate_to_next_stage(
            escalation=fresh(escalation),
            by=world.teacher,
            expected_version=fresh(escalation).version,
            reason="Still no agreement.",
        )
    members = [world.head, world.service_manager, world.nurse]
    _, row = one_row(
        lambda: services.convene_panel(
            escalation=fresh(escalation),
            by=world.chair,
            expected_version=fresh(escalation).version,
            members=members,
            handled_reason="They managed it at an earlier stage and know the case.",
        ),
        "escalation_panel_convened",
    )
    assert row.old_values["panel.member_ids"] is None
    assert row.new_values["panel.member_ids"] == sorted(m.pk for m in members)
    _, row = one_row(
        lambda: services.record_representation(
            escalation=fresh(escalation),
            by=world.team_manager,
            expected_version=fresh(escalation).version,
            agency=world.csc,
            summary="Our decision was sound.",
        ),
        "escalation_representation_recorded",
    )
    _, row = one_row(
        lambda: services.record_panel_decision(
            escalation=fresh(escalation),
            by=world.chair,
            expected_version=fresh(escalation).version,
            members_present=members,
            decision="An assessment starts.",
            learning="Escalate sooner.",
            learning_themes=["timeliness"],
            actions=[],
        ),
        "escalation_panel_decided",
    )
    assert row.old_values["panel.decided_at"] is None
    assert row.new_values["panel.decided_at"] is not None
    assert row.new_values["panel.decision"] == fingerprint(
        "An assessment starts.", salt=escalation.fingerprint_salt
    )


def test_a_refused_or_stale_action_writes_no_row(world: World) -> None:
    escalation = raise_one(world)
    count = AuditEvent.objects.count()
    with pytest.raises(ActionRefused):
        services.give_rationale(
            escalation=escalation, by=world.teacher, expected_version=1, rationale="x"
        )
    with pytest.raises(StaleEscalation):
        services.pause_escalation(
            escalation=escalation, by=world.teacher, expected_version=99, reason="x"
        )
    assert AuditEvent.objects.count() == count


def test_a_policy_event_is_audited_with_no_actor_and_only_when_it_tells_someone() -> None:
    world = make_world(notifications=[{"on": "overdue", "notify": ["raiser"]}])
    escalation = raise_one(world)
    key = f"overdue:{escalation.reference}:stage_1"
    _, row = one_row(
        lambda: services.notify_policy_event(escalation=escalation, event="overdue", cause_key=key),
        "escalation_notified",
    )
    assert row.actor is None and row.ip_address is None
    assert [entry["kind"] for entry in row.new_values["chronology"]] == ["notification"]
    count = AuditEvent.objects.count()
    services.notify_policy_event(escalation=escalation, event="overdue", cause_key=key)
    assert AuditEvent.objects.count() == count  # sent already: nothing changed, no row


def test_drafts_are_audited_with_fingerprints_and_the_child_redacted(world: World) -> None:
    _, row = one_row(
        lambda: services.save_raise_draft(
            by=world.teacher,
            data={"subject_name": CHILD_NAME, "disputed": f"About {CHILD_NAME}", "cp_plan": True},
        ),
        "raise_draft_saved",
    )
    assert row.new_values["subject_name"] == REDACTED
    assert row.new_values["disputed"] == fingerprint(json.dumps(f"About {CHILD_NAME}"))
    assert row.old_values["disputed"] is None
    assert set(row.new_values) == {"subject_name", "disputed", "cp_plan"}
    _, row = one_row(
        lambda: services.save_raise_draft(
            by=world.teacher,
            data={"subject_name": CHILD_NAME, "disputed": "Changed", "cp_plan": True},
        ),
        "raise_draft_saved",
    )
    assert set(row.new_values) == {"disputed"}  # only what changed
    count = AuditEvent.objects.count()
    services.save_raise_draft(
        by=world.teacher, data={"subject_name": CHILD_NAME, "disputed": "Changed", "cp_plan": True}
    )
    assert AuditEvent.objects.count() == count
    _, row = one_row(
        lambda: services.discard_raise_draft(by=world.teacher), "raise_draft_discarded"
    )
    assert row.new_values["disputed"] is None
    assert_nothing_identifying(AuditEvent.objects.all())


def test_a_change_made_through_a_page_records_where_it_came_from(world: World) -> None:
    escalation = raise_one(world)
    client = Client(REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="Firefox/130.0 (test)")
    sign_in(client, world.teacher)
    count = AuditEvent.objects.filter(action="escalation_discussion_recorded").count()
    today = timezone.localdate()
    response = client.post(
        reverse("escalations:stage_action", args=[escalation.reference, "record-discussion"]),
        {
            "expected_version": escalation.version,
            "held_on_day": today.day,
            "held_on_month": today.month,
            "held_on_year": today.year,
            "with_whom": "The social worker",
            "method": "phone",
            "summary": "We talked.",
            "outcome": "No agreement.",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rows = AuditEvent.objects.filter(action="escalation_discussion_recorded")
    assert rows.count() == count + 1
    row = rows.latest("pk")
    assert (row.ip_address, row.user_agent) == ("203.0.113.7", "Firefox/130.0 (test)")


def test_a_change_made_outside_a_request_has_no_origin(world: World) -> None:
    _, row = one_row(lambda: raise_one(world), "escalation_raised")
    assert (row.ip_address, row.user_agent) == (None, "")


def test_each_view_of_an_escalation_page_writes_one_row(world: World) -> None:
    escalation = raise_one(world)
    client = Client(REMOTE_ADDR="198.51.100.4", HTTP_USER_AGENT="Safari/17")
    sign_in(client, world.social_worker)
    url = reverse("escalations:detail", args=[escalation.reference])
    for _ in range(2):
        _, row = one_row(lambda: client.get(url), "escalation_viewed")
        assert row.actor == world.social_worker
        assert row.object_reference == escalation.reference
        assert (row.ip_address, row.user_agent) == ("198.51.100.4", "Safari/17")


def test_someone_who_may_not_see_it_is_refused_and_no_view_is_recorded(world: World) -> None:
    escalation = raise_one(world)
    client = Client()
    sign_in(client, world.outsider)
    url = reverse("escalations:detail", args=[escalation.reference])
    _, row = one_row(lambda: client.get(url), "access_refused")
    assert row.actor == world.outsider


def test_an_auditor_reads_a_whole_escalations_trail_without_the_childs_details(
    world: World,
) -> None:
    escalation = raise_one(world)
    discuss(world, escalation)()
    services.pause_escalation(
        escalation=fresh(escalation),
        by=world.teacher,
        expected_version=fresh(escalation).version,
        reason=f"{CHILD_NAME} is in hospital.",
    )
    auditor = PersonFactory(agency=world.school, roles=[Role.AUDITOR])
    client = Client()
    sign_in(client, auditor)
    response = client.get("/audit/", {"reference": escalation.reference})
    page = response.content.decode()
    assert response.status_code == 200
    for action in ("escalation_raised", "escalation_discussion_recorded", "escalation_paused"):
        assert action in page
    assert "open → paused" in page
    for value in IDENTIFYING:
        assert value not in page
