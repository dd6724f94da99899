"""The Celery entry point: `celery -A celery_worker.celery worker|beat`.

The Flask app is `flask_app`, not `app`, which `celery -A` would try first.
"""

from novacart import create_app

flask_app = create_app(worker=True)
celery = flask_app.extensions["celery"]
