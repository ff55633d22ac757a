"""The transcript PDF is laid out by a task (issue 14 item 9): the request only asks for it; the
learner's page says it is being prepared, then offers the download. With a queue that keeps the task
(as the production worker's does) the steps are visible; with the immediate backend of development
the PDF is the answer at once (tests/credits/test_transcript.py)."""

import datetime
import os
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks import default_task_backend

from credits.models import ExternalCredit
from credits.transcript_export import build_transcript_pdf
from testkit.factories import add_claims
from testkit.pdf import pdf_text

pytestmark = pytest.mark.django_db

QUEUE = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture
def queue(settings, tmp_path):
    """Tasks are kept in a queue until the test runs them, as a worker would; files in a folder of
    the test's own."""
    settings.MEDIA_ROOT = str(tmp_path)
    settings.TASKS = QUEUE
    default_task_backend.clear()
    yield default_task_backend
    default_task_backend.clear()


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _run_queued(queue) -> None:
    """Run each queued task, as the worker does (the task's own code, in this process)."""
    results, queue.results = list(queue.results), []
    for result in results:
        result.task.call(*result.args, **result.kwargs)


def _folder(settings, user) -> Path:
    return Path(settings.MEDIA_ROOT) / "transcripts" / str(user.pk)


def test_the_learner_is_told_it_is_being_prepared_then_downloads_it(learner, show, provider, queue, settings):
    profile = learner.profile
    profile.given_name, profile.family_name = "Zoë", "Okafor"
    profile.save()
    add_claims(
        learner,
        show=show,
        provider=provider,
        count=2,
        completed_at=datetime.datetime(2024, 4, 2, 15, tzinfo=datetime.UTC),
    )
    client = _client(learner)

    asked = client.get(reverse("credits:transcript_pdf"), {"start": "2024-01-01", "end": "2024-12-31"})

    assert asked.status_code == 302
    status_url = asked["Location"]
    assert len(queue.results) == 1  # enqueued, not built in the request
    page = client.get(status_url)
    html = page.content.decode()
    assert "Your transcript PDF is being prepared" in html
    assert '<meta http-equiv="refresh" content="3">' in html  # it checks again by itself
    assert 'id="pdf-download"' not in html
    token = status_url.rstrip("/").rsplit("/", 1)[-1]
    assert client.get(reverse("credits:transcript_pdf_download", args=[token])).status_code == 302  # not yet

    _run_queued(queue)

    html = client.get(status_url).content.decode()
    assert "Your transcript PDF is ready" in html
    assert "http-equiv" not in html
    download = client.get(reverse("credits:transcript_pdf_download", args=[token]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="transcript_2024-01-01_to_2024-12-31.pdf"'
    assert download["Cache-Control"] == "private, no-store"
    text = pdf_text(download.content)
    assert "Zoë Okafor, MD" in text
    assert "t activity 0" in text and "t activity 1" in text
    assert "January 1, 2024 – December 31, 2024" in text


def test_another_learners_pdf_is_not_found(make_user, learner, queue):
    client = _client(learner)
    token = client.get(reverse("credits:transcript_pdf"))["Location"].rstrip("/").rsplit("/", 1)[-1]
    _run_queued(queue)
    other = _client(make_user("other@example.org", profile=True))

    for name in ("credits:transcript_pdf_status", "credits:transcript_pdf_download"):
        assert other.get(reverse(name, args=[token])).status_code == 404
        assert client.get(reverse(name, args=[token])).status_code == 200
        for bad in ("0" * 32, "..%2F..%2Fetc", "ZZ" * 16, token[:-1]):
            assert client.get(reverse(name, args=[bad])).status_code == 404


def test_bad_filters_are_a_400_and_nothing_is_queued_or_written(learner, queue, settings):
    response = _client(learner).get(reverse("credits:transcript_pdf"), {"start": "2024-13-01"})

    assert response.status_code == 400
    assert "Enter the start date as YYYY-MM-DD." in response.content.decode()
    assert queue.results == []
    assert not _folder(settings, learner).exists()


def test_a_failed_build_is_said_plainly_and_the_page_stops_reloading(learner, queue, monkeypatch):
    import weasyprint

    client = _client(learner)
    status_url = client.get(reverse("credits:transcript_pdf"))["Location"]

    def broken(self, *args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", broken)  # a third-party failure, not our code
    with pytest.raises(OSError):
        _run_queued(queue)

    html = client.get(status_url).content.decode()
    assert "Your transcript PDF could not be made" in html
    assert "http-equiv" not in html
    assert "No space left" not in html  # the error is for the log, not the learner


def test_a_late_pdf_is_said_plainly_after_ten_minutes(learner, queue, settings):
    client = _client(learner)
    status_url = client.get(reverse("credits:transcript_pdf"))["Location"]
    token = status_url.rstrip("/").rsplit("/", 1)[-1]
    requested = _folder(settings, learner) / f"{token}.requested"
    requested.write_text((timezone.now() - datetime.timedelta(minutes=11)).isoformat())

    html = client.get(status_url).content.decode()

    assert "Your transcript PDF is delayed" in html
    assert "http-equiv" not in html


def test_a_build_removes_the_learners_files_older_than_a_day(learner, queue, settings):
    ExternalCredit.objects.create(
        learner=learner,
        title="Grand rounds",
        provider_name="City Hospital",
        completed_on=datetime.date(2024, 5, 10),
        credits=Decimal("1.50"),
        credit_type="ama_pra_1",
    )
    client = _client(learner)
    client.get(reverse("credits:transcript_pdf"))
    _run_queued(queue)
    old = sorted(_folder(settings, learner).iterdir())
    assert {p.suffix for p in old} == {".requested", ".pdf", ".ready"}
    two_days_ago = time.time() - 2 * 86400
    for path in old:
        os.utime(path, (two_days_ago, two_days_ago))

    client.get(reverse("credits:transcript_pdf"))
    _run_queued(queue)

    left = sorted(_folder(settings, learner).iterdir())
    assert len(left) == 3 and not set(old) & set(left)


def test_with_the_immediate_backend_the_pdf_is_the_answer(learner):
    """Development and the test settings: the task has run by the time the request answers."""
    response = _client(learner).get(reverse("credits:transcript_pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")


def test_the_task_ignores_a_learner_who_is_gone(learner, settings):
    build_transcript_pdf.call(learner.pk + 1000, "a" * 32, None, None, None)
    assert not (Path(settings.MEDIA_ROOT) / "transcripts" / str(learner.pk + 1000)).exists()


def test_the_transcript_pages_pdf_link_leads_to_the_status_page_not_a_file(learner, show, provider, queue):
    """With a worker the PDF link answers a page ("being prepared"), so the link must not tell the
    browser to save what it gets as a file (the HTML page would be saved instead of shown)."""
    add_claims(learner, show=show, provider=provider, count=1)
    client = _client(learner)
    page = client.get(reverse("credits:transcript")).content.decode()
    link = next(tag for tag in page.split("<a ")[1:] if reverse("credits:transcript_pdf") in tag)
    assert " download" not in link.split(">", 1)[0]
    assert client.get(reverse("credits:transcript_pdf")).status_code == 302
