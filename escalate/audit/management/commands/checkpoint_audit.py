"""Write the heads of every audit chain, signed, to the checkpoint store (run it regularly)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from escalate.audit.checkpoints import write_checkpoint


class Command(BaseCommand):
    help = (
        "Sign the head of every audit chain with the current audit key and write it once to "
        "AUDIT_CHECKPOINT_DIR (or AUDIT_CHECKPOINT_STORE), for shipping to write-once storage."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        checkpoint = write_checkpoint()
        self.stdout.write(
            f"Wrote {checkpoint.name}: {len(checkpoint.heads)} chain(s), "
            f"key id {checkpoint.key_id}."
        )
