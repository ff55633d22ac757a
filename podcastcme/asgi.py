"""ASGI entry point."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podcastcme.settings.prod")
django_application = get_asgi_application()

from episodes.analytics.buffer import flush_on_sigterm  # noqa: E402 - needs the apps loaded above
from podcastcme.limits import BodyLimitASGIMiddleware  # noqa: E402

# Django's ASGI handler reads the whole body before any middleware: the size limits go in front.
application = BodyLimitASGIMiddleware(django_application)

flush_on_sigterm()  # buffered download counts survive a server that dies on SIGTERM
