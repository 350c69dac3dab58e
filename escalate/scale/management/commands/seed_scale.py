"""manage.py seed_scale --partnerships N --escalations M: a national-scale, fictitious data set.

For benchmarks (bench/, docs/performance.md). Use a database of its own: the data is invented,
but there is a lot of it. See escalate/scale/generator.py for what it makes and in what
proportions, and escalate/scale/loader.py for how it is written quickly.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from escalate.audit.models import AuditChain
from escalate.directory.models import Partnership
from escalate.escalations import figures
from escalate.policies.loader import read_policy_file
from escalate.policies.schema import PolicySpec
from escalate.policies.services import load_policy_spec
from escalate.scale import loader
from escalate.scale.generator import (
    TABLES,
    AuditChainWriter,
    Generator,
    Ids,
    PartnershipPlan,
    empty_batch,
    place_name,
    reference_prefix,
)

MAX_PARTNERSHIPS = 676  # three-letter reference prefixes QAA..QZZ
SLUG_PREFIX = "scale-"
FLUSH_EVERY = 10_000  # escalations per write


class Command(BaseCommand):
    help = "Build a large fictitious data set for benchmarks (use a database of its own)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--partnerships", type=int, required=True)
        parser.add_argument("--escalations", type=int, required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        partnerships: int = options["partnerships"]
        escalations: int = options["escalations"]
        if not 1 <= partnerships <= MAX_PARTNERSHIPS:
            raise CommandError(f"--partnerships must be between 1 and {MAX_PARTNERSHIPS}.")
        if escalations < 0:
            raise CommandError("--escalations must be 0 or more.")
        if Partnership.objects.filter(slug__startswith=SLUG_PREFIX).exists():
            raise CommandError(
                "This database already holds seeded partnerships; use a fresh database."
            )
        specs = shipped_english_policies()
        started = time.monotonic()
        writer = loader.Writer()
        with transaction.atomic():
            writer.prepare()
            plans = self._directory(partnerships, specs, writer)
            self._log(f"directory and policies: {time.monotonic() - started:.1f} s")
            writer.freeze_empty_tables()
            self._escalations(plans, escalations, writer, started)
            writer.finish(self._log)
        self._log(f"written and indexed: {time.monotonic() - started:.1f} s")
        # COPY goes around the ORM: the dashboard's figures are counted once, afterwards.
        cells = figures.rebuild()
        self._log(f"dashboard figures ({cells} counts): {time.monotonic() - started:.1f} s")
        loader.analyze(TABLES)
        self._log(
            f"Seeded {partnerships} partnerships and {escalations} escalations "
            f"({writer.rows_written} rows) in {time.monotonic() - started:.1f} s."
        )

    def _log(self, message: str) -> None:
        self.stdout.write(message)
        self.stdout.flush()

    def _directory(
        self, count: int, specs: list[tuple[str, str, PolicySpec]], writer: loader.Writer
    ) -> list[tuple[PartnershipPlan, Any]]:
        now = timezone.now()
        self.ids = Ids(loader.next_ids(TABLES))
        self.generator = Generator(self.ids, now=now, password_hash=make_password(None))
        batch = empty_batch()
        made = []
        for index in range(count):
            place = place_name(index)
            partnership = Partnership.objects.create(
                name=f"{place} Safeguarding Children Partnership",
                slug=f"{SLUG_PREFIX}{index + 1:03d}",
                reference_prefix=reference_prefix(index),
                business_team_email=f"business.team@{SLUG_PREFIX}{index + 1:03d}.example.org",
            )
            agencies = self.generator.directory(partnership.pk, partnership.slug, place, batch)
            made.append((partnership, agencies))
        for table, rows in batch.items():
            writer.write(table, rows)
        plans = []
        for index, (partnership, agencies) in enumerate(made):
            versions = []
            # Every partnership starts under one shipped policy; every third moved to another
            # three years ago (escalations keep the version they began under).
            chosen = [specs[index % len(specs)]]
            if index % 3 == 0:
                chosen.append(specs[(index + 1) % len(specs)])
            for position, (name, text, spec) in enumerate(chosen):
                version, _ = load_policy_spec(
                    partnership=partnership, spec=spec, source_name=name, source_text=text
                )
                since = now - timedelta(days=3650 if position == 0 else 3 * 365)
                versions.append((version.pk, spec, since))
            plan = PartnershipPlan(
                partnership.pk,
                partnership.slug,
                partnership.reference_prefix,
                partnership.nation,
                versions,
            )
            plans.append((plan, agencies))
        return plans

    def _escalations(
        self,
        plans: list[tuple[PartnershipPlan, Any]],
        total: int,
        writer: loader.Writer,
        started: float,
    ) -> None:
        batch = empty_batch()
        chains = []
        done = 0
        running = []
        # Loading the policies wrote audit rows through record_audit: continue those chains.
        self.ids.restart(loader.next_ids(["audit_auditevent", "audit_auditchain"]))
        heads = {chain.key: chain for chain in AuditChain.objects.all()}
        for index, (plan, agencies) in enumerate(plans):
            count = total // len(plans) + (1 if index < total % len(plans) else 0)
            head = heads.get(f"partnership:{plan.id}")
            chain = AuditChainWriter(
                plan.id,
                self.ids,
                batch["audit_auditevent"],
                length=head.length if head else 0,
                last_hash=head.last_hash if head else "",
            )
            chains.append(chain)
            running.append(self.generator.escalations(plan, agencies, count, chain, batch))
        # One escalation from each partnership in turn: about the order they are raised in.
        while running:
            for escalations in list(running):
                if next(escalations, StopIteration) is StopIteration:
                    running.remove(escalations)
            if len(batch["escalations_escalation"]) >= FLUSH_EVERY:
                done += self._flush(batch, writer)
                self._log(f"  {done} escalations: {time.monotonic() - started:.0f} s")
        done += self._flush(batch, writer)
        writer.write(
            "audit_auditchain",
            [
                (self.ids.take("audit_auditchain"), c.key, c.length, c.last_hash)
                for c in chains
                if c.key not in heads
            ],
        )
        moved = [heads[c.key] for c in chains if c.key in heads]
        for head in moved:
            chain = next(c for c in chains if c.key == head.key)
            head.length, head.last_hash = chain.length, chain.last_hash
        AuditChain.objects.bulk_update(moved, ["length", "last_hash"])
        self._log(f"  {done} escalations written: {time.monotonic() - started:.0f} s")

    @staticmethod
    def _flush(batch: dict[str, list[Any]], writer: loader.Writer) -> int:
        """Write and empty the batch (the lists are kept: the audit chains append to them)."""
        written = len(batch["escalations_escalation"])
        for table, rows in batch.items():
            writer.write(table, rows)
            rows.clear()
        return written


def shipped_english_policies() -> list[tuple[str, str, PolicySpec]]:
    """(file name, text, spec) of every shipped policy for English children's partnerships."""
    found = []
    for path in sorted(settings.POLICY_DIR.glob("*.yaml")):
        text, spec = read_policy_file(path)
        if spec.nation.value == "england" and spec.covers.value in ("children", "both"):
            found.append((path.name, text, spec))
    if not found:
        raise CommandError(f"No shipped policy for England in {settings.POLICY_DIR}.")
    return found
