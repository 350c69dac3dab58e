"""Start-up configuration errors are one clear line, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from escalate.config import (
    ConfigurationError,
    audit_hash_keys,
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


def _audit_keys(monkeypatch: pytest.MonkeyPatch, production: bool = True, **env: str):
    for name in ("AUDIT_HASH_KEY", "AUDIT_HASH_KEYS", "AUDIT_HASH_KEY_ID"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return audit_hash_keys(production=production, secret_key="s" * 60)


def test_production_needs_an_audit_key_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError, match=r"AUDIT_HASH_KEY .* must be set"):
        _audit_keys(monkeypatch)
    with pytest.raises(ConfigurationError, match="must not be SECRET_KEY"):
        _audit_keys(monkeypatch, AUDIT_HASH_KEY="s" * 60)
    with pytest.raises(ConfigurationError, match="at least 32 characters"):
        _audit_keys(monkeypatch, AUDIT_HASH_KEY="short")
    assert _audit_keys(monkeypatch, AUDIT_HASH_KEY="a" * 40) == ({"1": "a" * 40}, "1")


def test_audit_keys_have_ids_and_the_last_listed_is_current(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keys = f"2025:{'a' * 40},2026:{'b' * 40}"
    assert _audit_keys(monkeypatch, AUDIT_HASH_KEYS=keys) == (
        {"2025": "a" * 40, "2026": "b" * 40},
        "2026",
    )
    assert _audit_keys(monkeypatch, AUDIT_HASH_KEYS=keys, AUDIT_HASH_KEY_ID="2025")[1] == "2025"
    with pytest.raises(ConfigurationError, match="'2027' is not one of AUDIT_HASH_KEYS"):
        _audit_keys(monkeypatch, AUDIT_HASH_KEYS=keys, AUDIT_HASH_KEY_ID="2027")
    with pytest.raises(ConfigurationError, match="must look like id1:key1"):
        _audit_keys(monkeypatch, AUDIT_HASH_KEYS="no-colon-here")


def test_outside_production_the_secret_key_stands_in(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _audit_keys(monkeypatch, production=False) == ({"1": "s" * 60}, "1")


def test_production_without_an_audit_key_will_not_start() -> None:
    env = {
        "ESCALATE_ENV": "production",
        "SECRET_KEY": "k" * 60,
        "ALLOWED_HOSTS": "escalate.example.org",
        "AUDIT_HASH_KEY": "",
        "AUDIT_HASH_KEYS": "",
    }
    result = _manage("check", **env)
    assert result.returncode == 2
    assert "AUDIT_HASH_KEY (or AUDIT_HASH_KEYS) must be set" in result.stderr


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
