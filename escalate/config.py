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


def audit_hash_keys(*, production: bool, secret_key: str) -> tuple[dict[str, str], str]:
    """The audit trail's HMAC keys by id, and the id of the one new rows are written with.

    `AUDIT_HASH_KEYS=id1:key1,id2:key2` lists every key still needed to verify old rows, with
    `AUDIT_HASH_KEY_ID` naming the current one (default: the last listed). A single
    `AUDIT_HASH_KEY` is key id "1" (rows written before key ids existed are "1"). Production
    needs one of them, each key at least 32 characters and none equal to SECRET_KEY; outside
    production SECRET_KEY stands in as key "1".
    """
    listed = os.environ.get("AUDIT_HASH_KEYS", "").strip()
    single = os.environ.get("AUDIT_HASH_KEY", "")
    keys: dict[str, str] = {}
    if listed:
        for item in listed.split(","):
            key_id, sep, key = item.strip().partition(":")
            if not sep or not key_id or not key:
                raise ConfigurationError(
                    "AUDIT_HASH_KEYS must look like id1:key1,id2:key2 (an entry has no id or key)"
                )
            if not key_id.isalnum() or len(key_id) > 32:
                raise ConfigurationError(
                    f"AUDIT_HASH_KEYS: key id {key_id!r} must be letters and digits, at most 32"
                )
            if key_id in keys:
                raise ConfigurationError(f"AUDIT_HASH_KEYS lists key id {key_id!r} twice")
            keys[key_id] = key
        default_current = list(keys)[-1]
        if single and "1" not in keys:
            keys["1"] = single
    elif single:
        keys["1"] = single
    elif production:
        raise ConfigurationError(
            "AUDIT_HASH_KEY (or AUDIT_HASH_KEYS) must be set when ESCALATE_ENV=production, "
            "separate from SECRET_KEY"
        )
    else:
        keys["1"] = secret_key
    current = os.environ.get("AUDIT_HASH_KEY_ID", "") or (default_current if listed else "1")
    if current not in keys:
        raise ConfigurationError(f"AUDIT_HASH_KEY_ID {current!r} is not one of AUDIT_HASH_KEYS")
    if production:
        for key_id, key in keys.items():
            if key == secret_key:
                raise ConfigurationError(f"The audit key {key_id!r} must not be SECRET_KEY")
            if len(key) < 32:
                raise ConfigurationError(
                    f"The audit key {key_id!r} must be at least 32 characters in production"
                )
    return keys, current


def logging_config(*, log_format: str, level: str) -> dict[str, object]:
    """The LOGGING setting: JSON lines (production) or readable text (development).

    The filters and the JSON formatter live in escalate/operations/logs.py.
    """
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "escalate.operations.logs.RequestIdFilter"},
            "no_4xx_traceback": {"()": "escalate.operations.logs.ClientErrorWithoutTraceback"},
        },
        "formatters": {
            "json": {"()": "escalate.operations.logs.JsonFormatter"},
            "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["request_id", "no_4xx_traceback"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            # The Azure SDK logs every HTTP request at INFO.
            "azure": {"level": "WARNING"},
        },
    }


def evidence_storage_setting(kind: str) -> dict[str, Any]:
    """`STORAGES["evidence"]` for `EVIDENCE_STORAGE`: filesystem, azure or s3."""
    if kind == "filesystem":
        return {"BACKEND": "escalate.evidence.storage.EvidenceFileSystemStorage"}
    if kind == "azure":
        container = env_str("EVIDENCE_AZURE_CONTAINER", "evidence")
        connection_string = env_str("AZURE_STORAGE_CONNECTION_STRING", "")
        if not connection_string:
            raise ConfigurationError("EVIDENCE_STORAGE=azure needs AZURE_STORAGE_CONNECTION_STRING")
        options: dict[str, Any] = {
            "connection_string": connection_string,
            "azure_container": container,
            "overwrite_files": False,
            "expiration_secs": None,  # no shared-access links are handed out
        }
        return {"BACKEND": "storages.backends.azure_storage.AzureStorage", "OPTIONS": options}
    if kind == "s3":
        bucket = env_str("EVIDENCE_S3_BUCKET", "")
        if not bucket:
            raise ConfigurationError("EVIDENCE_STORAGE=s3 needs EVIDENCE_S3_BUCKET")
        s3_options: dict[str, Any] = {
            "bucket_name": bucket,
            "default_acl": None,  # the bucket's own policy: private
            "querystring_auth": True,
            "file_overwrite": False,
            "object_parameters": {"ServerSideEncryption": "AES256"},
        }
        for option, variable in (
            ("region_name", "EVIDENCE_S3_REGION"),
            ("endpoint_url", "EVIDENCE_S3_ENDPOINT_URL"),
            ("access_key", "AWS_ACCESS_KEY_ID"),
            ("secret_key", "AWS_SECRET_ACCESS_KEY"),
        ):
            value = env_str(variable, "")
            if value:
                s3_options[option] = value
        return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": s3_options}
    raise ConfigurationError(f"EVIDENCE_STORAGE must be filesystem, azure or s3, not {kind!r}")


def cache_from_url(url: str, *, key_prefix: str = "escalate") -> dict[str, Any]:
    """`CACHES["default"]` for CACHE_URL: `redis://host:6379/0` (shared by every machine,
    `rediss://` for TLS) or `locmem://` (this process only; the default for one machine).
    `key_prefix` (CACHE_KEY_PREFIX) lets two services, or two test runs, share one Redis."""
    scheme = url.split("://", 1)[0]
    if scheme in {"redis", "rediss"}:
        return {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": key_prefix,
            "TIMEOUT": 300,
            # A cache outage must not hang requests: fail fast, the caller decides.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    if scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    raise ConfigurationError(
        f"CACHE_URL must start with redis://, rediss:// or locmem://, not {_redact(url)!r}"
    )
