"""Settings for every environment; ``test.py`` only swaps in the test services.

Every variable read here is listed, with one line of explanation, in ``.env.example``.
"""

from __future__ import annotations

import os
import secrets
import socket
from datetime import timedelta
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from optrading.env import BASE_DIR, env
from optrading.settings.security import content_security_policy, require_fernet_keys, require_secret

VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
"""``production``: secrets only from the environment, HTTPS-only cookies, HSTS (docs/security.md)."""
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV={DJANGO_ENV!r} is not an environment; choose development or production.")
PRODUCTION = DJANGO_ENV == "production"


def _secret_key() -> str:
    """DJANGO_SECRET_KEY, or (development only) a per-install key kept in var/ so local runs need no setup."""
    if PRODUCTION:
        return require_secret("DJANGO_SECRET_KEY")
    configured = env.str("DJANGO_SECRET_KEY", default="")
    if configured:
        return configured
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "django_prometheus",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "channels",
    # Bottom layer first; the import contract in pyproject.toml ([tool.importlinter]) keeps this order.
    "apps.core",
    "apps.monitoring",
    "apps.market",
    "apps.brokers",
    "apps.marketdata",
    "apps.analytics",
    "apps.participants",
    "apps.overview",
    "apps.collection",
    "apps.quality",
    "apps.health",
    "apps.alerts",
    "apps.archive",
    "apps.strategies",
    "apps.live",
    "apps.api",
    "apps.web",
    "apps.platform",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "apps.core.replicas.ReplicaReadsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "optrading.urls"
WSGI_APPLICATION = "optrading.wsgi.application"
ASGI_APPLICATION = "optrading.asgi.application"

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
                "apps.live.context_processors.websocket",
                "apps.web.context_processors.simulated_market",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# Zero configuration: a SQLite file under var/. Production and tests: PostgreSQL via DATABASE_URL.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'optrading.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded platform writes from the worker thread while the web server reads.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 30
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # A database that does not answer fails in seconds (health reports it) instead of hanging every caller.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
    DATABASE_POOL_MAX_SIZE = env.int("DATABASE_POOL_MAX_SIZE", default=0)
    if DATABASE_POOL_MAX_SIZE > 0:
        # Django's psycopg pool (https://docs.djangoproject.com/en/5.2/ref/databases/#connection-pool): a process
        # never holds more than this many connections; it replaces persistent connections.
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": DATABASE_POOL_MAX_SIZE,
            "timeout": 10,
        }
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    # A read replica for the API's and the pages' reads (safe methods only; apps.core.replicas).
    DATABASES["replica"] = {**env.db_url_config(DATABASE_REPLICA_URL), "TEST": {"MIRROR": "default"}}
    for _option in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS"):
        DATABASES["replica"][_option] = DATABASES["default"].get(_option, 0)
DATABASE_ROUTERS = ["apps.core.replicas.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
# Stored times are aware UTC; pages and parsers convert to IST at the edges.
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True
DISPLAY_TIME_ZONE = "Asia/Kolkata"

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns when it is missing; files come from the finders
# Serve static files from the finders too, so `make run` needs no collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# --- Redis, Celery, Channels ----------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
EMBEDDED = not REDIS_URL
"""Without REDIS_URL the platform runs embedded: one process, in-memory broker and channel layer."""

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ACKS_LATE = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Queues by task-name prefix (see apps.core.queues.CeleryQueue); one worker serves all by default.
CELERY_TASK_ROUTES = {
    "collection.collect": {"queue": "collection"},
    "analytics.*": {"queue": "analytics"},
    "alerts.*": {"queue": "notifications"},
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
DJANGO_CELERY_BEAT_TZ_AWARE = True

_KEEPALIVE = {socket.TCP_KEEPIDLE: 10, socket.TCP_KEEPINTVL: 5, socket.TCP_KEEPCNT: 3}

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # No socket timeout on the layer's connections. redis-py 8 reads with a 5 s one by default, as long as
            # channels_redis's blocking receive (BZPOPMIN, 5 s) waits: under load it fired first and killed the
            # consumer (docs/benchmarks.md, websockets). And with any socket timeout redis-py sends each command
            # through asyncio.wait_for, which on Python 3.11 loses a cancellation arriving as the send completes
            # (CPython gh-86296): a departed client's receive then never stopped and its consumer never ended
            # (tests/live/test_disconnect.py). BZPOPMIN returns every 5 s from the server side anyway; a dead peer
            # is found by TCP keepalive (idle 10 s, then 3 probes 5 s apart) instead of by a read timeout.
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": None,
                        "socket_keepalive": True,
                        "socket_keepalive_options": _KEEPALIVE,
                    }
                ],
                "capacity": 500,
                "expiry": 30,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Hashed API tokens (apps.core.api_tokens); read-only tokens refused for unsafe methods.
        "apps.core.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "apps.api.openapi.ApiAutoSchema",
    "EXCEPTION_HANDLER": "apps.core.api.exception_handler",
    # One counter per user (or anonymous address) per window, counted in-process and added to Redis in batches;
    # counted in-process alone while Redis is down (apps.core.throttling).
    "DEFAULT_THROTTLE_CLASSES": ["apps.core.throttling.RateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "user": env.str("OPTRADING_API_USER_RATE", default="600/min"),
        "anon": env.str("OPTRADING_API_ANON_RATE", default="60/min"),
    },
}
# How long a web process trusts an API token it found (a revocation elsewhere takes effect within it), and reuses a
# health answer (docs/api.md).
OPTRADING_API_TOKEN_CACHE_SECONDS = env.float("OPTRADING_API_TOKEN_CACHE_SECONDS", default=5.0)
OPTRADING_HEALTH_CACHE_SECONDS = env.float("OPTRADING_HEALTH_CACHE_SECONDS", default=2.0)
SPECTACULAR_SETTINGS = {
    "TITLE": "optrading API",
    "DESCRIPTION": "Option-chain archive, IV and greeks, PCR, max pain, OI build-up, participants and breadth "
    "for Indian index options. Times are ISO 8601; stored in UTC, shown in IST.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI is served from our own static files (drf-spectacular-sidecar), never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several responses have a field named "status" with different choices; name each set once.
    "ENUM_NAME_OVERRIDES": {
        "CollectionStatusEnum": "apps.marketdata.models.CollectionStatus",
        "HealthStatusEnum": ["ok", "degraded", "down"],
        "HealthComponentStatusEnum": ["ok", "degraded", "unknown", "down"],
        "AlertChannelEnum": "apps.alerts.choices.Channel",
        "BrokerSessionStatusEnum": ["none", "active", "expired"],
        "PriceModeEnum": ["last", "average"],
    },
}
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])

CACHES: dict[str, dict[str, Any]] = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if REDIS_URL:
    # apps.core.cache: Django's Redis cache with one client per process; a Redis that does not answer costs a
    # request at most a second (the API's cached replies then compute instead).
    CACHES = {
        "default": {
            "BACKEND": "apps.core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_timeout": 1.0, "socket_connect_timeout": 1.0},
        }
    }

# --- optrading ------------------------------------------------------------------------------
OPTRADING_BROKER = env.str("OPTRADING_BROKER", default="simulated")
OPTRADING_SIM_SEED = env.int("OPTRADING_SIM_SEED", default=42)
OPTRADING_COLLECT_INTERVAL = env.int("OPTRADING_COLLECT_INTERVAL", default=5)
# First run on the simulated market: sessions back-filled before it starts (0 skips), every Nth minute of each.
OPTRADING_SIM_HISTORY_SESSIONS = env.int("OPTRADING_SIM_HISTORY_SESSIONS", default=5)
OPTRADING_SIM_HISTORY_STEP_MINUTES = env.int("OPTRADING_SIM_HISTORY_STEP_MINUTES", default=60)
OPTRADING_STRIKE_OFFSETS = env.str("OPTRADING_STRIKE_OFFSETS", default="-10..10")
OPTRADING_CHAIN_SCOPE = env.str("OPTRADING_CHAIN_SCOPE", default="atm")
OPTRADING_FULL_CHAIN_PCT = env.float("OPTRADING_FULL_CHAIN_PCT", default=10.0)
OPTRADING_FULL_CHAIN_EXPIRIES = env.int("OPTRADING_FULL_CHAIN_EXPIRIES", default=4)
OPTRADING_RISK_FREE_RATE = env.float("OPTRADING_RISK_FREE_RATE", default=0.055)
OPTRADING_PARTICIPANTS_DIR = env.str("OPTRADING_PARTICIPANTS_DIR", default=str(VAR_DIR / "participants"))
OPTRADING_FERNET_KEY = env.str("OPTRADING_FERNET_KEY", default="")
# The archive (docs/archive.md): where archived days' Parquet files go, and how many trading days ahead
# the minute tables' partitions are made.
OPTRADING_ARCHIVE_DIR = env.str("OPTRADING_ARCHIVE_DIR", default=str(VAR_DIR / "archive"))
OPTRADING_PARTITIONS_AHEAD = env.int("OPTRADING_PARTITIONS_AHEAD", default=5)

KITE_API_KEY = env.str("KITE_API_KEY", default="")
KITE_API_SECRET = env.str("KITE_API_SECRET", default="")
KITE_API_ROOT = env.str("KITE_API_ROOT", default="https://api.kite.trade")
KITE_TIMEOUT = env.float("KITE_TIMEOUT", default=7.0)
KITE_MAX_TRIES = env.int("KITE_MAX_TRIES", default=4)
KITE_RETRY_BASE_DELAY = env.float("KITE_RETRY_BASE_DELAY", default=1.0)
KITE_TICKER_ROOT = env.str("KITE_TICKER_ROOT", default="wss://ws.kite.trade")
OPTRADING_WEB_WORKERS = env.int("OPTRADING_WEB_WORKERS", default=min(2 * (os.cpu_count() or 1), 8))
"""gunicorn sync workers serving HTTP in ``runplatform``'s Redis mode (one database connection each)."""
OPTRADING_WS_PORT = env.int("OPTRADING_WS_PORT", default=0)
"""Port of the websocket server when it differs from the pages' (0: the same origin, e.g. behind a proxy)."""
OPTRADING_KITE_TICKER = env.bool("OPTRADING_KITE_TICKER", default=False)
"""Start ``kite_ticker`` (live ticks) beside the worker in ``runplatform``'s Redis mode."""

if OPTRADING_BROKER not in {"simulated", "kite", "replay"}:
    raise ImproperlyConfigured(
        f"OPTRADING_BROKER={OPTRADING_BROKER!r} is not a broker; choose simulated, kite or replay."
    )
if OPTRADING_BROKER == "kite":
    for _name in ("KITE_API_KEY", "KITE_API_SECRET"):
        if not env.str(_name, default=""):
            raise ImproperlyConfigured(f"{_name} must be set when OPTRADING_BROKER=kite.")

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    # No token, Authorization value or broker credential reaches a log line (apps.core.log_redaction); the
    # servers' own handlers get the same filter in apps.core's ready().
    "filters": {"redact": {"()": "apps.core.log_redaction.RedactSecretsFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "kiteconnect": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
    },
}


# --- Operations: health, alerts, data quality (apps.health, apps.alerts, apps.quality) -----------
# Every variable is in .env.example and the README's configuration table.
OPTRADING_HEARTBEAT_SECONDS = env.int("OPTRADING_HEARTBEAT_SECONDS", default=30)
OPTRADING_WATCHDOG_SECONDS = env.int("OPTRADING_WATCHDOG_SECONDS", default=30)
OPTRADING_COLLECTION_STALL_MINUTES = env.int("OPTRADING_COLLECTION_STALL_MINUTES", default=2)
OPTRADING_SESSION_ALERT_LEAD_MINUTES = env.int("OPTRADING_SESSION_ALERT_LEAD_MINUTES", default=60)
OPTRADING_ARCHIVE_DIR = env.str("OPTRADING_ARCHIVE_DIR", default="") or str(VAR_DIR)
# Keep every broker response as it arrived (gzip JSON per minute under OPTRADING_ARCHIVE_DIR/raw/): replay --raw.
OPTRADING_RAW_ARCHIVE = env.bool("OPTRADING_RAW_ARCHIVE", default=False)
OPTRADING_DATABASE_DIR = env.str("OPTRADING_DATABASE_DIR", default="")
OPTRADING_DISK_NEARLY_FULL_PERCENT = env.float("OPTRADING_DISK_NEARLY_FULL_PERCENT", default=90.0)
OPTRADING_DISK_FULL_PERCENT = env.float("OPTRADING_DISK_FULL_PERCENT", default=97.0)

OPTRADING_SITE_URL = env.str("OPTRADING_SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
OPTRADING_ALERT_CHANNELS = [c.strip() for c in env.list("OPTRADING_ALERT_CHANNELS", default=[]) if c.strip()]
OPTRADING_ALERT_EMAILS = [e.strip() for e in env.list("OPTRADING_ALERT_EMAILS", default=[]) if e.strip()]
OPTRADING_ALERT_WEBHOOK_URL = env.str("OPTRADING_ALERT_WEBHOOK_URL", default="")
OPTRADING_ALERT_TELEGRAM_CHAT_ID = env.str("OPTRADING_ALERT_TELEGRAM_CHAT_ID", default="")
OPTRADING_ALERT_DEDUP_MINUTES = env.int("OPTRADING_ALERT_DEDUP_MINUTES", default=30)
OPTRADING_BROKER_ERROR_ALERT_COUNT = env.int("OPTRADING_BROKER_ERROR_ALERT_COUNT", default=5)
OPTRADING_WEBHOOK_SECRET = env.str("OPTRADING_WEBHOOK_SECRET", default="")
OPTRADING_WEBHOOK_ALLOW_PRIVATE = env.bool("OPTRADING_WEBHOOK_ALLOW_PRIVATE", default=False)
OPTRADING_WEBHOOK_TIMEOUT = env.float("OPTRADING_WEBHOOK_TIMEOUT", default=5.0)
OPTRADING_WEBHOOK_MAX_TRIES = env.int("OPTRADING_WEBHOOK_MAX_TRIES", default=4)
OPTRADING_WEBHOOK_RETRY_DELAY = env.float("OPTRADING_WEBHOOK_RETRY_DELAY", default=1.0)
OPTRADING_WEBHOOK_DISABLE_AFTER = env.int("OPTRADING_WEBHOOK_DISABLE_AFTER", default=10)
OPTRADING_TELEGRAM_BOT_TOKEN = env.str("OPTRADING_TELEGRAM_BOT_TOKEN", default="")
OPTRADING_TELEGRAM_API_ROOT = env.str("OPTRADING_TELEGRAM_API_ROOT", default="https://api.telegram.org").rstrip("/")
OPTRADING_QUALITY_ALERT_BELOW = env.float("OPTRADING_QUALITY_ALERT_BELOW", default=90.0)
OPTRADING_ANOMALY_Z = env.float("OPTRADING_ANOMALY_Z", default=6.0)
OPTRADING_ANOMALY_WINDOW = env.int("OPTRADING_ANOMALY_WINDOW", default=60)

# Email for alerts: Django's SMTP backend, configured from the environment (no EMAIL_HOST = no email channel).
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="optrading <optrading@localhost>")

_CHANNELS = {"email", "webhook", "telegram", "websocket"}
_unknown = [c for c in OPTRADING_ALERT_CHANNELS if c not in _CHANNELS]
if _unknown:
    raise ImproperlyConfigured(
        f"OPTRADING_ALERT_CHANNELS: unknown channel(s) {', '.join(_unknown)}; "
        f"choose from {', '.join(sorted(_CHANNELS))}."
    )
if "webhook" in OPTRADING_ALERT_CHANNELS and not (OPTRADING_ALERT_WEBHOOK_URL and OPTRADING_WEBHOOK_SECRET):
    raise ImproperlyConfigured(
        "OPTRADING_ALERT_CHANNELS has webhook: set OPTRADING_ALERT_WEBHOOK_URL and OPTRADING_WEBHOOK_SECRET."
    )
if "telegram" in OPTRADING_ALERT_CHANNELS and not (OPTRADING_TELEGRAM_BOT_TOKEN and OPTRADING_ALERT_TELEGRAM_CHAT_ID):
    raise ImproperlyConfigured(
        "OPTRADING_ALERT_CHANNELS has telegram: set OPTRADING_TELEGRAM_BOT_TOKEN and OPTRADING_ALERT_TELEGRAM_CHAT_ID."
    )
if "email" in OPTRADING_ALERT_CHANNELS and EMAIL_BACKEND.endswith("smtp.EmailBackend") and not EMAIL_HOST:
    raise ImproperlyConfigured("OPTRADING_ALERT_CHANNELS has email: set EMAIL_HOST (and the other EMAIL_* settings).")
if not 0 < OPTRADING_DISK_NEARLY_FULL_PERCENT <= OPTRADING_DISK_FULL_PERCENT <= 100:
    raise ImproperlyConfigured(
        "OPTRADING_DISK_NEARLY_FULL_PERCENT and OPTRADING_DISK_FULL_PERCENT must satisfy "
        "0 < nearly full <= full <= 100."
    )

# MCP server (docs/mcp.md): runplatform starts `manage.py mcp_server --transport http` on OPTRADING_MCP_PORT
# when OPTRADING_MCP is on; over stdio the server acts as the user of OPTRADING_MCP_TOKEN (an API token).
OPTRADING_MCP = env.bool("OPTRADING_MCP", default=False)
OPTRADING_MCP_PORT = env.int("OPTRADING_MCP_PORT", default=8765)
OPTRADING_MCP_TOKEN = env.str("OPTRADING_MCP_TOKEN", default="")

# --- Security (docs/security.md) ----------------------------------------------------------------
# Every page carries a content security policy (django-csp), in development too, so a page that needs an inline
# script breaks on the developer's machine, not in production.
INSTALLED_APPS += ["csp", "axes"]
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "csp.middleware.CSPMiddleware")
CONTENT_SECURITY_POLICY = content_security_policy(ws_port=OPTRADING_WS_PORT)
CSRF_COOKIE_HTTPONLY = True  # no script reads the CSRF cookie (forms carry the token)
SESSION_COOKIE_HTTPONLY = True
OPTRADING_BEHIND_PROXY = env.bool("OPTRADING_BEHIND_PROXY", default=False)
"""Behind a TLS-terminating proxy that sets X-Forwarded-Proto (nginx, an ingress): trust it for request.is_secure()."""
OPTRADING_METRICS_TOKEN = env.str("OPTRADING_METRICS_TOKEN", default="")
OPTRADING_METRICS_ALLOW_IPS = [a.strip() for a in env.list("OPTRADING_METRICS_ALLOW_IPS", default=[]) if a.strip()]
"""/metrics for a bearer token and/or these addresses or networks (apps.monitoring.views); production needs one."""
if OPTRADING_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Failed logins (the admin's and /accounts/login/) are counted per user name and address by django-axes; the
# next try after OPTRADING_LOGIN_FAILURE_LIMIT failures is refused (429) until the cool-off ends.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
MIDDLEWARE.append("axes.middleware.AxesMiddleware")
AXES_FAILURE_LIMIT = env.int("OPTRADING_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("OPTRADING_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_SENSITIVE_PARAMETERS = ["password", "token", "access_token", "request_token", "api_secret"]
if OPTRADING_BEHIND_PROXY:
    AXES_CLIENT_IP_CALLABLE = "apps.core.client_ip.client_ip"

if PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("DJANGO_DEBUG must be false when DJANGO_ENV=production.")
    if not env.str("DJANGO_ALLOWED_HOSTS", default=""):
        raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS is not set: DJANGO_ENV=production serves only named hosts.")
    OPTRADING_WEBHOOK_SECRET = require_secret("OPTRADING_WEBHOOK_SECRET")
    OPTRADING_FERNET_KEY = require_fernet_keys("OPTRADING_FERNET_KEY")
    if not OPTRADING_METRICS_ALLOW_IPS:
        OPTRADING_METRICS_TOKEN = require_secret("OPTRADING_METRICS_TOKEN")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    # Probes and Prometheus talk plain HTTP to the process inside the cluster (no proxy, no X-Forwarded-Proto).
    SECURE_REDIRECT_EXEMPT = [r"^api/v1/health/?$", r"^metrics$"]
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
