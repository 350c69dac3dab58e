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
proves what was written without repeating it. Each fingerprint is salted with the escalation's
own `fingerprint_salt`, which never leaves the escalation row and which disposal destroys
(ADR 0014, point 2). The typed reason of an action is never put in
the row's `reason`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from django.db.models import Max

from escalate.audit.models import AuditEvent
from escalate.audit.services import AuditRecord, fingerprint, record_audit, record_audits
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
SALT = "_fingerprint_salt"
RAISED = "escalation_raised"
_STAGE_KEY = re.compile(r"stage\[(\d+)\]\.stage_key")


class _Text(str):
    """Free text in a snapshot, compared as it is; only its fingerprint leaves this module
    (`changes_of`), so a text nobody changed is never hashed."""


def _text(value: Any) -> _Text:
    return _Text("" if value is None else str(value))


def _shown(value: Any, salt: str) -> Any:
    return fingerprint(value, salt=salt) if isinstance(value, _Text) else value


def snapshot(escalation_id: int, *, lock: bool = False) -> dict[str, Any]:
    """Everything about the escalation a service can change, as flat `name -> value` pairs.

    With `lock`, the escalation row is locked first (SELECT ... FOR UPDATE) so the "old"
    values cannot change before the service runs.
    """
    return snapshots([escalation_id], lock=lock)[escalation_id]


# What a snapshot holds, by part: everything unless a batch names less (`audited_each`).
PARTS = frozenset({"escalation", "stages", "participants", "actions", "panel", "chronology"})


def snapshots(
    escalation_ids: Collection[int], *, lock: bool = False, parts: Collection[str] = PARTS
) -> dict[int, dict[str, Any]]:
    """`snapshot` of several escalations at once, with the same number of queries as one.

    With `lock`, their rows are locked in id order (so two writers of overlapping sets cannot
    deadlock). `parts` (of `PARTS`) leaves out what the caller's block cannot change; the
    escalation row is always read (it is locked, and names the partnership and reference).
    """
    unknown = set(parts) - PARTS
    if unknown:
        raise ValueError(f"snapshot parts {sorted(unknown)}: not of {sorted(PARTS)}")
    ids = sorted(set(escalation_ids))
    rows = Escalation.objects.filter(pk__in=ids).order_by("pk")
    if lock:
        rows = rows.select_for_update()
    own = "escalation" in parts
    fields = (*PLAIN_FIELDS, *IDENTIFYING_FIELDS, *TEXT_FIELDS) if own else ()
    states: dict[int, dict[str, Any]] = {}
    for row in rows.values("pk", "partnership_id", "reference", "fingerprint_salt", *fields):
        state: dict[str, Any] = {}
        if own:
            state.update({name: row[name] for name in PLAIN_FIELDS})
            state.update({name: _text(row[name]) for name in (*IDENTIFYING_FIELDS, *TEXT_FIELDS)})
        state["_partnership_id"] = row["partnership_id"]
        state["_reference"] = row["reference"]
        state[SALT] = row["fingerprint_salt"]  # "_": never a change of its own
        state[LAST_ENTRY] = 0
        states[row["pk"]] = state
    missing = set(ids) - set(states)
    if missing:
        raise Escalation.DoesNotExist(f"no escalation {sorted(missing)}")
    for stage in (
        ()
        if "stages" not in parts
        else StageRecord.objects.filter(escalation_id__in=ids).values(
            "escalation_id", "index", *STAGE_FIELDS
        )
    ):
        state = states[stage["escalation_id"]]
        for name in STAGE_FIELDS:
            state[f"stage[{stage['index']}].{name}"] = stage[name]
    for escalation_id, person_id, part, stage_key in (
        ()
        if "participants" not in parts
        else Participant.objects.filter(escalation_id__in=ids).values_list(
            "escalation_id", "person_id", "part", "stage_key"
        )
    ):
        states[escalation_id][f"participant[{person_id}:{part}]"] = stage_key
    for action in (
        ()
        if "actions" not in parts
        else Action.objects.filter(escalation_id__in=ids).values(
            "escalation_id", "pk", *ACTION_FIELDS, *ACTION_TEXT_FIELDS
        )
    ):
        state = states[action["escalation_id"]]
        for name in ACTION_FIELDS:
            state[f"action[{action['pk']}].{name}"] = action[name]
        for name in ACTION_TEXT_FIELDS:
            state[f"action[{action['pk']}].{name}"] = _text(action[name])
    panels = {
        panel["pk"]: panel
        for panel in (
            ()
            if "panel" not in parts
            else Panel.objects.filter(escalation_id__in=ids).values(
                "pk", "escalation_id", "decision", *PANEL_FIELDS
            )
        )
    }
    if panels:
        members: dict[int, list[int]] = {pk: [] for pk in panels}
        for panel_id, person_id in Panel.members.through.objects.filter(
            panel_id__in=panels
        ).values_list("panel_id", "person_id"):
            members[panel_id].append(person_id)
        agencies: dict[int, list[int]] = {pk: [] for pk in panels}
        for panel_id, agency_id in Panel.agencies.through.objects.filter(
            panel_id__in=panels
        ).values_list("panel_id", "agency_id"):
            agencies[panel_id].append(agency_id)
        for pk, panel in panels.items():
            state = states[panel["escalation_id"]]
            for name in PANEL_FIELDS:
                state[f"panel.{name}"] = panel[name]
            state["panel.decision"] = _text(panel["decision"])
            state["panel.member_ids"] = sorted(members[pk])
            state["panel.agency_ids"] = sorted(agencies[pk])
    if "chronology" not in parts:
        return states
    for escalation_id, last in (
        ChronologyEntry.objects.filter(escalation_id__in=ids)
        .order_by()
        .values("escalation_id")
        .annotate(last=Max("pk"))
        .values_list("escalation_id", "last")
    ):
        states[escalation_id][LAST_ENTRY] = last or 0
    return states


def changes_between(
    escalation_id: int, before: Mapping[str, Any], after: Mapping[str, Any]
) -> dict[str, tuple[Any, Any]]:
    """`field -> (old, new)` for what differs, and the chronology entries added (by id, kind,
    stage and a fingerprint of their text; the entries themselves never change)."""
    return changes_of({escalation_id: before}, {escalation_id: after})[escalation_id]


def changes_of(
    before: Mapping[int, Mapping[str, Any]], after: Mapping[int, Mapping[str, Any]]
) -> dict[int, dict[str, tuple[Any, Any]]]:
    """`changes_between` for several escalations at once (one query for the entries added)."""
    found: dict[int, dict[str, tuple[Any, Any]]] = {}
    for escalation_id, now in after.items():
        old = before.get(escalation_id, {})
        old_salt, new_salt = old.get(SALT, ""), now.get(SALT, "")
        found[escalation_id] = {
            name: (_shown(old.get(name), old_salt), _shown(now.get(name), new_salt))
            for name in sorted(set(old) | set(now))
            if not name.startswith("_") and old.get(name) != now.get(name)
        }
    grew = {
        escalation_id: before.get(escalation_id, {}).get(LAST_ENTRY, 0)
        for escalation_id, now in after.items()
        if now.get(LAST_ENTRY, 0) > before.get(escalation_id, {}).get(LAST_ENTRY, 0)
    }
    if not grew:
        return found
    added: dict[int, list[dict[str, Any]]] = {}
    for escalation_id, pk, kind, stage_key, text in (
        # By the escalations' ids, so the planner reads their entries by index (an OR of one
        # condition per escalation was planned as a scan of the whole chronology at 1,000,000,
        # and cost Django a filter per escalation to build); each one's earlier entries are
        # left out here.
        ChronologyEntry.objects.filter(escalation_id__in=list(grew), pk__gt=min(grew.values()))
        .order_by("pk")
        .values_list("escalation_id", "pk", "kind", "stage_key", "text")
    ):
        if pk <= grew[escalation_id]:
            continue
        added.setdefault(escalation_id, []).append(
            {
                "entry": pk,
                "kind": kind,
                "stage": stage_key,
                "text": fingerprint(text, salt=after[escalation_id].get(SALT, "")),
            }
        )
    for escalation_id, entries in added.items():
        found[escalation_id]["chronology"] = (None, entries)
    return found


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


@contextmanager
def audited_each(
    action: str, *, escalation_ids: Collection[int], by: System, parts: Collection[str] = PARTS
) -> Iterator[None]:
    """`audited` for a batch of the scheduler's changes (the deadline sweep): the escalations
    are locked (in id order) and snapshotted together, and each one the block changed gets its
    own audit row, as if each had been its own `audited` block. The same queries however many.

    `parts` (of `PARTS`) names all the block can change, when that is less than everything
    (the sweep's notices add participants and chronology entries only): the snapshots read
    only those, and the rows are the same as with every part as long as the block changes
    nothing else (`test_deadlines_copy.py` checks the sweep's rows against full snapshots).
    """
    if not isinstance(by, System):
        raise AnonymousChange(f"{action}: a batch of changes is the system's")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{action}: audit inside the service's transaction")
    before = snapshots(escalation_ids, lock=True, parts=parts)
    yield
    after = snapshots(escalation_ids, parts=parts)
    changes = changes_of(before, after)
    partnerships = Partnership.objects.in_bulk(
        {state["_partnership_id"] for state in after.values()}
    )
    record_audits(
        [
            AuditRecord(
                actor=None,
                action=action,
                partnership=partnerships[after[escalation_id]["_partnership_id"]],
                object_type=Escalation._meta.label,
                object_id=str(escalation_id),
                reference=after[escalation_id]["_reference"],
                changes=changed,
            )
            for escalation_id, changed in sorted(
                changes.items(), key=lambda item: (after[item[0]]["_partnership_id"], item[0])
            )
            if changed
        ]
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
