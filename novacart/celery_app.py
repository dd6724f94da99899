"""Celery bound to the Flask app: every task runs inside an application context."""

from __future__ import annotations

from celery import Celery, Task
from flask import Flask, has_app_context


def celery_init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            # Eager tasks already run in the caller's context; a new one would have a db.session blind to its rows.
            if has_app_context():
                return self.run(*args, **kwargs)
            with app.app_context():
                try:
                    return self.run(*args, **kwargs)
                finally:
                    from novacart.extensions import db

                    db.session.remove()

    celery = Celery(app.name, task_cls=FlaskTask)
    celery.config_from_object(app.config["CELERY"])
    celery.set_default()
    app.extensions["celery"] = celery
    return celery
