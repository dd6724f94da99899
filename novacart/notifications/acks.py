"""Acknowledgements from this web process's sockets, applied in batches.

Under load every delivered notification comes back as a `notification:ack`; one transaction per ack
made acknowledgements the web process's main cost. Acks are collected for a few milliseconds and
applied together. An ack lost in a crash only means that notification is sent again (the contract
allows duplicates; clients de-duplicate by id), never that one is lost.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

from flask import Flask

from novacart.extensions import socketio
from novacart.notifications import delivery

logger = logging.getLogger(__name__)

FLUSH_INTERVAL_SECONDS = 0.05
MAX_PENDING = 50_000  # beyond this, flush at once rather than let memory grow


class AckBuffer:
    def __init__(self) -> None:
        # (notification id, the user who acknowledged it): keyed by both, so another user's socket sending
        # the same ids cannot overwrite the owner's acknowledgement.
        self._pending: set[tuple[int, int]] = set()
        self._lock = threading.Lock()
        # Held from taking the pending acks until they are committed: a socket connecting meanwhile
        # flushes before replaying its queue, and must wait for acks already on their way to the
        # database, or it would be sent again what its other tab has just acknowledged.
        self._applying = threading.Lock()
        self._flusher_started = False

    def submit(self, app: Flask, user_id: int, ids: Iterable[int]) -> None:
        with self._lock:
            self._pending.update((notification_id, user_id) for notification_id in ids)
            too_many = len(self._pending) >= MAX_PENDING
            if not self._flusher_started:
                self._flusher_started = True
                socketio.start_background_task(self._run, app)
        if too_many:
            self.flush()

    def flush(self) -> int:
        """Apply what is pending now, and wait for any batch being applied (within the caller's app context)."""
        with self._applying:
            with self._lock:
                pending, self._pending = self._pending, set()
            if not pending:
                return 0
            try:
                return delivery.acknowledge_many(list(pending))
            except Exception:
                logger.exception("applying %d acknowledgements failed; they will be re-sent", len(pending))
                return 0

    def _run(self, app: Flask) -> None:
        while True:
            socketio.sleep(FLUSH_INTERVAL_SECONDS)
            if self._pending:
                with app.app_context():
                    self.flush()


buffer = AckBuffer()
