"""Escalate's one settings module, driven by environment variables.

Development (`make run`, the tests) needs no variables at all: SQLite under var/, a generated
secret key kept in var/, mail to the console. Production sets ESCALATE_ENV=production and
the variables named in docs/operations.md; a missing or malformed one stops start-up with a
one-line message (see escalate.config).
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from escalate.config import (
    ConfigurationError,
    audit_hash_keys,
    cache_from_url,
    database_from_url,
    env_bool,
    env_int,
    env_list,
    env_networks,
    env_str,
    evidence_storage_setting,
    logging_config,
    secret_key,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("ESCALATE_VAR_DIR", str(BASE_DIR / "var")))

ENVIRONMENT = env_str("ESCALATE_ENV", "development")
if ENVIRONMENT not in {"development", "production", "test"}:
    raise ConfigurationError(
        f"ESCALATE_ENV must be development, production or test, not {ENVIRONMENT!r}"
    )
PRODUCTION = ENVIRONMENT == "production"

DEBUG = env_bool("DEBUG", default=False)
SECRET_KEY = secret_key(production=PRODUCTION, var_dir=VAR_DIR)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "escalate.web",
    "escalate.directory",
    "escalate.policies",
    "escalate.escalations",
    "escalate.notifications",
    "escalate.audit",
    "escalate.reports",
    "escalate.api",
    "escalate.operations",
    "escalate.privacy",
    "escalate.evidence",
    # Security controls (docs/security.md lists each one with the test that proves it).
    "pgtrigger",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "escalate.accounts",
]

MIDDLEWARE = [
    # First: every log line of a request carries its id, and load-balancer probes are answered
    # before host checks and the HTTPS redirect (escalate/operations).
    "escalate.operations.logs.RequestIdMiddleware",
    "escalate.operations.views.HealthProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Where the request comes from, for audit rows written by services (no `request` passed).
    "escalate.audit.middleware.AuditContextMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # OTP state is read right after the person is; the checks run after LoginRequiredMiddleware.
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "escalate.web.middleware.SessionLifetimeMiddleware",
    "escalate.web.middleware.MFARequiredMiddleware",
    "escalate.audit.middleware.RefusedAccessMiddleware",
    "escalate.web.middleware.NoStoreMiddleware",
    "csp.middleware.CSPMiddleware",
    # After CSRF: strips control characters from query and form values (hostile_input.py).
    "escalate.web.hostile_input.ControlCharactersMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires
]

ROOT_URLCONF = "escalate.urls"
WSGI_APPLICATION = "escalate.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "escalate.web.context_processors.service",
                "escalate.notifications.context_processors.notifications",
                "escalate.operations.context_processors.request_id",
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'escalate.sqlite3'}"),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "directory.Person"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [
    ("govuk", BASE_DIR / "node_modules" / "govuk-frontend" / "dist" / "govuk"),
    ("frontend", BASE_DIR / "build" / "frontend"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Uploaded evidence lives outside the web root and is only served through a checked view.
MEDIA_ROOT = Path(env_str("ESCALATE_MEDIA_ROOT", str(VAR_DIR / "uploads")))
WHITENOISE_USE_FINDERS = not PRODUCTION

# Email: console in development, SMTP when EMAIL_HOST is set (production).
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = int(env_str("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = 10
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Escalate <no-reply@escalate.example.org>")

TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# Cache: per process by default; CACHE_URL=redis://… shares it between machines (rate limits,
# throttles and sessions then hold across the whole deployment).
CACHE_URL = env_str("CACHE_URL", "locmem://")
CACHES = {"default": cache_from_url(CACHE_URL, key_prefix=env_str("CACHE_KEY_PREFIX", "escalate"))}

# Sessions: in the database, read through the shared cache when there is one.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.db"
    if CACHE_URL.startswith("locmem")
    else "django.contrib.sessions.backends.cached_db"
)
# Sessions: idle timeout (refreshed by activity, at most once a minute:
# web.middleware.SessionLifetimeMiddleware) and an absolute lifetime set at login.
SESSION_COOKIE_AGE = 30 * 60
SESSION_REFRESH_SECONDS = 60
SESSION_ABSOLUTE_LIFETIME_SECONDS = 12 * 60 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
# __Host- cookies (production, HTTPS only): only this host, path /, Secure; a subdomain or a
# man in the middle on plain HTTP cannot set or overwrite them.
if PRODUCTION:
    SESSION_COOKIE_NAME = "__Host-session"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
SECURE_SSL_REDIRECT = PRODUCTION and env_bool("SECURE_SSL_REDIRECT", default=True)
# Load-balancer probes come over plain HTTP (HealthProbeMiddleware answers them first anyway).
SECURE_REDIRECT_EXEMPT = [r"^health/"]
SECURE_HSTS_SECONDS = 31536000 if PRODUCTION else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if PRODUCTION else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Logs: JSON lines with timestamp, level and request id in production, readable text otherwise.
LOG_FORMAT = env_str("LOG_FORMAT", "json" if PRODUCTION else "text")
if LOG_FORMAT not in {"json", "text"}:
    raise ConfigurationError(f"LOG_FORMAT must be json or text, not {LOG_FORMAT!r}")
LOGGING = logging_config(log_format=LOG_FORMAT, level=env_str("LOG_LEVEL", "INFO"))

# Where the shipped policy files live; load_policy and the demo read them from here.
POLICY_DIR = BASE_DIR / "policies"

# Notifications (escalate/notifications): email through Django's backend above, or GOV.UK Notify
# when NOTIFY_API_KEY is set; failed sends are retried with exponential backoff, then given up.
NOTIFY_API_KEY = env_str("NOTIFY_API_KEY", "")
NOTIFY_EMAIL_TEMPLATE_ID = env_str("NOTIFY_EMAIL_TEMPLATE_ID", "")
# Each message's own Notify template, by the message's template key (docs/notifications.md): a
# JSON object, e.g. {"raised.respondent": "<template id>"}. A message without one is sent with
# NOTIFY_EMAIL_TEMPLATE_ID, whose placeholders are ((subject)) and ((body)).
NOTIFY_TEMPLATE_IDS: dict[str, str] = json.loads(env_str("NOTIFY_TEMPLATE_IDS", "{}") or "{}")
if not isinstance(NOTIFY_TEMPLATE_IDS, dict) or not all(
    isinstance(value, str) for value in NOTIFY_TEMPLATE_IDS.values()
):
    raise ConfigurationError("NOTIFY_TEMPLATE_IDS must be a JSON object of template ids")
NOTIFY_BASE_URL = env_str("NOTIFY_BASE_URL", "https://api.notifications.service.gov.uk")
# The bearer token GOV.UK Notify sends with delivery receipts (its "Callbacks" page); empty turns
# the receipts URL off (notifications/receipts.py).
NOTIFY_CALLBACK_TOKEN = env_str("NOTIFY_CALLBACK_TOKEN", "")
NOTIFICATIONS_EMAIL_PROVIDER = env_str(
    "NOTIFICATIONS_EMAIL_PROVIDER", "notify" if NOTIFY_API_KEY else "django"
)
if NOTIFICATIONS_EMAIL_PROVIDER not in {"django", "notify"}:
    raise ConfigurationError(
        "NOTIFICATIONS_EMAIL_PROVIDER must be django or notify, "
        f"not {NOTIFICATIONS_EMAIL_PROVIDER!r}"
    )
if NOTIFICATIONS_EMAIL_PROVIDER == "notify" and not (NOTIFY_API_KEY and NOTIFY_EMAIL_TEMPLATE_ID):
    raise ConfigurationError("GOV.UK Notify needs both NOTIFY_API_KEY and NOTIFY_EMAIL_TEMPLATE_ID")
NOTIFICATIONS_MAX_ATTEMPTS = int(env_str("NOTIFICATIONS_MAX_ATTEMPTS", "8"))
NOTIFICATIONS_RETRY_BASE_SECONDS = int(env_str("NOTIFICATIONS_RETRY_BASE_SECONDS", "60"))
NOTIFICATIONS_BATCH_SIZE = int(env_str("NOTIFICATIONS_BATCH_SIZE", "100"))
# A task RUNNING longer than this is taken to have lost its worker (delivery.recover_stale_tasks).
NOTIFICATIONS_STALE_TASK_SECONDS = int(env_str("NOTIFICATIONS_STALE_TASK_SECONDS", "1800"))
# The daily email (escalations/digest.py) is made from this hour, UK time, once a day.
NOTIFICATIONS_DIGEST_HOUR = int(env_str("NOTIFICATIONS_DIGEST_HOUR", "7"))
SCHEDULER_INTERVAL_SECONDS = int(env_str("SCHEDULER_INTERVAL_SECONDS", "60"))
# Background workers (`manage.py run_worker`) write a heartbeat this often (escalate/operations).
WORKER_HEARTBEAT_SECONDS = int(env_str("WORKER_HEARTBEAT_SECONDS", "15"))
# /metrics/ answers only a scraper that sends `Authorization: Bearer <METRICS_TOKEN>`.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")

# --- Security controls (docs/security.md lists each one with the test that proves it) ---
from csp.constants import NONE, SELF  # noqa: E402

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "escalate.accounts.backends.PersonBackend",
]

# Every account can see case data, so every account needs a second factor (TOTP).
ESCALATE_REQUIRE_MFA = env_bool("ESCALATE_REQUIRE_MFA", default=True)
OTP_TOTP_ISSUER = "Escalate"

# Sign-in throttling: 5 failures for one account from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Attempts during a lock-out do not extend it, so the time we tell people stays true.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "escalate.web.views_account.locked_out"
AXES_USERNAME_FORM_FIELD = "username"
AXES_VERBOSE = False
# Client addresses (escalate/client_address.py, docs/operations.md): how many proxies of ours
# append to X-Forwarded-For, and the networks they connect from. Axes, the audit trail and the
# rate limits all use the same answer.
TRUSTED_PROXY_HOPS = env_int("TRUSTED_PROXY_HOPS", 1 if PRODUCTION else 0)
TRUSTED_PROXY_NETWORKS = env_networks(
    "TRUSTED_PROXY_NETWORKS",
    default=["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "::1/128", "fc00::/7"],
)
AXES_CLIENT_IP_CALLABLE = "escalate.client_address.client_address"
# Password spraying: wrong passwords for any accounts from one address, counted in the cache.
SIGN_IN_ADDRESS_LIMIT = env_str("SIGN_IN_ADDRESS_LIMIT", "30/hour")
# "Forgotten your password?" requests from one address, for any email addresses (accounts).
PASSWORD_RESET_ADDRESS_LIMIT = env_str("PASSWORD_RESET_ADDRESS_LIMIT", "10/hour")

# Audit trail: HMAC keys for the hash chain by key id; each row records the id it was written
# with, so a new current key (AUDIT_HASH_KEY_ID) leaves old rows verifiable (docs/operations.md).
AUDIT_HASH_KEYS, AUDIT_HASH_KEY_ID = audit_hash_keys(production=PRODUCTION, secret_key=SECRET_KEY)
AUDIT_HASH_KEY = AUDIT_HASH_KEYS[AUDIT_HASH_KEY_ID]  # the current key (text fingerprints)
# Chain heads are signed and written here, never overwritten, for the operator to ship off the
# machine; verify_audit checks the trail against them (tail truncation).
AUDIT_CHECKPOINT_DIR = Path(env_str("AUDIT_CHECKPOINT_DIR", str(VAR_DIR / "audit-checkpoints")))
# The PostgreSQL role the app connects as; migrate (run as the owner) re-grants it afterwards,
# append-only on the audit trail (escalate/audit/roles.py, docs/operations.md).
DATABASE_RUNTIME_ROLE = env_str("DATABASE_RUNTIME_ROLE", "")

# Headers: a strict Content Security Policy (static files only, nothing inline).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
# Static files get their own CSP (WhiteNoise answers before CSPMiddleware): a file opened on its
# own, an SVG for instance, can run nothing and be framed by nobody.
STATIC_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'; sandbox"
)
from escalate.web.static_headers import static_file_headers  # noqa: E402

WHITENOISE_ADD_HEADERS_FUNCTION = static_file_headers

# Evidence uploads: outside the web root (under MEDIA_ROOT, which has no URL), 10MB each.
EVIDENCE_ROOT = MEDIA_ROOT / "evidence"
# Where evidence is kept: local disk (the default; one machine), or an object store shared by
# every machine: Azure Blob Storage or S3 (django-storages). Never publicly readable.
EVIDENCE_STORAGE = env_str("EVIDENCE_STORAGE", "filesystem")
STORAGES["evidence"] = evidence_storage_setting(EVIDENCE_STORAGE)
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
# Any request body: refused from its Content-Length before it is read (the largest upload and
# its form fields fit).
REQUEST_MAX_BYTES = int(env_str("REQUEST_MAX_BYTES", str(EVIDENCE_MAX_BYTES + 1024 * 1024)))
MIDDLEWARE.insert(
    MIDDLEWARE.index("escalate.audit.middleware.AuditContextMiddleware") + 1,
    "escalate.web.middleware_limits.RequestBodyLimitMiddleware",
)
# Malware scanning of evidence (escalate/evidence/scanning.py): "clamd" (its Unix socket), a
# dotted path to another scanner, or empty for none (the demo; files are marked not scanned).
EVIDENCE_SCANNER = env_str("EVIDENCE_SCANNER", "")
EVIDENCE_CLAMD_SOCKET = env_str("EVIDENCE_CLAMD_SOCKET", "/run/clamav/clamd.ctl")

# The JSON API (escalate/api): requests per personal token, counted in the cache (CACHES above;
# shared through CACHE_URL when several processes run).
API_RATE_LIMIT = env_str("API_RATE_LIMIT", "120/minute")

# SQLite ignores covering-index columns (PostgreSQL uses them): true, and not worth a warning on
# every command of the SQLite demo.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
