"""The task queue's health for /healthz: how long the oldest ready task has waited, and recent failures."""

import datetime

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from credits.tasks import render_certificate
from podcastcme.health_tasks import task_queue_status

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.mark.django_db
def test_an_empty_queue_is_healthy():
    assert task_queue_status() == {"oldest_ready_age_seconds": None, "failed_last_day": 0}


@pytest.mark.django_db
def test_a_queue_nobody_works_on_reports_the_age_of_its_oldest_task(settings):
    settings.TASKS = DATABASE_TASKS
    render_certificate.enqueue(12345)
    old = render_certificate.enqueue(12346)
    DBTaskResult.objects.filter(pk=old.id).update(enqueued_at=timezone.now() - datetime.timedelta(minutes=10))
    # A task deferred to the future is not late.
    render_certificate.using(run_after=timezone.now() + datetime.timedelta(hours=1)).enqueue(12347)
    status = task_queue_status()
    assert 595 <= status["oldest_ready_age_seconds"] <= 620
    assert status["failed_last_day"] == 0


@pytest.mark.django_db
def test_a_deferred_task_counts_from_when_it_became_due(settings):
    settings.TASKS = DATABASE_TASKS
    due = render_certificate.using(run_after=timezone.now() - datetime.timedelta(minutes=2)).enqueue(1)
    DBTaskResult.objects.filter(pk=due.id).update(enqueued_at=timezone.now() - datetime.timedelta(days=1))
    assert 115 <= task_queue_status()["oldest_ready_age_seconds"] <= 130


@pytest.mark.django_db
def test_failed_tasks_of_the_last_day_are_counted(settings):
    settings.TASKS = DATABASE_TASKS
    recent, old = render_certificate.enqueue(1), render_certificate.enqueue(2)
    now = timezone.now()
    DBTaskResult.objects.filter(pk=recent.id).update(status="FAILED", finished_at=now)
    DBTaskResult.objects.filter(pk=old.id).update(
        status="FAILED", finished_at=now - datetime.timedelta(days=2)
    )
    assert task_queue_status() == {"oldest_ready_age_seconds": None, "failed_last_day": 1}
