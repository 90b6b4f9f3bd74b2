"""Project package: settings, URLs, the Celery app, base templates, HomePage and /healthz/."""

from lms.celery import app as celery_app

__all__ = ["celery_app"]
