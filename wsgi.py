"""The web process's entry points, one per way of running it (no guessing from what is imported):

- `python wsgi.py` serves Flask-SocketIO on $PORT in ASYNC_MODE: gevent replaces this process with
  gunicorn (novacart/server.py), whose WEB_CONCURRENCY workers each call `serve()` for their app;
  eventlet patches the standard library and serves one process itself.
- `flask --app wsgi …` runs the CLI (db upgrade, seed, users create): Flask calls `create_app()` below,
  an app with plain threads and none of the serving parts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from config import SettingsError, check_or_exit, choose_psycopg_wait, config_class, exit_refusing

if __name__ == "__main__":
    # Refuse unsafe settings in one line before gunicorn or eventlet start (and print their own noise).
    settings = check_or_exit()
    if settings.WEB_CONCURRENCY < 1:
        exit_refusing(SettingsError(f"WEB_CONCURRENCY must be 1 or more, not {settings.WEB_CONCURRENCY}"))
    if settings.ASYNC_MODE == "gevent":
        from novacart.server import exec_gevent

        exec_gevent(settings)  # never returns
    elif settings.ASYNC_MODE == "eventlet" and settings.WEB_CONCURRENCY > 1:
        # eventlet's server is one process; several on one port would need a forking server it lacks.
        exit_refusing(
            SettingsError(
                "ASYNC_MODE=eventlet serves one process per port: set WEB_CONCURRENCY=1 and run one web per "
                "port behind nginx (deploy/nginx/novacart.conf), or use ASYNC_MODE=gevent"
            )
        )
    elif settings.ASYNC_MODE == "eventlet":
        # Nothing of NovaCart's may be imported before this patch (nor psycopg before its wait is chosen).
        choose_psycopg_wait("eventlet")
        import eventlet

        eventlet.monkey_patch()
    else:
        exit_refusing(SettingsError(f"ASYNC_MODE must be eventlet or gevent, not {settings.ASYNC_MODE!r}"))

from novacart import create_app as build_app  # noqa: E402

if TYPE_CHECKING:
    from flask import Flask


def _built(*, serving: bool) -> Flask:
    try:
        return build_app(serving=serving)
    except SettingsError as error:
        exit_refusing(error)


def create_app() -> Flask:
    """The CLI's app (`flask --app wsgi`): plain threads, no socket watchers, no load shedding."""
    return _built(serving=False)


def serve() -> Flask:
    """A gunicorn gevent worker's app (`wsgi:serve()`), built after the fork and gevent's patch."""
    import gevent

    from novacart.notifications import sockets
    from novacart.server import tune_gc

    app = _built(serving=True)
    tune_gc(config_class(), gevent.spawn, gevent.sleep, sockets.held)
    return app


if __name__ == "__main__":
    from novacart.server import serve_eventlet

    serve_eventlet(_built(serving=True), settings)
