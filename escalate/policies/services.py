"""Writes for policies: loading a policy file into a partnership as a new, immutable version."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from escalate.audit.services import record_audit
from escalate.directory.models import AgencyType, Covers, Partnership, Person, Role
from escalate.notifications.services import enqueue_notification
from escalate.policies.loader import (
    PolicyFileError,
    canonical_document,
    checksum_of,
    read_policy_file,
)
from escalate.policies.models import ApprovalStatus, PolicyApproval, PolicyVersion
from escalate.policies.schema import PolicySpec


def panel_agency_count(partnership: Partnership) -> int:
    """Agencies that can send a senior officer to a Resolution Panel: active ones, less the
    partnership's own business unit (it runs the panel; it is not a party to disputes)."""
    return (
        partnership.agencies.filter(is_active=True)
        .exclude(agency_type=AgencyType.PARTNERSHIP)
        .count()
    )


def check_policy_fits(*, spec: PolicySpec, partnership: Partnership, source_name: str) -> None:
    """Raise `PolicyFileError` if `spec` cannot run in `partnership` (nation, covers, panel)."""
    if spec.nation.value != partnership.nation:
        raise PolicyFileError(
            source_name,
            f"the policy's nation is {spec.nation.value}, but {partnership.name} is in "
            f"{partnership.nation}; expected nation: {partnership.nation}",
            path="nation",
        )
    if spec.covers.value not in (Covers.BOTH, partnership.covers):
        raise PolicyFileError(
            source_name,
            f"the policy covers {spec.covers.value}, but {partnership.name} safeguards "
            f"{partnership.get_covers_display().lower()}; expected covers: "
            f"{partnership.covers if partnership.covers != Covers.BOTH else 'both'}",
            path="covers",
        )
    if spec.panel is not None:
        available = panel_agency_count(partnership)
        if spec.panel.min_agencies > available:
            raise PolicyFileError(
                source_name,
                f"the Resolution Panel needs {spec.panel.min_agencies} agencies but "
                f"{partnership.name} has {available} (not counting its business unit); "
                f"expected at most {available}, or add agencies to the directory first",
                path="panel.min_agencies",
            )


def load_policy(
    *, partnership: Partnership, path: str | Path, loaded_by: Person | None = None
) -> tuple[PolicyVersion, bool]:
    """Load the policy file at `path` into `partnership`.

    Returns (version, created). A new version is made only when the file's canonical content
    differs from the partnership's latest version (comments and layout do not count); otherwise
    the latest version is returned unchanged. A new version is audited ("policy_loaded", the old
    and new version number and checksum) in the same transaction. Raises `PolicyFileError` for
    a bad file or one that does not fit the partnership; nothing is written then.
    """
    file = Path(path)
    source_text, spec = read_policy_file(file)
    return load_policy_spec(
        partnership=partnership,
        spec=spec,
        source_name=file.name,
        source_text=source_text,
        loaded_by=loaded_by,
    )


def load_policy_spec(
    *,
    partnership: Partnership,
    spec: PolicySpec,
    source_name: str,
    source_text: str,
    loaded_by: Person | None = None,
) -> tuple[PolicyVersion, bool]:
    """As `load_policy`, for a spec already parsed (e.g. from an uploaded file)."""
    check_policy_fits(spec=spec, partnership=partnership, source_name=source_name)
    checksum = checksum_of(spec)
    with transaction.atomic():
        # Lock the partnership row so two loads cannot both take the same version number.
        Partnership.objects.select_for_update().filter(pk=partnership.pk).first()
        latest = PolicyVersion.objects.filter(partnership=partnership).order_by("-number").first()
        if latest is not None and latest.checksum == checksum:
            return latest, False
        version = PolicyVersion.objects.create(
            partnership=partnership,
            number=(latest.number + 1) if latest is not None else 1,
            name=spec.name,
            document=canonical_document(spec),
            source_name=source_name,
            source_text=source_text,
            checksum=checksum,
            loaded_by=loaded_by,
        )
        record_audit(
            actor=loaded_by,
            action="policy_loaded",
            partnership=partnership,
            obj=version,
            changes={
                "policy_version": (latest.number if latest else None, version.number),
                "policy_title": (latest.name if latest else None, version.name),
                "checksum": (latest.checksum if latest else None, version.checksum),
                "source_file": (latest.source_name if latest else None, version.source_name),
            },
        )
    return version, True


class PolicyPublishRefused(PermissionError):
    """Only the partnership's business unit publishes its policy."""


def chair_approval_required(partnership: Partnership, spec: PolicySpec) -> bool:
    """Does publishing `spec` need the Chair's approval? Yes when the current version says so
    (the business unit cannot drop the rule by publishing without it) or the new one does."""
    if spec.publishing.requires_chair_approval:
        return True
    current = PolicyVersion.objects.filter(partnership=partnership).order_by("-number").first()
    return current is not None and current.spec.publishing.requires_chair_approval


def _chairs(partnership: Partnership) -> list[Person]:
    return list(
        Person.objects.filter(
            partnership=partnership,
            is_active=True,
            role_assignments__role=Role.PARTNERSHIP_CHAIR,
        ).distinct()
    )


def publish_policy_text(
    *, by: Person, partnership: Partnership, text: str, source_name: str
) -> tuple[PolicyVersion | PolicyApproval, bool]:
    """Check `text` as `check_policy` does and publish it as the partnership's next version.

    `by` manages the partnership's directory (the business unit). Raises `PolicyFileError`
    (with the line) for an invalid policy: nothing is stored. An unchanged policy makes no new
    version. Escalations keep the version they started under. Audited ("policy_loaded").

    When the policy requires the Chair's approval (`publishing.requires_chair_approval`), nothing
    is published yet: a `PolicyApproval` awaits the partnership chair, who is told (audited
    "policy_submitted_for_approval"; an earlier one still awaiting is superseded).
    """
    from escalate.directory.permissions import may_manage_directory
    from escalate.policies.loader import parse_policy_text

    if not may_manage_directory(by, partnership.pk):
        raise PolicyPublishRefused("Only the partnership's business unit publishes its policy.")
    spec = parse_policy_text(text, source_name=source_name)
    if not chair_approval_required(partnership, spec):
        return load_policy_spec(
            partnership=partnership,
            spec=spec,
            source_name=source_name,
            source_text=text,
            loaded_by=by,
        )
    check_policy_fits(spec=spec, partnership=partnership, source_name=source_name)
    checksum = checksum_of(spec)
    with transaction.atomic():
        Partnership.objects.select_for_update().filter(pk=partnership.pk).first()
        latest = PolicyVersion.objects.filter(partnership=partnership).order_by("-number").first()
        if latest is not None and latest.checksum == checksum:
            return latest, False
        superseded = PolicyApproval.objects.filter(
            partnership=partnership, status=ApprovalStatus.AWAITING
        ).update(status=ApprovalStatus.SUPERSEDED, decided_at=timezone.now())
        approval = PolicyApproval.objects.create(
            partnership=partnership,
            name=spec.name,
            source_name=source_name,
            source_text=text,
            checksum=checksum,
            proposed_by=by,
        )
        record_audit(
            actor=by,
            action="policy_submitted_for_approval",
            partnership=partnership,
            obj=approval,
            changes={
                "policy_title": (latest.name if latest else None, approval.name),
                "checksum": (latest.checksum if latest else None, checksum),
                "superseded_submissions": (superseded, 0),
            },
        )
        for chair in _chairs(partnership):
            enqueue_notification(
                partnership=partnership,
                escalation=None,
                event="policy_awaiting_approval",
                event_key=f"policy-approval:{approval.pk}",
                subject="A new version of the policy awaits your approval",
                body=(
                    f"Hello {chair.full_name},\n\n{by.full_name} has published a new version "
                    f"of {partnership.name}'s policy ({approval.name}). It takes effect only "
                    "when you approve it. Review it, then approve or decline it with a reason:\n"
                    f"{settings.SITE_URL}{reverse('policies:approval', args=[approval.pk])}"
                ),
                recipient=chair,
            )
    return approval, True


class PolicyApprovalRefused(ValueError):
    """The Chair's decision cannot be recorded; the message says why."""


def _decidable(by: Person, approval: PolicyApproval) -> PolicyApproval:
    if not (
        by.is_active
        and by.partnership_id == approval.partnership_id
        and by.has_role(Role.PARTNERSHIP_CHAIR)
    ):
        raise PolicyPublishRefused("Only the partnership chair approves a new policy.")
    locked = PolicyApproval.objects.select_for_update().get(pk=approval.pk)
    if locked.status != ApprovalStatus.AWAITING:
        raise PolicyApprovalRefused("This version has already been decided or replaced.")
    return locked


def approve_policy(*, by: Person, approval: PolicyApproval) -> PolicyVersion:
    """The partnership chair approves: the version is published (audited "policy_approved" and
    "policy_loaded"). Escalations already open keep the version they started under."""
    from escalate.policies.loader import parse_policy_text

    with transaction.atomic():
        locked = _decidable(by, approval)
        spec = parse_policy_text(locked.source_text, source_name=locked.source_name)
        version, _ = load_policy_spec(
            partnership=locked.partnership,
            spec=spec,
            source_name=locked.source_name,
            source_text=locked.source_text,
            loaded_by=locked.proposed_by,
        )
        locked.status = ApprovalStatus.APPROVED
        locked.decided_by = by
        locked.decided_at = timezone.now()
        locked.version = version
        locked.save(update_fields=["status", "decided_by", "decided_at", "version"])
        record_audit(
            actor=by,
            action="policy_approved",
            partnership=locked.partnership,
            obj=locked,
            changes={"policy_version": (None, version.number)},
        )
        _tell_proposer(
            locked,
            subject=f"The Chair approved version {version.number} of the policy",
            text=f"{by.full_name} approved the new version of the policy ({locked.name}). It is "
            f"published as version {version.number}.",
        )
    return version


def decline_policy(*, by: Person, approval: PolicyApproval, reason: str) -> PolicyApproval:
    """The partnership chair declines, with a reason: nothing is published (audited)."""
    if not reason.strip():
        raise PolicyApprovalRefused("Say why the new version is declined.")
    with transaction.atomic():
        locked = _decidable(by, approval)
        locked.status = ApprovalStatus.DECLINED
        locked.decided_by = by
        locked.decided_at = timezone.now()
        locked.decline_reason = reason.strip()
        locked.save(update_fields=["status", "decided_by", "decided_at", "decline_reason"])
        record_audit(
            actor=by,
            action="policy_declined",
            partnership=locked.partnership,
            obj=locked,
            reason=reason.strip(),
        )
        _tell_proposer(
            locked,
            subject="The Chair declined the new version of the policy",
            text=f"{by.full_name} declined the new version of the policy ({locked.name}): "
            f"{reason.strip()}\n\nThe current version stays in force.",
        )
    return locked


def _tell_proposer(approval: PolicyApproval, *, subject: str, text: str) -> None:
    proposer = approval.proposed_by
    if proposer is None or not proposer.is_active:
        return
    enqueue_notification(
        partnership=approval.partnership,
        escalation=None,
        event="policy_approval_decided",
        event_key=f"policy-approval-decided:{approval.pk}",
        subject=subject,
        body=f"Hello {proposer.full_name},\n\n{text}",
        recipient=proposer,
    )
