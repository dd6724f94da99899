"""gunicorn's hooks for NovaCart's web processes (novacart/server.py passes this file with -c).

Runs in gunicorn's master, which must stay free of NovaCart's imports: the workers import the app
themselves, after the fork and gevent's patching (see novacart/server.exec_gevent).
"""

import os


def child_exit(server, worker) -> None:
    """A worker is gone: drop its live gauges (connected sockets), or /metrics would add up the dead.

    prometheus_client's documented gunicorn hook; imported only here, only in multiprocess mode.
    """
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
