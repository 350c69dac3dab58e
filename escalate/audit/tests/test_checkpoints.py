"""Chain heads checkpointed outside the database: a cut-off tail fails verify_audit (issue 19).

Today's probe deleted the newest events of a partnership and rewound its chain head, and
verify_audit said "intact". Here the DBA's edit is the same; the checkpoint written before it,
and the escalation left without its raise event, are what give it away.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from escalate.audit.checkpoints import DirectoryStore, read_checkpoints, write_checkpoint
from escalate.audit.models import AuditChain, AuditEvent
from escalate.audit.services import record_audit
from escalate.directory.tests.factories import PartnershipFactory
from escalate.escalations import services
from escalate.escalations.tests.factories import World, make_world

pytestmark = [pytest.mark.django_db, pytest.mark.database_owner]  # the DBA's edit


@pytest.fixture(autouse=True)
def _fresh_checkpoints(settings) -> Iterator[Path]:
    yield settings.AUDIT_CHECKPOINT_DIR
    shutil.rmtree(settings.AUDIT_CHECKPOINT_DIR, ignore_errors=True)


@contextmanager
def _as_dba() -> Iterator[None]:
    # The owner of the tables can switch the append-only triggers off; the runtime role cannot
    # (test_runtime_role_postgres.py).
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        cursor.execute("ALTER TABLE audit_auditchain DISABLE TRIGGER USER")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")
            cursor.execute("ALTER TABLE audit_auditchain ENABLE TRIGGER USER")


def cut_tail(chain_key: str, rows: int) -> None:
    """Delete the newest `rows` events of a chain and rewind its head to match."""
    with _as_dba(), connection.cursor() as cursor:
        cursor.execute("SELECT length FROM audit_auditchain WHERE key = %s", [chain_key])
        length = cursor.fetchone()[0]
        keep = length - rows
        cursor.execute(
            "DELETE FROM audit_auditevent WHERE chain_key = %s AND sequence > %s", [chain_key, keep]
        )
        cursor.execute(
            "UPDATE audit_auditchain SET length = %s, last_hash = COALESCE("
            "(SELECT hash FROM audit_auditevent WHERE chain_key = %s AND sequence = %s), '') "
            "WHERE key = %s",
            [keep, chain_key, keep, chain_key],
        )


def _chain(slug: str = "checked", length: int = 5) -> str:
    partnership = PartnershipFactory(slug=slug)
    for n in range(length):
        record_audit(actor=None, action=f"step {n}", partnership=partnership)
    return f"partnership:{partnership.pk}"


def test_an_intact_trail_passes_against_its_checkpoint(capsys) -> None:
    _chain()
    call_command("checkpoint_audit")
    call_command("verify_audit", "--require-checkpoint")
    out = capsys.readouterr().out
    assert "Compared with 1 checkpoint(s)" in out
    assert "Audit trail intact" in out


def test_cutting_the_tail_and_rewinding_the_head_is_detected() -> None:
    key = _chain()
    write_checkpoint()
    cut_tail(key, rows=2)
    assert AuditChain.objects.get(key=key).length == 3
    with pytest.raises(CommandError) as failure:
        call_command("verify_audit")
    assert f"{key}: checkpoint audit-checkpoint-" in str(failure.value)
    assert "recorded 5 rows; row #5 is missing (3 rows in the database)" in str(failure.value)


def test_rows_written_after_the_checkpoint_are_fine_until_cut() -> None:
    key = _chain(length=3)
    write_checkpoint()
    partnership = PartnershipFactory.build(pk=int(key.split(":")[1]))
    record_audit(actor=None, action="later", partnership=partnership)
    call_command("verify_audit")  # longer than the checkpoint: fine
    cut_tail(key, rows=2)  # back past the checkpoint
    with pytest.raises(CommandError, match="recorded 3 rows; row #3 is missing"):
        call_command("verify_audit")


def test_an_escalation_whose_raise_event_was_cut_is_named_without_any_checkpoint() -> None:
    world: World = make_world()
    escalation = services.raise_escalation(by=world.teacher, details=world.details())
    call_command("verify_audit")
    key = f"partnership:{world.partnership.pk}"
    raise_rows = AuditEvent.objects.filter(chain_key=key, action="escalation_raised").count()
    assert raise_rows == 1
    newer = AuditEvent.objects.filter(
        chain_key=key, sequence__gt=AuditEvent.objects.get(action="escalation_raised").sequence
    ).count()
    cut_tail(key, rows=newer + 1)
    with pytest.raises(CommandError) as failure:
        call_command("verify_audit")
    assert f"escalation {escalation.reference} has no escalation_raised event" in str(failure.value)


def test_a_stage_change_whose_event_was_cut_is_named() -> None:
    world: World = make_world()
    escalation = services.raise_escalation(by=world.teacher, details=world.details())
    services.record_discussion(
        escalation=escalation,
        by=world.teacher,
        expected_version=escalation.version,
        held_on=timezone.localdate(),
        with_whom="The social worker",
        method="Phone call",
        summary="We talked.",
        outcome="We still disagree.",
    )
    escalation.refresh_from_db()
    services.escalate_to_next_stage(
        escalation=escalation,
        by=world.teacher,
        expected_version=escalation.version,
        reason="Still at risk.",
    )
    call_command("verify_audit")
    key = f"partnership:{world.partnership.pk}"
    changed = AuditEvent.objects.get(chain_key=key, action="escalation_stage_changed")
    cut_tail(key, rows=AuditChain.objects.get(key=key).length - changed.sequence + 1)
    with pytest.raises(CommandError, match=rf"escalation {escalation.reference}: stage record"):
        call_command("verify_audit")


def test_a_forged_or_unreadable_checkpoint_is_reported(settings) -> None:
    _chain()
    checkpoint = write_checkpoint()
    path = Path(settings.AUDIT_CHECKPOINT_DIR) / checkpoint.name
    document = json.loads(path.read_bytes())
    document["chains"][0]["length"] = 2  # a rewound head, signed with the old signature
    forged = Path(settings.AUDIT_CHECKPOINT_DIR) / "audit-checkpoint-29990101T000000000000Z.json"
    forged.write_text(json.dumps(document))
    (Path(settings.AUDIT_CHECKPOINT_DIR) / "audit-checkpoint-junk.json").write_text("{")
    checkpoints, problems = read_checkpoints()
    assert [c.name for c in checkpoints] == [checkpoint.name]
    assert problems == [
        "checkpoint audit-checkpoint-29990101T000000000000Z.json: its signature does not match "
        "its contents",
        "checkpoint audit-checkpoint-junk.json: not a checkpoint this version can read",
    ]
    with pytest.raises(CommandError, match="signature does not match"):
        call_command("verify_audit")


def test_checkpoints_are_written_once_and_read_only(tmp_path: Path) -> None:
    store = DirectoryStore(tmp_path / "heads")
    store.write("audit-checkpoint-1.json", b"{}")
    with pytest.raises(FileExistsError):
        store.write("audit-checkpoint-1.json", b"{}")
    assert (tmp_path / "heads" / "audit-checkpoint-1.json").stat().st_mode & 0o222 == 0


def test_verify_can_demand_a_checkpoint() -> None:
    _chain()
    with pytest.raises(CommandError, match="no checkpoint found"):
        call_command("verify_audit", "--require-checkpoint")


def test_keys_rotate_without_breaking_verification(settings) -> None:
    settings.AUDIT_HASH_KEYS = {"1": "the-first-key-" + "x" * 30}
    settings.AUDIT_HASH_KEY_ID = "1"
    key = _chain(length=2)
    old_checkpoint = write_checkpoint()
    settings.AUDIT_HASH_KEYS = {**settings.AUDIT_HASH_KEYS, "2026b": "the-second-key-" + "y" * 30}
    settings.AUDIT_HASH_KEY_ID = "2026b"
    partnership = PartnershipFactory.build(pk=int(key.split(":")[1]))
    newer = record_audit(actor=None, action="after rotation", partnership=partnership)
    assert newer.key_id == "2026b"
    assert old_checkpoint.key_id == "1"
    write_checkpoint()
    call_command("verify_audit", "--require-checkpoint")
    del settings.AUDIT_HASH_KEYS["1"]  # dropping a key still needed is named, not ignored
    with pytest.raises(CommandError, match="written with key id '1' is not in AUDIT_HASH_KEYS"):
        call_command("verify_audit")
