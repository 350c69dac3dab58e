"""Give the app's runtime database role what it needs; on the audit trail, append and read only."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from escalate.audit.roles import RoleSetupError, create_runtime_role, grant_runtime_role


class Command(BaseCommand):
    help = (
        "Run as the role that owns the tables (the one that migrates). Grants ROLE the app's "
        "privileges, but only INSERT and SELECT on the audit trail, then checks it cannot "
        "update, delete, truncate or own the audit tables. Run again after each migrate "
        "(automatic when DATABASE_RUNTIME_ROLE is set)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role", help="The role the web processes and workers connect as.")
        parser.add_argument(
            "--create",
            action="store_true",
            help="Create the role first (LOGIN with the password in $DATABASE_RUNTIME_PASSWORD, "
            "NOLOGIN without one). Needs CREATEROLE.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        role: str = options["role"]
        try:
            if options["create"]:
                password = os.environ.get("DATABASE_RUNTIME_PASSWORD", "")
                if create_runtime_role(role, password=password):
                    self.stdout.write(f"Created role {role}.")
            refusals = grant_runtime_role(role)
        except RoleSetupError as error:
            raise CommandError(str(error)) from None
        for refusal in refusals:
            self.stdout.write(f"  {role} may not: {refusal.what}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{role} may use the app's tables and only append to the audit trail."
            )
        )
