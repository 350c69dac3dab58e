"""One audit row for each change a service makes to an escalation, written in its transaction.

Every public write in `services.py` is decorated with `@audited("action_name")`. The decorator
opens the transaction, locks the escalation, takes a snapshot of everything the services can
change (the escalation's fields, its stage records, participants, actions, panel and the last
chronology entry), runs the service, takes the snapshot again, and writes the difference as the
row's old and new values. So the audit is written in one place, cannot miss a field a service
starts to change, and a refused or failed action (rolled back) leaves no row.

Nothing that could identify the child or adult is stored: their name, date of birth and case
references are redacted by `record_audit`'s field-name hints, and free text (the dispute, a
discussion, a reason, a decision) is kept only as a keyed fingerprint (`fingerprint`), which
proves what was written without repeating it. The typed reason of an action is never put in
the row's `reason`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, ParamSpec, TypeVar

from django.db import transaction
from django.db.models import Max

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

P = ParamSpec("P")
R = TypeVar("R")

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


def _escalation_id_in(values: Any) -> int | None:
    for value in values:
        if isinstance(value, Escalation):
            return int(value.pk)
        if isinstance(value, (Action, ChronologyEntry, Panel)):
            return int(value.escalation_id)
    return None


def audited(action: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Run the service in one transaction and write one audit row (`action`) for what it changed.

    The escalation is the `escalation=` argument (or the escalation of `action=`/`entry=`), or
    for `raise_escalation` the one returned. The actor is `by=` (None for the system). No row is
    written when nothing changed (e.g. a policy event that told nobody).
    """

    def decorate(service: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(service)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            with transaction.atomic():
                escalation_id = _escalation_id_in(kwargs.values())
                before = snapshot(escalation_id, lock=True) if escalation_id else {}
                result = service(*args, **kwargs)
                escalation_id = escalation_id or _escalation_id_in([result])
                if escalation_id is None:
                    raise TypeError(f"{service.__name__} changed no escalation it can name")
                after = snapshot(escalation_id)
                changes = changes_between(escalation_id, before, after)
                if changes:
                    by = kwargs.get("by")
                    record_audit(
                        actor=by if isinstance(by, Person) else None,
                        action=action,
                        partnership=Partnership.objects.get(pk=after["_partnership_id"]),
                        object_type=Escalation._meta.label,
                        object_id=str(escalation_id),
                        reference=after["_reference"],
                        changes=changes,
                    )
            return result

        run.audit_action = action  # type: ignore[attr-defined]
        return run

    return decorate
