"""Every page of the demo data renders for the people in it (the pages `make run` shows)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from escalate.directory.demo import create_demo_directory
from escalate.escalations.demo import create_demo_escalations
from escalate.escalations.models import Participant
from escalate.escalations.tests.views_support import signed_in
from escalate.policies.demo import load_demo_policies

pytestmark = pytest.mark.django_db


def test_every_demo_escalation_page_and_list_renders_for_its_people() -> None:
    riverside, eastmoor = create_demo_directory()
    list(load_demo_policies(riverside.partnership, eastmoor.partnership))
    escalations = create_demo_escalations(riverside)
    assert escalations
    seen_overdue = False
    for escalation in escalations:
        # The raiser and one other person involved, to keep the test quick.
        involved = list(Participant.objects.filter(escalation=escalation).select_related("person"))
        for participant in involved[:2]:
            client = signed_in(participant.person)
            page = client.get(reverse("escalations:detail", args=[escalation.reference]))
            assert page.status_code == 200, (escalation.reference, participant.part)
            seen_overdue = seen_overdue or ">Overdue<" in page.content.decode()
            for url in ("home", "escalations:queue", "escalations:my_actions"):
                assert client.get(reverse(url)).status_code == 200
            if participant is not involved[0]:
                continue
            for slug in ("record-discussion", "convene-panel", "add-action"):
                url = reverse("escalations:stage_action", args=[escalation.reference, slug])
                assert client.get(url).status_code == 200, (escalation.reference, slug)
            # Resolving is asked one thing per page, of those the core lets resolve it now.
            url = reverse("escalations:stage_action", args=[escalation.reference, "resolve"])
            first = client.get(url, follow=True)
            assert first.status_code in (200, 403), escalation.reference
            if first.status_code == 403:
                assert "You cannot do this now" in first.content.decode()
    assert seen_overdue
