"""The shared Redis client (rate limits, the token blocklist, health checks)."""

from __future__ import annotations

import redis
from flask import Flask, current_app


def init_app(app: Flask) -> None:
    # redis-py 8 refuses a 101st concurrent connection instead of waiting: under a burst (hundreds of
    # greenlets at once) callers would get errors. A blocking pool queues them for up to 5 s.
    pool = redis.BlockingConnectionPool.from_url(
        app.config["REDIS_URL"], max_connections=500, timeout=5,
        socket_connect_timeout=2, socket_timeout=5, health_check_interval=30,
    )  # fmt: skip
    app.extensions["novacart.redis"] = redis.Redis(connection_pool=pool)


def redis_pool(app: Flask) -> redis.ConnectionPool:
    return app.extensions["novacart.redis"].connection_pool


def redis_client() -> redis.Redis:
    return current_app.extensions["novacart.redis"]
