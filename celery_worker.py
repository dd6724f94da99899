"""The Celery entry point: `celery -A celery_worker.celery worker|beat`.

The Flask app is `flask_app`, not `app`, which `celery -A` would try first.
"""

from config import SettingsError, exit_refusing
from novacart import create_app

try:
    flask_app = create_app(worker=True)
except SettingsError as error:
    exit_refusing(error)
celery = flask_app.extensions["celery"]
