"""The Celery entry point: `celery -A celery_worker.celery worker|beat`.

The Flask app is `flask_app`, not `app`, which `celery -A` would try first.
"""

import gc

from celery.signals import worker_ready

from config import SettingsError, exit_refusing
from novacart import create_app

try:
    flask_app = create_app(worker=True)
except SettingsError as error:
    exit_refusing(error)
celery = flask_app.extensions["celery"]


@worker_ready.connect
def freeze_start_up(**_: object) -> None:
    """What the worker built to start (modules, the app, Celery) lives as long as it: collections skip it.

    A promotion's rows set off full collections that walked all of it, 70-100 ms each, twice in four
    10,000-customer promotions (bench scenario 3, gc.callbacks); the promotion waited meanwhile.
    """
    if flask_app.config["GC_TUNING"]:
        gc.collect()
        gc.freeze()
