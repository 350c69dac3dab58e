"""Policy versions for tests: a shipped file stored directly, without the directory checks."""

from __future__ import annotations

from django.conf import settings

from escalate.directory.models import Partnership
from escalate.policies.loader import canonical_document, checksum_of, parse_policy_file
from escalate.policies.models import PolicyVersion


def make_policy_version(
    partnership: Partnership, file: str = "havering.yaml", *, number: int | None = None
) -> PolicyVersion:
    """Store the shipped policy `file` as the partnership's next version.

    Skips `load_policy`'s checks (nation, covers, enough agencies for the panel) so that tests
    of other apps need not build a whole directory first.
    """
    path = settings.POLICY_DIR / file
    spec = parse_policy_file(path)
    if number is None:
        latest = PolicyVersion.objects.filter(partnership=partnership).order_by("-number").first()
        number = 1 if latest is None else latest.number + 1
    return PolicyVersion.objects.create(
        partnership=partnership,
        number=number,
        name=spec.name,
        document=canonical_document(spec),
        source_name=file,
        source_text=path.read_text(encoding="utf-8"),
        checksum=checksum_of(spec),
    )
