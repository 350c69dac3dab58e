"""The load_policy and check_policy commands: one clear line and a non-zero exit on bad input."""

from __future__ import annotations

import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from escalate.directory.tests.factories import AgencyFactory, PartnershipFactory, PersonFactory
from escalate.policies.models import PolicyVersion

POLICY_DIR = Path(settings.POLICY_DIR)
HAVERING = str(POLICY_DIR / "havering.yaml")


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_check_policy_summarises_every_shipped_file() -> None:
    files = sorted(str(path) for path in POLICY_DIR.glob("*.yaml"))
    out, _ = run("check_policy", *files)
    assert out.count(": valid.") == len(files)
    assert "stage_1 (5 working days)" in out and "Resolution Panel at stage_4" in out


def test_check_policy_reports_one_line_naming_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(Path(HAVERING).read_text().replace("working_days: 5", "working_days: -2", 1))
    with pytest.raises(CommandError) as caught:
        run("check_policy", str(bad))
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("bad.yaml, line ")
    assert "stages[0].timescale.working_days: got -2" in message


def test_check_policy_exits_non_zero_on_a_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [\n")
    result = subprocess.run(
        [sys.executable, "manage.py", "check_policy", str(bad)],
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    )
    assert result.returncode != 0
    assert "bad.yaml, line 2: not valid YAML" in result.stderr


@pytest.mark.django_db
def test_load_policy_loads_then_reports_unchanged() -> None:
    partnership = PartnershipFactory(slug="havering-test")
    AgencyFactory.create_batch(3, partnership=partnership)
    person = PersonFactory(agency__partnership=partnership, email="loader@testshire.example.org")
    out, _ = run(
        "load_policy", HAVERING, "--partnership", "havering-test", "--loaded-by", person.email
    )
    assert "as version 1" in out
    out, _ = run("load_policy", HAVERING, "--partnership", "havering-test")
    assert "Unchanged" in out
    version = PolicyVersion.objects.get(partnership=partnership)
    assert version.loaded_by == person


@pytest.mark.django_db
def test_load_policy_names_the_known_partnerships_for_an_unknown_slug() -> None:
    PartnershipFactory(slug="somewhere")
    with pytest.raises(CommandError, match=r"No partnership with slug 'nowhere'.*somewhere"):
        run("load_policy", HAVERING, "--partnership", "nowhere")


@pytest.mark.django_db
def test_load_policy_refuses_a_panel_bigger_than_the_directory_in_one_line() -> None:
    PartnershipFactory(slug="small")
    with pytest.raises(CommandError) as caught:
        run("load_policy", HAVERING, "--partnership", "small")
    assert str(caught.value).startswith("havering.yaml: panel.min_agencies: ")
    assert not PolicyVersion.objects.exists()


@pytest.mark.django_db
def test_load_policy_refuses_an_unknown_loader() -> None:
    PartnershipFactory(slug="small")
    with pytest.raises(CommandError, match="No person with email"):
        run("load_policy", HAVERING, "--partnership", "small", "--loaded-by", "x@example.org")


@pytest.mark.django_db
def test_load_policy_reports_a_missing_file_in_one_line(tmp_path: Path) -> None:
    PartnershipFactory(slug="small")
    with pytest.raises(CommandError, match=r"nowhere\.yaml: cannot be read: No such file"):
        run("load_policy", str(tmp_path / "nowhere.yaml"), "--partnership", "small")


def test_check_policy_reports_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(CommandError, match="is not UTF-8 text"):
        run("check_policy", str(bad))
