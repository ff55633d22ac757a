"""The task queue's health, for /healthz: how long the oldest due task has waited, recent failures.

A queue nobody works on (the worker is down, or stuck) shows as a growing age; tasks failing in a
loop show as a count. Both read django-tasks-db's table, whatever backend is configured (with the
immediate backend the table stays empty and the queue reads as healthy).
"""

import datetime

from django.db.models import Count, Min, Q
from django.db.models.functions import Greatest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max


def task_queue_status() -> dict:
    """{"oldest_ready_age_seconds": float | None, "failed_last_day": int} (two indexed queries' worth).

    The age counts from when a task became due: its ``run_after`` if it was deferred (a retry with
    back-off is not late while it waits), else when it was enqueued.
    """
    now = timezone.now()
    never = get_date_max()  # django-tasks-db's "no run_after"
    ready = DBTaskResult.objects.filter(status="READY").filter(Q(run_after=never) | Q(run_after__lte=now))
    oldest_enqueued = ready.filter(run_after=never).aggregate(at=Min("enqueued_at"))["at"]
    oldest_deferred = ready.exclude(run_after=never).aggregate(at=Min(Greatest("run_after", "enqueued_at")))[
        "at"
    ]
    due = [at for at in (oldest_enqueued, oldest_deferred) if at is not None]
    failed = DBTaskResult.objects.filter(
        status="FAILED", finished_at__gte=now - datetime.timedelta(days=1)
    ).aggregate(n=Count("pk"))["n"]
    return {
        "oldest_ready_age_seconds": max((now - min(due)).total_seconds(), 0.0) if due else None,
        "failed_last_day": failed,
    }
