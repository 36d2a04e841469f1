"""Settings for the DMARC report dashboard.

Everything that differs between machines comes from the environment (or a
`.env` file beside manage.py). A bad value stops the start with an
ImproperlyConfigured error that names the variable, instead of running with a
silently wrong setting.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# `make run` writes a .env with a generated SECRET_KEY; real environment
# variables win over it. DMARC_ENV_FILE=/dev/null ignores it (the tests do).
environ.Env.read_env(env.str("DMARC_ENV_FILE", default=str(BASE_DIR / ".env")))


def envbool(name, default):
    # Only true/false-like words: DEBUG=yse must stop the start, not mean False.
    raw = env.str(name, default="")
    if raw == "":
        return default
    low = raw.strip().lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def envint(name, default, minimum=0):
    raw = env.str(name, default="")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def envsecret(name, default=""):
    """Read NAME, or the file named by NAME_FILE (container secrets)."""
    path = env.str(f"{name}_FILE", default="")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as e:
            raise ImproperlyConfigured(f"{name}_FILE cannot be read: {e.strerror}") from None
    return env.str(name, default=default)


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
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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

# Uploads are report files: allow up to the input limit in memory-backed form data.
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
DMARC_MAX_DECOMPRESSED_BYTES = envint("DMARC_MAX_DECOMPRESSED_BYTES", 100 * 1024 * 1024, minimum=1)
DMARC_MAX_ZIP_MEMBERS = envint("DMARC_MAX_ZIP_MEMBERS", 20, minimum=1)
DMARC_MAX_NESTING = envint("DMARC_MAX_NESTING", 4, minimum=1)
# A report's counts are spread over the days of its period: a forged period of
# decades would write a row per record and day. Real periods are a day, at most weeks.
DMARC_MAX_PERIOD_DAYS = envint("DMARC_MAX_PERIOD_DAYS", 92, minimum=1)

# --- DNS for the rollout assistant (reports/rollout/resolve.py) ---
# host or host:port ([v6]:port), comma-separated; empty = the system resolver.
DMARC_DNS_NAMESERVERS = env.list("DMARC_DNS_NAMESERVERS", default=[])
DMARC_DNS_TIMEOUT = envint("DMARC_DNS_TIMEOUT", 3, minimum=1)  # seconds for one lookup, all servers

# --- Freshness of the data behind a verdict (reports/freshness/) ---
# Readiness needs a report within this many days and every mailbox polled within this many hours.
DMARC_FRESH_REPORT_DAYS = envint("DMARC_FRESH_REPORT_DAYS", 3, minimum=1)
DMARC_FRESH_POLL_HOURS = envint("DMARC_FRESH_POLL_HOURS", 6, minimum=1)

# --- IMAP polling (reports/mailbox.py) ---
DMARC_POLL_INTERVAL = envint("DMARC_POLL_INTERVAL", 300, minimum=10)  # seconds between beat polls
DMARC_POLL_MAX_MESSAGES = envint("DMARC_POLL_MAX_MESSAGES", 500, minimum=1)  # a backlog drains over polls
DMARC_POLL_BATCH = envint("DMARC_POLL_BATCH", 50, minimum=1)  # messages per UID FETCH
DMARC_IMAP_TIMEOUT = envint("DMARC_IMAP_TIMEOUT", 30, minimum=1)  # socket timeout, seconds
DMARC_RETRY_BACKOFF = envint("DMARC_RETRY_BACKOFF", 15, minimum=1)  # first retry delay, doubles each time
# Days to keep a filed message's raw bytes; its reports keep their own. 0 keeps them forever.
DMARC_KEEP_RAW_MAIL_DAYS = envint("DMARC_KEEP_RAW_MAIL_DAYS", 30, minimum=0)
# Redis redelivers a task whose worker died after this many seconds; it must
# exceed the longest retry countdown, or retries run twice (harmless, but wasted).
# Workers look for such tasks every 10 s (kombu's default is every 100 s).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=1),
    "unacked_restore_interval": 10,
    "unacked_restore_throttle": 1,
}
# One mailbox may be defined in the environment (the usual container set-up);
# it is kept in step with the Mailbox row named "env".
DMARC_IMAP = None
if env.str("DMARC_IMAP_HOST", default=""):
    _security = env.str("DMARC_IMAP_SECURITY", default="tls").strip().lower()
    if _security not in ("tls", "starttls", "none"):
        raise ImproperlyConfigured(f"DMARC_IMAP_SECURITY must be tls, starttls or none, not {_security!r}")
    DMARC_IMAP = {
        "host": env.str("DMARC_IMAP_HOST"),
        "port": envint("DMARC_IMAP_PORT", 993 if _security == "tls" else 143, minimum=1),
        "security": _security,
        "username": env.str("DMARC_IMAP_USER", default=""),
        "password": envsecret("DMARC_IMAP_PASSWORD"),
        "ca_file": env.str("DMARC_IMAP_CA_FILE", default=""),
        "folder": env.str("DMARC_IMAP_FOLDER", default="INBOX"),
        "processed_folder": env.str("DMARC_IMAP_PROCESSED_FOLDER", default="DMARC/Processed"),
        "failed_folder": env.str("DMARC_IMAP_FAILED_FOLDER", default="DMARC/Failed"),
    }
    if not DMARC_IMAP["username"]:
        raise ImproperlyConfigured("DMARC_IMAP_USER must be set when DMARC_IMAP_HOST is set")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
