"""Production-like settings for the benchmarks: DEBUG off, PostgreSQL, cached templates.

Everything else (middleware, sessions in the database, two-factor, CSP, throttling) is the
service's own. The additions are the `scale` app (`manage.py seed_scale`, installed nowhere
else) and the floor view, /bench/floor/ (bench/urls.py), which no other settings module routes.
"""

from __future__ import annotations

import warnings

from escalate.settings import *  # noqa: F403
from escalate.settings import DATABASES, INSTALLED_APPS, TEMPLATES

INSTALLED_APPS = [*INSTALLED_APPS, "escalate.scale"]

DEBUG = False
# Static files are not what is measured; the collected directory need not exist.
warnings.filterwarnings("ignore", message="No directory at", module="whitenoise.base")
ROOT_URLCONF = "bench.urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ESCALATE_REQUIRE_MFA = True
AXES_ENABLED = True
# The API's per-token limit is still counted on every request, but set high enough that longer
# runs (--runs) measure the list rather than 429s.
API_RATE_LIMIT = "100000/minute"

if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    from escalate.config import ConfigurationError

    raise ConfigurationError("The benchmarks run on PostgreSQL: set DATABASE_URL=postgres://...")
DATABASES["default"]["CONN_MAX_AGE"] = 600

CACHED_LOADERS = [
    (
        "django.template.loaders.cached.Loader",
        [
            "django.template.loaders.filesystem.Loader",
            "django.template.loaders.app_directories.Loader",
        ],
    )
]
# Compiled templates are kept in memory, as in production (said explicitly, not left to DEBUG).
TEMPLATES = [
    {
        **TEMPLATES[0],
        "APP_DIRS": False,
        "OPTIONS": {**TEMPLATES[0]["OPTIONS"], "loaders": CACHED_LOADERS},  # type: ignore[dict-item]
    }
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
