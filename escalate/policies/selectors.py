"""Reads for policies."""

from __future__ import annotations

from escalate.directory.models import Partnership
from escalate.policies.models import PolicyVersion


def current_policy(partnership: Partnership | None) -> PolicyVersion | None:
    """The partnership's latest loaded policy version (new escalations start under it), if any."""
    if partnership is None:
        return None
    return PolicyVersion.objects.filter(partnership=partnership).order_by("-number").first()


def policy_versions(partnership: Partnership) -> list[PolicyVersion]:
    """Every version loaded into the partnership, newest first."""
    return list(PolicyVersion.objects.filter(partnership=partnership).order_by("-number"))
