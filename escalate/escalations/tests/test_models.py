"""The escalation models: append-only chronology, one reference per partnership."""

from __future__ import annotations

import pytest
from django.db import IntegrityError

from escalate.escalations.models import ChronologyEntry, Escalation
from escalate.escalations.tests.factories import (
    ActionFactory,
    ChronologyEntryFactory,
    EscalationFactory,
    PanelFactory,
    ParticipantFactory,
    StageRecordFactory,
)

pytestmark = pytest.mark.django_db


def test_factories_make_an_escalation_with_its_records() -> None:
    escalation = EscalationFactory()
    StageRecordFactory(escalation=escalation)
    ParticipantFactory(escalation=escalation)
    ActionFactory(escalation=escalation)
    PanelFactory(escalation=escalation)
    assert escalation.respondent_agency.partnership == escalation.partnership
    assert escalation.policy_version.spec.stages[0].key == escalation.current_stage_key
    assert Escalation.objects.get().get_absolute_url() == f"/escalations/{escalation.reference}/"


def test_a_chronology_entry_cannot_be_changed() -> None:
    entry = ChronologyEntryFactory()
    entry.text = "rewritten"
    with pytest.raises(ValueError, match="never changed"):
        entry.save()
    assert ChronologyEntry.objects.get().text == "We talked on the phone."


def test_a_reference_is_unique_within_a_partnership() -> None:
    first = EscalationFactory()
    with pytest.raises(IntegrityError):
        EscalationFactory(partnership=first.partnership, reference=first.reference)
