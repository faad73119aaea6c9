"""Backchannel settings. Every value comes from the environment, with development defaults."""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from config.env import (
    database_from_url,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_networks,
    env_str,
    env_url,
    secret_key_is_weak,
)
from devserver import devdb

BASE_DIR = Path(__file__).resolve().parent.parent
DEVDATA_DIR = devdb.DEVDATA_DIR

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false")
    SECRET_KEY = "development-only-not-secret-" + "x" * 32
elif not DEBUG and secret_key_is_weak(SECRET_KEY):
    # Signed sessions, password-reset links and CSRF tokens are only as strong as this key.
    raise ImproperlyConfigured(
        "SECRET_KEY is too weak for DEBUG=false: use at least 50 characters with at least 5 "
        "different ones, e.g. the output of "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Reading is open to anonymous visitors when true (the demo); writing always needs a user.
PUBLIC_READ = env_bool("PUBLIC_READ", True)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "accounts",
    "articles",
    "diplomacy",
    "alerts",
]

MIDDLEWARE = [
    # First: everything after it sees the client's real address and scheme.
    "accounts.proxies.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside the session middleware, so that a session saved by a request counts as a write.
    "accounts.replicas.ReplicaReadMiddleware",
    "diplomacy.revision.RequestRevisionMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "diplomacy.context_processors.curation",
            ],
        },
    },
]

# Database: DATABASE_URL, else the embedded cluster under .devdata/pg (see devserver/devdb.py).
DATABASE_URL = env_str("DATABASE_URL").strip()
EMBEDDED_DATABASE = not DATABASE_URL
if EMBEDDED_DATABASE:
    database = devdb.database_settings()
else:
    database = database_from_url("DATABASE_URL", DATABASE_URL)
# A connection pooler in front of PostgreSQL: "transaction" (PgBouncer's pool_mode=transaction)
# hands each transaction to any server connection, so nothing may live across transactions:
# no server-side cursors (Django opens them outside transactions for .iterator()); prepared
# statements stay off, as Django leaves them; advisory locks are transaction-scoped already.
DATABASE_POOLER = env_str("DATABASE_POOLER").strip().lower()
if DATABASE_POOLER not in ("", "transaction"):
    raise ImproperlyConfigured(
        f"DATABASE_POOLER must be empty or transaction, not {DATABASE_POOLER!r}"
    )


# psycopg prepares a statement after this many runs unless told to at once: never, in effect.
PREPARE_ONLY_WHEN_ASKED = 2**31 - 1


def _connection_settings(database: dict) -> dict:
    # Django's backend, but with a health check that reads the socket (config/postgresql).
    database["ENGINE"] = "config.postgresql"
    # Reuse connections for a minute, and check them first so a restarted server is survived.
    database["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60, minimum=0)
    database["CONN_HEALTH_CHECKS"] = True
    options = database.setdefault("OPTIONS", {})
    options["connect_timeout"] = env_int("DB_CONNECT_TIMEOUT", 5, 1)
    if DATABASE_POOLER == "transaction":
        database["DISABLE_SERVER_SIDE_CURSORS"] = True
        options["prepare_threshold"] = None
    else:
        # No JIT compilation: the pages' statements run in milliseconds, and a compile that
        # a row estimate sets off costs 100 ms and more (a pooler takes no startup options:
        # there, set jit = off on the server, as the embedded cluster and compose do).
        options.setdefault("options", "-c jit=off")
        # Prepared statements on, but only for the statements that ask for it (the meeting
        # list's, diplomacy/selectors/meeting_list.py): Django binds its own queries on the
        # client, and psycopg never prepares those, whatever the threshold.
        options.setdefault("prepare_threshold", PREPARE_ONLY_WHEN_ASKED)
    return database


DATABASES = {"default": _connection_settings(database)}
# Read replicas (comma-separated URLs): pages and the API read from one of them, writes and
# the reads that follow a client's own write go to the primary (accounts/replicas.py). The
# worker and management commands always use the primary. In tests each replica mirrors the
# test database.
DATABASE_REPLICAS = []
for _number, _url in enumerate(env_list("DATABASE_REPLICA_URLS", []), start=1):
    _replica = database_from_url(f"DATABASE_REPLICA_URLS (entry {_number})", _url)
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES[f"replica_{_number - 1}"] = _connection_settings(_replica)
    DATABASE_REPLICAS.append(f"replica_{_number - 1}")
DATABASE_ROUTERS = ["accounts.replicas.ReplicaRouter"] if DATABASE_REPLICAS else []
# Seconds after a client's own write during which its reads go to the primary, so that it sees
# what it wrote even when a replica lags.
DATABASE_PRIMARY_AFTER_WRITE = env_int("DATABASE_PRIMARY_AFTER_WRITE", 5, minimum=0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_url("REDIS_URL", "redis://127.0.0.1:6379/0", ("redis", "rediss", "unix"))

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "backchannel",
        # Rendered meeting cards (~2 KB each) for a few dozen timeline pages; 300 would churn.
        "OPTIONS": {"MAX_ENTRIES": env_int("CACHE_MAX_ENTRIES", 5000, minimum=100)},
    }
}
if env_bool("CACHE_REDIS", False):
    CACHES["default"] = {
        "BACKEND": "config.cache.RedisCache",
        "LOCATION": REDIS_URL,
        # A frozen Redis fails a request in seconds instead of holding a worker indefinitely.
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        # Several sites (or databases) sharing one Redis keep their cached values apart.
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX"),
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Django's backend with a brake on guessing: every sign-in form, the admin's included, stops
# accepting passwords after repeated failures (accounts/auth.py).
AUTHENTICATION_BACKENDS = ["accounts.auth.RateLimitedModelBackend"]
# API tokens stop working this many days after they were issued; unset: they never expire.
API_TOKEN_LIFETIME = env_int("API_TOKEN_LIFETIME", 0, minimum=1) or None
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "diplomacy:timeline"
LOGOUT_REDIRECT_URL = "diplomacy:timeline"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DEVDATA_DIR / "static" if EMBEDDED_DATABASE else BASE_DIR / "staticfiles"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(STATIC_ROOT)))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Security: strict in production (DEBUG=false), relaxed for local http development.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
# Proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (addresses or networks,
# comma-separated); from anyone else both headers are dropped (accounts/proxies.py).
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES", [])
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Probes ask for the health check over plain HTTP from inside the container.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Only the site's own scripts run; article text is escaped and can never bring its own.
# Inline style attributes are allowed (charts and the API docs use them); scripts are not.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "worker-src": [CSP.SELF, "blob:"],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Ingestion limits and the sweeper (seconds).
ARTICLE_MAX_CHARS = env_int("ARTICLE_MAX_CHARS", 1_000_000, minimum=1000)
INGEST_SWEEP_INTERVAL = env_int("INGEST_SWEEP_INTERVAL", 60, minimum=1)
INGEST_STALE_AFTER = env_int("INGEST_STALE_AFTER", 300, minimum=1)
# Articles one extraction task processes together: its own, then up to this many less one
# from those waiting, merged in one transaction (bench/README.md: how the default was chosen).
INGEST_BATCH_SIZE = env_int("INGEST_BATCH_SIZE", 32, minimum=1)
FETCH_TIMEOUT = env_int("FETCH_TIMEOUT", 15, minimum=1)
FETCH_MAX_BYTES = env_int("FETCH_MAX_BYTES", 5_000_000, minimum=1000)
# Fetch URLs on loopback and private networks: never in production, so that a submitted URL
# cannot reach the server's own services or cloud metadata; in development, local test pages.
FETCH_ALLOW_PRIVATE_ADDRESSES = DEBUG
FEED_POLL_INTERVAL = env_int("FEED_POLL_INTERVAL", 900, minimum=10)

# Alerts: watches deliver by webhook (signed JSON) or by a daily email digest.
# Webhook targets must be public addresses, except in these networks (comma-separated). The
# default allows loopback only while DEBUG is true (local receivers, tests); link-local and
# cloud metadata addresses (169.254.0.0/16, fe80::/10) are refused unless listed here.
WEBHOOK_ALLOWED_NETWORKS = env_networks(
    "WEBHOOK_ALLOWED_NETWORKS", ["127.0.0.0/8", "::1/128"] if DEBUG else []
)
# Seconds to connect to and to hear back from a webhook endpoint before the attempt fails.
WEBHOOK_TIMEOUT = env_int("WEBHOOK_TIMEOUT", 5, minimum=1)
# Retries after a failed attempt, waiting WEBHOOK_RETRY_DELAY * 2**n seconds (at most
# WEBHOOK_RETRY_MAX_DELAY) before retry n.
WEBHOOK_MAX_RETRIES = env_int("WEBHOOK_MAX_RETRIES", 5, minimum=0)
WEBHOOK_RETRY_DELAY = env_float("WEBHOOK_RETRY_DELAY", 30.0, minimum=0.0)
WEBHOOK_RETRY_MAX_DELAY = env_int("WEBHOOK_RETRY_MAX_DELAY", 3600, minimum=1)
# A watch pauses itself after this many failed attempts in a row; its owner resumes it.
WEBHOOK_PAUSE_AFTER_FAILURES = env_int("WEBHOOK_PAUSE_AFTER_FAILURES", 5, minimum=1)
# Hour (UTC) at which the daily email digest goes out.
ALERTS_DIGEST_HOUR = env_int("ALERTS_DIGEST_HOUR", 7, minimum=0) % 24
# Links in webhook bodies and digests start with this address.
SITE_URL = env_url("SITE_URL", "http://127.0.0.1:8000", ("http", "https")).rstrip("/")

# Email (the alert digests): printed to the console in development, SMTP in production.
EMAIL_SMTP = env_bool("EMAIL_SMTP", not DEBUG)
MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend"
        if EMAIL_SMTP
        else "django.core.mail.backends.console.EmailBackend",
        "OPTIONS": {
            "host": env_str("EMAIL_HOST", "localhost"),
            "port": env_int("EMAIL_PORT", 25, minimum=1),
            "username": env_str("EMAIL_HOST_USER"),
            "password": env_str("EMAIL_HOST_PASSWORD"),
            "use_tls": env_bool("EMAIL_USE_TLS", False),
            "timeout": env_int("EMAIL_TIMEOUT", 10, minimum=1),
        }
        if EMAIL_SMTP
        else {},
    }
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Backchannel <alerts@localhost>")

# Celery: Redis in production; kombu's filesystem transport when nothing is configured (its
# host is not used, but kombu warns on every connection without one).
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL").strip() or "filesystem://localhost/"
CELERY_FILESYSTEM_DIR = Path(env_str("CELERY_FILESYSTEM_DIR", str(DEVDATA_DIR / "celery")))
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_FILESYSTEM_DIR / "queue"),
        "data_folder_out": str(CELERY_FILESYSTEM_DIR / "queue"),
        "control_folder": str(CELERY_FILESYSTEM_DIR / "control"),
        "store_processed": False,
    }
else:
    env_url("CELERY_BROKER_URL", CELERY_BROKER_URL, ("redis", "rediss", "amqp", "memory"))
    # Socket timeouts: a frozen broker fails a publish in seconds (the article stays pending for
    # the sweeper) instead of holding the request that submitted it.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        "socket_timeout": 5,
        "socket_connect_timeout": 5,
    }
    # One quick retry, then give up: the article is stored and the sweeper queues it later.
    CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 1}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = env_int("CELERY_WORKER_PREFETCH_MULTIPLIER", 4, minimum=1)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300, minimum=1)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 240, minimum=1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(DEVDATA_DIR / "celerybeat-schedule")
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "accounts.authentication.ApiTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["config.permissions.ReadPublicWriteAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "config.throttling.AnonRateThrottle",
        "config.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("THROTTLE_ANON", "600/minute"),
        "user": env_str("THROTTLE_USER", "3000/minute"),
        "ingest": env_str("THROTTLE_INGEST", "60/minute"),
    },
    "EXCEPTION_HANDLER": "config.exceptions.api_exception_handler",
    # Throttle by REMOTE_ADDR, which TrustedProxyMiddleware sets from trusted proxies only;
    # DRF's default would key on whatever X-Forwarded-For a client writes.
    "NUM_PROXIES": 0,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Backchannel API",
    "DESCRIPTION": "US–China diplomatic engagements extracted from news and official readouts, "
    "with every claim traced to the sentence that supports it.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Meetings and people both have a review_state, with different choices.
    "ENUM_NAME_OVERRIDES": {
        "MeetingReviewStateEnum": "diplomacy.choices.ReviewState",
        "PersonReviewStateEnum": "diplomacy.choices.PersonReviewState",
        "MeetingKindEnum": "diplomacy.choices.MeetingKind",
        "LocationKindEnum": "diplomacy.choices.LocationKind",
        "ChannelKindEnum": "diplomacy.choices.ChannelKind",
    },
    # The schema and its pages are read like the rest of the API: open only with PUBLIC_READ.
    "SERVE_PERMISSIONS": ["config.permissions.ReadPublicWriteAuthenticated"],
    "SERVE_AUTHENTICATION": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
