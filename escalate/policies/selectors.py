"""Reads for policies."""

from __future__ import annotations

from escalate.directory.models import Partnership, Person, Role
from escalate.policies.models import ApprovalStatus, PolicyApproval, PolicyVersion


def current_policy(partnership: Partnership | None) -> PolicyVersion | None:
    """The partnership's latest loaded policy version (new escalations start under it), if any."""
    if partnership is None:
        return None
    return PolicyVersion.objects.filter(partnership=partnership).order_by("-number").first()


def policy_versions(partnership: Partnership) -> list[PolicyVersion]:
    """Every version loaded into the partnership, newest first."""
    return list(PolicyVersion.objects.filter(partnership=partnership).order_by("-number"))


def awaiting_approval_by(person: Person) -> int:
    """How many new policy versions wait for `person` to approve them: only the partnership
    chair approves (`publishing: requires_chair_approval`); for anyone else, none and no query."""
    if person.partnership_id is None or not person.has_role(Role.PARTNERSHIP_CHAIR):
        return 0
    return PolicyApproval.objects.filter(
        partnership_id=person.partnership_id, status=ApprovalStatus.AWAITING
    ).count()
