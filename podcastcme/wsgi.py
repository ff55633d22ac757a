"""WSGI entry point for gunicorn: `gunicorn podcastcme.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podcastcme.settings.prod")
application = get_wsgi_application()
