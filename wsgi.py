"""The web process: `python wsgi.py` serves Flask-SocketIO on $PORT in ASYNC_MODE (gevent or eventlet).

`flask --app wsgi …` runs the CLI (db upgrade, seed, users create) without any monkey patching.
"""

import os
import sys

from config import SettingsError, check_or_exit, exit_refusing

ASYNC_MODE = os.environ.get("ASYNC_MODE", "gevent")  # the faster one: docs/performance.md

if __name__ == "__main__":
    # Refuse unsafe settings in one line before gunicorn or eventlet start (and print their own noise).
    check_or_exit()

if __name__ == "__main__" and ASYNC_MODE == "gevent":
    # gunicorn's gevent worker patches the standard library, then imports wsgi:app itself.
    from novacart.server import exec_gevent

    exec_gevent()
elif __name__ == "__main__" and ASYNC_MODE == "eventlet":
    # psycopg 3 would block eventlet's whole hub during a query without this (set before it is imported).
    os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")
    import eventlet

    eventlet.monkey_patch()
elif __name__ == "__main__":
    raise SystemExit(f"ASYNC_MODE must be eventlet or gevent, not {ASYNC_MODE!r}")

from novacart import create_app  # noqa: E402

# Serving: run as a script, or imported by gunicorn's worker. The CLI gets plain threads.
try:
    app = create_app(serving=__name__ == "__main__" or "gunicorn" in sys.modules)
except SettingsError as error:
    exit_refusing(error)

if "gunicorn" in sys.modules and ASYNC_MODE == "gevent":
    import gevent

    from novacart.server import tune_gc

    tune_gc(gevent.spawn, gevent.sleep)

if __name__ == "__main__":
    from novacart.server import serve_eventlet

    serve_eventlet(app)
