"""Start-up configuration errors are one clear line, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from escalate.config import (
    ConfigurationError,
    cache_from_url,
    database_from_url,
    env_bool,
    env_int,
    env_networks,
)

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


def test_cache_url_gives_redis_or_local_memory() -> None:
    redis = cache_from_url("redis://127.0.0.1:6379/0", key_prefix="escalate")
    assert cache_from_url("redis://127.0.0.1:6379/0", key_prefix="run-2")["KEY_PREFIX"] == "run-2"
    assert redis["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert redis["LOCATION"] == "redis://127.0.0.1:6379/0"
    assert redis["KEY_PREFIX"] == "escalate"
    assert cache_from_url("rediss://cache.example.org:6380/1")["BACKEND"].endswith("RedisCache")
    local = cache_from_url("locmem://")
    assert local["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    with pytest.raises(ConfigurationError, match="CACHE_URL must start with"):
        cache_from_url("memcached://user:secret@cache:11211")
    with pytest.raises(ConfigurationError) as refused:
        cache_from_url("memcache://user:secret@cache:11211")
    assert "secret" not in str(refused.value)


def test_a_bad_cache_url_stops_start_up_with_one_line() -> None:
    result = _manage("check", CACHE_URL="redis-ish://nowhere")
    assert result.returncode != 0
    assert "CACHE_URL must start with" in result.stderr
    assert "Traceback" not in result.stderr


def test_proxy_settings_are_checked(monkeypatch) -> None:
    monkeypatch.setenv("TRUSTED_PROXY_HOPS", "two")
    with pytest.raises(ConfigurationError, match="TRUSTED_PROXY_HOPS must be a whole number"):
        env_int("TRUSTED_PROXY_HOPS", 0)
    monkeypatch.setenv("TRUSTED_PROXY_NETWORKS", "10.0.0.0/8, gateway")
    with pytest.raises(ConfigurationError, match="'gateway'"):
        env_networks("TRUSTED_PROXY_NETWORKS", default=[])
