"""Retention classes: how long each kind of personal data is kept, and from when.

The periods are defaults a partnership may lengthen (never shorten below the law's minimum); they
are cited in docs/privacy.md. `dispose_routine` enforces the short-lived classes today; the
long-lived ones (the escalation record and its evidence) are reviewed by the business unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class RetentionClass:
    name: str
    what: str
    period: timedelta
    counted_from: str
    then: str
    enforced_by: str


DAY = timedelta(days=1)
YEAR = timedelta(days=365)

CLASSES = (
    RetentionClass(
        "raise_draft",
        "answers typed on the raise pages, or on a decision's pages (resolve, propose, the "
        "panel's decision), but never sent",
        28 * DAY,
        "the last change to the draft",
        "deleted",
        "dispose_routine (daily)",
    ),
    RetentionClass(
        "notification_body",
        "the text of a notice that was delivered",
        28 * DAY,
        "delivery",
        "the text is removed; who was told, when, and the subject stay on the record",
        "dispose_routine (daily)",
    ),
    RetentionClass(
        "session",
        "a signed-in browser session",
        timedelta(hours=12),
        "sign-in (30 minutes idle)",
        "deleted",
        "dispose_routine (daily)",
    ),
    RetentionClass(
        "escalation_record",
        "the escalation, its chronology, actions and outcome",
        35 * YEAR,
        "closure (75 years from birth for a looked-after child)",
        "reviewed by the business unit; disposal or anonymisation",
        "retention review (to come)",
    ),
    RetentionClass(
        "evidence",
        "uploaded evidence files",
        35 * YEAR,
        "closure of the escalation",
        "deleted from storage with the escalation",
        "retention review (to come)",
    ),
    RetentionClass(
        "audit_event",
        "the audit trail (fingerprints, never the data itself)",
        40 * YEAR,
        "the event",
        "kept; see docs/decisions on disposal and the hash chain",
        "not deleted",
    ),
)


def period_of(name: str) -> timedelta:
    return next(c.period for c in CLASSES if c.name == name)
