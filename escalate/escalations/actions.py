"""Each action a person takes on an escalation, declared once.

A declaration names the action (the core's rule and the service's name), its input (a list of
`Input` fields), the service it calls and what it is called on the page. The stage pages
(views.stage_action, and the pages for marking an action done and correcting an entry) build
their Django form from the inputs (forms.action_form); the API builds its request schema from
the same inputs (api/actions.py) and one endpoint per declaration. Whether the person may take
the action is the core's answer (workflow.allowed_actions), never the declaration's.

To add an action: its Rule in workflow.py, its service, then a declaration here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db.models import Q, QuerySet

from escalate.directory import selectors as directory
from escalate.directory.models import Agency, Person, Role
from escalate.escalations import services, workflow

Kind = Literal[
    "text",  # one line
    "long_text",  # a paragraph (up to 10,000 characters)
    "past_date",  # a date, today or before
    "future_date",  # a date, today or after
    "choice",  # one of `choices`
    "person",  # someone in the partnership (the API sends `<name>_id`)
    "panel_people",  # people who may sit on a Resolution Panel (`members`: API `member_ids`)
    "agency",  # an agency in the partnership (the API sends `<name>_id`)
    "themes",  # short labels: comma-separated on the page, a list in the API
    "action_rows",  # agreed actions (owner, description, due date): one per page (steps.py)
]


@dataclass(frozen=True)
class Input:
    """One thing the person gives; its `name` is the service's keyword argument."""

    name: str
    kind: Kind
    label: str
    required_message: str = ""  # shown when left empty; empty means optional
    hint: str = ""
    max_length: int = 10000
    too_long: str = ""  # defaults to "<label> must be N characters or fewer"
    choices: tuple[tuple[str, str], ...] = ()
    messages: dict[str, str] = field(default_factory=dict)  # other form error messages
    # What errors call a date asked as a question ("the date of the discussion"), GOV.UK's way.
    error_name: str = ""

    @property
    def required(self) -> bool:
        return bool(self.required_message)

    @property
    def api_name(self) -> str:
        """The name the API gives the field (records are sent by id)."""
        if self.kind in ("person", "agency"):
            return f"{self.name}_id"
        if self.kind == "panel_people":
            return f"{self.name.removesuffix('s')}_ids"
        return self.name

    @property
    def too_long_message(self) -> str:
        return self.too_long or f"{self.label} must be {self.max_length:,} characters or fewer"


@dataclass(frozen=True)
class ActionDeclaration:
    """One action: its name, input, service and words."""

    name: str  # the core's rule (workflow.RULES) and the service (escalations.services)
    title: str  # the link on the escalation page and the action page's heading
    button: str
    done: str  # the message after it is done
    inputs: tuple[Input, ...]
    service: Callable[..., Any]
    slug: str  # the page: /escalations/<reference>/<slug>/
    api_path: str  # the API: /api/v1/escalations/{reference}/<api_path>
    api_summary: str
    hint: str = ""
    versioned: bool = True  # carries the version of the escalation the person saw
    on: Literal["escalation", "action", "entry"] = "escalation"  # what the service acts on
    api_created: bool = False  # the API answers 201 with what was made

    @property
    def action_rows(self) -> bool:
        return any(i.kind == "action_rows" for i in self.inputs)

    def perform(self, target: Any, by: Person, values: dict[str, Any]) -> Any:
        """Call the service on `target` (an escalation, action or entry) with the values given."""
        return self.service(**{self.on: target}, by=by, **values)


# --- where the choices come from (the same for the page and the API) ---------------------


def people_to_choose(person: Person) -> QuerySet[Person]:
    """Active people of `person`'s partnership."""
    return directory.people_of(person)


def owners_to_choose(person: Person, escalation: Any) -> QuerySet[Person]:
    """Who may own an agreed action of `escalation`: active people of the two agencies involved,
    never an administrator or an auditor (issue 16)."""
    return (
        people_to_choose(person)
        .filter(agency_id__in=[escalation.raiser_agency_id, escalation.respondent_agency_id])
        .exclude(role_assignments__role__in=[Role.ADMINISTRATOR, Role.AUDITOR])
    )


def panel_people_to_choose(person: Person) -> QuerySet[Person]:
    """People who may sit on a Resolution Panel (workflow.may_sit_on_panel, as a query)."""
    return (
        directory.people_of(person)
        .filter(
            Q(level__gte=workflow.PANEL_MIN_LEVEL)
            | Q(role_assignments__role__in=sorted(workflow.PANEL_ROLES))
        )
        .distinct()
    )


def agencies_to_choose(person: Person) -> QuerySet[Agency]:
    return directory.agencies_of(person)


CHOICES: dict[str, Callable[[Person], QuerySet[Any]]] = {
    "person": people_to_choose,
    "panel_people": panel_people_to_choose,
    "agency": agencies_to_choose,
}


# --- the inputs the actions share ---------------------------------------------------------


def _long(name: str, label: str, required_message: str, hint: str = "") -> Input:
    return Input(name, "long_text", label, required_message, hint)


REASON = _long("reason", "Reason", "Enter the reason")
DISCUSSION_METHODS = (
    ("phone", "Phone call"),
    ("video", "Video call"),
    ("in_person", "In person"),
    ("email", "In writing or by email"),
)
LEARNING = _long(
    "learning",
    "Learning for the partnership",
    "Enter the learning for the partnership",
    "What should other professionals learn from this disagreement?",
)
THEMES = Input(
    "learning_themes",
    "themes",
    "Learning themes",
    hint="Separate themes with commas, for example: thresholds, information sharing",
    max_length=500,
    too_long="Learning themes must be 500 characters or fewer",
)
AGREED_ACTIONS = Input("actions", "action_rows", "Agreed actions")
BOARD_ENGAGEMENT = Input(
    "board_engagement",
    "long_text",
    "Board members engaged (where the next stage asks for it)",
    hint="Which Board members of each agency were engaged in seeking resolution. Some "
    "policies ask for this before a case goes to the partnership chair.",
)
NEXT_STEPS = (
    ("stay", "Keep working on it at this stage"),
    ("escalate", "Escalate it to the next stage now"),
)
PARTS_TO_REASSIGN = (
    ("raiser", "Raised the escalation"),
    ("raiser_manager", "Manager for the raiser's agency"),
    ("respondent", "Respondent (the professional whose decision is challenged)"),
    ("respondent_manager", "Manager for the respondent's agency"),
    ("iro", "Independent Reviewing Officer"),
    ("cp_chair", "Child protection conference chair"),
    ("dsl", "Designated safeguarding lead"),
)
REOPEN_GROUNDS = (
    ("action_overdue", "Agreed actions aren't being completed"),
    ("recurred", "The concern has come back"),
)


def _reason_action(
    name: str,
    title: str,
    button: str,
    done: str,
    slug: str,
    summary: str,
    hint: str = "",
    also: tuple[Input, ...] = (),
) -> ActionDeclaration:
    return ActionDeclaration(
        name=name,
        title=title,
        button=button,
        done=done,
        inputs=(REASON, *also),
        service=getattr(services, name),
        slug=slug,
        api_path=slug,
        api_summary=summary,
        hint=hint,
    )


DECLARATIONS: tuple[ActionDeclaration, ...] = (
    ActionDeclaration(
        name="record_discussion",
        title="Record a discussion",
        button="Save the discussion",
        done="The discussion has been recorded.",
        inputs=(
            Input(
                "held_on",
                "past_date",
                "When did the discussion take place?",
                "Enter the date of the discussion",
                "For example, 27 3 2026",
                error_name="the date of the discussion",
            ),
            Input(
                "with_whom",
                "text",
                "Who took part?",
                "Enter who took part in the discussion",
                max_length=500,
                too_long="Who took part must be 500 characters or fewer",
            ),
            Input(
                "method",
                "choice",
                "How did it take place?",
                "Select how the discussion took place",
                choices=DISCUSSION_METHODS,
            ),
            _long("summary", "What was said", "Enter what was said"),
            _long("outcome", "Outcome", "Enter the outcome of the discussion"),
        ),
        service=services.record_discussion,
        slug="record-discussion",
        api_path="discussions",
        api_summary="Record a discussion held at the current stage.",
    ),
    ActionDeclaration(
        name="request_rationale",
        title="Ask for the rationale in writing",
        button="Send the request",
        done="The professional has been asked for their rationale.",
        inputs=(
            _long(
                "message",
                "What do you want explained?",
                "Enter what you want the professional to explain",
                "The professional will be asked to give their rationale in writing.",
            ),
        ),
        service=services.request_rationale,
        slug="request-rationale",
        api_path="rationale-requests",
        api_summary="Ask the respondent for their rationale in writing (the raiser's side).",
    ),
    ActionDeclaration(
        name="give_rationale",
        title="Give your rationale",
        button="Send your rationale",
        done="Your rationale has been recorded.",
        inputs=(
            _long(
                "rationale",
                "Your rationale",
                "Enter your rationale",
                "Explain the decision, action or inaction the escalation is about.",
            ),
        ),
        service=services.give_rationale,
        slug="give-rationale",
        api_path="rationale",
        api_summary="Give the respondent side's rationale.",
    ),
    ActionDeclaration(
        name="escalate_to_next_stage",
        title="Escalate to the next stage",
        button="Escalate",
        done="The escalation has moved to the next stage.",
        inputs=(REASON, BOARD_ENGAGEMENT),
        service=services.escalate_to_next_stage,
        slug="escalate",
        api_path="escalate",
        api_summary="Escalate to the policy's next stage, with the reason (and, where the next "
        "stage's policy asks, which Board members of each agency were engaged).",
        hint="Say why the disagreement could not be resolved at this stage.",
    ),
    ActionDeclaration(
        name="propose_resolution",
        title="Propose a resolution",
        button="Send the proposal",
        done="Your proposed resolution has been sent. It takes effect when the other side "
        "accepts it.",
        inputs=(
            _long(
                "decision",
                "What do you propose?",
                "Enter the resolution you propose",
                "The decision, and what each agency will do. The other side is asked to accept "
                "or decline it.",
            ),
            Input(
                "learning",
                "long_text",
                "Learning for the partnership (optional)",
                hint="What should other professionals learn from this disagreement?",
            ),
            THEMES,
            AGREED_ACTIONS,
        ),
        service=services.propose_resolution,
        slug="propose",
        api_path="proposals",
        api_summary="Propose a resolution at a stage the parties decide; it takes effect when the "
        "other side accepts it.",
    ),
    ActionDeclaration(
        name="accept_resolution",
        title="Accept the proposed resolution",
        button="Accept and resolve",
        done="You accepted the proposed resolution. The escalation is resolved.",
        inputs=(),
        service=services.accept_resolution,
        slug="accept",
        api_path="proposals/accept",
        api_summary="Accept the proposed resolution waiting for your side's answer: the "
        "escalation is resolved as proposed.",
        hint="Accepting resolves the escalation as proposed, with its agreed actions.",
    ),
    ActionDeclaration(
        name="decline_resolution",
        title="Decline the proposed resolution",
        button="Decline",
        done="You declined the proposed resolution.",
        inputs=(
            _long("reason", "Why do you decline it?", "Enter why you decline the resolution"),
            Input(
                "next_step",
                "choice",
                "What happens next?",
                "Select what happens next",
                choices=NEXT_STEPS,
            ),
            BOARD_ENGAGEMENT,
        ),
        service=services.decline_resolution,
        slug="decline",
        api_path="proposals/decline",
        api_summary="Decline the proposed resolution with a reason, and escalate at once if "
        "you choose.",
    ),
    ActionDeclaration(
        name="reopen_escalation",
        title="Reopen the escalation",
        button="Reopen",
        done="The escalation has been reopened. The people at its stage have been told.",
        inputs=(
            Input(
                "grounds",
                "choice",
                "Why are you reopening it?",
                "Select why you are reopening it",
                choices=REOPEN_GROUNDS,
            ),
            REASON,
        ),
        service=services.reopen_escalation,
        slug="reopen",
        api_path="reopen",
        api_summary="Reopen a resolved escalation (the raiser's side, within the policy's "
        "window): an agreed action is overdue, or the concern has come back.",
    ),
    ActionDeclaration(
        name="change_timescale",
        title="Change the due date",
        button="Change the due date",
        done="The due date has been changed. The people at this stage have been told.",
        inputs=(
            Input(
                "due_on",
                "future_date",
                "When is this stage now due?",
                "Enter the new due date",
                "For example, 27 3 2027. Bring it forward where the child's safety needs it; "
                "some policies also let managers set a later date, up to their maximum.",
                error_name="the new due date",
            ),
            _long("reason", "Why does the due date change?", "Enter why the due date changes"),
        ),
        service=services.change_timescale,
        slug="timescale",
        api_path="timescale",
        api_summary="Change the current stage's due date, with a reason (a manager at the "
        "stage on either side, or the partnership chair where the policy says): shorten it, "
        "or set it where the policy lets managers, never beyond the policy's maximum.",
    ),
    ActionDeclaration(
        name="move_up_tier",
        title="Take it to the next tier of management",
        button="Take it to the next tier",
        done="It has gone to the next tier of management. Their managers have been told, and "
        "the stage has a new due date.",
        inputs=(
            _long(
                "reason",
                "Why does it go to the next tier?",
                "Enter why it goes to the next tier of management",
                "What has been tried at this tier, and why it is not resolved.",
            ),
        ),
        service=services.move_up_tier,
        slug="next-tier",
        api_path="tier",
        api_summary="Take it to the next tier of management in each organisation, where the "
        "stage's policy allows more than one (the people at the stage, either side).",
        hint="Each side's next manager up takes it on, within this stage.",
    ),
    ActionDeclaration(
        name="reassign_part",
        title="Reassign the part of someone who has left or is away",
        button="Reassign",
        done="The part has been reassigned. The person who takes it on has been told.",
        inputs=(
            Input(
                "part",
                "choice",
                "Which part do they hold?",
                "Select the part to reassign",
                choices=PARTS_TO_REASSIGN,
            ),
            Input(
                "person",
                "person",
                "Who takes it on?",
                "Choose who takes the part on",
                hint="Someone in this partnership who can act now.",
                messages={"invalid_choice": "Choose someone from this partnership"},
            ),
            _long("reason", "Why is it reassigned?", "Enter why the part is reassigned"),
        ),
        service=services.reassign_part,
        slug="reassign",
        api_path="reassign",
        api_summary="Reassign the part of someone deactivated or marked away to someone who can "
        "act now, with a reason (their line manager or the partnership's business unit).",
        hint="Only when the person holding the part has been deactivated or marked away.",
    ),
    _reason_action(
        "pause_escalation",
        "Pause the escalation",
        "Pause",
        "The escalation has been paused; its deadline stops until it is resumed.",
        "pause",
        "Pause the escalation; its deadline stops until resumed.",
        hint="For example, waiting for a strategy meeting.",
        also=(
            Input(
                "review_on",
                "future_date",
                "When will the pause be reviewed?",
                hint="Leave it empty for the latest date the policy allows. For example, 27 3 2027",
                error_name="the review date",
            ),
            Input(
                "agreed_by",
                "person",
                "Which manager on the raiser's side agreed? (when a child or adult is at "
                "immediate risk)",
                hint="An escalation about immediate harm is paused only with the agreement of a "
                "manager on the raiser's side. Leave it empty if you are that manager, or if "
                "nobody is at immediate risk.",
                messages={"invalid_choice": "Choose a manager from this partnership"},
            ),
        ),
    ),
    _reason_action(
        "resume_escalation",
        "Resume the escalation",
        "Resume",
        "The escalation has been resumed.",
        "resume",
        "Resume a paused escalation.",
    ),
    ActionDeclaration(
        name="resolve_escalation",
        title="Resolve the escalation",
        button="Resolve",
        done="The escalation has been resolved.",
        inputs=(
            _long("decision", "What was decided?", "Enter what was decided"),
            Input(
                "decided_by",
                "text",
                "Who made the decision?",
                "Enter who made the decision",
                max_length=300,
                too_long="Who made the decision must be 300 characters or fewer",
            ),
            LEARNING,
            THEMES,
            AGREED_ACTIONS,
        ),
        service=services.resolve_escalation,
        slug="resolve",
        api_path="resolve",
        api_summary="Resolve the escalation: the decision, who made it, learning and agreed "
        "actions.",
    ),
    _reason_action(
        "withdraw_escalation",
        "Withdraw the escalation",
        "Withdraw",
        "The escalation has been withdrawn.",
        "withdraw",
        "Withdraw the escalation (the raiser or their manager).",
    ),
    ActionDeclaration(
        name="convene_panel",
        title="Convene a Resolution Panel",
        button="Convene the panel",
        done="The Resolution Panel has been convened.",
        inputs=(
            Input(
                "members",
                "panel_people",
                "Who will sit on the Resolution Panel?",
                "Select the members of the panel",
                messages={
                    "invalid_choice": "Select members from the list",
                    "invalid_pk_value": "Select members from the list",
                },
            ),
            Input(
                "lead",
                "person",
                "Panel lead (optional)",
                hint="A member who records the panel's decision. Leave empty to record it "
                "yourself.",
                messages={"invalid_choice": "Choose the panel lead from this partnership"},
            ),
            Input(
                "handled_reason",
                "long_text",
                "Why should members who already handled this escalation sit on the panel?",
                hint="Only if you chose someone marked as having already handled this escalation.",
            ),
        ),
        service=services.convene_panel,
        slug="convene-panel",
        api_path="panel",
        api_summary="Convene a Resolution Panel (the partnership chair, at the panel stage). "
        "Members are managers or the partnership's panel members, never practitioners.",
    ),
    ActionDeclaration(
        name="record_representation",
        title="Record a representation to the panel",
        button="Save the representation",
        done="The representation has been recorded.",
        inputs=(
            Input(
                "agency",
                "agency",
                "Which agency made the representation?",
                "Select the agency that made the representation",
                messages={"invalid_choice": "Select an agency from the list"},
            ),
            _long("summary", "What did they say?", "Enter what the agency said"),
        ),
        service=services.record_representation,
        slug="representation",
        api_path="panel/representations",
        api_summary="Record what an agency told the Resolution Panel.",
    ),
    ActionDeclaration(
        name="record_panel_decision",
        title="Record the panel's decision",
        button="Save the decision",
        done="The panel's decision has been recorded.",
        inputs=(
            _long("decision", "The panel's decision", "Enter the panel's decision"),
            Input(
                "members_present",
                "panel_people",
                "Which panel members took part?",
                "Select the panel members who took part",
                messages={
                    "invalid_choice": "Select members from the list",
                    "invalid_pk_value": "Select members from the list",
                },
            ),
            LEARNING,
            THEMES,
            AGREED_ACTIONS,
        ),
        service=services.record_panel_decision,
        slug="panel-decision",
        api_path="panel/decision",
        api_summary="Record the Resolution Panel's decision, which resolves the escalation (the "
        "partnership chair or the panel lead the chair named), with the members who took part.",
    ),
    ActionDeclaration(
        name="add_action",
        title="Add an action",
        button="Add the action",
        done="The action has been added.",
        inputs=(
            Input(
                "description",
                "long_text",
                "Action",
                "Enter what the action is",
                max_length=1000,
                too_long="The action must be 1,000 characters or fewer",
            ),
            Input(
                "owner",
                "person",
                "Owner",
                "Choose who owns the action",
                messages={"invalid_choice": "Choose an owner from this partnership"},
            ),
            Input(
                "due_on",
                "future_date",
                "Due date",
                "Enter the date the action is due",
                "For example, 27 3 2027",
            ),
        ),
        service=services.add_action,
        slug="add-action",
        api_path="actions",
        api_summary="Agree an action with an owner in the partnership and a due date.",
        versioned=False,
        api_created=True,
    ),
    ActionDeclaration(
        name="add_view",
        title="Add your view",
        button="Add your view",
        done="Your view has been added to the timeline.",
        inputs=(
            _long(
                "view",
                "Your view",
                "Enter your view",
                "As the Independent Reviewing Officer or Child Protection chair for this child.",
            ),
        ),
        service=services.add_view,
        slug="add-view",
        api_path="views",
        api_summary="Add your view to the timeline (an Independent Reviewing Officer or Child "
        "Protection chair).",
        versioned=False,
    ),
    ActionDeclaration(
        name="complete_action",
        title="Mark an action as done",
        button="Mark as done",
        done="The action has been marked as done.",
        inputs=(
            Input(
                "note",
                "long_text",
                "What was done?",
                "Enter what was done",
                max_length=5000,
                too_long="What was done must be 5,000 characters or fewer",
            ),
        ),
        service=services.complete_action,
        slug="done",
        api_path="done",
        api_summary="Mark an action done (its owner, or whoever agreed it).",
        versioned=False,
        on="action",
    ),
    ActionDeclaration(
        name="correct_entry",
        title="Correct a timeline entry",
        button="Add the correction",
        done="Your correction has been added to the timeline.",
        inputs=(
            _long(
                "correction",
                "Correction",
                "Enter the correction",
                "The original entry stays in the timeline; your correction is shown against it.",
            ),
        ),
        service=services.correct_entry,
        slug="correct",
        api_path="corrections",
        api_summary="Correct a timeline entry you made; the original is kept and the "
        "correction points at it.",
        versioned=False,
        on="entry",
    ),
)
BY_NAME: dict[str, ActionDeclaration] = {d.name: d for d in DECLARATIONS}
# The actions on the escalation itself, by the page's slug.
STAGE_ACTIONS: dict[str, ActionDeclaration] = {
    d.slug: d for d in DECLARATIONS if d.on == "escalation"
}
