"""Reading settings from the environment, with one-line errors instead of tracebacks."""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

SUPPORTED_DATABASE_SCHEMES = ("sqlite", "postgres", "postgresql", "pgsql")


class ConfigurationError(ImproperlyConfigured):
    """A setting is missing or malformed; the message is shown to the operator as is."""


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, *, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name, "").strip()
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum}, not {value}")
    return value


def env_networks(name: str, *, default: list[str]) -> list[str]:
    """A comma-separated list of addresses or networks (CIDR), each checked."""
    items = env_list(name, default=default)
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ConfigurationError(
                f"{name} must list addresses or networks such as 10.0.0.0/8, not {item!r}"
            ) from None
    return items


def env_list(name: str, *, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def database_from_url(url: str) -> dict[str, Any]:
    """Turn DATABASE_URL into Django's DATABASES entry, or explain in one line what is wrong."""
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in SUPPORTED_DATABASE_SCHEMES:
        raise ConfigurationError(
            "DATABASE_URL must look like postgres://user@host:5432/name or "
            f"sqlite:///path/to/file.sqlite3, not {_redact(url)!r}"
        )
    try:
        config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=60))
    except (ValueError, KeyError) as error:
        raise ConfigurationError(f"DATABASE_URL could not be read: {error}") from None
    if config["ENGINE"] == "django.db.backends.sqlite3":
        if not config.get("NAME"):
            raise ConfigurationError("DATABASE_URL for SQLite needs a file path")
        Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        config["CONN_MAX_AGE"] = 0
        # Wait for a writer instead of failing at once when the worker and web share a file.
        config["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    else:
        if not config.get("NAME"):
            raise ConfigurationError("DATABASE_URL for PostgreSQL needs a database name")
        config["CONN_HEALTH_CHECKS"] = True
    config["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME") or None}
    return config


def cache_from_url(url: str, *, key_prefix: str = "") -> dict[str, Any]:
    """Turn CACHE_URL into one entry of Django's CACHES, or explain in one line what is wrong.

    `locmem://` (each process alone: the demo and tests), `redis://host:6379/0` or `rediss://…`
    (Django's built-in RedisCache, shared by every process: production), `dummy://` (none).
    """
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme == "locmem":
        return {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "KEY_PREFIX": key_prefix,
        }
    if scheme == "dummy":
        return {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    if scheme in ("redis", "rediss"):
        return {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": key_prefix,
            # A cache that does not answer must not hold a request for long.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    raise ConfigurationError(
        "CACHE_URL must look like redis://host:6379/0, rediss://host:6380/0 or locmem://, "
        f"not {_redact(url)!r}"
    )


def secret_key(*, production: bool, var_dir: Path) -> str:
    """SECRET_KEY from the environment; outside production a generated key kept in var/."""
    key = os.environ.get("SECRET_KEY", "")
    if key:
        if production and len(key) < 50:
            raise ConfigurationError("SECRET_KEY must be at least 50 characters in production")
        return key
    if production:
        raise ConfigurationError("SECRET_KEY must be set when ESCALATE_ENV=production")
    path = var_dir / "secret_key"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


def _redact(url: str) -> str:
    """Hide a password in a URL before it is printed."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        user = credentials.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}" if ":" in credentials else url
    return url
