"""One ping timer per web process instead of one green thread per socket.

python-engineio (4.x) schedules each socket's next ping by starting a green thread that sleeps for
`ping_interval` (25 s) and then queues the PING: 10,000 sockets keep 10,000 sleeping green threads,
each with its own saved stack and frame pages (~7 KiB of the ~66 KiB a socket cost), and spawn 400 new
ones a second. Here every socket's next ping goes into one heap that a single green thread serves.
Behaviour on the wire is unchanged: the PING goes out `ping_interval` after the previous PONG, through
the socket's own queue, and engine.io's own timeout check still drops a socket that stops answering.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from typing import Any

from engineio import packet
from engineio import socket as engineio_socket

logger = logging.getLogger(__name__)


class PingScheduler:
    def __init__(self, server: Any) -> None:
        self.server = server  # the python-engineio Server: its interval, sleep and background tasks
        self._due: list[tuple[float, int, Any]] = []
        self._order = itertools.count()
        self._lock = threading.Lock()
        self._started = False

    def schedule(self, sock: Any) -> None:
        """engine.io's Socket.schedule_ping, minus the green thread."""
        if not sock.last_ping:  # only after the previous ping cycle completed, as engine.io does
            return
        sock.last_ping = None
        with self._lock:
            heapq.heappush(self._due, (time.monotonic() + self.server.ping_interval, next(self._order), sock))
            if not self._started:
                self._started = True
                self.server.start_background_task(self._run)

    def _run(self) -> None:
        # A socket scheduled while this sleeps waits at most `tick` longer than ping_interval (engine.io
        # itself allows ping_timeout on top): 1 s in production, less with the tests' short intervals.
        tick = min(1.0, self.server.ping_interval / 4)
        while True:
            now = time.monotonic()
            due = []
            with self._lock:
                while self._due and self._due[0][0] <= now:
                    due.append(heapq.heappop(self._due)[2])
                wait = min(tick, self._due[0][0] - now) if self._due else tick
            for sock in due:
                try:
                    if not sock.closing and not sock.closed:
                        sock.last_ping = time.time()
                        sock.send(packet.Packet(packet.PING))
                except Exception:  # one broken socket must not stop everyone's pings
                    logger.warning("could not ping socket %s", getattr(sock, "sid", "?"), exc_info=True)
            self.server.sleep(max(0.01, wait))


def install(engineio_server: Any) -> PingScheduler | None:
    """Make every engine.io socket of this process use one shared scheduler (web processes only)."""
    if not hasattr(engineio_socket.Socket, "_send_ping"):  # a python-engineio this was not written for
        logger.warning("python-engineio changed its ping timer; keeping one green thread per socket")
        return None
    scheduler = PingScheduler(engineio_server)

    def schedule_ping(sock: Any) -> None:
        scheduler.schedule(sock)

    engineio_socket.Socket.schedule_ping = schedule_ping  # type: ignore[method-assign]
    return scheduler
