"""The demo partnerships' policies: shipped files, loaded idempotently (no change, no version)."""

from __future__ import annotations

from django.conf import settings

from escalate.directory.models import Partnership
from escalate.policies.models import PolicyVersion
from escalate.policies.services import load_policy

DEMO_POLICY_FILES = {
    "riverside": "havering.yaml",
    "eastmoor": "practitioner-guide-scotland.yaml",
}


def load_demo_policies(*partnerships: Partnership) -> list[tuple[PolicyVersion, bool]]:
    """Load each demo partnership's shipped policy file; unchanged files make no new version."""
    return [
        load_policy(
            partnership=partnership,
            path=settings.POLICY_DIR / DEMO_POLICY_FILES[partnership.slug],
        )
        for partnership in partnerships
        if partnership.slug in DEMO_POLICY_FILES
    ]
