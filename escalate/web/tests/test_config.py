"""Start-up configuration errors are one clear line, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from escalate.config import ConfigurationError, database_from_url, env_bool

ROOT = Path(__file__).resolve().parents[3]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_bad_database_url_gives_one_line_and_no_traceback() -> None:
    result = _manage("check", DATABASE_URL="mysql-ish://nowhere")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("escalate: configuration error: DATABASE_URL must look like")
    assert "Traceback" not in result.stderr


def test_password_in_a_bad_database_url_is_not_printed() -> None:
    result = _manage("check", DATABASE_URL="oracle://user:s3cret@db/x")
    assert "s3cret" not in result.stderr


def test_production_without_secret_key_says_so() -> None:
    env = {"ESCALATE_ENV": "production", "SECRET_KEY": "", "ALLOWED_HOSTS": "escalate.example.org"}
    result = _manage("check", **env)
    assert result.returncode == 2
    assert "SECRET_KEY must be set" in result.stderr


def test_postgres_url_becomes_a_postgres_database() -> None:
    config = database_from_url("postgres://postgres@127.0.0.1:5432/escalate")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["NAME"] == "escalate"


def test_sqlite_url_makes_its_folder(tmp_path: Path) -> None:
    config = database_from_url(f"sqlite:///{tmp_path}/nested/db.sqlite3")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert (tmp_path / "nested").is_dir()


@pytest.mark.parametrize("raw", ["maybe", "2"])
def test_boolean_settings_refuse_other_words(raw: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEBUG_TEST_FLAG", raw)
    with pytest.raises(ConfigurationError, match="DEBUG_TEST_FLAG must be true or false"):
        env_bool("DEBUG_TEST_FLAG", default=False)
