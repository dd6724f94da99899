"""The web process: `python wsgi.py` serves Flask-SocketIO on $PORT in ASYNC_MODE (gevent or eventlet).

gevent: gunicorn with WEB_CONCURRENCY workers on one port, each importing this module for `app`.
`flask --app wsgi …` runs the CLI (db upgrade, seed, users create) without any monkey patching.
"""

import os
import sys

from config import SettingsError, check_or_exit, config_class, exit_refusing

if __name__ == "__main__":
    # Refuse unsafe settings in one line before gunicorn or eventlet start (and print their own noise).
    settings = check_or_exit()
    if settings.WEB_CONCURRENCY < 1:
        exit_refusing(SettingsError(f"WEB_CONCURRENCY must be 1 or more, not {settings.WEB_CONCURRENCY}"))
    if settings.ASYNC_MODE == "gevent":
        # gunicorn's gevent workers patch the standard library, then import wsgi:app themselves.
        from novacart.server import exec_gevent

        exec_gevent(settings)
    elif settings.ASYNC_MODE == "eventlet" and settings.WEB_CONCURRENCY > 1:
        # eventlet's server is one process; several on one port would need a forking server it lacks.
        exit_refusing(
            SettingsError(
                "ASYNC_MODE=eventlet serves one process per port: set WEB_CONCURRENCY=1 and run one web per "
                "port behind nginx (deploy/nginx/novacart.conf), or use ASYNC_MODE=gevent"
            )
        )
    elif settings.ASYNC_MODE == "eventlet":
        # Nothing of NovaCart's may be imported before this patch.
        # psycopg 3 would block eventlet's whole hub during a query without this (set before it is imported).
        os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")
        import eventlet

        eventlet.monkey_patch()
    else:
        exit_refusing(SettingsError(f"ASYNC_MODE must be eventlet or gevent, not {settings.ASYNC_MODE!r}"))

from novacart import create_app  # noqa: E402

# Serving: run as a script, or imported by gunicorn's worker. The CLI gets plain threads.
try:
    app = create_app(serving=__name__ == "__main__" or "gunicorn" in sys.modules)
except SettingsError as error:
    exit_refusing(error)

if "gunicorn" in sys.modules and app.config["ASYNC_MODE"] == "gevent":
    import gevent

    from novacart.server import tune_gc

    tune_gc(config_class(), gevent.spawn, gevent.sleep)

if __name__ == "__main__":
    from novacart.server import serve_eventlet

    serve_eventlet(app, settings)
