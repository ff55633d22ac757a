"""Test settings: fast hashing, in-memory email and cache, media in a temporary folder."""

import tempfile

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = "test-only-key-not-secret-0123456789abcdefghijklmnopqrstuvwxyz"
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {
    # Room for the checking pages' stored lists (credits/list_snapshot.py; see base.py).
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": 50_000},
    },
    "feeds": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "feeds"},
}
MEDIA_ROOT = Path(env("MEDIA_ROOT") or tempfile.mkdtemp(prefix="podcastcme-test-media-"))  # noqa: F405
STORAGES = {  # noqa: F405
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SITE_URL = "http://testserver"
PODCASTCME_DEMO_ALLOWED = True
# Serve static files straight from the source folders, as in development (no collectstatic).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Tests read download counts right after the request.
PODCASTCME_COUNT_BUFFER_SECONDS = 0
# Tests change shows and read their feeds at once.
PODCASTCME_FEED_RECHECK_SECONDS = 0
PODCASTCME_DOWNLOAD_RECHECK_SECONDS = 0
