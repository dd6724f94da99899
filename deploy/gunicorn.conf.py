"""gunicorn's settings and hooks for NovaCart's web processes (novacart/server.py passes this file with -c).

Runs in gunicorn's master, which must stay free of NovaCart's imports: the workers import the app
themselves, after the fork and gevent's patching (see novacart/server.exec_gevent). gunicorn's gevent
worker module is imported here as gunicorn itself would import it for `-k gevent`; it patches nothing.
"""

import os

import gevent
from gevent.server import StreamServer
from gunicorn.workers import ggevent

# gevent records, for every greenlet it spawns, the stack and the greenlet that spawned it: a debugging aid
# (gevent.util.print_run_info) that NovaCart never reads, kept for each of a socket's three greenlets
# (its connection's, the WebSocket reader's and the writer's). Without it a socket costs 3.3 KiB less
# (67.3 -> 64.0 KiB at 2,000 sockets, tracemalloc and RSS). GEVENT_TRACK_GREENLET_TREE=1 brings it back.
if "GEVENT_TRACK_GREENLET_TREE" not in os.environ:
    gevent.config.track_greenlet_tree = False

# Connections a web process accepts each time its listener is ready, with several workers. gunicorn's
# gevent worker then takes one, to share them out; but a busy process wakes for its listener once per
# trip around its loop (50-100 ms under load), so it accepted 10-20 connections a second. A client
# opening connections faster (an API client with a bounded keep-alive pool, under load) then queued in
# the listen backlog: 424 connections and 9 s of waiting at 2x overload with two processes, while each
# loop's timers ran on time. 16 still shares a burst between the workers, the less busy one first (it
# comes back to its listener sooner). A single worker keeps gevent's own 100.
ACCEPT_BURST = 16


class _BurstAcceptingServer(StreamServer):
    @property
    def max_accept(self) -> int:
        return ACCEPT_BURST

    @max_accept.setter
    def max_accept(self, _value: int) -> None:
        """gunicorn's one for several workers is not taken (see ACCEPT_BURST)."""


class GeventWorker(ggevent.GeventWorker):
    """gunicorn's gevent worker (`-k gevent`); with several workers each accepts up to ACCEPT_BURST
    connections per wake-up."""

    def run(self) -> None:
        if self.cfg.workers > 1:
            ggevent.StreamServer = _BurstAcceptingServer  # this worker process's servers only (after the fork)
        super().run()


worker_class = GeventWorker


def child_exit(server, worker) -> None:
    """A worker is gone: drop its live gauges (connected sockets), or /metrics would add up the dead.

    prometheus_client's documented gunicorn hook; imported only here, only in multiprocess mode.
    """
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
