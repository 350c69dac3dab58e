"""seed_scale: a consistent, realistic data set that the application's own checks accept."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import NOT_PROVIDED, Count

from escalate.audit.models import AuditChain
from escalate.audit.verification import cross_check, verify_chain
from escalate.directory.models import Partnership, Person
from escalate.escalations.models import (
    Action,
    ChronologyEntry,
    Escalation,
    Participant,
    ReferenceCounter,
    StageRecord,
)
from escalate.escalations.references import next_reference
from escalate.notifications.models import Notification
from escalate.policies.models import PolicyVersion
from escalate.scale.management.commands.seed_scale import Command as SeedScale

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.database_owner,
]  # the bulk seeder loads as the owner


def seed(partnerships: int, escalations: int) -> str:
    out = StringIO()
    call_command(
        SeedScale(),
        partnerships=partnerships,
        escalations=escalations,
        stdout=out,
    )
    return out.getvalue()


def test_it_builds_escalations_with_their_records_in_every_status() -> None:
    output = seed(2, 600)

    assert "Seeded 2 partnerships and 600 escalations" in output
    assert Partnership.objects.filter(slug__startswith="scale-").count() == 2
    assert Escalation.objects.count() == 600
    statuses = dict(Escalation.objects.values_list("status").annotate(n=Count("pk")))
    assert {"open", "resolved", "withdrawn"} <= set(statuses)
    assert statuses["resolved"] > statuses["withdrawn"] > statuses["open"]
    # Every escalation has its first stage, a raiser and the "raised" entry.
    assert not Escalation.objects.filter(stages__isnull=True).exists()
    assert Participant.objects.filter(part="raiser").count() == 600
    assert ChronologyEntry.objects.filter(kind="raised").count() == 600
    assert StageRecord.objects.count() > 600  # some went further than the first stage
    assert Action.objects.exists()
    assert Notification.objects.count() > 600
    # The current stage record matches the escalation's stage.
    for escalation in Escalation.objects.prefetch_related("stages")[:50]:
        last = max(escalation.stages.all(), key=lambda record: record.index)
        assert last.stage_key == escalation.current_stage_key


def test_people_form_a_directory_with_managers_and_policies_from_the_shipped_files() -> None:
    seed(1, 50)

    partnership = Partnership.objects.get(slug="scale-001")
    people = Person.objects.filter(partnership=partnership)
    assert people.count() > 100
    practitioner = people.filter(level=1).first()
    assert practitioner is not None and practitioner.line_manager is not None
    assert practitioner.line_manager.level == 2
    assert not practitioner.has_usable_password()
    versions = PolicyVersion.objects.filter(partnership=partnership)
    assert versions.count() == 2
    assert {version.source_name for version in versions} <= {
        "havering.yaml",
        "pan-berkshire.yaml",
        "practitioner-guide.yaml",
        "waltham-forest.yaml",
        "west-sussex.yaml",
    }


def test_the_audit_chains_verify_and_references_continue_from_the_seeded_ones() -> None:
    seed(2, 200)

    # Each partnership's own chain holds the seeded events; its view chains (ADR 0020) are
    # created with it and stay empty until someone views an escalation.
    chains = list(AuditChain.objects.filter(length__gt=0))
    assert len(chains) == 2
    assert all(verify_chain(chain) is None for chain in AuditChain.objects.all())
    assert cross_check() == []  # every seeded escalation and stage has its audit row
    partnership = Partnership.objects.get(slug="scale-001")
    counter = ReferenceCounter.objects.filter(partnership=partnership).order_by("-year").first()
    assert counter is not None
    latest = Escalation.objects.filter(partnership=partnership).order_by("-raised_at").first()
    assert latest is not None
    assert latest.reference == f"QAA-{counter.year}-{counter.last_number:04d}"
    nxt = next_reference(partnership, latest.raised_at)
    assert nxt == f"QAA-{counter.year}-{counter.last_number + 1:04d}"


def test_a_second_run_and_bad_sizes_are_refused_with_a_reason() -> None:
    with pytest.raises(CommandError, match="--partnerships must be between 1 and 676"):
        seed(0, 10)
    with pytest.raises(CommandError, match="--escalations must be 0 or more"):
        seed(1, -1)
    seed(1, 5)
    with pytest.raises(CommandError, match="already holds seeded partnerships"):
        seed(1, 5)


def test_the_generator_writes_every_column_the_database_requires() -> None:
    """The generator writes rows without the ORM, so no model default fills a column it misses:
    a NOT NULL column added by a migration must be added to its TABLES too."""
    from django.apps import apps

    from escalate.scale.generator import TABLES

    by_table = {model._meta.db_table: model for model in apps.get_models()}
    for table, columns in TABLES.items():
        required = {
            str(field.column)
            for field in by_table[table]._meta.concrete_fields
            if not field.null and field.db_default is NOT_PROVIDED
        }
        assert required <= set(columns), f"{table} misses {sorted(required - set(columns))}"
