"""The demo escalations: every stage, some overdue, some resolved, a panel; safe to re-run."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone

from escalate.directory.demo import create_demo_directory
from escalate.escalations import selectors
from escalate.escalations.demo import SCENARIOS, create_demo_escalations
from escalate.escalations.models import Action, Escalation, Panel, Status
from escalate.policies.demo import load_demo_policies

pytestmark = pytest.mark.django_db


def test_demo_escalations_cover_every_stage_and_are_made_once() -> None:
    riverside, eastmoor = create_demo_directory()
    load_demo_policies(riverside.partnership, eastmoor.partnership)
    made = create_demo_escalations(riverside)
    assert len(made) == len(SCENARIOS)
    assert create_demo_escalations(riverside) == []
    escalations = Escalation.objects.filter(partnership=riverside.partnership)
    assert escalations.count() == len(SCENARIOS)
    open_stages = set(
        escalations.exclude(status__in=[Status.RESOLVED, Status.WITHDRAWN]).values_list(
            "current_stage_key", flat=True
        )
    )
    assert open_stages == {"stage_1", "stage_2", "stage_3", "stage_4"}
    now = timezone.now()
    assert escalations.filter(status=Status.OPEN, stage_due_at__lt=now).count() >= 2
    resolved = escalations.filter(status=Status.RESOLVED)
    assert resolved.count() >= 2
    assert all(e.learning and e.learning_themes for e in resolved)
    assert Action.objects.filter(done_at__isnull=True, due_on__lt=timezone.localdate()).exists()
    assert Panel.objects.filter(escalation__partnership=riverside.partnership).count() == 1
    assert {e.status for e in escalations} >= {Status.PAUSED, Status.WITHDRAWN}
    # The IRO was told about the child with a CP plan when it reached Stage 2.
    iro = riverside.people["isla.jones"]
    assert selectors.escalations_visible_to(iro).filter(cp_plan=True).exists()
    # Eastmoor never sees Riverside's escalations.
    assert not selectors.escalations_visible_to(eastmoor.people["fern.hall"]).exists()


def test_seed_demo_makes_the_escalations_and_can_run_twice() -> None:
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)
    assert Escalation.objects.count() == len(SCENARIOS)
