"""Settings for the DMARC report dashboard.

Everything that differs between machines comes from the environment (or a
`.env` file beside manage.py). A bad value stops the start with an
ImproperlyConfigured error that names the variable, instead of running with a
silently wrong setting.
"""

import ipaddress
import logging
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from dmarcapp.env import env, envbool, envint, envsecret

BASE_DIR = Path(__file__).resolve().parent.parent

# `make run` writes a .env with a generated SECRET_KEY; real environment
# variables win over it. DMARC_ENV_FILE=/dev/null ignores it (the tests do).
environ.Env.read_env(env.str("DMARC_ENV_FILE", default=str(BASE_DIR / ".env")))

DEBUG = envbool("DEBUG", False)
SECRET_KEY = envsecret("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false")
    SECRET_KEY = "insecure-development-key-only-for-debug"
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "reports",
]

MIDDLEWARE = [
    # First: request ids and durations, and the probes (/healthz, /readyz, /metrics) answered
    # before host checks, https redirects and the database (reports/ops/middleware.py).
    "reports.ops.middleware.ServiceMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Every SQL statement of a request within DMARC_WEB_STATEMENT_TIMEOUT, and a page saying so.
    "dmarcapp.middleware.StatementTimeout",
    "dmarcapp.middleware.AdminQuery",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it answers locked-out sign-ins.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dmarcapp.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "dmarcapp.wsgi.application"

try:
    DATABASES = {"default": env.db_url("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/dmarc")}
except ImproperlyConfigured:
    raise
except Exception as e:  # noqa: BLE001
    raise ImproperlyConfigured(f"DATABASE_URL has an invalid value: {e}") from None
if DATABASES["default"].get("ENGINE") != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must be a postgres:// URL: the app relies on PostgreSQL")
DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# django-axes checks sign-ins first, so that a locked pair is refused before its password is.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# The upload form's non-file fields; the files themselves are streamed to disk
# past FILE_UPLOAD_MAX_MEMORY_SIZE and capped by DMARC_MAX_INPUT_BYTES.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Shared by the web workers and the Celery workers: the rollout summaries that
# the overview shows are computed in the background and read from here.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "dmarc_cache",
    }
}

# --- Celery ---
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/0")
if not CELERY_BROKER_URL.startswith(("redis://", "rediss://", "memory://", "amqp://")):
    raise ImproperlyConfigured("CELERY_BROKER_URL must be a redis:// URL")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# Several instances (or test runs) can share one Redis by using their own queue.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")

# --- Ingestion limits (RFC 9990 §7: zip and XML bombs) ---
DMARC_MAX_INPUT_BYTES = envint("DMARC_MAX_INPUT_BYTES", 50 * 1024 * 1024, minimum=1)
# Bytes one user (not a superuser) may upload in 24 hours.
DMARC_UPLOAD_BYTES_PER_DAY = envint("DMARC_UPLOAD_BYTES_PER_DAY", 1024 * 1024 * 1024, minimum=1)
DMARC_MAX_DECOMPRESSED_BYTES = envint("DMARC_MAX_DECOMPRESSED_BYTES", 100 * 1024 * 1024, minimum=1)
DMARC_MAX_ZIP_MEMBERS = envint("DMARC_MAX_ZIP_MEMBERS", 20, minimum=1)
DMARC_MAX_NESTING = envint("DMARC_MAX_NESTING", 4, minimum=1)
# A report's counts are spread over the days of its period: a forged period of
# decades would write a row per record and day. Real periods are a day, at most weeks.
DMARC_MAX_PERIOD_DAYS = envint("DMARC_MAX_PERIOD_DAYS", 92, minimum=1)

# --- Untrusted input: what a rua address accepts from strangers ---
# Monitored domains, comma-separated; kept in step with the Domain rows at the start of ingestion.
from reports.shared.names import domain_name  # noqa: E402 - a pure module, no Django in it

_domains = [name for name in env.list("DMARC_DOMAINS", default=[]) if name.strip()]
if _bad := [name for name in _domains if domain_name(name) is None]:
    raise ImproperlyConfigured(f"DMARC_DOMAINS holds {_bad[0]!r}, which is not a domain name")
DMARC_DOMAINS = [domain_name(name) for name in _domains]
# Readiness and its go/no-go count only reports of a verified reporter (DKIM) and uploads.
DMARC_REQUIRE_VERIFIED_REPORTS = envbool("DMARC_REQUIRE_VERIFIED_REPORTS", False)
# Reports and failed parts read from one input (a file, an email); past it, one error for the rest.
DMARC_MAX_REPORTS_PER_INPUT = envint("DMARC_MAX_REPORTS_PER_INPUT", 1000, minimum=1)
DMARC_MAX_MBOX_MESSAGES = envint("DMARC_MAX_MBOX_MESSAGES", 1000, minimum=1)
DMARC_MAX_ATTACHMENTS = envint("DMARC_MAX_ATTACHMENTS", 100, minimum=1)  # MIME parts of one email
# Bytes of rejected inputs kept for `reprocess --rejected`; past it the oldest lose theirs.
DMARC_MAX_REJECTED_BYTES = envint("DMARC_MAX_REJECTED_BYTES", 1024 * 1024 * 1024, minimum=0)
# An SMTP TLS report (JSON) decompresses to at most this; real ones are a few KiB.
DMARC_TLSRPT_MAX_BYTES = envint("DMARC_TLSRPT_MAX_BYTES", 5 * 1024 * 1024, minimum=1024)
# POSTs a minute to the TLS report HTTPS endpoint (RFC 8460 leaves it unauthenticated), per client address.
DMARC_TLSRPT_POSTS_PER_MINUTE = envint("DMARC_TLSRPT_POSTS_PER_MINUTE", 60, minimum=1)

# --- DNS for the rollout assistant (reports/rollout/resolve.py) ---
# host or host:port ([v6]:port), comma-separated; empty = the system resolver.
DMARC_DNS_NAMESERVERS = env.list("DMARC_DNS_NAMESERVERS", default=[])
DMARC_DNS_TIMEOUT = envint("DMARC_DNS_TIMEOUT", 3, minimum=1)  # seconds for one lookup, all servers
# Look up each source's network (AS, country) at Team Cymru over DNS; false keeps addresses in house.
DMARC_ASN_LOOKUP = envbool("DMARC_ASN_LOOKUP", True)

# --- Freshness of the data behind a verdict (reports/freshness/) ---
# Readiness needs a report within this many days and every mailbox polled within this many hours.
DMARC_FRESH_REPORT_DAYS = envint("DMARC_FRESH_REPORT_DAYS", 3, minimum=1)
DMARC_FRESH_POLL_HOURS = envint("DMARC_FRESH_POLL_HOURS", 6, minimum=1)

# --- IMAP polling (reports/mail/) ---
DMARC_POLL_INTERVAL = envint("DMARC_POLL_INTERVAL", 300, minimum=10)  # seconds between beat polls
DMARC_POLL_MAX_MESSAGES = envint("DMARC_POLL_MAX_MESSAGES", 500, minimum=1)  # a backlog drains over polls
DMARC_POLL_BATCH = envint("DMARC_POLL_BATCH", 50, minimum=1)  # messages per UID FETCH
DMARC_IMAP_TIMEOUT = envint("DMARC_IMAP_TIMEOUT", 30, minimum=1)  # socket timeout, seconds
DMARC_RETRY_BACKOFF = envint("DMARC_RETRY_BACKOFF", 15, minimum=1)  # first retry delay, doubles each time
# Days to keep a filed message's raw bytes; its reports keep their own. 0 keeps them forever.
DMARC_KEEP_RAW_MAIL_DAYS = envint("DMARC_KEEP_RAW_MAIL_DAYS", 30, minimum=0)
# Raw bytes of failed messages kept for a retry, in all; the oldest lose theirs first.
DMARC_MAX_FAILED_MAIL_BYTES = envint("DMARC_MAX_FAILED_MAIL_BYTES", 1024 * 1024 * 1024, minimum=0)
# Redis redelivers a task whose worker died after this many seconds; it must
# exceed the longest retry countdown, or retries run twice (harmless, but wasted).
# Workers look for such tasks every 10 s (kombu's default is every 100 s).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=1),
    "unacked_restore_interval": 10,
    "unacked_restore_throttle": 1,
}
# One mailbox may be defined in the environment (the usual container set-up), DMARC_IMAP_*: it is kept
# in step with the Mailbox row named "env" (dmarcapp/env_mailbox.py reads it).
from dmarcapp.env_mailbox import env_mailbox  # noqa: E402

DMARC_IMAP_MS_AUTHORITY, DMARC_IMAP_GOOGLE_TOKEN_URI, DMARC_IMAP = env_mailbox()

# --- Alerts and digests (reports/alerts/) ---
# Outgoing mail: EMAIL_URL (smtp://user:pass@host:587, smtp+tls://..., smtp+ssl://..., consolemail://)
# or the usual EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS, EMAIL_USE_SSL.
if env.str("EMAIL_URL", default=""):
    try:
        vars().update(env.email_url("EMAIL_URL"))
    except Exception as e:  # noqa: BLE001
        raise ImproperlyConfigured(f"EMAIL_URL has an invalid value: {e}") from None
else:
    EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
    EMAIL_PORT = envint("EMAIL_PORT", 25, minimum=1)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = envsecret("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
    EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", False)
    if EMAIL_USE_TLS and EMAIL_USE_SSL:
        raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be true")
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 30, minimum=1)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="dmarc-reports@localhost")
# Links in alert and digest mail: the address users open the dashboard at.
DMARC_BASE_URL = env.str("DMARC_BASE_URL", default="http://localhost:8000").rstrip("/")
if not DMARC_BASE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"DMARC_BASE_URL must start with http:// or https://, not {DMARC_BASE_URL!r}")
# Recipients of every domain's alerts, besides the users' own choices (containers).
DMARC_ALERT_EMAILS = env.list("DMARC_ALERT_EMAILS", default=[])
DMARC_ALERT_URLS = env.list("DMARC_ALERT_URLS", default=[])  # Apprise URLs
# Hosts and networks that users' alert URLs may reach although they are internal (reports/access/outbound.py).
DMARC_ALERT_ALLOWED_HOSTS = env.list("DMARC_ALERT_ALLOWED_HOSTS", default=[])
DMARC_ALERT_INTERVAL = envint("DMARC_ALERT_INTERVAL", 900, minimum=60)  # seconds between beat evaluations
DMARC_ALERT_SILENT_DAYS = envint("DMARC_ALERT_SILENT_DAYS", 3, minimum=1)  # no report for this long
DMARC_ALERT_MAILBOX_HOURS = envint("DMARC_ALERT_MAILBOX_HOURS", 6, minimum=1)  # no successful poll
DMARC_ALERT_MIN_MESSAGES = envint("DMARC_ALERT_MIN_MESSAGES", 10, minimum=1)  # a source stopped aligning
DMARC_ALERT_RECENT_DAYS = envint("DMARC_ALERT_RECENT_DAYS", 2, minimum=1)  # "now": these days and today
DMARC_ALERT_HOURLY_CAP = envint("DMARC_ALERT_HOURLY_CAP", 10, minimum=1)  # alert messages per domain and hour
# Seconds between an import and the evaluation of its domains (imports within it share one evaluation).
DMARC_ALERT_AFTER_IMPORT_DELAY = envint("DMARC_ALERT_AFTER_IMPORT_DELAY", 60, minimum=0)
DMARC_ALERT_MAX_ATTEMPTS = envint("DMARC_ALERT_MAX_ATTEMPTS", 8, minimum=1)  # then a send is failed
DMARC_DIGEST_HOUR = envint("DMARC_DIGEST_HOUR", 8, minimum=0)  # UTC
if DMARC_DIGEST_HOUR > 23:
    raise ImproperlyConfigured(f"DMARC_DIGEST_HOUR must be 0 to 23, not {DMARC_DIGEST_HOUR}")
_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_digest_day = env.str("DMARC_DIGEST_DAY", default="monday").strip().lower()
if _digest_day not in _DAYS:
    raise ImproperlyConfigured(f"DMARC_DIGEST_DAY must be a day of the week in English, not {_digest_day!r}")
DMARC_DIGEST_DAY = _DAYS.index(_digest_day)  # 0 = Monday, as date.weekday()

# --- Deleting and uploading (reports/ingest/retention.py, reports/ingest/tasks.py) ---
# Reports whose period ended more than this many days ago are purged daily, with
# their records and rollup counts. 0 keeps every report.
DMARC_RETENTION_DAYS = envint("DMARC_RETENTION_DAYS", 0, minimum=0)
# An ingest task is told to stop after the soft limit (seconds) and killed at the
# hard one: a hostile upload cannot hold a worker for ever.
DMARC_INGEST_SOFT_TIME_LIMIT = envint("DMARC_INGEST_SOFT_TIME_LIMIT", 600, minimum=1)
DMARC_INGEST_TIME_LIMIT = envint("DMARC_INGEST_TIME_LIMIT", 660, minimum=1)
if DMARC_INGEST_TIME_LIMIT <= DMARC_INGEST_SOFT_TIME_LIMIT:
    raise ImproperlyConfigured("DMARC_INGEST_TIME_LIMIT must be greater than DMARC_INGEST_SOFT_TIME_LIMIT")

# --- Big domains (reports/dashboard/ranking.py) ---
# A domain with more sources than this has its sources summed by a worker for the
# overview, the sources table and the senders page; smaller ones are summed
# within the request. At 250,000 sources a sum takes seconds.
DMARC_RANK_IN_REQUEST_SOURCES = envint("DMARC_RANK_IN_REQUEST_SOURCES", 20_000, minimum=0)
# Seconds any SQL statement of a web request may run (0: no limit); workers have none.
DMARC_WEB_STATEMENT_TIMEOUT = envint("DMARC_WEB_STATEMENT_TIMEOUT", 25, minimum=0)
# Computations one user's page views may queue per hour: custom ranges of big domains, readiness
# windows outside the page's choices (reports/access/quota.py).
DMARC_ON_DEMAND_PER_HOUR = envint("DMARC_ON_DEMAND_PER_HOUR", 20, minimum=1)

# --- Background schedule (Celery beat), seconds between runs ---
# Each run expires a little before the next is due, so a stalled worker does
# not come back to a pile of identical runs.
DMARC_NAME_SOURCES_INTERVAL = envint("DMARC_NAME_SOURCES_INTERVAL", 120, minimum=10)
DMARC_READINESS_INTERVAL = envint("DMARC_READINESS_INTERVAL", 600, minimum=10)
DMARC_SELECTORS_INTERVAL = envint("DMARC_SELECTORS_INTERVAL", 3600, minimum=60)
# Seconds between the checks of each domain's MTA-STS, TLS-RPT and BIMI records (DNS and HTTPS).
DMARC_MTA_STS_INTERVAL = envint("DMARC_MTA_STS_INTERVAL", 21600, minimum=60)
# A CA file to trust (besides none) for the MTA-STS policy fetch: a private CA; empty: the system's CAs.
DMARC_MTA_STS_CA_FILE = env.str("DMARC_MTA_STS_CA_FILE", default="")
DMARC_FORGET_RAW_MAIL_INTERVAL = envint("DMARC_FORGET_RAW_MAIL_INTERVAL", 3600, minimum=10)


def _every(task, seconds):
    expires = max(1, seconds - min(60, seconds // 10))
    return {"task": task, "schedule": seconds, "options": {"expires": expires}}


CELERY_BEAT_SCHEDULE = {
    "poll mailboxes": _every("reports.mail.tasks.poll_all_mailboxes", DMARC_POLL_INTERVAL),
    # Reverse DNS, networks and the readiness summaries are computed here, never inside a page
    # request; new sources get their names soon after their import.
    "name sources": _every("reports.rollout.tasks.resolve_sources", DMARC_NAME_SOURCES_INTERVAL),
    "readiness summaries": _every("reports.rollout.tasks.refresh_readiness", DMARC_READINESS_INTERVAL),
    # The trends' sums per service and of legitimate mail, from the sources the summaries assessed.
    "service trends": _every("reports.sources.tasks.refresh_service_trends", DMARC_READINESS_INTERVAL),
    # The DKIM selectors seen in the reports, and their keys from the DNS (the selectors page).
    "dkim selectors": _every("reports.sources.tasks.refresh_dkim_selectors", DMARC_SELECTORS_INTERVAL),
    "mta-sts checks": _every("reports.mtasts.tasks.check_all", DMARC_MTA_STS_INTERVAL),
    "forget raw mail": _every("reports.mail.tasks.forget_raw_mail", DMARC_FORGET_RAW_MAIL_INTERVAL),
    # Alerts: evaluate every domain, retry failed sends, and send the weekly digest when it is due.
    "alerts": _every("reports.alerts.tasks.evaluate_alerts", DMARC_ALERT_INTERVAL),
    "alert deliveries": _every("reports.alerts.tasks.send_alert_deliveries", 60),
    "weekly digests": _every("reports.alerts.tasks.send_weekly_digests", 3600),
    # Retention (DMARC_RETENTION_DAYS), and uploads still queued when the broker was down.
    "purge old reports": _every("reports.ingest.tasks.purge_old_reports", 86400),
    "queue waiting uploads": _every("reports.ingest.tasks.queue_waiting_uploads", 300),
}

# LOG_FORMAT=json: one JSON object per line (time, level, logger, message, request_id, task_id), from
# the web app and the workers alike (reports/ops/logs.py); plain: a line of text.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain").strip().lower()
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {"()": "reports.ops.logs.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # IMAPClient's protocol trace (DEBUG) quotes what servers answer verbatim, and a server
    # may echo the LOGIN command: never log it, whatever LOG_LEVEL says.
    "loggers": {"imapclient": {"level": "INFO"}},
}
if LOG_FORMAT == "json":
    # Python's warnings (a library's deprecation, a missing directory) become log lines too, not
    # lines of text among the JSON.
    logging.captureWarnings(True)

# --- Health and metrics (reports/ops/) ---
# A worker writes its heartbeat to Redis this often; /readyz fails when the newest is older than
# DMARC_WORKER_STALE_SECONDS, or when beat sent no task for DMARC_BEAT_STALE_SECONDS (beat sends
# one every DMARC_HEARTBEAT_SECONDS).
DMARC_HEARTBEAT_SECONDS = envint("DMARC_HEARTBEAT_SECONDS", 15, minimum=1)
DMARC_WORKER_STALE_SECONDS = envint("DMARC_WORKER_STALE_SECONDS", 45, minimum=1)
DMARC_BEAT_STALE_SECONDS = envint("DMARC_BEAT_STALE_SECONDS", 90, minimum=1)
if min(DMARC_WORKER_STALE_SECONDS, DMARC_BEAT_STALE_SECONDS) <= DMARC_HEARTBEAT_SECONDS:
    raise ImproperlyConfigured(
        "DMARC_WORKER_STALE_SECONDS and DMARC_BEAT_STALE_SECONDS must be greater than DMARC_HEARTBEAT_SECONDS"
    )
CELERY_BEAT_SCHEDULE["heartbeat"] = _every("reports.ops.tasks.beat_heartbeat", DMARC_HEARTBEAT_SECONDS)
# /metrics answers the bearer of this token (also DMARC_METRICS_TOKEN_FILE), or the addresses and
# networks listed here (comma-separated, e.g. 10.0.0.0/8,127.0.0.1); with neither, nobody.
DMARC_METRICS_TOKEN = envsecret("DMARC_METRICS_TOKEN")
try:
    DMARC_METRICS_ALLOW = [
        ipaddress.ip_network(n.strip(), strict=False)
        for n in env.list("DMARC_METRICS_ALLOW", default=[])
        if n.strip()
    ]
except ValueError as e:
    raise ImproperlyConfigured(f"DMARC_METRICS_ALLOW has an invalid value: {e}") from None

# --- Access, secrets and deployment hardening (reports/access/) ---
# Fernet keys for stored credentials, comma-separated: the first encrypts, all decrypt.
DMARC_ENCRYPTION_KEY = envsecret("DMARC_ENCRYPTION_KEY")
from reports.access.crypto import parse_keys  # noqa: E402 - needs nothing but the value

DMARC_ENCRYPTION_KEYS = parse_keys(DMARC_ENCRYPTION_KEY, SECRET_KEY)

# --- The REST API (reports/api/) ---
# Requests one token may make a minute, counted in Redis (DMARC_API_RATE_REDIS_URL, default the broker's).
DMARC_API_RATE_PER_MINUTE = envint("DMARC_API_RATE_PER_MINUTE", 600, minimum=1)
DMARC_API_RATE_REDIS_URL = env.str("DMARC_API_RATE_REDIS_URL", default=CELERY_BROKER_URL)

# Sign-in throttling and single sign-on, the API framework, the CSP and HTTPS behind a proxy:
# dmarcapp/settings_web.py.
from dmarcapp.settings_web import *  # noqa: E402,F403

# Without an issuer the backend authenticates nobody; with it, tests and deployments need no other switch.
AUTHENTICATION_BACKENDS.append("reports.sso.backend.SsoBackend")
