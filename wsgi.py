"""The web process: `python wsgi.py` serves Flask-SocketIO on $PORT in ASYNC_MODE (eventlet or gevent).

`flask --app wsgi …` runs the CLI (db upgrade, seed, users create) without any monkey patching.
"""

import os
import sys

ASYNC_MODE = os.environ.get("ASYNC_MODE", "eventlet")
# Serving: run as a script, or imported by gunicorn (gevent). The CLI gets plain threads.
SERVING = __name__ == "__main__" or "gunicorn" in sys.modules

if __name__ == "__main__" and ASYNC_MODE == "eventlet":
    # psycopg 3 would block eventlet's whole hub during a query without this (set before it is imported).
    os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")
    import eventlet

    eventlet.monkey_patch()
# gevent is served by gunicorn's gevent worker, which patches before it imports this module.

from novacart import create_app  # noqa: E402

app = create_app(serving=SERVING)


def serve() -> None:
    from novacart.server import serve as run_server

    run_server(app)


if __name__ == "__main__":
    serve()
