"""Writes for policies: loading a policy file into a partnership as a new, immutable version."""

from __future__ import annotations

from pathlib import Path

from django.db import transaction

from escalate.audit.services import record_audit
from escalate.directory.models import AgencyType, Covers, Partnership, Person
from escalate.policies.loader import (
    PolicyFileError,
    canonical_document,
    checksum_of,
    read_policy_file,
)
from escalate.policies.models import PolicyVersion
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


def publish_policy_text(
    *, by: Person, partnership: Partnership, text: str, source_name: str
) -> tuple[PolicyVersion, bool]:
    """Check `text` as `check_policy` does and publish it as the partnership's next version.

    `by` manages the partnership's directory (the business unit). Raises `PolicyFileError`
    (with the line) for an invalid policy: nothing is stored. An unchanged policy makes no new
    version. Escalations keep the version they started under. Audited ("policy_loaded").
    """
    from escalate.directory.permissions import may_manage_directory
    from escalate.policies.loader import parse_policy_text

    if not may_manage_directory(by, partnership.pk):
        raise PolicyPublishRefused("Only the partnership's business unit publishes its policy.")
    spec = parse_policy_text(text, source_name=source_name)
    return load_policy_spec(
        partnership=partnership,
        spec=spec,
        source_name=source_name,
        source_text=text,
        loaded_by=by,
    )
