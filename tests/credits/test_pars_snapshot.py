"""The PARS learner page reads its range's snapshot (credits/pars_snapshot.py, issue 14 item 9):
built by a task, rebuilt when anything was audited since or it is more than a minute old, or when
the coordinator asks; with a worker the first view says the completions are being checked."""

import datetime

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import LearnerProfile
from credits import pars_snapshot, report_selectors
from credits.certificates import certificate_revoke
from credits.models import Certificate
from credits.provider_time import provider_date
from testkit.factories import add_prior_claims

pytestmark = pytest.mark.django_db

DUMMY_TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def _share(prefix: str, **fields) -> None:
    """The learners consent to board sharing (no NPI: each completion is a row with a problem)."""
    LearnerProfile.objects.filter(user__email__startswith=f"{prefix}-").update(
        board_sharing_consent=True,
        board_sharing_consent_at=timezone.now(),
        birth_month=1,
        birth_day=2,
        **fields,
    )


@pytest.fixture
def page(coordinator_client, activity, provider):
    add_prior_claims(activity, 3, prefix="p")
    _share("p")
    today = provider_date(timezone.now(), provider).isoformat()  # the range is in the provider's days
    url = reverse("credits:pars_learners", args=[provider.slug])
    span = {"start": today, "end": today}

    def get() -> str:
        response = coordinator_client.get(url, span)
        assert response.status_code == 200
        return response.content.decode()

    return url, span, get


def test_a_change_without_an_audit_row_waits_for_check_again_now(coordinator_client, page):
    url, span, get = page
    first = get()
    assert "3 rows with problems." in first and "Checked as of" in first and "Check again now" in first
    _share("p", family_name="")  # a bulk edit that writes no audit row: the snapshot does not see it
    assert "3 rows with problems." in get() and "last name missing" not in get()
    response = coordinator_client.post(url, span, follow=True)
    body = response.content.decode()
    assert response.redirect_chain[0][0].endswith(f"?start={span['start']}&end={span['end']}")
    assert "Completions checked again." in body and "last name missing" in body


def test_an_audited_change_is_shown_at_the_next_view(coordinator, page):
    _url, _span, get = page
    assert "3 rows with problems." in get()
    certificate_revoke(certificate=Certificate.objects.first(), actor=coordinator, reason="Did not take part")
    assert "2 rows with problems." in get()


def test_a_snapshot_older_than_the_max_age_is_checked_again(page, monkeypatch):
    _url, _span, get = page
    assert "3 rows with problems." in get()
    _share("p", family_name="")
    monkeypatch.setattr(report_selectors, "REPORT_MAX_AGE", datetime.timedelta(0))
    assert "last name missing" in get()


def test_with_a_worker_the_first_view_queues_one_check_and_says_so(coordinator_client, provider, page):
    from django_tasks import default_task_backend

    url, span, get = page
    with override_settings(TASKS=DUMMY_TASKS):
        default_task_backend.clear()
        first = coordinator_client.get(url, span)
        second = coordinator_client.get(url, span)
        queued = list(default_task_backend.results)
    for response in (first, second):
        assert response.status_code == 200 and response["Refresh"] == "5"
        assert "are being checked" in response.content.decode()
        assert "rows with problems" not in response.content.decode()
    assert len(queued) == 1  # the lock: one check at a time per provider and range
    pars_snapshot.refresh_pars_snapshot.call(provider.pk, span["start"], span["end"])  # the worker
    body = get()
    assert "3 rows with problems." in body and "are being checked" not in body


def test_a_bad_range_to_check_again_is_refused_and_nothing_is_queued(coordinator_client, page):
    from django_tasks import default_task_backend

    url, _span, _get = page
    with override_settings(TASKS=DUMMY_TASKS):
        default_task_backend.clear()
        response = coordinator_client.post(url, {"start": "2026-02-01", "end": "yesterday"})
        assert response.status_code == 400 and not list(default_task_backend.results)


def test_the_pages_of_rows_to_fix_are_read_from_the_snapshot(coordinator_client, activity, page):
    url, span, get = page
    add_prior_claims(activity, 57, prefix="q")
    _share("q")
    coordinator_client.post(url, span)
    second = coordinator_client.get(url, {**span, "problems_page": "2"}).content.decode()
    assert "60 rows with problems." in second and "Page 2 of 2 (60 in all)" in second
    block = second.split('id="pars-problems"')[1].split("</ul>")[0]
    assert block.count("<li>") == 10
