"""Every read of escalations, scoped to the person asking.

Who may see an escalation: anyone with a Participant row on it (the raiser, the named respondent,
the managers of either side at the current or a passed stage, panel members, the IRO / CP chair
and others once they were told, action owners) and the partnership roles its policy grants
(policy.access_roles). Everyone else gets Http404, exactly as for a reference that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import (
    Case,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.lookups import In
from django.http import Http404
from django.utils import timezone

from escalate.directory.models import Person, Role
from escalate.escalations import deciding, workflow
from escalate.escalations.models import (
    CLOSED_STATUSES,
    MANAGER_PARTS,
    Action,
    ChronologyEntry,
    DecisionDraft,
    EntryKind,
    Escalation,
    EscalationLink,
    Panel,
    Part,
    Participant,
    RaiseDraft,
    StageRecord,
)
from escalate.escalations.next_step import NextStep, next_step
from escalate.escalations.state import (
    STATE_KINDS,
    actor_from,
    actor_of,
    state_from,
    state_from_loaded,
    state_of,
)
from escalate.policies import calendar
from escalate.policies.models import PolicyVersion
from escalate.policies.schema import DecisionMaker, PolicySpec, Stage
from escalate.vocabulary import Status

_RELATED = (
    "partnership",
    "policy_version",
    "raised_by",
    "raiser_agency",
    "respondent_agency",
    "respondent_person",
)
# The policy's text is large and never needed per row: `PolicyVersion.spec` is parsed once per
# process from its checksum (and reads the document only the first time).
POLICY_TEXT = ("policy_version__document", "policy_version__source_text")


# The columns a list row shows (escalations/_list.html and home's rows): a row reads nothing
# else, so the other 30 columns of the escalation and those of its policy version and agencies
# are neither selected nor made into attributes (PostgreSQL returns 15 columns instead of 61).
# The policy version's checksum finds its parsed spec (PolicyVersion.spec) for the stage name.
LIST_FIELDS = (
    "reference",
    "subject_name",
    "status",
    "current_stage_key",
    "stage_due_at",
    "policy_version__checksum",
    "raiser_agency__name",
    "respondent_agency__name",
)


def policy_versions_granting(person: Person) -> list[int]:
    """Ids of the partnership's policy versions whose access_roles include one of person's.

    Asked on most pages (visibility, navigation), so the answer is kept on the person object for
    the rest of the request, and read from the stored document without re-validating it.
    """
    cached: list[int] | None = person.__dict__.get("_policy_versions_granting")
    if cached is not None:
        return cached
    roles = person.role_set
    granted: list[int] = []
    if roles and person.partnership_id is not None:
        for pk, access_roles in PolicyVersion.objects.filter(
            partnership_id=person.partnership_id
        ).values_list("pk", "document__access_roles"):
            if any(role in roles for role in access_roles or []):
                granted.append(pk)
    person.__dict__["_policy_versions_granting"] = granted
    return granted


class _InArray(In):
    """`IN (subquery)`, written for PostgreSQL as `= ANY(ARRAY(subquery))`.

    The array is computed once, before the outer query, and the planner looks its rows up by
    key. With `IN`/`EXISTS` PostgreSQL misjudges lists such as "partnership and (raiser agency
    or respondent agency) and participates" (it takes the conditions as independent and expects
    7 rows) and checks ~1,100 escalations against the participants instead of fetching the
    person's ~100 participations (docs/performance.md).
    """

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        rhs_sql, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs_sql} = ANY(ARRAY{rhs_sql})", (*lhs_params, *rhs_params)


def escalations_visible_to(person: Person) -> QuerySet[Escalation]:
    """Every escalation `person` may see, newest first."""
    if not person.is_authenticated or person.partnership_id is None or not person.is_active:
        return Escalation.objects.none()
    # A person takes part in a few hundred escalations at most (a busy manager, over years):
    # those are read first, then their escalations by key.
    participations = Participant.objects.filter(person=person).order_by().values("escalation_id")
    rule = Q(_InArray(F("pk"), participations))
    granted = policy_versions_granting(person)
    if granted:
        rule |= Q(policy_version_id__in=granted)
    return (
        Escalation.objects.filter(partnership_id=person.partnership_id)
        .filter(rule)
        .select_related(*_RELATED)
        .defer(*POLICY_TEXT)
        .order_by("-raised_at", "-pk")
    )


def access_escalation(person: Person, reference: str) -> Escalation:
    """The escalation with `reference` if `person` may see it; Http404 otherwise."""
    try:
        return escalations_visible_to(person).get(reference=reference)
    except Escalation.DoesNotExist:
        raise Http404("No escalation found") from None


def access_action(person: Person, action_id: int) -> Action:
    """An action on an escalation `person` may see; Http404 otherwise."""
    try:
        return (
            Action.objects.select_related("escalation", "owner", "created_by", "done_by")
            .filter(escalation__in=escalations_visible_to(person).values("pk"))
            .get(pk=action_id)
        )
    except Action.DoesNotExist:
        raise Http404("No action found") from None


def access_entry(person: Person, reference: str, entry_id: int) -> ChronologyEntry:
    """A timeline entry of an escalation `person` may see; Http404 otherwise."""
    escalation = access_escalation(person, reference)
    entry = (
        ChronologyEntry.objects.filter(escalation=escalation, pk=entry_id)
        .select_related("actor")
        .first()
    )
    if entry is None:
        raise Http404("No such entry")
    entry.escalation = escalation
    return entry


def raised_by(person: Person) -> QuerySet[Escalation]:
    """Escalations `person` raised."""
    return escalations_visible_to(person).filter(raised_by=person)


def waiting_for(person: Person) -> QuerySet[Escalation]:
    """Open escalations where `person` acts at the current stage, other than ones they raised."""
    acting = Participant.objects.filter(
        escalation=OuterRef("pk"),
        person=person,
        stage_key=OuterRef("current_stage_key"),
        part__in=[
            Part.RESPONDENT,
            Part.RESPONDENT_MANAGER,
            Part.RAISER_MANAGER,
            Part.PANEL_MEMBER,
        ],
    )
    return (
        escalations_visible_to(person)
        .exclude(status__in=CLOSED_STATUSES)
        .exclude(raised_by=person)
        .filter(Exists(acting))
        .order_by("stage_due_at", "pk")
    )


# Who keeps the queue of the stages the partnership chair decides (issue 15: "the Chair and the
# business unit have a queue of everything at Stage 4").
DECISION_QUEUE_ROLES = (Role.PARTNERSHIP_CHAIR, Role.BUSINESS_MANAGER)


def at_chair_stages(person: Person) -> Q:
    """Escalations of `person`'s partnership at a stage its policy version says the partnership
    chair decides (`decision_maker: partnership_chair`), as a condition. Each version's own
    stage keys: an escalation keeps the version it began under."""
    cached: Q | None = person.__dict__.get("_at_chair_stages")
    if cached is not None:
        return cached
    rule = Q(pk__in=[])
    if person.partnership_id is None:
        return rule
    versions = PolicyVersion.objects.filter(partnership_id=person.partnership_id).defer(
        "source_text"
    )
    for version in versions:
        keys = [
            stage.key
            for stage in version.spec.stages
            if deciding.decision_maker(version.spec, stage.key) == DecisionMaker.PARTNERSHIP_CHAIR
        ]
        if keys:
            rule |= Q(policy_version_id=version.pk, current_stage_key__in=keys)
    person.__dict__["_at_chair_stages"] = rule
    return rule


def decision_queue(person: Person) -> QuerySet[Escalation]:
    """For the partnership chair and the business unit: every open escalation at a stage the
    chair decides (Havering Stage 4), the nearest deadline first."""
    if not person.is_authenticated or not person.has_role(*DECISION_QUEUE_ROLES):
        return Escalation.objects.none()
    return (
        escalations_visible_to(person)
        .exclude(status__in=CLOSED_STATUSES)
        .filter(at_chair_stages(person))
        .order_by("stage_due_at", "pk")
    )


def overdue_in_partnership(person: Person) -> QuerySet[Escalation]:
    """For the business unit: every open escalation of the partnership past its stage's due
    date (a paused one's clock is stopped), the longest overdue first."""
    if not person.is_authenticated or not person.has_role(Role.BUSINESS_MANAGER):
        return Escalation.objects.none()
    return (
        escalations_visible_to(person)
        .filter(status=Status.OPEN, stage_due_at__lt=timezone.now())
        .order_by("stage_due_at", "pk")
    )


def agency_escalations(person: Person) -> QuerySet[Escalation]:
    """Visible escalations raised by or about `person`'s agency."""
    if person.agency_id is None:
        return Escalation.objects.none()
    return escalations_visible_to(person).filter(
        Q(raiser_agency_id=person.agency_id) | Q(respondent_agency_id=person.agency_id)
    )


def team_escalations(person: Person) -> QuerySet[Escalation]:
    """Visible escalations raised by or about the people `person` line-manages."""
    return escalations_visible_to(person).filter(
        Q(raised_by__line_manager=person) | Q(respondent_person__line_manager=person)
    )


def manager_queue(person: Person) -> QuerySet[Escalation]:
    """Open escalations where `person` is a manager participant at the current stage."""
    managing = Participant.objects.filter(
        escalation=OuterRef("pk"),
        person=person,
        part__in=MANAGER_PARTS,
        stage_key=OuterRef("current_stage_key"),
    )
    return (
        escalations_visible_to(person)
        .exclude(status__in=CLOSED_STATUSES)
        .filter(Exists(managing))
        .order_by("stage_due_at", "pk")
    )


def actions_for(person: Person) -> QuerySet[Action]:
    """Actions `person` owns: overdue first, then open ones by due date, then done ones."""
    today = timezone.localdate()
    if person.partnership_id is None:
        return Action.objects.none()
    return (
        Action.objects.filter(owner=person, escalation__partnership_id=person.partnership_id)
        .select_related("escalation", "created_by")
        .annotate(
            sort_group=Case(
                When(done_at__isnull=False, then=Value(2)),
                When(due_on__lt=today, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("sort_group", "due_on", "pk")
    )


def decision_draft_for(person: Person, escalation: Escalation, action: str) -> DecisionDraft | None:
    """`person`'s own draft of `action` on `escalation`: nobody else's, ever."""
    return DecisionDraft.objects.filter(person=person, escalation=escalation, action=action).first()


def raise_draft_for(person: Person) -> RaiseDraft | None:
    """The person's draft escalation, if they have one."""
    return RaiseDraft.objects.filter(person=person).order_by("-updated_at", "-pk").first()


# --- the escalation page -----------------------------------------------------------------


@dataclass(frozen=True)
class PendingProposal:
    """A proposed resolution waiting for the other side's answer (issue 15)."""

    entry: ChronologyEntry  # its text is the decision; data holds the proposed actions
    side: str  # "raiser" or "respondent": who proposed it
    answer_due_at: datetime
    with_raiser_manager: bool  # unanswered in time, it went to the raiser's manager

    @property
    def proposed_actions(self) -> list[dict[str, Any]]:
        rows = self.entry.data.get("proposed_actions") if isinstance(self.entry.data, dict) else []
        return [row for row in rows or [] if isinstance(row, dict)]


def pending_proposal(
    state: workflow.EscalationState, timeline: list[ChronologyEntry]
) -> PendingProposal | None:
    """The proposal waiting for an answer, with its timeline entry (the latest proposed)."""
    if state.proposal is None:
        return None
    entries = [
        e
        for e in timeline
        if e.kind == EntryKind.RESOLUTION_PROPOSED and e.stage_key == state.stage_key
    ]
    if not entries:
        return None
    return PendingProposal(
        entry=max(entries, key=lambda e: e.pk),
        side=state.proposal.side,
        answer_due_at=state.proposal.answer_due_at,
        with_raiser_manager=state.proposal.with_raiser_manager,
    )


def seated_panel_member_ids(escalation: Escalation) -> QuerySet[Panel, int]:
    """The ids of the people seated on the escalation's Resolution Panel (a subquery; the caller
    has already checked the person may see the escalation)."""
    return Panel.objects.filter(escalation=escalation).values_list("members__pk", flat=True)


def proposal_of(escalation: Escalation) -> PendingProposal | None:
    """The pending proposal of `escalation` (for the pages that answer it)."""
    entries = list(
        escalation.chronology.filter(
            kind=EntryKind.RESOLUTION_PROPOSED, stage_key=escalation.current_stage_key
        ).select_related("actor")
    )
    return pending_proposal(state_of(escalation), entries)


@dataclass(frozen=True)
class EscalationPage:
    escalation: Escalation
    spec: PolicySpec
    stage: Stage
    stage_number: int  # 1-based
    stage_count: int
    next_stage: Stage | None
    due_at: datetime | None
    working_days_left: int | None  # negative when overdue; None when closed or hours-based
    is_overdue: bool
    next_steps: str
    allowed_actions: frozenset[str]
    completable_action_ids: frozenset[int]  # agreed actions the person may mark done
    correctable_entry_ids: frozenset[int]  # timeline entries the person may correct
    participants: list[Participant]
    actions: list[Action]
    timeline: list[ChronologyEntry]
    stages: list[StageRecord]
    panel: Panel | None
    version: int
    proposal: PendingProposal | None = None  # a proposed resolution waiting for an answer
    asked: tuple[deciding.Asked, ...] = ()  # what the escalation waits for, from whom
    to_do: NextStep | None = None  # "What you need to do", for this person
    linked: tuple[Escalation, ...] = ()  # about the same person, that the person may also see

    def can(self, action_name: str) -> bool:
        return action_name in self.allowed_actions


def refusal_of(escalation: Escalation, person: Person, action_name: str) -> str | None:
    """Why `person` may not do `action_name` to `escalation` now, or None: the core's answer."""
    if action_name not in allowed_actions(escalation, person):
        return (
            workflow.refusal(
                escalation.policy_version.spec,
                state_of(escalation),
                actor_of(escalation, person),
                action_name,
            )
            or "You cannot do this now."
        )
    return None


def allowed_actions(escalation: Escalation, person: Person) -> frozenset[str]:
    """What `person` may do to `escalation` now: the core's answer (asked again when done)."""
    return workflow.allowed_actions(
        escalation.policy_version.spec,
        state_of(escalation),
        actor_of(escalation, person),
        timezone.now(),
    )


def working_days_left(
    due_at: datetime | None, nation: str, today: date | None = None
) -> int | None:
    if due_at is None:
        return None
    today = today or timezone.localdate()
    return calendar.working_days_between(today, due_at.astimezone(calendar.LONDON).date(), nation)


def escalation_page(escalation: Escalation, person: Person) -> EscalationPage:
    """Everything the escalation page shows to `person` (who must be able to see it)."""
    spec = escalation.policy_version.spec
    stage = spec.stage(escalation.current_stage_key)
    index = spec.stage_index(stage.key)
    closed = escalation.status in CLOSED_STATUSES
    due = None if closed else escalation.stage_due_at
    entries = list(
        escalation.chronology.select_related("actor", "corrects").order_by("recorded_at", "pk")
    )
    timeline = without_hidden_links(entries, person)
    actions = list(
        escalation.actions.select_related("owner", "created_by", "done_by").order_by(
            "done_at", "due_on", "pk"
        )
    )
    # Loaded once for the page and kept on the escalation, where whatever else the page shows
    # about them reads them (the forms offered: reports.services.forms_offered).
    prefetch_related_objects(
        [escalation],
        Prefetch(
            "participants",
            queryset=Participant.objects.select_related("person", "person__agency").order_by(
                "added_at", "pk"
            ),
        ),
        Prefetch("stages", queryset=StageRecord.objects.order_by("index")),
    )
    stages = list(escalation.stages.all())
    panel = (
        Panel.objects.filter(escalation=escalation).prefetch_related("members", "agencies").first()
    )
    state = state_from_loaded(escalation, entries, stages, panel)
    actor = actor_from(
        escalation,
        person,
        [(p.part, p.stage_key) for p in escalation.participants.all() if p.person_id == person.pk],
    )
    allowed = workflow.allowed_actions(spec, state, actor, timezone.now())
    return EscalationPage(
        escalation=escalation,
        spec=spec,
        stage=stage,
        stage_number=index + 1,
        stage_count=len(spec.stages),
        next_stage=spec.next_stage(stage.key),
        due_at=due,
        working_days_left=working_days_left(due, spec.nation.value),
        is_overdue=due is not None and due < timezone.now(),
        next_steps=stage.guidance,
        allowed_actions=allowed,
        completable_action_ids=frozenset(
            action.pk
            for action in actions
            if workflow.may(
                spec,
                state,
                actor,
                "complete_action",
                workflow.ActionItem(
                    done=action.done_at is not None,
                    owner_or_creator=person.pk in (action.owner_id, action.created_by_id),
                ),
            )
        ),
        correctable_entry_ids=frozenset(
            entry.pk
            for entry in timeline
            if workflow.may(
                spec,
                state,
                actor,
                "correct_entry",
                workflow.EntryItem(by_author=entry.actor_id == person.pk),
            )
        ),
        participants=list(escalation.participants.all()),
        actions=actions,
        timeline=timeline,
        stages=stages,
        panel=panel,
        version=escalation.version,
        proposal=pending_proposal(state, timeline),
        asked=tuple(deciding.asked(spec, state)),
        to_do=next_step(
            spec,
            state,
            actor,
            allowed=allowed,
            rationale_question=_rationale_question(state, timeline),
            own_actions=tuple(
                (action.pk, action.description, action.due_on)
                for action in actions
                if action.owner_id == person.pk and action.done_at is None
            ),
            today=timezone.localdate(),
            person_level=person.level,
        ),
        linked=tuple(linked_escalations(escalation, person)) if escalation.has_links else (),
    )


def rationale_question_of(escalation: Escalation) -> str:
    """The question of the rationale request waiting for an answer (for the page that answers)."""
    entries = list(
        escalation.chronology.filter(
            kind=EntryKind.RATIONALE_REQUESTED, stage_key=escalation.current_stage_key
        ).order_by("recorded_at", "pk")
    )
    return _rationale_question(state_of(escalation), entries)


def _rationale_question(state: workflow.EscalationState, timeline: list[ChronologyEntry]) -> str:
    """The question of the rationale request waiting for an answer at this stage, if any."""
    if not state.rationale_requested:
        return ""
    asked = [
        entry
        for entry in timeline
        if entry.kind == EntryKind.RATIONALE_REQUESTED and entry.stage_key == state.stage_key
    ]
    return asked[-1].text if asked else ""


def without_hidden_links(
    entries: list[ChronologyEntry], person: Person | None
) -> list[ChronologyEntry]:
    """`entries` less each "link removed" entry about an escalation `person` may not see: that a
    link existed would tell them the other escalation exists. (No query unless there is one;
    `person` None: the caller has checked they may see every escalation.)"""
    others = {entry.data.get("other") for entry in entries if entry.kind == EntryKind.LINK_REMOVED}
    if not others or person is None:
        return entries
    visible = set(escalations_visible_to(person).filter(pk__in=others).values_list("pk", flat=True))
    return [
        entry
        for entry in entries
        if entry.kind != EntryKind.LINK_REMOVED or entry.data.get("other") in visible
    ]


def linked_escalations(escalation: Escalation, person: Person) -> QuerySet[Escalation]:
    """The escalations linked to `escalation` (earlier or later, about the same person) that
    `person` may see too: a link to one they may not see is not shown, nor hinted at."""
    earlier = EscalationLink.objects.filter(later=escalation).values("earlier_id")
    later = EscalationLink.objects.filter(earlier=escalation).values("later_id")
    return escalations_visible_to(person).filter(Q(pk__in=earlier) | Q(pk__in=later))


def people_told(escalation: Escalation) -> list[str]:
    """Who has been told about `escalation` so far, as the chronology recorded them, once each."""
    told: dict[str, str] = {}
    entries = ChronologyEntry.objects.filter(
        escalation=escalation, kind=EntryKind.NOTIFICATION
    ).order_by("pk")
    for entry in entries:
        for recipient in (entry.data or {}).get("recipients", []):
            told.setdefault(str(recipient.get("key")), str(recipient.get("label", "")))
    return [label for label in told.values() if label]


def dsl_not_reached(
    escalation: Escalation, timeline: Iterable[ChronologyEntry] | None = None
) -> bool:
    """Immediate harm, and no designated safeguarding lead or agency safeguarding contact has
    been told: the escalation page warns (the business unit was told instead, if it could be).
    `timeline`, when the caller has the entries already, saves the query.
    """
    if not escalation.immediate_harm:
        return False
    if timeline is None:
        timeline = ChronologyEntry.objects.filter(
            escalation=escalation, kind=EntryKind.NOTIFICATION
        )
    return not any(
        recipient.get("part") == Part.DSL
        for entry in timeline
        if entry.kind == EntryKind.NOTIFICATION
        for recipient in (entry.data or {}).get("recipients", [])
    )


# --- home: "Needs your action" and "Following" ----------------------------------------------

FOLLOWING_PAGE = 25


@dataclass(frozen=True)
class NeedsAction:
    """One escalation waiting for this person: what is needed (the first task) and by when."""

    escalation: Escalation
    what: str
    due_at: datetime | None
    working_days_left: int | None

    @property
    def is_overdue(self) -> bool:
        # As the escalation page says it: the moment has passed. (Counting working days would
        # show a deadline missed on Friday evening as "today" all weekend.)
        return self.due_at is not None and self.due_at < timezone.now()


def _state_annotations(escalation_id: Any, stage_key: Any, person: Person) -> dict[str, Any]:
    """What a list row needs to build the escalation's state and the person's own action, read
    in the row's own query (subqueries, not a query per row)."""
    record = StageRecord.objects.filter(escalation=escalation_id, stage_key=stage_key).order_by(
        "-index"
    )
    own = Action.objects.filter(
        escalation=escalation_id, owner=person, done_at__isnull=True
    ).order_by("due_on", "pk")
    return {
        "row_started_at": Subquery(record.values("started_at")[:1]),
        "row_paused_at": Subquery(record.values("paused_at")[:1]),
        "row_panel": Exists(Panel.objects.filter(escalation=escalation_id)),
        "row_panel_decided": Exists(
            Panel.objects.filter(escalation=escalation_id, decided_at__isnull=False)
        ),
        "row_action_id": Subquery(own.values("pk")[:1]),
        "row_action_text": Subquery(own.values("description")[:1]),
        "row_action_due": Subquery(own.values("due_on")[:1]),
    }


def needs_action_for(person: Person) -> list[NeedsAction]:
    """The escalations waiting for `person` now, overdue first, then by when.

    Worked out as the escalation page's "What you need to do" is (next_step, from the core's
    allowed actions): an escalation is listed when something is asked of this person. Read in
    two queries whatever the number: the person's participations with each escalation's stage
    facts, then the current stages' entries (a third for the partnership chair's stages).
    """
    if not person.is_authenticated or person.partnership_id is None or not person.is_active:
        return []
    rows = list(
        Participant.objects.filter(person=person, escalation__partnership_id=person.partnership_id)
        # A closed escalation waits only for the actions agreed in it: its action owners, who
        # may also hold another part (the respondent owning the action they proposed).
        .filter(
            ~Q(escalation__status__in=CLOSED_STATUSES)
            | Q(part=Part.ACTION_OWNER)
            | Exists(
                Action.objects.filter(
                    escalation=OuterRef("escalation_id"), owner=person, done_at__isnull=True
                )
            )
        )
        .select_related(
            "escalation",
            "escalation__policy_version",
            "escalation__raiser_agency",
            "escalation__respondent_agency",
        )
        .defer(*(f"escalation__{name}" for name in POLICY_TEXT))
        .annotate(
            **_state_annotations(
                OuterRef("escalation_id"), OuterRef("escalation__current_stage_key"), person
            )
        )
        .order_by("escalation_id", "pk")
    )
    found: dict[int, tuple[Escalation, Any, list[tuple[str, str]]]] = {}
    for row in rows:
        entry = found.setdefault(row.escalation_id, (row.escalation, row, []))
        entry[2].append((row.part, row.stage_key))
    if Role.PARTNERSHIP_CHAIR in person.role_set:
        for escalation in (
            escalations_visible_to(person)
            .exclude(status__in=CLOSED_STATUSES)
            .exclude(pk__in=list(found))
            .annotate(**_state_annotations(OuterRef("pk"), OuterRef("current_stage_key"), person))
            .order_by("stage_due_at", "pk")[:200]
        ):
            found[escalation.pk] = (escalation, escalation, [])
    if not found:
        return []
    entries: dict[int, list[tuple[str, Any, datetime, str]]] = {}
    stage_of = {pk: escalation.current_stage_key for pk, (escalation, _, _) in found.items()}
    for escalation_id, stage_key, kind, data, occurred_at, text in (
        ChronologyEntry.objects.filter(escalation_id__in=list(found), kind__in=STATE_KINDS)
        .order_by("pk")
        .values_list("escalation_id", "stage_key", "kind", "data", "occurred_at", "text")
    ):
        if stage_key == stage_of[escalation_id]:
            entries.setdefault(escalation_id, []).append((kind, data, occurred_at, text))
    today = timezone.localdate()
    now = timezone.now()
    waiting = []
    for pk, (escalation, facts, parts) in found.items():
        spec = escalation.policy_version.spec
        state = state_from(
            escalation,
            started_at=facts.row_started_at,
            paused_at=facts.row_paused_at,
            entries=entries.get(pk, []),
            panel_convened=facts.row_panel,
            panel_decided=facts.row_panel_decided,
        )
        actor = actor_from(escalation, person, parts)
        own = (
            ((facts.row_action_id, facts.row_action_text, facts.row_action_due),)
            if facts.row_action_id is not None
            else ()
        )
        step = next_step(
            spec,
            state,
            actor,
            allowed=workflow.allowed_actions(spec, state, actor, now),
            own_actions=own,
            today=today,
            person_level=person.level,
        )
        if not step.tasks:
            continue
        task = min(step.tasks, key=lambda t: (t.due_at is None, t.due_at or now))
        waiting.append(
            NeedsAction(
                escalation=escalation,
                what=task.what,
                due_at=task.due_at,
                working_days_left=task.working_days_left,
            )
        )
    waiting.sort(key=lambda row: (not row.is_overdue, row.due_at is None, row.due_at or now))
    return waiting


@dataclass(frozen=True)
class FollowingFilters:
    stage: int | None = None  # 1-based stage number
    status: str = ""
    agency: int | None = None
    overdue: bool = False


def following(
    person: Person, filters: FollowingFilters, *, page: int, leave_out: Iterable[int]
) -> tuple[list[Escalation], bool]:
    """A page of the escalations `person` may see, other than `leave_out` (their "Needs your
    action" rows), newest first, filtered; and whether there is a next page."""
    rows = escalations_visible_to(person).exclude(pk__in=list(leave_out))
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.agency is not None:
        rows = rows.filter(
            Q(raiser_agency_id=filters.agency) | Q(respondent_agency_id=filters.agency)
        )
    if filters.overdue:
        rows = rows.filter(status=workflow.OPEN, stage_due_at__lt=timezone.now())
    if filters.stage is not None:
        rows = rows.filter(
            Exists(
                StageRecord.objects.filter(
                    escalation=OuterRef("pk"),
                    stage_key=OuterRef("current_stage_key"),
                    index=filters.stage - 1,
                )
            )
        )
    start = (page - 1) * FOLLOWING_PAGE
    found = list(
        rows.select_related(None)
        .select_related("policy_version", "raiser_agency", "respondent_agency")
        .only(*LIST_FIELDS)[start : start + FOLLOWING_PAGE + 1]
    )
    return found[:FOLLOWING_PAGE], len(found) > FOLLOWING_PAGE
