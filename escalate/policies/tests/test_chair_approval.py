"""The Chair's approval before a policy is published (`publishing: requires_chair_approval`),
through the pages: the business unit publishes, the Chair approves or declines with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from escalate.audit.models import AuditEvent
from escalate.directory.models import AgencyType, Person, Role
from escalate.directory.tests.factories import AgencyFactory, PersonFactory
from escalate.escalations.tests.factories import EscalationFactory
from escalate.notifications.models import Notification
from escalate.policies.models import ApprovalStatus, PolicyApproval, PolicyVersion
from escalate.policies.selectors import current_policy

pytestmark = pytest.mark.django_db

WEST_SUSSEX = (Path(settings.POLICY_DIR) / "west-sussex.yaml").read_text(encoding="utf-8")
WITH_APPROVAL = WEST_SUSSEX + "\npublishing:\n  requires_chair_approval: true\n"


def partnership_people() -> tuple[Person, Person]:
    unit = AgencyFactory(agency_type=AgencyType.PARTNERSHIP)
    for _ in range(3):
        AgencyFactory(partnership=unit.partnership)
    manager: Person = PersonFactory(agency=unit, roles=[Role.BUSINESS_MANAGER])
    chair: Person = PersonFactory(agency=unit, roles=[Role.PARTNERSHIP_CHAIR])
    return manager, chair


def signed_in(person: Person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_publishing_awaits_the_chair_who_approves_it(client: Client) -> None:
    manager, chair = partnership_people()
    unit = signed_in(manager)
    # Without the rule, Publish publishes at once.
    unit.post("/policy/edit/", {"text": WEST_SUSSEX, "action": "publish"})
    first = PolicyVersion.objects.get()
    escalation = EscalationFactory(partnership=manager.partnership, policy_version=first)

    # A version that requires the Chair's approval is not published by the business unit.
    response = unit.post("/policy/edit/", {"text": WITH_APPROVAL, "action": "publish"})
    approval = PolicyApproval.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/policy/approvals/{approval.pk}/"
    assert approval.status == ApprovalStatus.AWAITING
    assert PolicyVersion.objects.count() == 1 and current_policy(manager.partnership) == first
    page = unit.get(response["Location"]).content.decode()
    assert "Awaiting the Chair&#x27;s approval" in page and "Approve and publish" not in page
    assert AuditEvent.objects.filter(action="policy_submitted_for_approval", actor=manager).exists()
    # The Chair is told, and sees it in their queue.
    told = Notification.objects.filter(recipient=chair, event="policy_awaiting_approval")
    assert told.exists()
    chair_client = signed_in(chair)
    # Their home page says so first, under "Needs your action"; the business unit's does not.
    home = chair_client.get("/").content.decode()
    assert "A new version of the partnership's policy is waiting for your approval" in home
    assert "/policy/approvals/" in home and "Nothing is waiting for you" not in home
    assert "waiting for your approval" not in unit.get("/").content.decode()
    queue = chair_client.get("/policy/approvals/").content.decode()
    assert approval.name in queue and f"/policy/approvals/{approval.pk}/" in queue
    detail = chair_client.get(f"/policy/approvals/{approval.pk}/").content.decode()
    assert "Approve and publish" in detail and "What changes" in detail

    approved = chair_client.post(f"/policy/approvals/{approval.pk}/", {"action": "approve"})

    assert approved.status_code == 302 and approved["Location"] == "/policy/"
    second = current_policy(manager.partnership)
    assert second is not None and second.number == 2
    assert second.spec.publishing.requires_chair_approval
    approval.refresh_from_db()
    assert (approval.status, approval.version, approval.decided_by) == (
        ApprovalStatus.APPROVED,
        second,
        chair,
    )
    assert AuditEvent.objects.filter(action="policy_approved", actor=chair).exists()
    assert "waiting for your approval" not in chair_client.get("/").content.decode()
    assert Notification.objects.filter(recipient=manager, event="policy_approval_decided").exists()
    # The escalation keeps the version it started under.
    escalation.refresh_from_db()
    assert escalation.policy_version == first
    # Deciding twice is refused.
    again = chair_client.post(f"/policy/approvals/{approval.pk}/", {"action": "approve"})
    assert again.status_code == 400 and PolicyVersion.objects.count() == 2


def test_the_chair_declines_with_a_reason_and_the_rule_cannot_be_dropped_without_them() -> None:
    manager, chair = partnership_people()
    unit = signed_in(manager)
    unit.post("/policy/edit/", {"text": WITH_APPROVAL, "action": "publish"})
    chair_client = signed_in(chair)
    chair_client.post(
        f"/policy/approvals/{PolicyApproval.objects.get().pk}/", {"action": "approve"}
    )
    assert PolicyVersion.objects.count() == 1

    # The current version requires approval: publishing one without the rule still waits.
    unit.post("/policy/edit/", {"text": WEST_SUSSEX, "action": "publish"})
    approval = PolicyApproval.objects.get(status=ApprovalStatus.AWAITING)
    assert PolicyVersion.objects.count() == 1

    no_reason = chair_client.post(
        f"/policy/approvals/{approval.pk}/", {"action": "decline", "reason": "  "}
    )
    assert no_reason.status_code == 400
    assert "Say why the new version is declined." in no_reason.content.decode()
    declined = chair_client.post(
        f"/policy/approvals/{approval.pk}/",
        {"action": "decline", "reason": "The Board has not agreed the new timescales."},
    )
    assert declined.status_code == 302
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.DECLINED
    assert approval.decline_reason == "The Board has not agreed the new timescales."
    assert PolicyVersion.objects.count() == 1
    assert AuditEvent.objects.filter(action="policy_declined", actor=chair).exists()
    seen = unit.get(f"/policy/approvals/{approval.pk}/").content.decode()
    assert "The Board has not agreed the new timescales." in seen


def test_only_the_partnerships_chair_decides() -> None:
    manager, chair = partnership_people()
    signed_in(manager).post("/policy/edit/", {"text": WITH_APPROVAL, "action": "publish"})
    approval = PolicyApproval.objects.get()
    url = f"/policy/approvals/{approval.pk}/"
    # The business unit sees it but cannot approve its own publication.
    assert signed_in(manager).post(url, {"action": "approve"}).status_code == 403
    # A practitioner of the partnership neither sees nor decides.
    practitioner = PersonFactory(partnership=manager.partnership, agency=manager.agency)
    assert signed_in(practitioner).get(url).status_code == 403
    assert signed_in(practitioner).get("/policy/approvals/").status_code == 403
    # Another partnership's chair: the same 404 as for a version that does not exist.
    other_chair = PersonFactory(roles=[Role.PARTNERSHIP_CHAIR])
    assert signed_in(other_chair).get(url).status_code == 404
    assert signed_in(other_chair).post(url, {"action": "approve"}).status_code == 404
    assert signed_in(chair).get("/policy/approvals/999999/").status_code == 404
    assert not PolicyVersion.objects.exists()
