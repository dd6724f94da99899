"""The shared Redis client (rate limits, the token blocklist, health checks)."""

from __future__ import annotations

import redis
from flask import Flask, current_app


def init_app(app: Flask) -> None:
    app.extensions["novacart.redis"] = redis.Redis.from_url(
        app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=5, health_check_interval=30
    )


def redis_client() -> redis.Redis:
    return current_app.extensions["novacart.redis"]
