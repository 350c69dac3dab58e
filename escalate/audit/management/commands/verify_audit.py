"""Re-compute every audit chain and name the first broken row; exit 1 if any chain is broken."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from escalate.audit.models import AuditChain
from escalate.audit.services import chain_key_for
from escalate.audit.verification import verify_chain
from escalate.directory.models import Partnership
from escalate.operations.services import record_check


class Command(BaseCommand):
    help = "Check the audit trail's hash chains. Exits non-zero naming the first broken row."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--partnership", metavar="SLUG", help="Check one partnership only.")

    def handle(self, *args: Any, **options: Any) -> None:
        chains = AuditChain.objects.order_by("key")
        if options["partnership"]:
            partnership = Partnership.objects.filter(slug=options["partnership"]).first()
            if partnership is None:
                raise CommandError(f"No partnership with slug {options['partnership']!r}")
            chains = chains.filter(key=chain_key_for(partnership))
        broken = []
        for chain in chains:
            problem = verify_chain(chain)
            if problem is None:
                self.stdout.write(f"{chain.key}: {chain.length} events, intact")
            else:
                broken.append(problem)
                self.stderr.write(f"BROKEN {problem}")
        # The operator page and /metrics/ show the last whole-trail result.
        if not options["partnership"]:
            record_check(
                name="verify_audit", ok=not broken, detail=str(broken[0]) if broken else ""
            )
        if broken:
            raise CommandError(f"{len(broken)} audit chain(s) broken; first: {broken[0]}")
        self.stdout.write(self.style.SUCCESS("Audit trail intact."))
