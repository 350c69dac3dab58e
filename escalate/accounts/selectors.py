"""Reads for the platform administrator's pages and for signing in through a provider."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from escalate.accounts.models import IdentityProvider
from escalate.directory.models import Partnership, Person, Role


def partnerships_for_platform() -> QuerySet[Partnership]:
    """Every partnership with how many people it holds (platform administrators only)."""
    return Partnership.objects.annotate(people_count=Count("people")).order_by("name")


def whom_to_ask(provider: IdentityProvider) -> dict[str, Any]:
    """Who gives someone an account in the provider's partnership: its business unit.

    The business team's mailbox when set, and the business managers by name and email.
    """
    partnership = provider.partnership
    managers = (
        Person.objects.filter(
            partnership=partnership,
            is_active=True,
            role_assignments__role=Role.BUSINESS_MANAGER,
        )
        .order_by("full_name")
        .values("full_name", "email")[:3]
    )
    return {
        "partnership": partnership,
        "business_team_email": partnership.business_team_email,
        "business_managers": list(managers),
    }


def providers_for_sign_in() -> QuerySet[IdentityProvider]:
    """Every active identity provider, as the sign-in page offers them."""
    return IdentityProvider.objects.filter(is_active=True).select_related("partnership")
