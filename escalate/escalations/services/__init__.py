"""Every write to an escalation. Each function is one transaction and goes through workflow.py.

Split by job, as Zulip splits `zerver/actions/`; every public name is importable from here:
- `transition`: locking, checking the version, writing what the workflow decided, notifying;
- `raising`: raising an escalation and the raise pages' draft;
- `stage`: the stage work (discussion, rationale, next stage, pause, resolve, withdraw, views,
  corrections);
- `panel`: the Resolution Panel;
- `actions`: agreed actions;
- `people`: reassigning the part of someone who left or is away, and flagging escalations
  nobody active can move;
- `linking`: removing a link between two escalations made in error;
- `deciding`: who decides (proposing and answering a resolution, reopening, the silence the
  sweep records).
The plain state the workflow reads is built by `escalations.state` (shared with selectors).

Each public write is decorated with `auditing.audited(...)`: it opens the transaction and writes
exactly one audit row with the old and new values of what the write changed (see auditing.py).
"""

from escalate.escalations.services.actions import ActionSpec, add_action, complete_action
from escalate.escalations.services.allocation import allocate_reviewers
from escalate.escalations.services.deciding import (
    accept_resolution,
    change_timescale,
    decline_resolution,
    move_up_tier,
    propose_resolution,
    record_silence,
    reopen_escalation,
)
from escalate.escalations.services.linking import (
    LinkNotFound,
    remove_link,
)
from escalate.escalations.services.panel import (
    convene_panel,
    record_panel_decision,
    record_representation,
)
from escalate.escalations.services.people import flag_stranded, reassign_part
from escalate.escalations.services.raising import (
    RaiseDetails,
    discard_decision_draft,
    discard_raise_draft,
    raise_escalation,
    save_decision_draft,
    save_raise_draft,
)
from escalate.escalations.services.stage import (
    add_view,
    correct_entry,
    escalate_to_next_stage,
    give_rationale,
    pause_escalation,
    record_discussion,
    request_rationale,
    resolve_escalation,
    resume_escalation,
    withdraw_escalation,
)
from escalate.escalations.services.transition import (
    DeadlineNotice,
    StaleEscalation,
    notify_deadlines,
    notify_policy_event,
)
from escalate.escalations.workflow import ActionRefused

__all__ = [
    "ActionRefused",
    "ActionSpec",
    "DeadlineNotice",
    "LinkNotFound",
    "RaiseDetails",
    "StaleEscalation",
    "accept_resolution",
    "add_action",
    "add_view",
    "allocate_reviewers",
    "change_timescale",
    "complete_action",
    "convene_panel",
    "correct_entry",
    "decline_resolution",
    "discard_decision_draft",
    "discard_raise_draft",
    "escalate_to_next_stage",
    "flag_stranded",
    "give_rationale",
    "move_up_tier",
    "notify_deadlines",
    "notify_policy_event",
    "pause_escalation",
    "propose_resolution",
    "raise_escalation",
    "reassign_part",
    "record_discussion",
    "record_panel_decision",
    "record_representation",
    "record_silence",
    "remove_link",
    "reopen_escalation",
    "request_rationale",
    "resolve_escalation",
    "resume_escalation",
    "save_decision_draft",
    "save_raise_draft",
    "withdraw_escalation",
]
