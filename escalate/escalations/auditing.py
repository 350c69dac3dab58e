"""One audit row for each change a service makes to an escalation, written in its transaction.

Every public write in `services/` opens its own transaction (`durable=True`) and, inside it, does
its work in `with audited("action_name", escalation=..., by=...)`. That locks the escalation,
takes a snapshot of everything the services can change (the escalation's fields, its stage
records, participants, actions, panel and the last chronology entry), lets the service work,
takes the snapshot again, and writes the difference as the row's old and new values. So the
audit is written in one place, cannot miss a field a service starts to change, and a refused or
failed action (rolled back) leaves no row.

Nothing that could identify the child or adult is stored: their name, date of birth and case
references are redacted by `record_audit`'s field-name hints, and free text (the dispute, a
discussion, a reason, a decision) is kept only as a keyed fingerprint (`fingerprint`), which
proves what was written without repeating it. The typed reason of an action is never put in
the row's `reason`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from django.db.models import Max

from escalate.audit.models import AuditEvent
from escalate.audit.services import fingerprint, record_audit
from escalate.directory.models import Partnership, Person
from escalate.escalations.models import (
    Action,
    ChronologyEntry,
    Escalation,
    Panel,
    Participant,
    StageRecord,
)

# Escalation fields kept as they are (codes, flags, ids, dates the workflow sets).
PLAIN_FIELDS = (
    "status",
    "current_stage_key",
    "stage_due_at",
    "closed_at",
    "version",
    "policy_version_id",
    "raised_by_id",
    "raiser_agency_id",
    "respondent_agency_id",
    "respondent_person_id",
    "allocated_iro_id",
    "allocated_cp_chair_id",
    "subject_kind",
    "cp_plan",
    "looked_after",
    "cp_conference",
    "immediate_harm",
    "categories",
    "raised_at",
    "learning_themes",
)
# Fields that identify the child or adult; `record_audit` stores them as "[redacted]" (their
# names carry its hints). The fingerprint only lets the snapshot see that they changed.
IDENTIFYING_FIELDS = ("subject_name", "subject_date_of_birth", "case_references")
# Free text, which may name the child: only a fingerprint is kept.
TEXT_FIELDS = (
    "respondent_name",
    "respondent_email",
    "disputed",
    "risk",
    "outcome_wanted",
    "already_tried",
    "started_at_later_stage_reason",
    "decision",
    "decided_by_text",
    "learning",
)
STAGE_FIELDS = (
    "stage_key",
    "started_at",
    "due_at",
    "paused_at",
    "paused_seconds",
    "ended_at",
    "outcome",
)
ACTION_FIELDS = ("owner_id", "created_by_id", "due_on", "done_at", "done_by_id")
ACTION_TEXT_FIELDS = ("description", "done_note")
PANEL_FIELDS = ("convened_by_id", "convened_at", "decided_at")
LAST_ENTRY = "_last_chronology_entry"
RAISED = "escalation_raised"
_STAGE_KEY = re.compile(r"stage\[(\d+)\]\.stage_key")


def _text(value: Any) -> str:
    return fingerprint("" if value is None else str(value))


def snapshot(escalation_id: int, *, lock: bool = False) -> dict[str, Any]:
    """Everything about the escalation a service can change, as flat `name -> value` pairs.

    With `lock`, the escalation row is locked first (SELECT ... FOR UPDATE) so the "old"
    values cannot change before the service runs.
    """
    rows = Escalation.objects.filter(pk=escalation_id)
    if lock:
        rows = rows.select_for_update()
    row = rows.values(
        "partnership_id", "reference", *PLAIN_FIELDS, *IDENTIFYING_FIELDS, *TEXT_FIELDS
    ).get()
    state: dict[str, Any] = {name: row[name] for name in PLAIN_FIELDS}
    state.update({name: _text(row[name]) for name in (*IDENTIFYING_FIELDS, *TEXT_FIELDS)})
    for stage in StageRecord.objects.filter(escalation_id=escalation_id).values(
        "index", *STAGE_FIELDS
    ):
        for name in STAGE_FIELDS:
            state[f"stage[{stage['index']}].{name}"] = stage[name]
    for person_id, part, stage_key in Participant.objects.filter(
        escalation_id=escalation_id
    ).values_list("person_id", "part", "stage_key"):
        state[f"participant[{person_id}:{part}]"] = stage_key
    for action in Action.objects.filter(escalation_id=escalation_id).values(
        "pk", *ACTION_FIELDS, *ACTION_TEXT_FIELDS
    ):
        for name in ACTION_FIELDS:
            state[f"action[{action['pk']}].{name}"] = action[name]
        for name in ACTION_TEXT_FIELDS:
            state[f"action[{action['pk']}].{name}"] = _text(action[name])
    panel = (
        Panel.objects.filter(escalation_id=escalation_id)
        .values("pk", "decision", *PANEL_FIELDS)
        .first()
    )
    if panel is not None:
        for name in PANEL_FIELDS:
            state[f"panel.{name}"] = panel[name]
        state["panel.decision"] = _text(panel["decision"])
        state["panel.member_ids"] = sorted(
            Panel.members.through.objects.filter(panel_id=panel["pk"]).values_list(
                "person_id", flat=True
            )
        )
        state["panel.agency_ids"] = sorted(
            Panel.agencies.through.objects.filter(panel_id=panel["pk"]).values_list(
                "agency_id", flat=True
            )
        )
    last = ChronologyEntry.objects.filter(escalation_id=escalation_id).aggregate(last=Max("pk"))
    state[LAST_ENTRY] = last["last"] or 0
    state["_partnership_id"] = row["partnership_id"]
    state["_reference"] = row["reference"]
    return state


def changes_between(
    escalation_id: int, before: Mapping[str, Any], after: Mapping[str, Any]
) -> dict[str, tuple[Any, Any]]:
    """`field -> (old, new)` for what differs, and the chronology entries added (by id, kind,
    stage and a fingerprint of their text; the entries themselves never change)."""
    changes: dict[str, tuple[Any, Any]] = {
        name: (before.get(name), after.get(name))
        for name in sorted(set(before) | set(after))
        if not name.startswith("_") and before.get(name) != after.get(name)
    }
    added = ChronologyEntry.objects.filter(
        escalation_id=escalation_id, pk__gt=before.get(LAST_ENTRY, 0)
    ).order_by("pk")
    entries = [
        {"entry": pk, "kind": kind, "stage": stage_key, "text": fingerprint(text)}
        for pk, kind, stage_key, text in added.values_list("pk", "kind", "stage_key", "text")
    ]
    if entries:
        changes["chronology"] = (None, entries)
    return changes


class System:
    """The actor of a change no person made (the deadline sweep): said explicitly, never implied."""

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = System()


class AnonymousChange(TypeError):
    """A change to an escalation with no actor named (neither a person nor SYSTEM)."""


class AuditedChange:
    """The change being audited; a service that creates its escalation names it with `record`."""

    def __init__(self, escalation_id: int | None) -> None:
        self.escalation_id = escalation_id

    def record(self, escalation: Escalation) -> None:
        self.escalation_id = int(escalation.pk)


@contextmanager
def audited(
    action: str, *, escalation: Escalation | None, by: Person | System
) -> Iterator[AuditedChange]:
    """Write one audit row (`action`) for what the block changed, inside the service's transaction.

    The escalation is named by the caller (`None` only for a service that creates it, which then
    calls `change.record(escalation)`). The actor must be a person, or `SYSTEM` for the scheduler's
    work: a missing one is refused, as is use outside a transaction. No row is written when the
    block changed nothing, or when it raised (the transaction rolls back).
    """
    if not isinstance(by, Person | System):
        raise AnonymousChange(f"{action}: a change to an escalation needs an actor")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{action}: audit inside the service's transaction")
    change = AuditedChange(None if escalation is None else int(escalation.pk))
    before = snapshot(change.escalation_id, lock=True) if change.escalation_id else {}
    yield change
    escalation_id = change.escalation_id
    if escalation_id is None:
        raise TypeError(f"{action}: the change named no escalation")
    after = snapshot(escalation_id)
    changes = changes_between(escalation_id, before, after)
    if changes:
        record_audit(
            actor=by if isinstance(by, Person) else None,
            action=action,
            partnership=Partnership.objects.get(pk=after["_partnership_id"]),
            object_type=Escalation._meta.label,
            object_id=str(escalation_id),
            reference=after["_reference"],
            changes=changes,
        )


def unaudited_changes(*, partnership_ids: set[int] | None = None) -> list[str]:
    """Escalations with no raise event, and stage records with no event that made them.

    The audit trail's rows are checked by their hashes; this checks the other direction, from
    the domain tables: a row cut from the trail (with the chain head rewound to match) leaves
    an escalation or stage that nothing in the trail accounts for. verify_audit runs it.
    """
    escalations = Escalation.objects.all()
    if partnership_ids is not None:
        escalations = escalations.filter(partnership_id__in=partnership_ids)
    raised: set[str] = set()
    stages: set[tuple[str, str]] = set()
    events = AuditEvent.objects.filter(object_type=Escalation._meta.label)
    if partnership_ids is not None:
        events = events.filter(partnership_id__in=partnership_ids)
    for object_id, action, new_values in events.values_list(
        "object_id", "action", "new_values"
    ).iterator(chunk_size=2000):
        if action == RAISED:
            raised.add(object_id)
        for name in new_values or {}:
            match = _STAGE_KEY.fullmatch(name)
            if match:
                stages.add((object_id, match.group(1)))
    problems = []
    for pk, reference in (
        escalations.order_by("pk").values_list("pk", "reference").iterator(chunk_size=5000)
    ):
        if str(pk) not in raised:
            problems.append(f"escalation {reference} has no {RAISED} event in the audit trail")
    records = StageRecord.objects.filter(escalation__in=escalations).order_by(
        "escalation_id", "index"
    )
    for escalation_id, index, reference in records.values_list(
        "escalation_id", "index", "escalation__reference"
    ).iterator(chunk_size=5000):
        if (str(escalation_id), str(index)) not in stages:
            problems.append(
                f"escalation {reference}: stage record {index} has no audit event that made it"
            )
    return problems
