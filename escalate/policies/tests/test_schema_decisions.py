"""Who decides, in the policy file: decision-makers, proposals, reopening, tiers, timescales,
urgent timescales and pauses. Each shipped file says it, and a bad value gets a precise error."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from escalate.policies.loader import parse_policy_file
from escalate.policies.schema import (
    DecisionMaker,
    ReopenTo,
    StageEntryRecord,
    WhenUnanswered,
)
from escalate.policies.tests.test_loader import SHIPPED, dump, error_for, havering_data

POLICIES = Path(settings.POLICY_DIR)


def shipped(name: str):  # type: ignore[no-untyped-def]
    return parse_policy_file(POLICIES / name)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_policy_says_who_decides_each_stage_and_cites_it(name: str) -> None:
    spec = shipped(name)
    text = (POLICIES / name).read_text()
    assert text.count("decision_maker:") == len(spec.stages)
    for line_number, line in enumerate(text.splitlines()):
        if line.strip().startswith("decision_maker:"):
            before = text.splitlines()[line_number - 1].strip()
            assert before.startswith("#"), f"{name}: decision_maker without a comment"
    # The parties decide the first stages; a proposal from one side needs the other's answer.
    assert spec.stages[0].decision_maker == DecisionMaker.PARTIES
    for section in ("proposals:", "reopen:", "timescale_changes:", "pause:"):
        assert section in text, f"{name} does not state {section}"


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_stage_has_an_urgent_timescale_no_longer_than_its_own(name: str) -> None:
    for stage in shipped(name).stages:
        assert stage.urgent_timescale is not None
        assert stage.urgent_timescale.working_days is not None
        assert stage.timescale.working_days is not None
        assert stage.urgent_timescale.working_days <= stage.timescale.working_days


def test_havering_stage_4_is_the_chairs_after_board_members_were_engaged() -> None:
    spec = shipped("havering.yaml")
    stage_4 = spec.stage("stage_4")
    assert stage_4.decision_maker == DecisionMaker.PARTNERSHIP_CHAIR
    assert stage_4.entry_requires == [StageEntryRecord.BOARD_ENGAGEMENT]
    assert spec.stage("stage_3").tiers == 3
    assert spec.panel is not None and spec.panel.candidates_board_senior_officers
    assert spec.timescale_changes.maximum_working_days == 5
    assert spec.stage("stage_1").urgent_timescale.working_days == 0  # type: ignore[union-attr]


def test_the_guide_lets_step_2_managers_set_a_timescale_and_reopens_to_the_next_step() -> None:
    spec = shipped("practitioner-guide.yaml")
    assert spec.timescale_changes.may_set_at == ["stage_2"]
    assert spec.reopen.returns_to == ReopenTo.NEXT_STAGE
    assert spec.stage("stage_4").decision_maker == DecisionMaker.PARTNERSHIP_CHAIR
    assert spec.proposals.when_unanswered == WhenUnanswered.RAISER_MANAGER


def test_waltham_forest_keeps_going_up_the_hierarchy_with_no_outside_decision_maker() -> None:
    spec = shipped("waltham-forest.yaml")
    assert {stage.decision_maker for stage in spec.stages} == {DecisionMaker.PARTIES}
    assert spec.stage("stage_3").tiers == 3


def test_a_file_without_the_new_sections_gets_the_standard_rules(tmp_path: Path) -> None:
    data = havering_data()
    for section in ("proposals", "reopen", "timescale_changes", "pause"):
        del data[section]
    for stage in data["stages"]:
        for field in ("tiers", "urgent_timescale", "entry_requires"):
            stage.pop(field, None)
    path = tmp_path / "old.yaml"
    path.write_text(dump(data))
    spec = parse_policy_file(path)
    assert spec.proposals.answer_within_working_days == 2
    assert spec.reopen.returns_to == ReopenTo.CLOSING_STAGE
    assert spec.stage("stage_1").rationale_due_working_days is None
    assert spec.pause.urgent_needs_raiser_manager_agreement


def test_a_panel_stage_decided_by_the_parties_is_refused(tmp_path: Path) -> None:
    data = havering_data()
    data["stages"][3]["decision_maker"] = "parties"
    error = error_for(tmp_path, dump(data))
    assert error.path == "stages[3].decision_maker"
    assert "expected decision_maker: partnership_chair" in error.problem
    assert error.line is not None


def test_an_unknown_decision_maker_lists_the_known_ones(tmp_path: Path) -> None:
    data = havering_data()
    data["stages"][0]["decision_maker"] = "the_respondent"
    error = error_for(tmp_path, dump(data))
    assert error.path == "stages[0].decision_maker"
    assert "'parties'" in error.problem and "'partnership_chair'" in error.problem


def test_an_urgent_timescale_longer_than_the_stage_is_refused(tmp_path: Path) -> None:
    data = havering_data()
    data["stages"][1]["urgent_timescale"] = {"hours": 200}
    error = error_for(tmp_path, dump(data))
    assert error.path == "stages[1].urgent_timescale"
    assert "no longer than the ordinary one" in error.problem


def test_board_engagement_cannot_be_required_before_the_first_stage(tmp_path: Path) -> None:
    data = havering_data()
    data["stages"][0]["entry_requires"] = ["board_engagement"]
    assert error_for(tmp_path, dump(data)).path == "stages[0].entry_requires"


def test_a_timescale_setting_stage_must_exist(tmp_path: Path) -> None:
    data = havering_data()
    data["timescale_changes"]["may_set_at"] = ["stage_9"]
    error = error_for(tmp_path, dump(data))
    assert error.path == "timescale_changes.may_set_at[0]"
    assert "stage_1, stage_2, stage_3, stage_4" in error.problem


@pytest.mark.parametrize(
    ("section", "field", "value", "path"),
    [
        ("proposals", "when_unanswered", "ignored", "proposals.when_unanswered"),
        ("proposals", "answer_within_working_days", -1, "proposals.answer_within_working_days"),
        ("reopen", "returns_to", "stage_1", "reopen.returns_to"),
        ("pause", "review_within_working_days", 0, "pause.review_within_working_days"),
        ("timescale_changes", "by", ["respondent"], "timescale_changes.by[0]"),
    ],
)
def test_bad_values_in_the_decision_sections_name_the_field(
    tmp_path: Path, section: str, field: str, value: object, path: str
) -> None:
    data = havering_data()
    data[section][field] = value
    error = error_for(tmp_path, dump(data))
    assert error.path == path
    assert "expected" in error.problem


def test_too_many_tiers_are_refused(tmp_path: Path) -> None:
    data = havering_data()
    data["stages"][2]["tiers"] = 9
    error = error_for(tmp_path, dump(data))
    assert error.path == "stages[2].tiers" and "less than or equal to 6" in error.problem


def test_a_version_stored_before_decision_makers_existed_loads_with_the_chair_at_the_panel_stage(
    tmp_path: Path,
) -> None:
    data = havering_data()
    for stage in data["stages"]:
        stage.pop("decision_maker", None)
    path = tmp_path / "stored.yaml"
    path.write_text(dump(data))
    spec = parse_policy_file(path)
    assert spec.stage("stage_4").decision_maker == DecisionMaker.PARTNERSHIP_CHAIR
    assert spec.stage("stage_1").decision_maker == DecisionMaker.PARTIES
