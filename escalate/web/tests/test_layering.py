"""The two lints that hold the layering (run by .ci/run) catch a planted violation.

docs/architecture.md ("Layering") and docs/decisions/0008, 0009, 0010 say why.
"""

from __future__ import annotations

import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
LINT = runpy.run_path(str(ROOT / "scripts" / "lint_record_access.py"))


def test_no_view_form_or_api_module_loads_a_ruled_record_directly() -> None:
    assert LINT["main"]([]) == 0


def test_the_record_access_lint_names_a_planted_direct_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    planted = tmp_path / "views.py"
    planted.write_text(
        "from escalate.escalations.models import Escalation\n"
        "def page(request, pk):\n"
        "    choices = Escalation.objects.none()  # loads nothing: allowed\n"
        "    return Escalation.objects.get(pk=pk)\n"
    )
    assert LINT["main"]([str(planted)]) == 1
    out = capsys.readouterr().out
    assert f"{planted}:4: Escalation.objects" in out
    assert ":3:" not in out


def test_the_import_contracts_break_on_planted_upward_imports(tmp_path: Path) -> None:
    """A copy of the code with an outbox module importing escalations and a core that imports
    Django: lint-imports names both contracts as broken."""
    copy = tmp_path / "escalate"
    shutil.copytree(
        ROOT / "escalate",
        copy,
        ignore=shutil.ignore_patterns("__pycache__", "static", "templates", "*.html", "*.css"),
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (copy / "notifications" / "planted.py").write_text(
        "from escalate.escalations.selectors import escalations_visible_to\n"
    )
    with (copy / "escalations" / "workflow.py").open("a") as workflow:
        workflow.write("\nfrom django.db import models  # planted\n")

    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 1, result.stdout + result.stderr
    assert "Notifications (the outbox) import nothing from escalations BROKEN" in result.stdout
    assert "escalate.notifications.planted -> escalate.escalations.selectors" in result.stdout
    assert "no Django, no models BROKEN" in result.stdout
    assert "Escalations import neither the API nor the web app KEPT" in result.stdout
