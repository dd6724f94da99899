"""Settings for every NovaCart process, read from environment variables only.

Each key is the name of its environment variable. `NOVACART_CONFIG` picks the class
(`development`, `testing`, `production`); production is the default so that a missing
variable fails closed, and `create_app` refuses to start while a `REQUIRED` key is empty.
"""

import json
import os
import re
import secrets
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value else default


class SettingsError(Exception):
    """A setting that makes the process unsafe or unable to run: it refuses to start, saying which."""


def _database_url(name: str = "DATABASE_URL", default: str = f"sqlite:///{INSTANCE_DIR / 'novacart.db'}") -> str:
    url = os.environ.get(name) or default
    # Heroku-style postgres:// URLs are rejected by SQLAlchemy; psycopg 3 is the driver we ship.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


SECRET_SETTINGS = ("SECRET_KEY", "JWT_SECRET_KEY", "PAYMENT_WEBHOOK_SECRET", "SHIPPING_WEBHOOK_SECRET")
MIN_SECRET_LENGTH = 32


class Config:
    CONFIG_NAME = "base"
    SECRET_KEY = os.environ.get("SECRET_KEY")
    JWT_SECRET_KEY = os.environ.get("JWT_SECRET_KEY")
    PAYMENT_WEBHOOK_SECRET = os.environ.get("PAYMENT_WEBHOOK_SECRET")
    SHIPPING_WEBHOOK_SECRET = os.environ.get("SHIPPING_WEBHOOK_SECRET")
    REQUIRED = SECRET_SETTINGS
    # Where the web process listens: every interface in production (behind a proxy or a firewall),
    # only this machine in development, where the secrets are throwaway ones.
    HOST = _str("HOST", "0.0.0.0")

    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SQLITE_BUSY_TIMEOUT_MS = _int("SQLITE_BUSY_TIMEOUT_MS", 15000)
    # The commit that grows SQLite's write-ahead log past this many pages copies it into the database
    # and fsyncs: at SQLite's 1,000 that stalled a commit for ~25 ms (mark-all-read p99); at 250 the
    # stalls are shorter (p99 14-16 ms, bench/db_scale.py). Checkpointing from beat instead was worse:
    # the fsync stalls concurrent commits whichever process runs it.
    SQLITE_WAL_AUTOCHECKPOINT = _int("SQLITE_WAL_AUTOCHECKPOINT", 250)
    REDIS_URL = os.environ.get("REDIS_URL", "redis://localhost:6379/0")
    # Every web process and worker emits through this Redis channel, so any of them reaches any socket.
    SOCKETIO_MESSAGE_QUEUE = os.environ.get("SOCKETIO_MESSAGE_QUEUE") or REDIS_URL
    SOCKETIO_CHANNEL = os.environ.get("SOCKETIO_CHANNEL", "novacart-socketio")
    # gevent (gunicorn's gevent worker) measured better than eventlet on every latency and fan-out figure:
    # docs/performance.md. eventlet stays supported.
    ASYNC_MODE = os.environ.get("ASYNC_MODE", "gevent")
    # Proxies in front of the web (nginx: 1) whose X-Forwarded-For/-Proto/-Host are believed; 0: none.
    TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 0)
    LOG_LEVEL = _str("LOG_LEVEL", "INFO")
    # prometheus_client's own variable: set, every web process writes its metrics there and /metrics adds
    # them up (make run-cluster, WEB_CONCURRENCY > 1); unset, /metrics is the answering process's.
    PROMETHEUS_MULTIPROC_DIR = _str("PROMETHEUS_MULTIPROC_DIR")
    # engine.io heartbeat: a PING every interval; a client silent for interval + timeout is dropped.
    SOCKETIO_PING_INTERVAL = float(os.environ.get("SOCKETIO_PING_INTERVAL", "25"))
    SOCKETIO_PING_TIMEOUT = float(os.environ.get("SOCKETIO_PING_TIMEOUT", "20"))
    PORT = _int("PORT", 5000)

    # The web tier (novacart/server.py). WEB_CONCURRENCY gevent processes share one port, each with its
    # own sockets, all relaying emits through the Redis channel; engine.io long-polling then cannot work
    # (its requests would land on any process), so sockets are WebSocket-only. eventlet serves one process.
    WEB_CONCURRENCY = _int("WEB_CONCURRENCY", 1)
    MAX_CONNECTIONS = _int("MAX_CONNECTIONS", 20000)  # sockets and requests one web process holds
    LISTEN_BACKLOG = _int("LISTEN_BACKLOG", 2048)
    # An idle keep-alive connection is closed after this long. gunicorn's 2 s made overloaded API
    # clients see resets: a request sent as the timer fired was thrown away unread (RST).
    KEEPALIVE_SECONDS = _int("KEEPALIVE_SECONDS", 75)
    # Graceful overload (novacart/overload.py): requests one web process works on at once; past that, 503
    # with Retry-After at once, so that what is accepted keeps a bounded latency. 0: no bound.
    # 64: at the 100-150 requests/s a slow host's process serves, a full bound is still ≤ 0.6 s of queue.
    MAX_INFLIGHT_REQUESTS = _int("MAX_INFLIGHT_REQUESTS", 64)
    OVERLOAD_RETRY_AFTER_SECONDS = _int("OVERLOAD_RETRY_AFTER_SECONDS", 1)
    # ...and past this lag of the event loop (how late its timers fire while it is busy, with 50+ requests a
    # second coming in), a growing share of new requests gets the same 503 (novacart/overload.py). 0: no bound.
    OVERLOAD_LAG_MS = _int("OVERLOAD_LAG_MS", 50)
    # See novacart/server.py's tune_gc.
    GC_TUNING = os.environ.get("GC_TUNING", "on") != "off"
    GC_GEN0_THRESHOLD = _int("GC_GEN0_THRESHOLD", 50000)
    GC_FREEZE_SECONDS = float(os.environ.get("GC_FREEZE_SECONDS", "30"))
    GC_FULL_SECONDS = float(os.environ.get("GC_FULL_SECONDS", "3600"))

    ALLOWED_ORIGINS = [o.strip() for o in os.environ.get("ALLOWED_ORIGINS", "").split(",") if o.strip()]
    MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 1024 * 1024)

    # The employee dashboard (/dashboard): a Flask-Login session cookie, and CSRF tokens checked on the
    # dashboard's requests only; the JSON API authenticates with bearer tokens, which no other site can send.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Production is served over HTTPS: the cookie is never sent in clear, and responses carry HSTS.
    # SESSION_COOKIE_SECURE=false turns both off (a plain-HTTP deployment behind a trusted network).
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    HSTS_MAX_AGE_SECONDS = _int("HSTS_MAX_AGE_SECONDS", 31536000)
    WTF_CSRF_CHECK_DEFAULT = False
    WTF_CSRF_TIME_LIMIT = None  # valid as long as the session: the dashboard stays open all day

    ACCESS_TOKEN_MINUTES = _int("ACCESS_TOKEN_MINUTES", 15)
    REFRESH_TOKEN_DAYS = _int("REFRESH_TOKEN_DAYS", 30)
    JWT_TOKEN_LOCATION = ["headers"]
    JWT_ERROR_MESSAGE_KEY = "detail"
    # How long a web process keeps a token's answer (its user, revoked or not) before asking the database
    # again: a sign-out or deactivation through another process takes effect within this (contract: 5 s).
    PRINCIPAL_CACHE_SECONDS = float(os.environ.get("PRINCIPAL_CACHE_SECONDS", "2"))
    # werkzeug's scrypt: slow and salted. Tests lower the cost, never production.
    PASSWORD_HASH_METHOD = os.environ.get("PASSWORD_HASH_METHOD", "scrypt")
    # Hashes run on OS threads, never on the web's event loop; at most this many at once per process
    # (each scrypt hash takes ~32 MiB and a core for ~0.1 s).
    PASSWORD_HASH_CONCURRENCY = _int("PASSWORD_HASH_CONCURRENCY", 2)

    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    AUTH_RATE_LIMIT = os.environ.get("AUTH_RATE_LIMIT", "10/minute")
    # X-RateLimit-* headers would cost two more Redis round trips per request; 429s carry Retry-After.
    RATELIMIT_HEADERS_ENABLED = False
    RATELIMIT_KEY_PREFIX = "novacart-limits"

    WEBHOOK_TOLERANCE_SECONDS = _int("WEBHOOK_TOLERANCE_SECONDS", 300)
    PAYMENT_PROVIDER = os.environ.get("PAYMENT_PROVIDER", "sandbox")
    # The sandbox confirms every payment by itself: production refuses it unless this says otherwise.
    ALLOW_SANDBOX_PAYMENTS = _bool("ALLOW_SANDBOX_PAYMENTS", False)
    # Stripe (PAYMENT_PROVIDER=stripe): the secret key the server calls Stripe's API with, the publishable
    # key the browser hands Stripe.js (it is public), and the signing secret of the webhook endpoint.
    # STRIPE_API_BASE sends the library's API calls elsewhere (a local stand-in in tests); empty: Stripe.
    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY") or None
    STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY") or None
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET") or None
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE") or None
    # The shop's currency (ISO 4217): what payments are charged in, and what every amount is written in
    # (per locale, by Babel: `4,99 €` in Italian, `€4.99` in English). Amounts are in cents, so a
    # currency with two decimals.
    CURRENCY = (os.environ.get("CURRENCY") or "EUR").strip().upper()
    SHIPPING_CARRIER = os.environ.get("SHIPPING_CARRIER", "sandbox")
    # Where the sandbox providers post their signed webhooks. Empty: through the app in-process
    # (the same route, signature check and de-duplication, without needing the web's address).
    SANDBOX_WEBHOOK_BASE_URL = os.environ.get("SANDBOX_WEBHOOK_BASE_URL", "")
    SANDBOX_PAYMENT_DELAY_SECONDS = float(os.environ.get("SANDBOX_PAYMENT_DELAY_SECONDS", "1"))
    # Seconds after shipping until the sandbox carrier reports delivery; 0 disables it.
    SANDBOX_DELIVERY_DELAY_SECONDS = float(os.environ.get("SANDBOX_DELIVERY_DELAY_SECONDS", "0"))

    API_TITLE = "NovaCart API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api"
    OPENAPI_JSON_PATH = "openapi.json"
    # /api/docs is novacart/apidocs.py's own page (vendored Swagger UI), not flask-smorest's CDN one.
    API_SPEC_OPTIONS = {
        "info": {"description": "Users, products, stock, orders and real-time notifications for an online shop."},
        "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
    }

    # Orders: an unpaid order gives its stock back after PENDING_ORDER_TTL_SECONDS (checked every
    # PENDING_ORDER_SWEEP_SECONDS); a customer holds at most MAX_PENDING_ORDERS unpaid orders.
    PENDING_ORDER_TTL_SECONDS = _int("PENDING_ORDER_TTL_SECONDS", 1800)
    PENDING_ORDER_SWEEP_SECONDS = float(os.environ.get("PENDING_ORDER_SWEEP_SECONDS", "60"))
    MAX_PENDING_ORDERS = _int("MAX_PENDING_ORDERS", 3)
    ORDER_RATE_LIMIT = os.environ.get("ORDER_RATE_LIMIT", "20/hour")  # orders placed per customer
    # Messages written on orders, per user (a customer's message notifies every employee).
    MESSAGE_RATE_LIMIT = os.environ.get("MESSAGE_RATE_LIMIT", "30/minute")

    # Sockets: how many one user may hold (the oldest is closed), how often one user may connect, and
    # how often each web process checks its sockets' accounts (expiry, deactivation, demotion, sign-out).
    MAX_SOCKETS_PER_USER = _int("MAX_SOCKETS_PER_USER", 20)
    SOCKET_CONNECT_RATE_LIMIT = os.environ.get("SOCKET_CONNECT_RATE_LIMIT", "60/minute")
    ACCESS_CHECK_SECONDS = float(os.environ.get("ACCESS_CHECK_SECONDS", "1"))

    # /metrics: open on the network unless this is set; then it wants `Authorization: Bearer <token>`.
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN") or None

    # Other channels: what no client acknowledged within the delay goes out by e-mail or Web Push too.
    EMAIL_AFTER_SECONDS = float(os.environ.get("EMAIL_AFTER_SECONDS", "300"))
    PUSH_AFTER_SECONDS = float(os.environ.get("PUSH_AFTER_SECONDS", "10"))
    SMTP_URL = os.environ.get("SMTP_URL") or None  # smtp://user:pass@host:port, smtps:// for TLS; unset: .eml files
    MAIL_FROM = os.environ.get("MAIL_FROM", "NovaCart <no-reply@novacart.localhost>")
    MAIL_DIR = os.environ.get("MAIL_DIR") or str(INSTANCE_DIR / "mail")  # where e-mails go without SMTP_URL
    # The shop's address as customers reach it: e-mails link back to orders, products and unsubscribing.
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://localhost:5000")
    VAPID_PRIVATE_KEY = os.environ.get("VAPID_PRIVATE_KEY") or None  # PEM or base64url; development makes one
    VAPID_SUBJECT = os.environ.get("VAPID_SUBJECT", "mailto:ops@novacart.localhost")
    # Push endpoints must be https and outside NovaCart's own networks; tests and development may allow any.
    WEBPUSH_ALLOW_ANY_ENDPOINT = _bool("WEBPUSH_ALLOW_ANY_ENDPOINT", False)
    # Beat checks what waited out its channel's delay, and starts due retries, this often.
    CHANNEL_SWEEP_SECONDS = float(os.environ.get("CHANNEL_SWEEP_SECONDS", "5"))
    # A send claimed this long ago and never finished lost its worker: the sweep tries it again.
    CHANNEL_STUCK_AFTER_SECONDS = float(os.environ.get("CHANNEL_STUCK_AFTER_SECONDS", "600"))
    CHANNEL_HORIZON_HOURS = float(os.environ.get("CHANNEL_HORIZON_HOURS", "48"))  # older ones are not chased

    # Notifications
    # Staff hear of the first order after a quiet spell at once, of the orders that follow within this
    # window in one digest at its end (checked every NEW_ORDER_DIGEST_POLL_SECONDS).
    NEW_ORDER_DIGEST_SECONDS = float(os.environ.get("NEW_ORDER_DIGEST_SECONDS", "60"))
    NEW_ORDER_DIGEST_POLL_SECONDS = float(os.environ.get("NEW_ORDER_DIGEST_POLL_SECONDS", "5"))
    NOTIFICATION_RATE_LIMIT = os.environ.get("NOTIFICATION_RATE_LIMIT", "120/minute")
    PROMOTION_POLL_SECONDS = float(os.environ.get("PROMOTION_POLL_SECONDS", "5"))
    # A promotion `sending` without progress for this long lost its worker: beat resumes it.
    PROMOTION_STALLED_SECONDS = float(os.environ.get("PROMOTION_STALLED_SECONDS", "120"))
    DELIVERY_SWEEP_SECONDS = float(os.environ.get("DELIVERY_SWEEP_SECONDS", "30"))
    # An unacknowledged delivery is re-sent after this long, then with doubling gaps.
    DELIVERY_RESEND_AFTER_SECONDS = float(os.environ.get("DELIVERY_RESEND_AFTER_SECONDS", "60"))
    FANOUT_BATCH_SIZE = _int("FANOUT_BATCH_SIZE", 1000)
    WEBSOCKET_COMPRESSION = _bool("WEBSOCKET_COMPRESSION", False)  # see realtime._without_websocket_compression
    SOCKET_EVENT_RATE = float(os.environ.get("SOCKET_EVENT_RATE", "20"))  # events per second per socket
    SOCKET_EVENT_BURST = float(os.environ.get("SOCKET_EVENT_BURST", "60"))

    CLIENT_DIST = os.environ.get("CLIENT_DIST", str(BASE_DIR / "client" / "dist"))
    OUTBOX_SWEEP_SECONDS = float(os.environ.get("OUTBOX_SWEEP_SECONDS", "30"))
    # An event not dispatched this long after its commit lost its hand-off (Redis down, a killed process).
    OUTBOX_RETRY_AFTER_SECONDS = float(os.environ.get("OUTBOX_RETRY_AFTER_SECONDS", "30"))
    # Dispatched events are kept this long (for audits and replays), then beat deletes them.
    OUTBOX_RETENTION_DAYS = float(os.environ.get("OUTBOX_RETENTION_DAYS", "7"))
    CELERY_TASK_ALWAYS_EAGER = _bool("CELERY_TASK_ALWAYS_EAGER", False)

    @classmethod
    def celery(cls) -> dict:
        return {
            "broker_url": os.environ.get("CELERY_BROKER_URL", cls.REDIS_URL),
            "task_ignore_result": True,
            # A task is acknowledged after it ran, and re-queued if its worker died mid-way.
            "task_acks_late": True,
            "task_reject_on_worker_lost": True,
            "worker_prefetch_multiplier": 1,
            "broker_connection_retry_on_startup": True,
            # A web request enqueues after its commit: with Redis down it must not hang. The outbox
            # sweep re-dispatches whatever could not be enqueued.
            "task_publish_retry_policy": {
                "max_retries": 2,
                "interval_start": 0,
                "interval_step": 0.2,
                "interval_max": 0.5,
            },
            "broker_connection_timeout": 2,
            "broker_transport_options": {"visibility_timeout": 3600},
            "task_always_eager": cls.CELERY_TASK_ALWAYS_EAGER,
            "task_eager_propagates": True,
            "imports": ["novacart.events.tasks", "novacart.orders.tasks", "novacart.notifications.tasks"],
            "beat_schedule": {
                "events-sweep-outbox": {"task": "events.sweep_outbox", "schedule": cls.OUTBOX_SWEEP_SECONDS},
                "notifications-send-due-promotions": {
                    "task": "notifications.send_due_promotions",
                    "schedule": cls.PROMOTION_POLL_SECONDS,
                },
                "notifications-resend-unacknowledged": {
                    "task": "notifications.resend_unacknowledged",
                    "schedule": cls.DELIVERY_SWEEP_SECONDS,
                },
                "orders-expire-unpaid": {
                    "task": "orders.expire_unpaid_orders",
                    "schedule": cls.PENDING_ORDER_SWEEP_SECONDS,
                },
                "events-prune-outbox": {"task": "events.prune_outbox", "schedule": 3600.0},
                "notifications-send-new-order-digest": {
                    "task": "notifications.send_new_order_digest",
                    "schedule": cls.NEW_ORDER_DIGEST_POLL_SECONDS,
                },
                "notifications-prune-order-alerts": {"task": "notifications.prune_order_alerts", "schedule": 3600.0},
                "notifications-sweep-channels": {
                    "task": "notifications.sweep_channels",
                    "schedule": cls.CHANNEL_SWEEP_SECONDS,
                },
            },
        }

    @classmethod
    def prepare(cls, config: dict, instance_path: str) -> None:
        """Fill in what this environment may derive at start-up (development's secrets)."""

    @classmethod
    def problems(cls, config: Mapping) -> list[str]:
        """What keeps this configuration from starting, one clear sentence each."""
        found = [f"{key} is not set (set it as an environment variable)" for key in cls.REQUIRED if not config.get(key)]
        config = {**{key: getattr(cls, key) for key in ("PAYMENT_PROVIDER", "CURRENCY")}, **config}
        if (provider := config["PAYMENT_PROVIDER"]) not in PAYMENT_PROVIDERS:
            found.append(f"PAYMENT_PROVIDER must be one of {', '.join(PAYMENT_PROVIDERS)}, not {provider!r}")
        if not re.fullmatch(r"[A-Z]{3}", config["CURRENCY"] or ""):
            found.append(f"CURRENCY must be an ISO 4217 code such as EUR, not {config['CURRENCY']!r}")
        return found + _stripe_problems(config)


PAYMENT_PROVIDERS = ("sandbox", "stripe")
STRIPE_KEYS = ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET")
# What each Stripe key looks like. The publishable key goes to every browser: a secret key pasted there
# would be handed out to anyone who opens the shop, so a key of the wrong kind refuses to start.
_STRIPE_KEY_PREFIXES = {
    "STRIPE_SECRET_KEY": ("sk_", "rk_"),
    "STRIPE_PUBLISHABLE_KEY": ("pk_",),
    "STRIPE_WEBHOOK_SECRET": ("whsec_",),
}


def _stripe_problems(config: Mapping) -> list[str]:
    found = []
    if config.get("PAYMENT_PROVIDER") == "stripe" and (missing := [key for key in STRIPE_KEYS if not config.get(key)]):
        found.append(
            f"PAYMENT_PROVIDER=stripe needs {', '.join(missing)} "
            "(from the Stripe dashboard: the API keys, and the webhook endpoint's signing secret)"
        )
    for key, prefixes in _STRIPE_KEY_PREFIXES.items():
        value = config.get(key)
        if value and not value.startswith(prefixes):
            found.append(f"{key} must start with {' or '.join(prefixes)} (the Stripe dashboard's key of that kind)")
    return found


def _read_secrets(path: Path) -> dict[str, str] | None:
    try:
        stored = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    valid = isinstance(stored, dict) and all(isinstance(stored.get(k), str) and stored[k] for k in SECRET_SETTINGS)
    return stored if valid else None


def _development_secrets(instance_path: str) -> dict[str, str]:
    """Random secrets for this checkout, made on first run under instance/ (never fixed strings in git)."""
    path = Path(instance_path) / "dev-secrets.json"
    if (stored := _read_secrets(path)) is not None:
        return stored
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written under a temporary name, then linked into place only if no other process (web, worker and
    # beat start at once) got there first, so that every process ends up with the same secrets.
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps({key: secrets.token_urlsafe(48) for key in SECRET_SETTINGS}))
    temporary.chmod(0o600)
    try:
        os.link(temporary, path)
    except FileExistsError:
        if _read_secrets(path) is None:  # a damaged file: ours replaces it
            os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return _read_secrets(path) or {}


class DevelopmentConfig(Config):
    CONFIG_NAME = "development"
    WEBPUSH_ALLOW_ANY_ENDPOINT = _bool("WEBPUSH_ALLOW_ANY_ENDPOINT", True)
    HOST = _str("HOST", "127.0.0.1")
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)  # http://localhost
    SANDBOX_DELIVERY_DELAY_SECONDS = float(os.environ.get("SANDBOX_DELIVERY_DELAY_SECONDS", "60"))

    @classmethod
    def prepare(cls, config: dict, instance_path: str) -> None:
        if any(not config.get(key) for key in SECRET_SETTINGS):
            generated = _development_secrets(instance_path)
            for key in SECRET_SETTINGS:
                config[key] = config.get(key) or generated[key]


class TestingConfig(Config):
    CONFIG_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key"
    JWT_SECRET_KEY = "test-jwt-secret-key-with-enough-length"
    PAYMENT_WEBHOOK_SECRET = "test-payment-secret"
    SHIPPING_WEBHOOK_SECRET = "test-shipping-secret"
    SQLALCHEMY_DATABASE_URI = _database_url("TEST_DATABASE_URL", "sqlite://")
    REDIS_URL = os.environ.get("TEST_REDIS_URL") or Config.REDIS_URL
    SOCKETIO_MESSAGE_QUEUE = None  # deliver in-process, so Socket.IO test clients receive emits
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    CELERY_TASK_ALWAYS_EAGER = True
    SANDBOX_PAYMENT_DELAY_SECONDS = 0.0
    WTF_CSRF_ENABLED = True
    SESSION_COOKIE_SECURE = False  # the test client speaks plain HTTP
    WEBPUSH_ALLOW_ANY_ENDPOINT = True  # the tests' push service listens on 127.0.0.1
    EMAIL_AFTER_SECONDS = PUSH_AFTER_SECONDS = 0.0  # in-process: checked at once (eager); the system tests wait
    MAIL_DIR = os.environ.get("TEST_MAIL_DIR") or str(Path(tempfile.gettempdir()) / "novacart-test-mail")


class ProductionConfig(Config):
    CONFIG_NAME = "production"
    DEBUG = False

    @classmethod
    def problems(cls, config: Mapping) -> list[str]:
        found = super().problems(config)
        short = [key for key in SECRET_SETTINGS if config.get(key) and len(config[key]) < MIN_SECRET_LENGTH]
        if short:
            found.append(
                f"{', '.join(short)} must be at least {MIN_SECRET_LENGTH} characters "
                "(make one with: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        if config.get("PAYMENT_PROVIDER") == "sandbox" and not config.get("ALLOW_SANDBOX_PAYMENTS"):
            found.append(
                "PAYMENT_PROVIDER=sandbox approves every payment by itself: set PAYMENT_PROVIDER=stripe "
                "with STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET, "
                "or ALLOW_SANDBOX_PAYMENTS=true for a demo shop"
            )
        if config.get("PAYMENT_PROVIDER") == "stripe" and not _safe_api_base(config.get("STRIPE_API_BASE")):
            found.append("STRIPE_API_BASE must be an https:// URL (http:// only to this machine's loopback)")
        return found


def _safe_api_base(url: str | None) -> bool:
    """Stripe's secret key travels with every call: never in clear over a network."""
    if not url:
        return True
    parts = urlsplit(url)
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in {"127.0.0.1", "localhost", "::1"})


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_class(name: str | None = None) -> type[Config]:
    """The settings class that NOVACART_CONFIG names (production when unset). Raises SettingsError."""
    name = name or os.environ.get("NOVACART_CONFIG") or "production"
    if name not in CONFIGS:
        raise SettingsError(f"NOVACART_CONFIG must be one of {', '.join(CONFIGS)}, not {name!r}")
    return CONFIGS[name]


def check_or_exit(cls: type[Config] | None = None) -> type[Config]:
    """The configured settings class, or one line on stderr and exit status 2 when it cannot start.

    The entry points call this before anything else, so that a refusal reads as one sentence, not a
    traceback from inside gunicorn or Celery.
    """
    try:
        cls = cls or config_class()
        settings = {key: getattr(cls, key) for key in dir(cls) if key.isupper()}
        cls.prepare(settings, str(INSTANCE_DIR))
        if problems := cls.problems(settings):
            raise SettingsError("; ".join(problems))
    except SettingsError as error:
        exit_refusing(error)
    return cls


def choose_psycopg_wait(async_mode: str) -> None:
    """psycopg 3 waits on a query with a C poll that would block a gevent or eventlet hub; pick one they
    patch. gevent: `poll`, since gevent's `select` first asks the real select(), which refuses a descriptor
    above 1,024 (a web process holding 1,000 sockets then could not query PostgreSQL). eventlet: `select`.
    psycopg reads this variable when it is first imported, so call it before that."""
    os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_poll" if async_mode == "gevent" else "wait_select")


def exit_refusing(error: SettingsError) -> NoReturn:
    import sys

    print(f"novacart: refusing to start: {error}", file=sys.stderr)
    raise SystemExit(2)
