"""Prometheus metrics, shared by the web and worker processes (multiprocess mode when configured)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, current_app
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

NOTIFICATIONS_CREATED = Counter("novacart_notifications_created", "Notifications stored", ["type"])
NOTIFICATIONS_PUSHED = Counter("novacart_notifications_pushed", "Notifications emitted to a user's room", ["type"])
NOTIFICATIONS_ACKNOWLEDGED = Counter(
    "novacart_notifications_acknowledged", "Notifications acknowledged by a client", ["type"]
)
CONNECTED_SOCKETS = Gauge("novacart_connected_sockets", "Socket.IO clients connected", multiprocess_mode="livesum")
DELIVERY_LATENCY = Histogram(
    "novacart_delivery_latency_seconds",
    "Time from a notification's creation to its first acknowledgement",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600),
)
CHANNEL_SENDS = Counter(
    "novacart_channel_sends",
    "E-mail and push outcomes: sent, failed, off (channel off or nowhere to send), seen (shown in the app in time)",
    ["channel", "outcome"],
)
SOCKET_EVENTS_REFUSED = Counter("novacart_socket_refused", "Socket connections or events refused", ["reason"])
REQUESTS_SHED = Counter(
    "novacart_requests_shed", "HTTP requests refused with 503 because the process was overloaded", ["reason"]
)
EVENT_LOOP_LAG = Gauge(
    "novacart_event_loop_lag_seconds", "How late the web process's timers fire (smoothed)", multiprocess_mode="livemax"
)

metrics_bp = Blueprint("metrics", __name__)


_queue_stats: Callable[[], dict[str, float]] | None = None


def register_queue_stats(read: Callable[[], dict[str, float]]) -> None:
    """The notification engine tells metrics how to read its queue (`{depth, oldest_seconds}`), so that
    this core module imports no domain."""
    global _queue_stats
    _queue_stats = read


class QueueCollector(Collector):
    """Delivery-queue depth and the age of its oldest entry, read from the database at scrape time."""

    def __init__(self, app):
        self.app = app

    def collect(self):
        if _queue_stats is None:
            return
        depth = GaugeMetricFamily("novacart_delivery_queue_depth", "Notifications waiting for an acknowledgement")
        oldest = GaugeMetricFamily(
            "novacart_delivery_queue_oldest_seconds", "Age of the oldest unacknowledged delivery"
        )
        with self.app.app_context():
            stats = _queue_stats()
        depth.add_metric([], stats["depth"])
        oldest.add_metric([], stats["oldest_seconds"])
        yield depth
        yield oldest


@metrics_bp.get("/metrics")
def metrics() -> Response:
    """Prometheus text; with METRICS_TOKEN set, only for `Authorization: Bearer <METRICS_TOKEN>`."""
    import hmac

    from flask import request

    from novacart.errors import problem

    token = current_app.config["METRICS_TOKEN"]
    if token:
        sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(sent.encode(), token.encode()):
            return problem(
                401, "Unauthorized", detail="/metrics wants its bearer token.", headers={"WWW-Authenticate": "Bearer"}
            )

    registry = CollectorRegistry()
    if current_app.config["PROMETHEUS_MULTIPROC_DIR"]:
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY

        registry = REGISTRY
    output = generate_latest(registry) + generate_latest(_queue_registry(current_app))
    return Response(output, mimetype=CONTENT_TYPE_LATEST)


def _queue_registry(app) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(QueueCollector(app))
    return registry


def connected_sockets() -> float:
    """Sockets connected now: to every web process in multiprocess mode, else to this process."""
    if current_app.config["PROMETHEUS_MULTIPROC_DIR"]:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry.get_sample_value("novacart_connected_sockets") or 0.0
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value("novacart_connected_sockets") or 0.0
