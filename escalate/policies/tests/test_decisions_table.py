"""docs/policies.md lists, per shipped policy, which decisions are data and their values (issue
15's closing note). The values are rendered from the policy files here, so the table cannot go
stale: change a policy and this test prints the rows the table must now hold."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from escalate.policies.labels import join_words, timescale_text
from escalate.policies.loader import parse_policy_file
from escalate.policies.schema import (
    DEFAULT_PROTECTIVE_ACTIONS,
    DecisionMaker,
    PolicySpec,
    Stage,
    StageEntryRecord,
    TimescaleSetter,
    WhenUnanswered,
)
from escalate.policies.tests.test_loader import SHIPPED

POLICIES = Path(settings.POLICY_DIR)
DOC = Path(settings.BASE_DIR) / "docs" / "policies.md"
SECTION = "## Which decisions are data, per shipped policy"
ENTRY = {StageEntryRecord.BOARD_ENGAGEMENT: "the Board members engaged are recorded"}
SETTERS = {
    TimescaleSetter.STAGE_MANAGERS: "managers at the stage on either side",
    TimescaleSetter.PARTNERSHIP_CHAIR: "the partnership chair",
}


def _who_decides(stage: Stage, spec: PolicySpec) -> str:
    if stage.decision_maker == DecisionMaker.PARTIES:
        who = "the parties (one side proposes, the other accepts)"
    elif spec.panel is not None and spec.panel.stage == stage.key:
        who = "the partnership chair, directly or by a Resolution Panel"
    else:
        who = "the partnership chair"
    parts = [who]
    if stage.tiers > 1:
        parts.append(f"{stage.tiers} tiers of management")
    if "rationale" in stage.must_record:
        parts.append("the rationale asked for before moving up")
    if stage.entry_requires:
        parts.append("entered only once " + join_words([ENTRY[r] for r in stage.entry_requires]))
    return "; ".join(parts)


def _timescale(stage: Stage) -> str:
    text = timescale_text(stage.timescale) + (" (default)" if stage.timescale.is_default else "")
    urgent = timescale_text(stage.urgent_timescale) if stage.urgent_timescale else "as routine"
    rationale = stage.rationale_due_working_days
    due = "with the stage" if rationale is None else f"in {rationale} working days"
    return f"{text}; urgent: {urgent}; rationale request due {due}"


def decision_rows(spec: PolicySpec) -> list[tuple[str, str]]:
    """(decision, value) for each decision the policy holds as data."""
    rows: list[tuple[str, str]] = []
    for stage in spec.stages:
        rows.append((f"{stage.name}: who decides", _who_decides(stage, spec)))
        rows.append((f"{stage.name}: timescale", _timescale(stage)))
    proposals = spec.proposals
    unanswered = (
        "it is accepted"
        if proposals.when_unanswered == WhenUnanswered.ACCEPTED
        else "it goes to the raiser's manager"
    )
    rows.append(
        (
            "A proposed resolution left unanswered",
            f"after {proposals.answer_within_working_days} working days {unanswered}",
        )
    )
    changes = spec.timescale_changes
    names = {stage.key: stage.name.split(":")[0] for stage in spec.stages}
    set_at = join_words([names[key] for key in changes.may_set_at]) or "no stage"
    rows.append(
        (
            "Due dates set per case",
            f"by {join_words([SETTERS[by] for by in changes.by])}; "
            f"shorten: {'yes' if changes.may_shorten else 'no'}; set later at: {set_at}; "
            f"at most {changes.maximum_working_days} working days"
            + (", may exceed it" if changes.may_exceed_maximum else ""),
        )
    )
    rows.append(
        (
            "Reopening",
            f"within {spec.reopen.within_working_days} working days, "
            f"returns to the {spec.reopen.returns_to.value.replace('_', ' ')}",
        )
    )
    pause = spec.pause
    rows.append(
        (
            "Pausing",
            f"reviewed within {pause.review_within_working_days} working days; an urgent one "
            + (
                "only with a raiser-side manager's agreement"
                if pause.urgent_needs_raiser_manager_agreement
                else "by either side"
            ),
        )
    )
    start = join_words([names[key] for key in spec.urgent.may_start_at])
    rows.append(("Immediate harm may start at", start or "the first stage only"))
    actions = spec.urgent.protective_action_choices
    rows.append(
        (
            "Protective actions asked for",
            "the default five"
            if tuple(actions) == DEFAULT_PROTECTIVE_ACTIONS
            else join_words([label for _, label in actions]),
        )
    )
    panel = spec.panel
    rows.append(
        (
            "Resolution Panel",
            "none"
            if panel is None
            else f"at {names[panel.stage]}; at least {panel.min_agencies} agencies"
            + ("; the disputing agencies included" if panel.must_include_disputing_agencies else "")
            + (
                "; senior officers of Board member agencies, those who handled it flagged"
                if panel.candidates_board_senior_officers
                else ""
            ),
        )
    )
    return rows


def documented_rows(name: str) -> list[tuple[str, str, str]]:
    """The rows of the table under '### `<name>`' in the section above."""
    text = DOC.read_text().split(SECTION, 1)[1]
    match = re.search(rf"^### `{re.escape(name)}`.*?\n(.*?)(?=^#|\Z)", text, re.M | re.S)
    assert match, f"docs/policies.md has no '### `{name}`' table under '{SECTION}'"
    rows = []
    for line in match.group(1).splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 3 and not set(cells[0]) <= {"-", " "}:
            rows.append((cells[0], cells[1], cells[2]))
    return rows[1:]  # the header


@pytest.mark.parametrize("name", SHIPPED)
def test_the_docs_list_each_decision_the_policy_holds_as_data_with_its_value(name: str) -> None:
    expected = decision_rows(parse_policy_file(POLICIES / name))
    documented = documented_rows(name)
    table = "\n".join(f"| {decision} | {value} | |" for decision, value in expected)
    assert [(d, v) for d, v, _ in documented] == expected, (
        f"docs/policies.md's table for {name} must read (decision and value columns):\n{table}"
    )
    assert all(cite for _, _, cite in documented), "every row cites its seed paragraph"
