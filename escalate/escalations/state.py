"""The plain state the workflow core reads, built from the stored escalation.

Selectors (what a person may do now) and services (what an action means) both ask these; so
neither has to import the other.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from escalate.directory.models import Person
from escalate.escalations import workflow
from escalate.escalations.models import (
    MANAGER_PARTS,
    EntryKind,
    Escalation,
    Panel,
    Participant,
    StageRecord,
)


def flags_of(escalation: Escalation) -> frozenset[str]:
    flags = {escalation.subject_kind}
    for name in ("cp_plan", "looked_after", "cp_conference", "immediate_harm"):
        if getattr(escalation, name):
            flags.add(name)
    return frozenset(flags)


def state_of(escalation: Escalation) -> workflow.EscalationState:
    """The workflow's view of a stored escalation: the stage's facts are read back from its
    timeline entries (since the stage was last entered or reopened), in the order written."""
    record = current_stage_record(escalation)
    entries = (
        escalation.chronology.filter(stage_key=escalation.current_stage_key, kind__in=STATE_KINDS)
        .order_by("pk")
        .values_list("kind", "data", "occurred_at", "text")
    )
    panel = Panel.objects.filter(escalation=escalation).first()
    return state_from(
        escalation,
        started_at=record.started_at if record else None,
        paused_at=record.paused_at if record else None,
        entries=entries,
        panel_convened=panel is not None,
        panel_decided=panel is not None and panel.decided_at is not None,
    )


def state_from_loaded(
    escalation: Escalation,
    entries: Iterable[Any],
    stages: Iterable[StageRecord],
    panel: Panel | None,
) -> workflow.EscalationState:
    """`state_of` from what a page has already loaded: the escalation's whole timeline (any
    order), its stage records and its panel; the same answer with no query."""
    record = max(stages, key=lambda stage: stage.index, default=None)
    current = sorted(
        (
            entry
            for entry in entries
            if entry.stage_key == escalation.current_stage_key and entry.kind in STATE_KINDS
        ),
        key=lambda entry: entry.pk,
    )
    return state_from(
        escalation,
        started_at=record.started_at if record else None,
        paused_at=record.paused_at if record else None,
        entries=((e.kind, e.data, e.occurred_at, e.text) for e in current),
        panel_convened=panel is not None,
        panel_decided=panel is not None and panel.decided_at is not None,
    )


def state_from(
    escalation: Escalation,
    *,
    started_at: datetime | None,
    paused_at: datetime | None,
    entries: Iterable[tuple[str, Any, datetime, str]],
    panel_convened: bool,
    panel_decided: bool,
) -> workflow.EscalationState:
    """The state from facts already read: the current stage record's start and pause, the
    stage's STATE_KINDS entries (kind, data, occurred_at, text) in order, and the panel. Lists
    read these for many escalations at once (selectors.needs_action_for)."""
    spec = escalation.policy_version.spec
    stage = _StageFacts()
    for kind, data, occurred_at, text in entries:
        stage.read(kind, data if isinstance(data, dict) else {}, occurred_at, text)
    paused = escalation.status == workflow.PAUSED
    return workflow.EscalationState(
        status=escalation.status,
        stage_key=escalation.current_stage_key,
        stage_index=spec.stage_index(escalation.current_stage_key),
        version=escalation.version,
        stage_started_at=started_at or escalation.raised_at,
        due_at=escalation.stage_due_at,
        flags=flags_of(escalation),
        records=frozenset(stage.records),
        rationale_requested=stage.rationale_requested,
        paused_at=paused_at,
        panel_convened=panel_convened,
        panel_decided=panel_decided,
        proposal=stage.proposal,
        rationale_due_at=stage.rationale_due_at if stage.rationale_requested else None,
        rationale_lapsed=stage.rationale_lapsed,
        respondent_unlisted=escalation.respondent_person_id is None,
        tier=stage.tier,
        pause_review_on=stage.pause_review_on if paused else None,
        closed_at=escalation.closed_at if escalation.status in workflow.CLOSED else None,
        board_engagement=stage.board_engagement,
    )


STATE_KINDS = (
    EntryKind.DISCUSSION,
    EntryKind.RATIONALE_REQUESTED,
    EntryKind.RATIONALE,
    EntryKind.RATIONALE_LAPSED,
    EntryKind.RESOLUTION_PROPOSED,
    EntryKind.RESOLUTION_ACCEPTED,
    EntryKind.RESOLUTION_DECLINED,
    EntryKind.RESOLUTION_UNANSWERED,
    EntryKind.RESOLVED,
    EntryKind.REOPENED,
    EntryKind.TIER_UP,
    EntryKind.PAUSED,
    EntryKind.ESCALATED,
)


def when_of(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def day_of(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


@dataclass
class _StageFacts:
    """The current stage's facts, read entry by entry (a reopening starts them afresh)."""

    records: set[str] = field(default_factory=set)
    rationale_requested: bool = False
    rationale_due_at: datetime | None = None
    rationale_lapsed: bool = False
    proposal: workflow.Proposal | None = None
    tier: int = 1
    pause_review_on: date | None = None
    board_engagement: str = ""

    def read(self, kind: str, data: dict[str, Any], occurred_at: datetime, text: str) -> None:
        if kind == EntryKind.REOPENED:
            self.__init__()  # type: ignore[misc]
        elif kind == EntryKind.DISCUSSION:
            self.records.add("discussion")
        elif kind == EntryKind.RATIONALE_REQUESTED:
            self.rationale_requested = "rationale" not in self.records
            self.rationale_due_at = when_of(data.get("due_at"))
        elif kind == EntryKind.RATIONALE:
            self.records.add("rationale")
            self.rationale_requested, self.rationale_due_at = False, None
        elif kind == EntryKind.RATIONALE_LAPSED:
            self.rationale_lapsed, self.rationale_requested = True, False
        elif kind == EntryKind.RESOLUTION_PROPOSED:
            due = when_of(data.get("answer_due_at")) or occurred_at
            actions = data.get("proposed_actions")
            self.proposal = workflow.Proposal(
                side=str(data.get("side", "")),
                decision=text,
                proposed_at=occurred_at,
                answer_due_at=due,
                action_count=len(actions) if isinstance(actions, list) else 0,
            )
        elif kind == EntryKind.RESOLUTION_UNANSWERED and self.proposal is not None:
            if data.get("outcome") == "raiser_manager":
                due = when_of(data.get("answer_due_at")) or self.proposal.answer_due_at
                self.proposal = replace(self.proposal, with_raiser_manager=True, answer_due_at=due)
            else:
                self.proposal = None
        elif kind in (
            EntryKind.RESOLUTION_ACCEPTED,
            EntryKind.RESOLUTION_DECLINED,
            EntryKind.RESOLVED,
        ):
            self.proposal = None
        elif kind == EntryKind.TIER_UP:
            self.tier = int(data.get("tier") or self.tier + 1)
            self.proposal = None
        elif kind == EntryKind.PAUSED:
            self.pause_review_on = day_of(data.get("review_on"))
        elif kind == EntryKind.ESCALATED:
            self.board_engagement = str(data.get("board_engagement") or "")


def current_stage_record(escalation: Escalation) -> StageRecord | None:
    return escalation.stages.order_by("-index").first()


def actor_of(escalation: Escalation, person: Person) -> workflow.Actor:
    """What `person` is to `escalation`: their participant parts and partnership roles.

    Managers act only at the stage they were brought in for (the stage moves on without them);
    the raiser, the respondent, panel members and the others keep their part throughout.
    """
    rows = Participant.objects.filter(escalation=escalation, person=person).values_list(
        "part", "stage_key"
    )
    return actor_from(escalation, person, rows)


def actor_from(
    escalation: Escalation, person: Person, rows: Iterable[tuple[str, str]]
) -> workflow.Actor:
    """The actor from the person's (part, stage_key) participant rows already read."""
    rows = list(rows)
    current = {
        part
        for part, stage_key in rows
        if part not in MANAGER_PARTS or stage_key == escalation.current_stage_key
    }
    former = {part for part, _ in rows} - current
    roles = person.role_set if person.partnership_id == escalation.partnership_id else frozenset()
    return workflow.Actor(
        parts=frozenset(current), roles=frozenset(roles), former_parts=frozenset(former)
    )


def handled_by(escalation: Escalation) -> frozenset[int]:
    """The people who already handled `escalation`: the raiser, the respondent and the managers
    of either side at any stage. Seated on its Resolution Panel only with the chair's reason
    (issue 15: "candidates who already handled this escalation are flagged")."""
    return frozenset(
        Participant.objects.filter(
            escalation=escalation, part__in=sorted(workflow.STAGE_SIDES)
        ).values_list("person_id", flat=True)
    )
