"""Chain heads checkpointed outside the database, so a cut-off tail is noticed.

Someone who controls the database (its owner, a restored backup) can delete the newest audit
rows and rewind the chain head to match: every remaining row still verifies. A checkpoint is
the heads (length and last hash of every chain) at a moment, signed with the current audit key
(its id recorded) and written once to a store outside the database that never overwrites: by
default files in AUDIT_CHECKPOINT_DIR, which the operator ships to write-once storage
(docs/operations.md). verify_audit then demands that each chain still reaches, with the same
hash, the furthest point any checkpoint saw.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.module_loading import import_string

from escalate.audit.hashing import UnknownKeyId, audit_key, canonical_json
from escalate.audit.models import AuditChain, AuditEvent

_SALT = "escalate.audit.checkpoint"
FORMAT_VERSION = 1


class CheckpointStore(Protocol):
    """Where checkpoints go. `write` must refuse to replace an existing name."""

    def write(self, name: str, data: bytes) -> None: ...

    def read_all(self) -> Iterator[tuple[str, bytes]]: ...


class DirectoryStore:
    """Files in one directory, each created once (O_EXCL), read-only, flushed to disk."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)

    def write(self, name: str, data: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self.directory / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o440)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        folder = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)

    def read_all(self) -> Iterator[tuple[str, bytes]]:
        if not self.directory.is_dir():
            return
        for path in sorted(self.directory.glob("audit-checkpoint-*.json")):
            yield path.name, path.read_bytes()


def checkpoint_store() -> CheckpointStore:
    """The configured store: AUDIT_CHECKPOINT_STORE (a dotted class taking no arguments), or
    the directory AUDIT_CHECKPOINT_DIR."""
    dotted = getattr(settings, "AUDIT_CHECKPOINT_STORE", "")
    if dotted:
        store: CheckpointStore = import_string(dotted)()
        return store
    return DirectoryStore(settings.AUDIT_CHECKPOINT_DIR)


@dataclass(frozen=True)
class Head:
    chain_key: str
    length: int
    last_hash: str


@dataclass(frozen=True)
class Checkpoint:
    name: str
    created_at: str
    key_id: str
    heads: tuple[Head, ...]


def _signature(payload: dict[str, object], key_id: str) -> str:
    return salted_hmac(
        _SALT, canonical_json(payload), secret=audit_key(key_id), algorithm="sha256"
    ).hexdigest()


def write_checkpoint(
    *, store: CheckpointStore | None = None, now: datetime | None = None
) -> Checkpoint:
    """Sign the current head of every chain and write it once to the store."""
    store = store or checkpoint_store()
    now = now or timezone.now()
    heads = tuple(
        Head(key, length, last_hash)
        for key, length, last_hash in AuditChain.objects.order_by("key").values_list(
            "key", "length", "last_hash"
        )
    )
    key_id = str(settings.AUDIT_HASH_KEY_ID)
    payload: dict[str, object] = {
        "version": FORMAT_VERSION,
        "created_at": now.isoformat(),
        "key_id": key_id,
        "chains": [
            {"key": head.chain_key, "length": head.length, "last_hash": head.last_hash}
            for head in heads
        ],
    }
    document = {**payload, "signature": _signature(payload, key_id)}
    name = f"audit-checkpoint-{now.astimezone(UTC):%Y%m%dT%H%M%S%fZ}.json"
    store.write(name, json.dumps(document, indent=1, sort_keys=True).encode())
    return Checkpoint(name, now.isoformat(), key_id, heads)


def read_checkpoints(store: CheckpointStore | None = None) -> tuple[list[Checkpoint], list[str]]:
    """Every checkpoint whose signature holds, and a problem for each one that does not."""
    store = store or checkpoint_store()
    found: list[Checkpoint] = []
    problems: list[str] = []
    for name, data in store.read_all():
        try:
            document = json.loads(data)
            signature = document.pop("signature")
            key_id = str(document["key_id"])
            if not constant_time_compare(signature, _signature(document, key_id)):
                problems.append(f"checkpoint {name}: its signature does not match its contents")
                continue
            heads = tuple(
                Head(str(chain["key"]), int(chain["length"]), str(chain["last_hash"]))
                for chain in document["chains"]
            )
        except UnknownKeyId as error:
            problems.append(f"checkpoint {name}: signed with {error}")
            continue
        except (ValueError, KeyError, TypeError, AttributeError):
            problems.append(f"checkpoint {name}: not a checkpoint this version can read")
            continue
        found.append(Checkpoint(name, str(document["created_at"]), key_id, heads))
    return found, problems


def check_against_checkpoints(
    checkpoints: list[Checkpoint], *, chain_keys: set[str] | None = None
) -> list[str]:
    """A problem for each chain that no longer reaches the furthest head a checkpoint saw."""
    furthest: dict[str, tuple[Head, str]] = {}
    for checkpoint in checkpoints:
        for head in checkpoint.heads:
            if chain_keys is not None and head.chain_key not in chain_keys:
                continue
            seen = furthest.get(head.chain_key)
            if seen is None or head.length > seen[0].length:
                furthest[head.chain_key] = (head, checkpoint.name)
    problems = []
    for chain_key, (head, name) in sorted(furthest.items()):
        if head.length == 0:
            continue
        row = (
            AuditEvent.objects.filter(chain_key=chain_key, sequence=head.length)
            .values_list("hash", flat=True)
            .first()
        )
        if row == head.last_hash:
            continue
        present = AuditEvent.objects.filter(chain_key=chain_key).count()
        what = "is missing" if row is None else "has a different hash"
        problems.append(
            f"{chain_key}: checkpoint {name} recorded {head.length} rows; row "
            f"#{head.length} {what} ({present} rows in the database): the tail was cut off "
            "or rewritten"
        )
    return problems
