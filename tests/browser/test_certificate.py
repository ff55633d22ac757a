"""In a real browser: a learner who passed and evaluated claims credit and downloads the certificate."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from credits import certificates
from credits import services as credit_services
from credits.grants import grant_record_active
from credits.models import Certificate
from episodes.models import Episode
from testkit.factories import QUIZ, correct_answers, publish
from testkit.pdf import pdf_text, printed


@pytest.fixture
def evaluated_activity(show, provider, coordinator, learner):
    episode = Episode.objects.create(
        show=show,
        title="Difficult airway",
        slug="difficult-airway",
        guid="guid-difficult-airway",
        audio="audio/airway-rounds/x.mp3",
        audio_mime="audio/mpeg",
        audio_size=1000,
        audio_duration=41 * 60,
        audio_bitrate=64000,
        status=Episode.Status.PUBLISHED,
        publish_at=timezone.now() - datetime.timedelta(days=1),
    )
    grant_record_active(show=episode.show, provider=provider, actor=None, note="test set-up")
    activity = credit_services.activity_create(
        provider=provider,
        episode=episode,
        actor=coordinator,
        data={
            "title": "Difficult airway: plans A to D",
            "objectives": "Recognise a failed airway",
            "target_audience": "Anaesthetists",
            "designated_credits": Decimal("0.75"),
            "designation_reason": "Pilot test: learners needed the designated time with the readings.",
            "release_date": timezone.localdate() - datetime.timedelta(days=1),
            "expiry_date": timezone.localdate() + datetime.timedelta(days=300),
        },
    )
    credit_services.quiz_replace(activity=activity, actor=coordinator, data=QUIZ)
    activity = publish(activity, coordinator)  # version 1: what learners are shown
    attempt = credit_services.attempt_start(learner=learner, activity=activity)
    credit_services.attempt_submit(attempt_id=attempt.pk, learner=learner, answers=correct_answers(attempt))
    credit_services.evaluation_submit(
        learner=learner,
        activity=activity,
        data={"objectives_met": 5, "relevant_to_practice": 5, "free_of_bias": 5, "intends_change": False},
    )
    return activity


def test_claim_credit_and_download_the_certificate(page, live_server, learner, evaluated_activity):
    client = Client()
    client.force_login(learner)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page.goto(f"/activities/{evaluated_activity.pk}/claim/")
    page.get_by_label("Minutes spent").fill("30")
    page.get_by_text("By claiming you attest").wait_for()  # the button sends the attestation
    page.get_by_role("button", name="Claim credit").click()
    page.get_by_role("heading", name="Credit claimed").wait_for()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download certificate (PDF)").click()
    download = download_info.value
    certificate = Certificate.objects.get(claim__learner=learner)
    assert download.suggested_filename == f"{certificate.number}.pdf"
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    for value in [
        "Ada Lovelace",
        "Difficult airway: plans A to D",
        "Enduring material — podcast",
        "0.5",
        printed(certificate.completion_date),
        certificate.number,
        certificates.verification_url(certificate),
    ]:
        assert value in text, value

    page.goto("/learning/")
    page.get_by_role("row").filter(has_text="Difficult airway").get_by_role(
        "link", name="Download certificate (PDF)"
    ).wait_for()


def test_a_failed_render_is_said_plainly_the_page_stays_still_and_the_retry_brings_the_pdf(
    page, live_server, learner, evaluated_activity
):
    from django.db import transaction

    from testkit.storage import certificates_folder_unwritable

    with certificates_folder_unwritable():
        with transaction.atomic():  # committed, so its on-commit render runs (and fails) here
            claim = credit_services.claim_credit(
                learner=learner, activity=evaluated_activity, minutes=30, attested=True
            )
    certificate = Certificate.objects.get(claim=claim)
    assert certificate.render_state == "failed"
    client = Client()
    client.force_login(learner)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page.goto("/learning/")
    page.get_by_role("row").filter(has_text="Difficult airway").get_by_role(
        "link", name="PDF delayed"
    ).click()
    page.get_by_role("heading", name="Your certificate is delayed").wait_for()
    status = page.get_by_role("status")
    assert "the PDF could not be produced yet" in status.inner_text()
    assert certificate.number in page.content()
    page.evaluate("window.stillTheSamePage = true")
    page.wait_for_timeout(6500)  # the old page reloaded itself every 5 s, forever
    assert page.evaluate("window.stillTheSamePage === true")

    due = certificate.render_next_try_at + datetime.timedelta(seconds=1)
    with transaction.atomic():
        assert certificates.certificate_renders_retry_due(now=due) == 1
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Check again").click()
    assert Path(download_info.value.path()).read_bytes().startswith(b"%PDF-")
