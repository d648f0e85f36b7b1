"""The one settings module, configured by environment variables.

With nothing set the service runs on an embedded default (SQLite, files and
a Celery broker under ``DATA_DIR``) so ``make run`` works on a fresh machine.
``DATABASE_URL``, ``REDIS_URL``/``CELERY_BROKER_URL`` and ``S3_BUCKET`` move
the same code onto PostgreSQL, Redis and S3-compatible storage. README.md
lists every variable.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from celery.schedules import crontab
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from hatecrime import env

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env.string("DATA_DIR", str(BASE_DIR / "data")))

DEBUG = env.boolean("DEBUG", default=False)
EMBEDDED = not env.is_set("DATABASE_URL")


def _development_secrets() -> dict[str, str]:
    """Keys for the embedded default only, generated once and kept in DATA_DIR.

    A deployment (DATABASE_URL set, DEBUG off) must provide its own keys; we
    refuse to start rather than invent keys nobody has a copy of.
    """
    if not (EMBEDDED or DEBUG):
        raise ImproperlyConfigured(
            "SECRET_KEY, FIELD_ENCRYPTION_KEYS and BLIND_INDEX_KEY must be set "
            "when DATABASE_URL is set and DEBUG is off."
        )
    path = DATA_DIR / "development-secrets.json"
    if path.exists():
        loaded: dict[str, str] = json.loads(path.read_text())
        return loaded
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    generated = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "BLIND_INDEX_KEY": secrets.token_urlsafe(32),
    }
    path.write_text(json.dumps(generated))
    path.chmod(0o600)
    return generated


def _secret(name: str) -> str:
    return env.string(name) or _development_secrets()[name]


SECRET_KEY = _secret("SECRET_KEY")
# Field encryption keys, newest first: new values are encrypted with the first
# key, any listed key decrypts (MultiFernet), so keys rotate without downtime.
FIELD_ENCRYPTION_KEYS = [k for k in _secret("FIELD_ENCRYPTION_KEYS").split(",") if k.strip()]
for _key in FIELD_ENCRYPTION_KEYS:
    try:
        Fernet(_key.strip())
    except ValueError as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must be comma-separated Fernet keys "
            "(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
        ) from exc
# Key for blind indexes (keyed hashes of normalised email and phone) used to
# spot a repeat victim without comparing plaintext.
BLIND_INDEX_KEY = _secret("BLIND_INDEX_KEY")

ALLOWED_HOSTS = env.string_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.string_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env.string("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "django_ratelimit",
    "privacy",
    "audit",
    "evidence",
    "reports",
    "referrals",
    "grants",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "reports.middleware.PrivatePublicPagesMiddleware",
]

ROOT_URLCONF = env.string("ROOT_URLCONF", "hatecrime.urls")
WSGI_APPLICATION = "hatecrime.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "reports.context_processors.public_site",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
if EMBEDDED:
    DATABASES: dict[str, Any] = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "db.sqlite3",
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    }
else:
    try:
        DATABASES = {
            "default": dj_database_url.parse(
                env.string("DATABASE_URL"),
                conn_max_age=env.integer("DATABASE_CONN_MAX_AGE", 60, minimum=0),
                conn_health_checks=True,
            )
        }
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL cannot be parsed: {exc}") from exc
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits, lockouts) -----------------------------------------
REDIS_URL = env.string("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "hatecrime.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.string("CACHE_KEY_PREFIX", "hatecrime"),
        }
    }
else:
    # Shared by the web and worker processes of the embedded default.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }

# --- Sessions --------------------------------------------------------------
# The reporting journey keeps answers server-side; the store encrypts them
# with the field-encryption keys so a half-finished report is never plaintext
# in the database.
SESSION_ENGINE = "privacy.sessions"
SESSION_COOKIE_AGE = env.integer("SESSION_COOKIE_AGE", 2 * 60 * 60, minimum=60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEBUG and env.boolean("SECURE_COOKIES", default=not EMBEDDED)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True

# --- Passwords -------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "reports.secrets.FollowUpSecretHasher",
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

# --- Languages -------------------------------------------------------------
LANGUAGE_CODE = "en"
# Public pages in these languages; each non-English catalogue (locale/) needs
# review by a native speaker before going live (docs/translations.md).
LANGUAGES = [
    ("en", _("English")),
    ("cy", _("Welsh")),
    ("pl", _("Polish")),
    ("ar", _("Arabic")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
# The language chosen with the switcher is kept for the visit only: a browser
# session cookie, like the journey's own (nothing left behind on the device).
LANGUAGE_COOKIE_AGE = None
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "Europe/London"
USE_TZ = True

# --- Static and uploaded files ----------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
S3_BUCKET = env.string("S3_BUCKET")


def _s3_transfer_config() -> Any:
    from boto3.s3.transfer import TransferConfig

    return TransferConfig(multipart_chunksize=8 * 1024 * 1024, max_concurrency=2)


if S3_BUCKET:
    _private_files: dict[str, Any] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env.string("S3_ENDPOINT_URL") or None,
            "region_name": env.string("S3_REGION") or None,
            "access_key": env.string("S3_ACCESS_KEY_ID") or None,
            "secret_key": env.string("S3_SECRET_ACCESS_KEY") or None,
            # Evidence is never public: private objects, encrypted at rest,
            # reached only through short-lived signed URLs.
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": env.integer("S3_URL_EXPIRY_SECONDS", 60, minimum=1),
            "object_parameters": {"ServerSideEncryption": "AES256"},
            "file_overwrite": False,
            # Evidence originals are streamed in: a few 8 MB parts in flight
            # at once keeps a worker's memory bounded for a 2 GB video.
            "transfer_config": _s3_transfer_config(),
        },
    }
else:
    _private_files = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        # No base_url: these files are never served from a public URL; and
        # readable by the service's own user only (originals, derivatives,
        # subject access exports alike).
        "OPTIONS": {
            "location": str(DATA_DIR / "private"),
            "base_url": None,
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    }
STORAGES = {
    "default": _private_files,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Uploaded files are never served from a public URL: no view answers this
# path (Django's test server needs MEDIA_URL to be a string).
MEDIA_URL = "/uploaded-files-are-never-served/"

# --- Celery ----------------------------------------------------------------
CELERY_BROKER_URL = env.string("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {}
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = DATA_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Otherwise kombu keeps its exchange table in ./control, in the checkout.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # Longer than the longest task (including its retries' countdowns) so a
    # message is not redelivered while its task is still running.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.integer("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=60)
    }
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.integer("CELERY_TASK_TIME_LIMIT", 120, minimum=1)
CELERY_TASK_SOFT_TIME_LIMIT = env.integer("CELERY_TASK_SOFT_TIME_LIMIT", 90, minimum=1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True

# Queues, one worker (pool) per kind of work, so a burst of one never starves
# another: `delivery` is I/O bound (webhooks, email: a thread pool, many
# concurrent sends per process), `processing` is CPU bound (evidence scans,
# thumbnails, video: prefork, one process per core), `periodic` is the beat
# schedule's housekeeping. Tasks nobody routed go to `celery`. Exact names are
# matched before patterns, so the exceptions are listed first; patterns route
# whole modules, so a new task lands in its module's queue (evidence.tasks.*
# included, before that app has tasks).
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES: dict[str, dict[str, str]] = {
    "referrals.tasks.deliveries_sweep": {"queue": "periodic"},
    "referrals.tasks.overdue_digest": {"queue": "periodic"},
    # An email to the system administrators, sent from a web request.
    "audit.tasks.audit_alert_burst": {"queue": "delivery"},
    # Evidence's housekeeping on the beat schedule (cheap, and must not wait
    # behind a 2 GB video on the processing queue).
    "evidence.tasks.evidence_purge_task": {"queue": "periodic"},
    "evidence.tasks.evidence_requeue_stale_task": {"queue": "periodic"},
    "referrals.tasks.*": {"queue": "delivery"},
    "evidence.tasks.*": {"queue": "processing"},
    "privacy.tasks.*": {"queue": "periodic"},
    "audit.tasks.*": {"queue": "periodic"},
}
# Every queue a worker must consume for all work to run (bin/run's single
# worker takes them all; docker-compose.yml runs one worker per queue).
CELERY_QUEUE_NAMES = ["delivery", "processing", "periodic", "celery"]

# --- Referrals: delivery, retries, the sweeper ---------------------------------
# One HTTP call to a recipient may take this long (connect, send, read).
REFERRAL_DELIVERY_TIMEOUT_SECONDS = env.integer("REFERRAL_DELIVERY_TIMEOUT_SECONDS", 15, minimum=1)
# Attempts before a delivery is marked failed and raised to staff.
REFERRAL_MAX_ATTEMPTS = env.integer("REFERRAL_MAX_ATTEMPTS", 8, minimum=1)
# Exponential backoff between attempts (factor and cap, seconds; full jitter).
REFERRAL_RETRY_BACKOFF_SECONDS = env.integer("REFERRAL_RETRY_BACKOFF_SECONDS", 30, minimum=1)
REFERRAL_RETRY_BACKOFF_MAX_SECONDS = env.integer(
    "REFERRAL_RETRY_BACKOFF_MAX_SECONDS", 30 * 60, minimum=1
)
# Per-task time limits: a recipient that hangs is cut off and retried.
REFERRAL_TASK_SOFT_TIME_LIMIT = env.integer(
    "REFERRAL_TASK_SOFT_TIME_LIMIT", REFERRAL_DELIVERY_TIMEOUT_SECONDS + 15, minimum=1
)
REFERRAL_TASK_TIME_LIMIT = env.integer(
    "REFERRAL_TASK_TIME_LIMIT", REFERRAL_TASK_SOFT_TIME_LIMIT + 15, minimum=1
)
# A worker's claim on a delivery lasts longer than the task can run, so two
# workers never send the same delivery at once; a killed worker's claim expires.
REFERRAL_CLAIM_SECONDS = env.integer(
    "REFERRAL_CLAIM_SECONDS", REFERRAL_TASK_TIME_LIMIT + 30, minimum=1
)
# The sweeper re-queues deliveries still pending this long after they were
# due (lost message, broker data lost, worker killed).
REFERRAL_SWEEP_INTERVAL_SECONDS = env.integer("REFERRAL_SWEEP_INTERVAL_SECONDS", 60, minimum=1)
REFERRAL_SWEEP_GRACE_SECONDS = env.integer("REFERRAL_SWEEP_GRACE_SECONDS", 5 * 60, minimum=0)
# Staff told when a referral cannot be delivered after every attempt.
REFERRAL_ALERT_EMAILS = env.string_list("REFERRAL_ALERT_EMAILS")
if REFERRAL_CLAIM_SECONDS <= REFERRAL_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        "REFERRAL_CLAIM_SECONDS must be longer than REFERRAL_TASK_TIME_LIMIT"
    )
if (
    CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 10**9)
    <= REFERRAL_RETRY_BACKOFF_MAX_SECONDS
):
    # A retry waits in the worker (unacknowledged) for its countdown; past
    # the visibility timeout Redis would hand it to a second worker.
    raise ImproperlyConfigured(
        "REFERRAL_RETRY_BACKOFF_MAX_SECONDS must be shorter than CELERY_VISIBILITY_TIMEOUT"
    )

# Beat schedules, in code (run `celery -A hatecrime beat`, one per deployment).
CELERY_BEAT_SCHEDULE: dict[str, Any] = {
    "referrals-sweep": {
        "task": "referrals.tasks.deliveries_sweep",
        "schedule": float(REFERRAL_SWEEP_INTERVAL_SECONDS),
    },
    "referrals-overdue-digest": {
        "task": "referrals.tasks.overdue_digest",
        "schedule": crontab(hour=7, minute=30, day_of_week="mon-fri"),
    },
}

CELERY_BEAT_SCHEDULE |= {
    # Staged evidence nobody submitted is deleted after EVIDENCE_STAGED_TTL_SECONDS.
    "evidence-purge-unclaimed": {"task": "evidence.tasks.evidence_purge_task", "schedule": 3600.0},
    # Evidence a lost message or a dead worker left unchecked is queued again.
    "evidence-requeue-stale": {
        "task": "evidence.tasks.evidence_requeue_stale_task",
        "schedule": 300.0,
    },
}

# --- Evidence --------------------------------------------------------------
# Limits are enforced while bytes arrive, never after a whole file is stored.
_MB = 1024 * 1024
EVIDENCE_MAX_BYTES = {
    "image": env.integer("EVIDENCE_MAX_IMAGE_BYTES", 50 * _MB, minimum=1),
    "video": env.integer("EVIDENCE_MAX_VIDEO_BYTES", 2048 * _MB, minimum=1),
    "audio": env.integer("EVIDENCE_MAX_AUDIO_BYTES", 500 * _MB, minimum=1),
    "document": env.integer("EVIDENCE_MAX_DOCUMENT_BYTES", 50 * _MB, minimum=1),
}
EVIDENCE_MAX_FILES = env.integer("EVIDENCE_MAX_FILES", 20, minimum=1)
# One chunk of the chunked upload protocol: the most a request may carry.
# A chunk is streamed to disk in 2 MiB blocks, never held, so this bounds
# only what a dropped connection loses (the chunk is sent again) and how
# many requests a file takes: each request costs about 7 ms (the middleware,
# the throttle, three queries, the closing fdatasync) whatever its size,
# against about 1 ms per MB received, so at 32 MB a quarter of a fast
# upload's time went on requests (make bench). Clients may send smaller
# chunks (the web page sends 4 MB, for weak connections).
EVIDENCE_CHUNK_MAX_BYTES = env.integer("EVIDENCE_CHUNK_MAX_BYTES", 256 * _MB, minimum=1024)
EVIDENCE_STAGED_TTL_SECONDS = env.integer("EVIDENCE_STAGED_TTL_SECONDS", 24 * 60 * 60, minimum=60)
# Lifetime of the signed evidence links in a police referral's payload: long
# enough for the force's system to fetch them, short enough that a leaked
# payload does not open the files for long. Each retry signs new links.
EVIDENCE_LINK_TTL_SECONDS = env.integer("EVIDENCE_LINK_TTL_SECONDS", 24 * 60 * 60, minimum=60)
# Pillow refuses images with more pixels than this (decompression bombs).
EVIDENCE_MAX_IMAGE_PIXELS = env.integer("EVIDENCE_MAX_IMAGE_PIXELS", 64_000_000, minimum=1)
# clamd: a unix socket path, or host:port.
CLAMD_ADDRESS = env.string("CLAMD_ADDRESS", "/run/clamav/clamd.ctl")
CLAMD_TIMEOUT_SECONDS = env.integer("CLAMD_TIMEOUT_SECONDS", 120, minimum=1)
# Processing a 2 GB video (scan, full decode, poster) takes minutes, not seconds.
EVIDENCE_PROCESS_TIMEOUT_SECONDS = env.integer("EVIDENCE_PROCESS_TIMEOUT_SECONDS", 1800, minimum=10)
FFPROBE_BINARY = env.string("FFPROBE_BINARY", "ffprobe")
FFMPEG_BINARY = env.string("FFMPEG_BINARY", "ffmpeg")

# --- API -------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "reports.api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "report_create": env.string("THROTTLE_REPORT_CREATE", "20/hour"),
        "report_lookup": env.string("THROTTLE_REPORT_LOOKUP", "60/hour"),
        "evidence_upload": env.string("THROTTLE_EVIDENCE_UPLOAD", "2000/hour"),
    },
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Hate crime reporting API",
    "DESCRIPTION": (
        "Report a hate crime or incident and follow it up. A report returns a "
        "reference and a follow-up secret; keep both to see its progress."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"YesNoUnsureEnum": "reports.models.YesNoUnsure"},
}

# --- The public journey ----------------------------------------------------
# Where "Leave this site" sends someone: a neutral, busy page.
QUICK_EXIT_URL = env.string("QUICK_EXIT_URL", "https://www.bbc.co.uk/weather")
# Follow-up lookups: wrong secrets allowed per reference, and per client,
# before a lockout of FOLLOW_UP_LOCKOUT_SECONDS.
FOLLOW_UP_MAX_FAILURES_PER_REFERENCE = env.integer(
    "FOLLOW_UP_MAX_FAILURES_PER_REFERENCE", 5, minimum=1
)
FOLLOW_UP_MAX_FAILURES_PER_CLIENT = env.integer("FOLLOW_UP_MAX_FAILURES_PER_CLIENT", 20, minimum=1)
FOLLOW_UP_LOCKOUT_SECONDS = env.integer("FOLLOW_UP_LOCKOUT_SECONDS", 15 * 60, minimum=1)
# Scripts, not people: a report sent sooner than this after its first page
# is shown again and must be sent once more (after REPORT_RESEND_MIN_SECONDS).
REPORT_MIN_SECONDS = env.integer("REPORT_MIN_SECONDS", 5, minimum=0)
REPORT_RESEND_MIN_SECONDS = env.integer("REPORT_RESEND_MIN_SECONDS", 2, minimum=0)
# Rate limits on the public pages (django-ratelimit rates, counted in the cache).
RATELIMIT_REPORT_PER_CLIENT = env.string("RATELIMIT_REPORT_PER_CLIENT", "10/h")
RATELIMIT_REPORT_PER_SESSION = env.string("RATELIMIT_REPORT_PER_SESSION", "5/h")
RATELIMIT_FOLLOW_UP_PER_CLIENT = env.string("RATELIMIT_FOLLOW_UP_PER_CLIENT", "30/h")
RATELIMIT_USE_CACHE = "default"
# django-ratelimit's list of "official" caches predates Django's own
# RedisCache, whose increments are atomic (Redis INCR).
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
if not REDIS_URL:
    # The embedded default shares a file cache between its web and worker
    # processes. Its increments are not atomic, so under a race a limit may
    # let a request or two more through: acceptable on one demo machine;
    # every deployment uses Redis.
    SILENCED_SYSTEM_CHECKS.append("django_ratelimit.E003")
# Number of proxies in front of the service whose X-Forwarded-For is trusted
# for the client address used by rate limits (never stored with a report).
TRUSTED_PROXY_COUNT = env.integer("TRUSTED_PROXY_COUNT", 0, minimum=0)

# --- Security --------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG and not EMBEDDED:
    SECURE_SSL_REDIRECT = env.boolean("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.integer("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Email -----------------------------------------------------------------
EMAIL_HOST = env.string("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = env.integer("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env.string("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env.string("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env.boolean("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.integer("EMAIL_TIMEOUT", 15, minimum=1)
DEFAULT_FROM_EMAIL = env.string("DEFAULT_FROM_EMAIL", "no-reply@hatecrime.invalid")
if EMBEDDED and not env.is_set("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = DATA_DIR / "outbox"

# --- Logging ---------------------------------------------------------------
# Nothing about a report is logged except its reference; request bodies and
# query strings are never logged.
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # At the handler, so no logger's level can let victim data past them
    # (hatecrime/logfilters.py says what each removes).
    "filters": {
        "request_path_only": {"()": "hatecrime.logfilters.RequestPathOnly"},
        "no_template_variable_misses": {"()": "hatecrime.logfilters.NoTemplateVariableMisses"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_path_only", "no_template_variable_misses"],
        }
    },
    "root": {"handlers": ["console"], "level": env.string("LOG_LEVEL", "INFO")},
    "loggers": {
        # django.request logs the full URL and, on errors, the request; the
        # reporting pages keep personal data out of URLs, and error reports
        # are scrubbed by Django's SafeExceptionReporterFilter.
        "django.request": {"level": "ERROR"},
    },
}

# --- Staff sign-in, sessions and the access log ------------------------------
INSTALLED_APPS += [
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "django_otp.middleware.OTPMiddleware",
)
MIDDLEWARE += ["audit.middleware.StaffSessionPolicyMiddleware", "axes.middleware.AxesMiddleware"]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failed staff sign-ins: locked out after AXES_FAILURE_LIMIT attempts for a
# username from one address, for an hour.
AXES_FAILURE_LIMIT = env.integer("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env.integer("AXES_COOLOFF_HOURS", 1, minimum=1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "audit/locked_out.html"
AXES_VERBOSE = False
# Staff sessions end after 30 minutes idle and 12 hours at most.
STAFF_SESSION_IDLE_SECONDS = env.integer("STAFF_SESSION_IDLE_SECONDS", 30 * 60, minimum=60)
STAFF_SESSION_MAX_SECONDS = env.integer("STAFF_SESSION_MAX_SECONDS", 12 * 60 * 60, minimum=60)
# Sensitive actions (exports, evidence downloads, deletions, role changes)
# ask for the second factor again when the last check is older than this.
STAFF_REVERIFY_SECONDS = env.integer("STAFF_REVERIFY_SECONDS", 15 * 60, minimum=60)
OTP_TOTP_ISSUER = env.string("OTP_TOTP_ISSUER", "Hate crime reporting (staff)")
# One account viewing this many records within the window alerts the system
# administrators.
AUDIT_BURST_THRESHOLD = env.integer("AUDIT_BURST_THRESHOLD", 200, minimum=1)
AUDIT_BURST_WINDOW_SECONDS = env.integer("AUDIT_BURST_WINDOW_SECONDS", 5 * 60, minimum=1)
SYSTEM_ADMINISTRATOR_GROUP = "System administrator"
ADMINS = [("Administrator", email) for email in env.string_list("ADMINS_EMAILS")]
STAFF_LOGIN_URL = "/staff/login/"

# --- Headers: CSP (no inline scripts), Permissions-Policy ---------------------
INSTALLED_APPS += ["csp", "drf_spectacular_sidecar", "django_prometheus"]
MIDDLEWARE.insert(0, "django_prometheus.middleware.PrometheusBeforeMiddleware")
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "django_permissions_policy.PermissionsPolicyMiddleware",
)
MIDDLEWARE += [
    "csp.middleware.CSPMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "media-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
PERMISSIONS_POLICY: dict[str, list[str]] = {
    "accelerometer": [],
    "autoplay": [],
    "camera": ["self"],  # recording a video statement
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": ["self"],  # recording an audio statement
    "payment": [],
    "usb": [],
}
SPECTACULAR_SETTINGS.update(
    {
        # Served by the service itself: no CDN.
        "SWAGGER_UI_DIST": "SIDECAR",
        "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
        "REDOC_DIST": "SIDECAR",
    }
)
# Readiness: each dependency needed to accept a report (name -> check).
HEALTH_CHECKS = {
    "database": "hatecrime.health.database",
    "broker": "hatecrime.health.broker",
    "storage": "hatecrime.health.storage",
}
# /metrics for Prometheus: from loopback, or with this bearer token.
METRICS_TOKEN = env.string("METRICS_TOKEN")

# --- Logs ----------------------------------------------------------------------
# LOG_FORMAT=json gives one JSON object per line for a log pipeline. Nothing
# about a report is logged except its reference.
if env.choice("LOG_FORMAT", ("plain", "json"), "plain") == "json":
    LOGGING["formatters"]["json"] = {
        "()": "pythonjsonlogger.json.JsonFormatter",
        "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
        "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
    }
    LOGGING["handlers"]["console"]["formatter"] = "json"

# --- Privacy lifecycle -----------------------------------------------------------
# Each record kind's retention is applied by its own app (dotted paths), so
# the privacy app imports none of them. Policies (how long, and why) are set
# in the staff site.
RETENTION_HANDLERS = {
    "report": "reports.retention.report_retention_apply",
    "evidence": "evidence.retention.evidence_retention_apply",
    "referral": "referrals.retention.referral_retention_apply",
    "case": "referrals.retention.case_retention_apply",
    "access_log": "audit.retention.access_log_retention_apply",
    "subject_export": "privacy.services.subject_export_retention_apply",
}
# What each app holds about a person (access requests) and how it erases it.
# Erasers run in this order: referrals (and cases) before reports, which
# remove the contact details the others match the person by.
SUBJECT_DATA_COLLECTORS = [
    "reports.retention.report_subject_data",
    "referrals.retention.referral_subject_data",
]
SUBJECT_ERASERS = [
    "referrals.retention.referral_subject_erase",
    "reports.retention.report_subject_erase",
]
# Daily, at a quiet hour (03:15 local time), not "every 24 hours from
# whenever beat started".
CELERY_BEAT_SCHEDULE["privacy-retention-daily"] = {
    "task": "privacy.tasks.retention_apply_task",
    "schedule": crontab(hour=3, minute=15),
}
# --- Grants ----------------------------------------------------------------
# Awards above this amount (whole pounds) need a decision by the commissioner
# or deputy mayor themselves, not an officer under delegation (MOPAC's scheme
# of delegation: £499,000, PCD 174 and PCD 543).
GRANTS_DELEGATED_LIMIT = env.integer("GRANTS_DELEGATED_LIMIT", 499_000, minimum=0)
# A quarterly monitoring return is due this many days after its quarter ends.
GRANTS_RETURN_DUE_DAYS = env.integer("GRANTS_RETURN_DUE_DAYS", 30, minimum=1)
# The publisher's 360Giving identifier prefix (issued by 360Giving) and the
# publisher named in the open-data package.
# How long the reports picture's (suppressed, aggregate) tables are cached.
GRANTS_INSIGHTS_CACHE_SECONDS = env.integer("GRANTS_INSIGHTS_CACHE_SECONDS", 300, minimum=0)
# The aggregate picture is counted ahead of visitors on this schedule (over a
# million reports the counts take seconds); pages read it from the cache.
CELERY_BEAT_SCHEDULE["grants-insights-refresh"] = {
    "task": "grants.tasks.insights_refresh_task",
    "schedule": float(max(GRANTS_INSIGHTS_CACHE_SECONDS, 60)),
}
CELERY_TASK_ROUTES["grants.tasks.*"] = {"queue": "periodic"}
GRANTS_360GIVING_PREFIX = env.string("GRANTS_360GIVING_PREFIX", "360G-hatecrime-demo")
GRANTS_360GIVING_PUBLISHER = env.string(
    "GRANTS_360GIVING_PUBLISHER", "Hate crime reporting service"
)
