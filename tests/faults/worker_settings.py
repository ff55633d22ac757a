"""Settings of a task worker the fault tests start: the test settings on the test's own database, with
the database task queue (the tests enqueue with it too) and the test's MEDIA_ROOT (from the env)."""

import os

from podcastcme.settings.test import *  # noqa: F403
from podcastcme.settings.test import DATABASES

DATABASES["default"]["NAME"] = os.environ["PODCASTCME_TEST_DB_NAME"]
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
