"""Policy files: every shipped file validates, and every kind of bad file gets a precise error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from escalate.policies.loader import (
    PolicyFileError,
    checksum_of,
    parse_policy_file,
    parse_policy_text,
)
from escalate.policies.schema import Condition, Event, Recipient

SHIPPED = sorted(path.name for path in Path(settings.POLICY_DIR).glob("*.yaml"))
HAVERING = Path(settings.POLICY_DIR) / "havering.yaml"


def havering_data() -> dict:
    return yaml.safe_load(HAVERING.read_text().replace("- on:", "- 'on':"))


def write(tmp_path: Path, text: str, name: str = "policy.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def error_for(tmp_path: Path, text: str) -> PolicyFileError:
    with pytest.raises(PolicyFileError) as caught:
        parse_policy_file(write(tmp_path, text, "broken.yaml"))
    return caught.value


def dump(data: dict) -> str:
    return yaml.safe_dump(data, sort_keys=False)


def test_the_five_shipped_policies_and_the_scottish_variant_are_there() -> None:
    assert SHIPPED == [
        "havering.yaml",
        "pan-berkshire.yaml",
        "practitioner-guide-scotland.yaml",
        "practitioner-guide.yaml",
        "waltham-forest.yaml",
        "west-sussex.yaml",
    ]


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_policy_loads(name: str) -> None:
    spec = parse_policy_file(Path(settings.POLICY_DIR) / name)
    assert spec.stages and spec.categories and spec.conduct_signpost


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_policy_tells_the_people_the_process_needs(name: str) -> None:
    spec = parse_policy_file(Path(settings.POLICY_DIR) / name)

    def rules(event: Event) -> list[set[Recipient]]:
        return [set(rule.notify) for rule in spec.notifications if rule.on == event]

    changes = (
        Event.RAISED,
        Event.STAGE_ENTERED,
        Event.RATIONALE_GIVEN,
        Event.DISCUSSION_RECORDED,
        Event.PAUSED,
        Event.RESUMED,
        Event.RESOLVED,
        Event.PANEL_CONVENED,
        Event.PANEL_DECIDED,
        Event.OVERDUE,
    )
    for event in changes:
        assert any(Recipient.RAISER in notify for notify in rules(event)), event
    # An action's notices go to its owner, and only to them.
    for event in (Event.ACTION_ASSIGNED, Event.ACTION_OVERDUE):
        assert rules(event) == [{Recipient.ACTION_OWNER}], event
    assert any(Recipient.RESPONDENT in notify for notify in rules(Event.RATIONALE_REQUESTED))
    assert rules(Event.REMINDER)
    assert any(
        Recipient.COUNTERPART_MANAGERS in rule.notify and "stage_2" in rule.stages
        for rule in spec.notifications
        if rule.on == Event.STAGE_ENTERED
    )


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_policies_hold_no_real_contact_details(name: str) -> None:
    text = (Path(settings.POLICY_DIR) / name).read_text()
    assert not re.search(r"[\w.]+@[\w.]+", text), "an email address"
    assert not re.search(r"\b0\d{3,4}\s?\d{3}\s?\d{3,4}\b", text), "a phone number"
    for real_name in ("Peatling", "Newell"):
        assert real_name not in text


@pytest.mark.parametrize("name", SHIPPED)
def test_every_default_timescale_is_one_working_week_and_commented(name: str) -> None:
    spec = parse_policy_file(Path(settings.POLICY_DIR) / name)
    for stage in spec.stages:
        if stage.timescale.is_default:
            assert stage.timescale.working_days == 5
    text = (Path(settings.POLICY_DIR) / name).read_text()
    if any(stage.timescale.is_default for stage in spec.stages):
        assert "London" in text


def test_havering_tells_the_iro_at_stage_2_for_a_cp_plan_or_looked_after_child() -> None:
    spec = parse_policy_file(HAVERING)
    assert any(
        rule.on == Event.STAGE_ENTERED
        and rule.stages == ["stage_2"]
        and set(rule.when_any) == {Condition.CP_PLAN, Condition.LOOKED_AFTER}
        and rule.notify == [Recipient.IRO]
        for rule in spec.notifications
    )
    assert spec.panel is not None
    assert spec.panel.stage == "stage_4" and spec.panel.min_agencies == 3
    assert spec.panel.must_include_disputing_agencies
    assert spec.stages[0].timescale.working_days == 5 and not spec.stages[0].timescale.is_default


def test_west_sussex_tells_the_business_team_iro_and_cp_chairs_and_allows_a_later_start() -> None:
    spec = parse_policy_file(Path(settings.POLICY_DIR) / "west-sussex.yaml")
    recipients = {
        (rule.on, tuple(rule.when_any), recipient)
        for rule in spec.notifications
        for recipient in rule.notify
    }
    assert (Event.RAISED, (), Recipient.BUSINESS_TEAM) in recipients
    assert (Event.RAISED, (Condition.LOOKED_AFTER,), Recipient.IRO) in recipients
    assert (Event.RAISED, (Condition.CP_CONFERENCE,), Recipient.CP_CHAIR) in recipients
    assert "stage_2" in spec.urgent.may_start_at and spec.urgent.reason_required


def test_waltham_forest_covers_children_and_adults_and_signposts_the_ado_and_lado() -> None:
    spec = parse_policy_file(Path(settings.POLICY_DIR) / "waltham-forest.yaml")
    assert spec.covers == "both"
    assert "LADO" in spec.conduct_signpost and "ADO" in spec.conduct_signpost


def test_a_rule_key_called_on_is_read_as_a_string_not_a_boolean() -> None:
    spec = parse_policy_file(HAVERING)
    assert spec.notifications[0].on == Event.RAISED


def test_comments_and_layout_do_not_change_the_checksum(tmp_path: Path) -> None:
    edited = write(tmp_path, "# a new comment\n" + HAVERING.read_text() + "\n\n")
    assert checksum_of(parse_policy_file(edited)) == checksum_of(parse_policy_file(HAVERING))


def test_a_changed_timescale_changes_the_checksum() -> None:
    data = havering_data()
    data["stages"][1]["timescale"] = {"working_days": 2}
    changed = parse_policy_text(dump(data), source_name="x.yaml")
    assert checksum_of(changed) != checksum_of(parse_policy_file(HAVERING))


# Bad input: each error names the file, the field path (and line) and what is expected.


def test_malformed_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    error = error_for(tmp_path, "name: x\nstages:\n  - key: [unclosed\n")
    assert str(error).startswith("broken.yaml, line ")
    assert error.line is not None and error.line >= 3
    assert "not valid YAML" in str(error)


def test_a_file_that_is_not_a_mapping_says_what_is_expected(tmp_path: Path) -> None:
    error = error_for(tmp_path, "- just\n- a list\n")
    assert "expected a YAML mapping" in str(error)


def test_a_key_given_twice_in_one_mapping_is_refused(tmp_path: Path) -> None:
    text = HAVERING.read_text().replace(
        "short_name: Havering (HSCB)\n", "short_name: Havering (HSCB)\nshort_name: Again\n"
    )
    error = error_for(tmp_path, text)
    assert "'short_name' is given twice" in str(error)
    assert error.line == 7


def test_a_missing_file_is_reported_not_raised_as_oserror(tmp_path: Path) -> None:
    with pytest.raises(PolicyFileError, match="cannot be read"):
        parse_policy_file(tmp_path / "nowhere.yaml")


def test_a_negative_timescale_names_the_field_path(tmp_path: Path) -> None:
    data = havering_data()
    data["stages"][2]["timescale"] = {"working_days": -1}
    error = error_for(tmp_path, dump(data))
    assert error.path == "stages[2].timescale.working_days"
    assert "broken.yaml, line" in str(error)
    assert "got -1; expected greater than or equal to 0" in str(error)


def test_a_missing_timescale_says_what_a_timescale_looks_like(tmp_path: Path) -> None:
    data = havering_data()
    del data["stages"][1]["timescale"]
    error = error_for(tmp_path, dump(data))
    assert error.path == "stages[1].timescale"
    assert "missing; expected a timescale: working_days: N" in str(error)


def test_a_timescale_with_both_days_and_hours_is_refused(tmp_path: Path) -> None:
    data = havering_data()
    data["stages"][0]["timescale"] = {"working_days": 1, "hours": 48}
    error = error_for(tmp_path, dump(data))
    assert error.path == "stages[0].timescale"
    assert "give exactly one of working_days or hours" in str(error)


def test_duplicate_stage_keys_name_the_repeat(tmp_path: Path) -> None:
    data = havering_data()
    data["stages"][2]["key"] = "stage_2"
    error = error_for(tmp_path, dump(data))
    assert error.path == "stages[2].key"
    assert "repeated: stage_2" in str(error)
    assert error.line is not None


def test_an_unknown_stage_in_a_notification_rule_lists_the_known_ones(tmp_path: Path) -> None:
    data = havering_data()
    data["notifications"][12]["stages"] = ["stage_9"]
    error = error_for(tmp_path, dump(data))
    assert error.path == "notifications[12].stages[0]"
    assert "unknown stage 'stage_9'; expected one of stage_1, stage_2, stage_3, stage_4" in str(
        error
    )


def test_an_unknown_stage_in_the_urgent_rule_is_refused(tmp_path: Path) -> None:
    data = havering_data()
    data["urgent"]["may_start_at"] = ["stage_5"]
    error = error_for(tmp_path, dump(data))
    assert error.path == "urgent.may_start_at[0]"


def test_an_unknown_panel_stage_is_refused(tmp_path: Path) -> None:
    data = havering_data()
    data["panel"]["stage"] = "stage_5"
    assert error_for(tmp_path, dump(data)).path == "panel.stage"


def test_an_unknown_role_in_a_rule_lists_the_roles(tmp_path: Path) -> None:
    data = havering_data()
    data["notifications"][0]["notify"] = ["raiser", "headteacher"]
    error = error_for(tmp_path, dump(data))
    assert error.path == "notifications[0].notify[1]"
    assert "got 'headteacher'; expected 'raiser', 'respondent'" in str(error)


def test_an_unknown_access_role_is_refused(tmp_path: Path) -> None:
    data = havering_data()
    data["access_roles"] = ["emperor"]
    assert error_for(tmp_path, dump(data)).path == "access_roles[0]"


def test_an_unknown_field_lists_the_allowed_fields(tmp_path: Path) -> None:
    data = havering_data()
    data["stages"][0]["deadline"] = 3
    error = error_for(tmp_path, dump(data))
    assert error.path == "stages[0].deadline"
    assert "unknown field 'deadline'; expected one of: key, name" in str(error)


def test_a_missing_required_section_is_named(tmp_path: Path) -> None:
    data = havering_data()
    del data["urgent"]
    error = error_for(tmp_path, dump(data))
    assert error.path == "urgent"
    assert "missing; expected the urgent rule" in str(error)


def test_a_panel_of_fewer_than_two_agencies_is_refused(tmp_path: Path) -> None:
    data = havering_data()
    data["panel"]["min_agencies"] = 1
    assert error_for(tmp_path, dump(data)).path == "panel.min_agencies"


def test_hour_and_same_working_day_timescales_are_accepted(tmp_path: Path) -> None:
    data = havering_data()
    data["stages"][0]["timescale"] = {"hours": 48}
    data["stages"][1]["timescale"] = {"working_days": 0}
    spec = parse_policy_file(write(tmp_path, dump(data)))
    assert spec.stages[0].timescale.hours == 48
    assert spec.stages[1].timescale.working_days == 0


def test_a_zero_hour_timescale_is_refused(tmp_path: Path) -> None:
    data = havering_data()
    data["stages"][0]["timescale"] = {"hours": 0}
    error = error_for(tmp_path, dump(data))
    assert error.path == "stages[0].timescale.hours"
    assert "expected greater than 0" in str(error)


def test_a_wrong_schema_version_is_refused(tmp_path: Path) -> None:
    data = havering_data()
    data["schema_version"] = 2
    assert error_for(tmp_path, dump(data)).path == "schema_version"


def test_the_scottish_variant_differs_from_the_guide_only_in_nation_and_name() -> None:
    england = parse_policy_file(Path(settings.POLICY_DIR) / "practitioner-guide.yaml")
    scotland = parse_policy_file(Path(settings.POLICY_DIR) / "practitioner-guide-scotland.yaml")
    assert scotland.nation == "scotland" and england.nation == "england"
    same = {"nation", "name", "short_name"}
    assert england.model_dump(exclude=same) == scotland.model_dump(exclude=same)
