"""Factories for escalations. Every name is invented; every address is under example.org.

`EscalationFactory()` makes a bare open escalation row (at the policy's first stage) without
going through the services: use `services.raise_escalation` when a test needs participants,
the chronology and notifications as a real raise makes them.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from escalate.directory.models import Partnership
from escalate.directory.tests.factories import AgencyFactory, PartnershipFactory, PersonFactory
from escalate.escalations.models import (
    Action,
    ChronologyEntry,
    EntryKind,
    Escalation,
    Panel,
    Part,
    Participant,
    RaiseDraft,
    StageRecord,
)
from escalate.policies.models import PolicyVersion


def policy_document(
    *,
    stage_count: int = 4,
    working_days: int = 5,
    panel: bool = True,
    notifications: list[dict[str, Any]] | None = None,
    access_roles: list[str] | None = None,
    may_start_at: list[str] | None = None,
) -> dict[str, Any]:
    """A valid policy document (PolicySpec shape) with `stage_count` stages stage_1..stage_n."""
    stages = []
    for number in range(1, stage_count + 1):
        level = min(number, 4)
        stages.append(
            {
                "key": f"stage_{number}",
                "name": f"Stage {number}",
                "summary": f"Who acts at stage {number}.",
                "raiser_level": level,
                "respondent_level": level,
                "guidance": f"What to do at stage {number}.",
                "timescale": {"working_days": working_days},
                "must_record": ["discussion"] if number == 1 else [],
                "allows_panel": panel and number == stage_count,
            }
        )
    document: dict[str, Any] = {
        "schema_version": 1,
        "name": "Testshire escalation policy",
        "short_name": "Testshire",
        "source": "Invented for tests.",
        "covers": "children",
        "nation": "england",
        "stages": stages,
        "categories": [
            {"key": "threshold", "name": "Threshold decisions"},
            {"key": "planning", "name": "Planning and review"},
        ],
        "notifications": notifications
        if notifications is not None
        else [
            {"on": "raised", "notify": ["respondent", "stage_participants"]},
            {"on": "stage_entered", "notify": ["stage_participants"]},
            {"on": "resolved", "notify": ["raiser", "respondent", "business_team"]},
        ],
        "urgent": {
            "may_start_at": may_start_at
            if may_start_at is not None
            else (["stage_2"] if stage_count > 1 else []),
            "reason_required": True,
            "guidance": "If a child is in immediate danger call 999.",
        },
        "access_roles": access_roles if access_roles is not None else ["business_manager"],
        "conduct_signpost": "Concerns about a professional's conduct go to the LADO.",
    }
    if panel:
        document["panel"] = {
            "stage": f"stage_{stage_count}",
            "min_agencies": 2,
            "must_include_disputing_agencies": True,
        }
    return document


class PolicyVersionFactory(DjangoModelFactory[PolicyVersion]):
    class Meta:
        model = PolicyVersion

    partnership = factory.SubFactory(PartnershipFactory)
    number = factory.Sequence(lambda n: n + 1)
    name = "Testshire escalation policy"
    document = factory.LazyFunction(policy_document)
    source_name = "testshire.yaml"
    source_text = "# invented for tests"
    checksum = factory.LazyAttribute(
        lambda version: hashlib.sha256(
            json.dumps(version.document, sort_keys=True).encode()
        ).hexdigest()
    )


def current_policy(partnership: Partnership, **document: Any) -> PolicyVersion:
    """A new policy version for `partnership` (numbered after any it has) from policy_document."""
    latest = partnership.policy_versions.order_by("-number").first()
    return PolicyVersionFactory(  # type: ignore[return-value]
        partnership=partnership,
        number=(latest.number + 1) if latest else 1,
        document=policy_document(**document),
    )


class EscalationFactory(DjangoModelFactory[Escalation]):
    class Meta:
        model = Escalation

    partnership = factory.SubFactory(PartnershipFactory)
    reference = factory.Sequence(lambda n: f"TST-2026-{n + 1:04d}")
    policy_version = factory.SubFactory(
        PolicyVersionFactory, partnership=factory.SelfAttribute("..partnership")
    )
    raiser_agency = factory.SubFactory(
        AgencyFactory, partnership=factory.SelfAttribute("..partnership")
    )
    raised_by = factory.SubFactory(PersonFactory, agency=factory.SelfAttribute("..raiser_agency"))
    respondent_agency = factory.SubFactory(
        AgencyFactory, partnership=factory.SelfAttribute("..partnership")
    )
    respondent_person = factory.SubFactory(
        PersonFactory, agency=factory.SelfAttribute("..respondent_agency")
    )
    subject_name = factory.Sequence(lambda n: f"Child {n}")
    categories = factory.LazyFunction(lambda: ["threshold"])
    disputed = "The decision to close the case."
    risk = "Neglect may continue unnoticed."
    outcome_wanted = "A strategy discussion."
    current_stage_key = "stage_1"
    stage_due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))


class StageRecordFactory(DjangoModelFactory[StageRecord]):
    class Meta:
        model = StageRecord

    escalation = factory.SubFactory(EscalationFactory)
    stage_key = factory.LazyAttribute(lambda record: record.escalation.current_stage_key)
    index = 0
    due_at = factory.LazyAttribute(lambda record: record.escalation.stage_due_at)


class ParticipantFactory(DjangoModelFactory[Participant]):
    class Meta:
        model = Participant

    escalation = factory.SubFactory(EscalationFactory)
    person = factory.SubFactory(
        PersonFactory, agency=factory.SelfAttribute("..escalation.raiser_agency")
    )
    part = Part.RAISER_MANAGER
    stage_key = factory.LazyAttribute(lambda row: row.escalation.current_stage_key)


class ChronologyEntryFactory(DjangoModelFactory[ChronologyEntry]):
    class Meta:
        model = ChronologyEntry

    escalation = factory.SubFactory(EscalationFactory)
    kind = EntryKind.DISCUSSION
    actor = factory.LazyAttribute(lambda entry: entry.escalation.raised_by)
    stage_key = factory.LazyAttribute(lambda entry: entry.escalation.current_stage_key)
    text = "We talked on the phone."


class ActionFactory(DjangoModelFactory[Action]):
    class Meta:
        model = Action

    escalation = factory.SubFactory(EscalationFactory)
    description = "Hold a strategy discussion."
    owner = factory.LazyAttribute(lambda action: action.escalation.raised_by)
    created_by = factory.LazyAttribute(lambda action: action.escalation.raised_by)
    due_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=14))


class PanelFactory(DjangoModelFactory[Panel]):
    class Meta:
        model = Panel

    escalation = factory.SubFactory(EscalationFactory)
    convened_by = factory.LazyAttribute(lambda panel: panel.escalation.raised_by)


class RaiseDraftFactory(DjangoModelFactory[RaiseDraft]):
    class Meta:
        model = RaiseDraft

    person = factory.SubFactory(PersonFactory)
    data = factory.LazyFunction(dict)
