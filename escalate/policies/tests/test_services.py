"""Loading policy files into partnerships: versions, checks against the directory, the demo."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from escalate.audit.models import AuditEvent
from escalate.directory.models import AgencyType, Covers, Nation, Partnership
from escalate.directory.tests.factories import AgencyFactory, PartnershipFactory, PersonFactory
from escalate.policies.loader import PolicyFileError
from escalate.policies.models import PolicyVersion
from escalate.policies.selectors import current_policy
from escalate.policies.services import load_policy

pytestmark = pytest.mark.django_db

POLICY_DIR = Path(settings.POLICY_DIR)
HAVERING = POLICY_DIR / "havering.yaml"


def partnership_with_agencies(count: int = 4, **fields: object) -> Partnership:
    partnership: Partnership = PartnershipFactory(**fields)
    AgencyFactory.create_batch(count, partnership=partnership)
    return partnership


@pytest.mark.parametrize(
    ("name", "nation", "covers"),
    [
        ("havering.yaml", Nation.ENGLAND, Covers.CHILDREN),
        ("pan-berkshire.yaml", Nation.ENGLAND, Covers.CHILDREN),
        ("west-sussex.yaml", Nation.ENGLAND, Covers.CHILDREN),
        ("waltham-forest.yaml", Nation.ENGLAND, Covers.BOTH),
        ("practitioner-guide.yaml", Nation.ENGLAND, Covers.BOTH),
        ("practitioner-guide-scotland.yaml", Nation.SCOTLAND, Covers.BOTH),
    ],
)
def test_every_shipped_policy_loads_into_a_matching_partnership(
    name: str, nation: str, covers: str
) -> None:
    partnership = partnership_with_agencies(nation=nation, covers=covers)
    version, created = load_policy(partnership=partnership, path=POLICY_DIR / name)
    assert created and version.number == 1 and version.source_name == name
    assert version.spec.name == version.name
    assert current_policy(partnership) == version


def test_loading_the_same_file_again_makes_no_new_version() -> None:
    partnership = partnership_with_agencies()
    first, _ = load_policy(partnership=partnership, path=HAVERING)
    again, created = load_policy(partnership=partnership, path=HAVERING)
    assert not created and again.pk == first.pk
    assert PolicyVersion.objects.filter(partnership=partnership).count() == 1


def test_an_edited_file_makes_a_new_version_and_keeps_the_old_one(tmp_path: Path) -> None:
    partnership = partnership_with_agencies()
    person = PersonFactory(agency__partnership=partnership)
    first, _ = load_policy(partnership=partnership, path=HAVERING)
    edited = tmp_path / "havering.yaml"
    edited.write_text(HAVERING.read_text().replace("working_days: 5", "working_days: 3", 1))
    second, created = load_policy(partnership=partnership, path=edited, loaded_by=person)
    assert created and second.number == 2 and second.loaded_by == person
    first.refresh_from_db()
    assert first.spec.stages[0].timescale.working_days == 5
    assert second.spec.stages[0].timescale.working_days == 3
    assert current_policy(partnership) == second


def test_each_new_version_is_audited_once_with_old_and_new_values(tmp_path: Path) -> None:
    partnership = partnership_with_agencies()
    person = PersonFactory(agency__partnership=partnership)
    first, _ = load_policy(partnership=partnership, path=HAVERING)
    load_policy(partnership=partnership, path=HAVERING)  # unchanged: no new version, no row
    edited = tmp_path / "havering.yaml"
    edited.write_text(HAVERING.read_text().replace("working_days: 5", "working_days: 3", 1))
    second, _ = load_policy(partnership=partnership, path=edited, loaded_by=person)
    rows = list(AuditEvent.objects.filter(partnership=partnership, action="policy_loaded"))
    assert len(rows) == 2
    assert rows[0].actor is None and rows[0].new_values["policy_version"] == 1
    assert rows[0].old_values["policy_version"] is None
    assert rows[1].actor == person
    assert (rows[1].old_values["policy_version"], rows[1].new_values["policy_version"]) == (1, 2)
    assert (rows[1].old_values["checksum"], rows[1].new_values["checksum"]) == (
        first.checksum,
        second.checksum,
    )
    assert rows[1].object_id == str(second.pk)


def test_a_refused_file_is_not_audited(tmp_path: Path) -> None:
    partnership = partnership_with_agencies()
    bad = tmp_path / "bad.yaml"
    bad.write_text(HAVERING.read_text().replace("key: stage_3", "key: stage_2"))
    with pytest.raises(PolicyFileError):
        load_policy(partnership=partnership, path=bad)
    assert not AuditEvent.objects.filter(action="policy_loaded").exists()


def test_a_comment_only_edit_makes_no_new_version(tmp_path: Path) -> None:
    partnership = partnership_with_agencies()
    load_policy(partnership=partnership, path=HAVERING)
    edited = tmp_path / "havering.yaml"
    edited.write_text("# reviewed, no change\n" + HAVERING.read_text())
    _, created = load_policy(partnership=partnership, path=edited)
    assert not created


def test_a_bad_file_loads_nothing(tmp_path: Path) -> None:
    partnership = partnership_with_agencies()
    bad = tmp_path / "bad.yaml"
    bad.write_text(HAVERING.read_text().replace("key: stage_3", "key: stage_2"))
    with pytest.raises(PolicyFileError, match=r"bad.yaml, line \d+: stages\[2\].key"):
        load_policy(partnership=partnership, path=bad)
    assert not PolicyVersion.objects.exists()


def test_a_panel_needing_more_agencies_than_the_partnership_has_is_refused() -> None:
    partnership = partnership_with_agencies(2)
    AgencyFactory(partnership=partnership, agency_type=AgencyType.PARTNERSHIP)
    with pytest.raises(PolicyFileError) as caught:
        load_policy(partnership=partnership, path=HAVERING)
    assert caught.value.path == "panel.min_agencies"
    assert "needs 3 agencies but" in str(caught.value) and "has 2" in str(caught.value)
    assert str(caught.value).startswith("havering.yaml: panel.min_agencies: ")
    assert not PolicyVersion.objects.exists()


def test_inactive_agencies_do_not_count_towards_the_panel() -> None:
    partnership = partnership_with_agencies(2)
    AgencyFactory(partnership=partnership, is_active=False)
    with pytest.raises(PolicyFileError, match="has 2"):
        load_policy(partnership=partnership, path=HAVERING)


def test_a_policy_for_another_nation_is_refused() -> None:
    partnership = partnership_with_agencies(nation=Nation.SCOTLAND)
    with pytest.raises(PolicyFileError) as caught:
        load_policy(partnership=partnership, path=HAVERING)
    assert caught.value.path == "nation"
    assert "expected nation: scotland" in str(caught.value)


def test_a_children_only_policy_is_refused_for_a_partnership_that_also_covers_adults() -> None:
    partnership = partnership_with_agencies(covers=Covers.BOTH)
    with pytest.raises(PolicyFileError) as caught:
        load_policy(partnership=partnership, path=HAVERING)
    assert caught.value.path == "covers"
    assert "expected covers: both" in str(caught.value)


def test_a_policy_covering_both_fits_a_children_only_partnership() -> None:
    partnership = partnership_with_agencies(covers=Covers.CHILDREN)
    _, created = load_policy(partnership=partnership, path=POLICY_DIR / "waltham-forest.yaml")
    assert created


def test_versions_are_numbered_per_partnership() -> None:
    one, two = partnership_with_agencies(), partnership_with_agencies()
    assert load_policy(partnership=one, path=HAVERING)[0].number == 1
    assert load_policy(partnership=two, path=HAVERING)[0].number == 1


def test_a_partnership_without_a_policy_has_no_current_policy() -> None:
    assert current_policy(PartnershipFactory()) is None
    assert current_policy(None) is None


def test_seed_demo_loads_the_demo_policies_once() -> None:
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())
    riverside = Partnership.objects.get(slug="riverside")
    eastmoor = Partnership.objects.get(slug="eastmoor")
    assert PolicyVersion.objects.filter(partnership=riverside).count() == 1
    assert PolicyVersion.objects.filter(partnership=eastmoor).count() == 1
    riverside_policy = current_policy(riverside)
    eastmoor_policy = current_policy(eastmoor)
    assert riverside_policy is not None and riverside_policy.source_name == "havering.yaml"
    assert eastmoor_policy is not None and eastmoor_policy.spec.nation == "scotland"


def test_a_stored_version_can_never_be_changed() -> None:
    partnership = partnership_with_agencies()
    version, _ = load_policy(partnership=partnership, path=HAVERING)
    version.name = "Edited in place"
    with pytest.raises(ValueError, match="never changed"):
        version.save()
