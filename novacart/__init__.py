"""NovaCart: real-time notifications for an online shop. `create_app` builds the Flask application."""

from __future__ import annotations

import logging
import os

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from config import Config, SettingsError
from config import config_class as configured_class
from novacart import fastjson
from novacart.fastjson import OrjsonProvider


def create_app(config_class: type[Config] | None = None, *, worker: bool = False, serving: bool = False) -> Flask:
    """Build the app.

    `worker=True` for Celery, whose Socket.IO emitter only publishes to Redis; `serving=True` for the
    web server, whose Socket.IO runs in ASYNC_MODE (the CLI and tests use threads).
    """
    config_class = config_class or configured_class()
    app = Flask(__name__, instance_path=str(os.path.join(os.path.dirname(os.path.dirname(__file__)), "instance")))
    app.url_map.converters["int"] = IdConverter
    app.json = OrjsonProvider(app)
    app.config.from_object(config_class)
    app.config["CELERY"] = config_class.celery()
    os.makedirs(app.instance_path, exist_ok=True)
    config_class.prepare(app.config, app.instance_path)
    if problems := config_class.problems(app.config):
        raise SettingsError("; ".join(problems))
    _configure_logging(app)
    if proxies := app.config["TRUSTED_PROXIES"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
    if not serving:
        app.config["SOCKETIO_ASYNC_MODE"] = "threading"
    register_extensions(app, worker=worker, serving=serving)
    register_blueprints(app)
    if serving:
        from novacart import overload

        overload.init_app(app)  # outermost: sheds before Socket.IO's or Flask's work
    if not worker:
        from novacart.notifications import sockets

        sockets.init_app(app)
    return app


class IdConverter(IntegerConverter):
    """`<int:…>` in a URL: an id beyond what an id column holds cannot exist, so it is a 404 (not a 500)."""

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002  (werkzeug's signature)
        from novacart.pagination import MAX_ID

        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def _configure_logging(app: Flask) -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(level=app.config["LOG_LEVEL"], format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def register_extensions(app: Flask, *, worker: bool, serving: bool = False) -> None:
    from novacart import errors, i18n, kv, ratelimit, realtime
    from novacart.celery_app import celery_init_app
    from novacart.extensions import api, cors, csrf, db, jwt, limiter, login_manager, migrate

    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"])
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_STRATEGY", ratelimit.STRATEGY)
    # JSON columns (a notification's data, a user's interests) through orjson: the standard library's
    # encoder was 9 % of send_promotion's time for 10,000 customers, its parser 5 % (cProfile).
    options = {
        "json_serializer": fastjson.dumps,
        "json_deserializer": fastjson.parse,
        **(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}),
    }
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A SQLite file never drops a connection: a ping before every checkout is a wasted query. Under
        # gevent hundreds of greenlets share the pool; with SQLAlchemy's 5 (+10 overflow) connections,
        # overflow ones were opened (four PRAGMAs) and closed again on nearly every request; with 20 (+20)
        # still 1-2 % of the web's CPU at 200/s (py-spy: _on_connect): as many as the requests it works on.
        uri = app.config["SQLALCHEMY_DATABASE_URI"]
        options["pool_pre_ping"] = False
        if ":memory:" not in uri and uri not in ("sqlite://", "sqlite:///"):
            size = max(20, app.config["MAX_INFLIGHT_REQUESTS"])
            options = {"pool_size": size, "max_overflow": 20, **options}
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _tune_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"], app.config["SQLITE_WAL_AUTOCHECKPOINT"])
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations"))
    jwt.init_app(app)
    i18n.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "dashboard.login"
    login_manager.login_message_category = "info"
    csrf.init_app(app)  # checked by the dashboard blueprint only (WTF_CSRF_CHECK_DEFAULT is off)
    kv.init_app(app)
    if app.config["RATELIMIT_STORAGE_URI"] == app.config["REDIS_URL"]:
        # The limiter shares kv's blocking pool: its own (redis-py's default) refuses a 101st connection at
        # once, and a thousand sockets connecting together were refused for it (the bench's replay scenario).
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"connection_pool": kv.redis_pool(app)})
    limiter.init_app(app)
    # Browsers on ALLOWED_ORIGINS may call the API (the origin echoed, never *); any other origin gets no
    # CORS headers. Bearer tokens, not cookies: no credentials mode. The same list guards Socket.IO.
    cors.init_app(
        app,
        resources={r"/api/*": {"origins": app.config["ALLOWED_ORIGINS"]}},
        allow_headers=["Authorization", "Content-Type"],
        expose_headers=["Retry-After", "Allow"],
        supports_credentials=False,
        max_age=600,
    )
    api.init_app(app)
    errors.init_app(app)
    celery_init_app(app)
    realtime.init_app(app, worker=worker, serving=serving)


def _tune_sqlite(engine: Engine, busy_timeout_ms: int, wal_autocheckpoint: int) -> None:
    """WAL and a busy timeout, so the web and the worker can write to one SQLite file at once; small checkpoints."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA wal_autocheckpoint={int(wal_autocheckpoint)}")
        cursor.close()


def register_blueprints(app: Flask) -> None:
    from novacart import apidocs, metrics, ops, seed
    from novacart.auth import cli as auth_cli
    from novacart.auth import routes as auth_routes
    from novacart.auth import security  # noqa: F401  (registers the token and session loaders)
    from novacart.dashboard import views as dashboard_views
    from novacart.events import models as event_models  # noqa: F401  (the outbox table)
    from novacart.extensions import api
    from novacart.inventory import routes as inventory_routes
    from novacart.notifications import (
        handlers,  # noqa: F401  (subscribes to the domain events)
        sockets,  # noqa: F401  (Socket.IO handlers)
        unsubscribe,
    )
    from novacart.notifications import models as notification_models  # noqa: F401
    from novacart.notifications import routes as notification_routes
    from novacart.orders import routes as order_routes

    for blueprint in (auth_routes.api_bp, inventory_routes.api_bp, order_routes.api_bp, notification_routes.api_bp):
        api.register_blueprint(blueprint)
    app.register_blueprint(auth_cli.cli_bp)
    app.register_blueprint(seed.seed_bp)
    app.register_blueprint(metrics.metrics_bp)
    app.register_blueprint(apidocs.docs_bp)
    app.register_blueprint(unsubscribe.unsubscribe_bp)
    app.register_blueprint(ops.ops_bp)
    app.register_blueprint(dashboard_views.web_bp)
