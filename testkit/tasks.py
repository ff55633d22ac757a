"""Tasks queued for a worker that is not running: django-tasks' DummyBackend, as with
``manage.py task_worker`` in production when the worker has not picked the task up yet."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

from django.test import override_settings

DUMMY_TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@contextmanager
def worker_not_running() -> Iterator[list]:
    """Inside: tasks are queued, not run. Yields a list filled, on leaving, with the results queued."""
    from django_tasks import default_task_backend
    from django_tasks.backends.dummy import DummyBackend

    queued: list = []
    with override_settings(TASKS=DUMMY_TASKS):
        backend = cast(DummyBackend, default_task_backend)  # a proxy to the configured backend
        backend.clear()
        try:
            yield queued
        finally:
            queued.extend(backend.results)
