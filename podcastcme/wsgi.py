"""WSGI entry point for gunicorn: `gunicorn podcastcme.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podcastcme.settings.prod")
application = get_wsgi_application()

from episodes.analytics.buffer import flush_on_sigterm  # noqa: E402 - needs the apps loaded above

flush_on_sigterm()  # buffered download counts survive a server that dies on SIGTERM
