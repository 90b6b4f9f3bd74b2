"""WSGI entry point for gunicorn (`gunicorn lms.wsgi --preload`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")

application = get_wsgi_application()

# A web process that cannot reach its database or broker should not start serving errors.
from lms.preflight import preflight  # noqa: E402

preflight()
