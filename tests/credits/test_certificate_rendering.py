"""Certificate rendering: the row is written with the claim, renders retry with back-off, a failed or
late render is said honestly to the learner and shown to coordinators, and a command repairs it."""

import datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from credits import certificates, services
from credits.models import Certificate
from testkit.factories import correct_answers
from testkit.mfa import mfa_login
from testkit.storage import certificates_folder_unwritable


def ready_for_claim(make_user, activity, email: str):
    learner = make_user(email, profile=True)
    attempt = services.attempt_start(learner=learner, activity=activity)
    services.attempt_submit(attempt_id=attempt.pk, learner=learner, answers=correct_answers(attempt))
    services.evaluation_submit(
        learner=learner,
        activity=activity,
        data={"objectives_met": 4, "relevant_to_practice": 4, "free_of_bias": 4, "intends_change": False},
    )
    return learner


def claim(learner, activity, capture, *, execute: bool = True) -> Certificate:
    with capture(execute=execute):
        made = services.claim_credit(learner=learner, activity=activity, minutes=30, attested=True)
    return Certificate.objects.get(claim=made)


def page(client, certificate):
    return client.get(reverse("credits:certificate_pdf", args=[certificate.pk]))


# --- The row is part of the claim ------------------------------------------------------------------


@pytest.mark.django_db
def test_the_claim_writes_its_certificate_row_in_its_own_transaction(
    learner, activity, evaluated, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        made = services.claim_credit(learner=learner, activity=activity, minutes=30, attested=True)
        # Before the commit (nothing has run on commit yet), the certificate row already exists.
        certificate = Certificate.objects.get(claim=made)
    assert certificate.render_state == Certificate.RenderState.PENDING
    assert not certificate.pdf and certificate.render_attempts == 0
    assert certificate.render_next_try_at is not None  # the sweep renders it if the task never runs
    assert AuditEvent.objects.filter(action="certificate.issued", object_id=str(certificate.pk)).exists()


# --- Retries ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_failed_render_is_recorded_and_retried_with_back_off(
    learner, activity, evaluated, coordinator, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    with certificates_folder_unwritable():
        certificate = claim(learner, activity, capture)
        certificate.refresh_from_db()
        assert certificate.render_state == Certificate.RenderState.FAILED
        assert certificate.render_attempts == 1 and not certificate.pdf
        assert certificate.status == Certificate.Status.PENDING
        assert certificate.render_error and "Traceback" not in certificate.render_error
        delay = (certificate.render_next_try_at - timezone.now()).total_seconds()
        assert 50 <= delay <= 61
        failed = AuditEvent.objects.get(action="certificate.render_failed", object_id=str(certificate.pk))
        assert failed.data["attempt"] == 1
        # The provider's coordinators hear of it (the learner is not sent an error email).
        assert [m.to for m in mail.outbox] == [["coordinator@example.org"]]
        assert certificate.number in mail.outbox[0].body

        # Not due yet: nothing is retried.
        with capture(execute=True):
            assert certificates.certificate_renders_retry_due() == 0
        # Due, still failing: the next wait doubles.
        with capture(execute=True):
            due = certificate.render_next_try_at + datetime.timedelta(seconds=1)
            assert certificates.certificate_renders_retry_due(now=due) == 1
        certificate.refresh_from_db()
        assert certificate.render_attempts == 2
        assert 110 <= (certificate.render_next_try_at - timezone.now()).total_seconds() <= 121
        assert len(mail.outbox) == 1  # coordinators are told once, not at every retry

    # The fault is gone: the next retry renders it and the learner gets the ready email.
    with capture(execute=True):
        due = certificate.render_next_try_at + datetime.timedelta(seconds=1)
        assert certificates.certificate_renders_retry_due(now=due) == 1
    certificate.refresh_from_db()
    assert certificate.render_state == Certificate.RenderState.RENDERED
    assert certificate.status == Certificate.Status.ISSUED
    assert certificate.render_error == "" and certificate.render_next_try_at is None
    with certificate.pdf.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"
    assert "certificate is ready" in mail.outbox[-1].subject and mail.outbox[-1].to == ["learner@example.org"]


@pytest.mark.django_db
def test_retries_stop_after_the_last_attempt_and_wait_for_a_repair(
    learner, activity, evaluated, django_capture_on_commit_callbacks
):
    certificate = claim(learner, activity, django_capture_on_commit_callbacks, execute=False)
    Certificate.objects.filter(pk=certificate.pk).update(
        render_attempts=certificates.RENDER_MAX_ATTEMPTS - 1,
        render_next_try_at=timezone.now() - datetime.timedelta(seconds=1),
    )
    with certificates_folder_unwritable(), django_capture_on_commit_callbacks(execute=True):
        assert certificates.certificate_renders_retry_due() == 1
    certificate.refresh_from_db()
    assert certificate.render_state == Certificate.RenderState.FAILED
    assert certificate.render_attempts == certificates.RENDER_MAX_ATTEMPTS
    assert certificate.render_next_try_at is None  # no more automatic tries
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            certificates.certificate_renders_retry_due(now=timezone.now() + datetime.timedelta(days=9)) == 0
        )


# --- What the learner sees --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_learner_page_reloads_less_and_less_then_stops_and_says_what_happened(
    client, learner, activity, evaluated, django_capture_on_commit_callbacks
):
    certificate = claim(learner, activity, django_capture_on_commit_callbacks, execute=False)  # no worker
    client.force_login(learner)
    response = page(client, certificate)
    assert response.status_code == 202
    assert '<meta http-equiv="refresh" content="5">' in response.content.decode()
    assert "Your certificate is being prepared" in response.content.decode()

    Certificate.objects.filter(pk=certificate.pk).update(
        issued_at=timezone.now() - datetime.timedelta(minutes=3)
    )
    body = page(client, certificate).content.decode()
    assert '<meta http-equiv="refresh" content="30">' in body  # backing off

    Certificate.objects.filter(pk=certificate.pk).update(
        issued_at=timezone.now() - datetime.timedelta(minutes=certificates.RENDER_OVERDUE_MINUTES + 1)
    )
    response = page(client, certificate)
    body = response.content.decode()
    assert 'http-equiv="refresh"' not in body and "Retry-After" not in response
    assert "Your credit is recorded" in body
    assert "taking longer than it should" in body
    assert certificate.number in body and activity.title in body and "0.5" in body  # the claim itself


@pytest.mark.django_db
def test_a_failed_render_is_told_to_the_learner_honestly_without_the_error(
    client, learner, activity, evaluated, django_capture_on_commit_callbacks
):
    with certificates_folder_unwritable():
        certificate = claim(learner, activity, django_capture_on_commit_callbacks)
    certificate.refresh_from_db()
    client.force_login(learner)
    body = page(client, certificate).content.decode()
    assert 'http-equiv="refresh"' not in body
    assert "Your credit is recorded" in body and "the PDF could not be produced yet" in body
    assert "We retry automatically" in body and "the CME office has been notified" in body
    assert certificate.render_error not in body
    for url in (reverse("credits:my_learning"), reverse("credits:claim", args=[activity.pk])):
        text = client.get(url).content.decode()
        assert "PDF delayed" in text and "Being prepared — you will get an email" not in text, url


@pytest.mark.django_db
def test_a_zero_byte_pdf_is_never_served_as_a_certificate(
    client, learner, activity, evaluated, django_capture_on_commit_callbacks
):
    certificate = claim(learner, activity, django_capture_on_commit_callbacks)
    certificate.refresh_from_db()
    link = certificate_download_link(certificate)
    Path(certificate.pdf.path).write_bytes(b"")  # what a full disk left behind
    client.force_login(learner)
    response = page(client, certificate)
    assert response.status_code == 202 and "the PDF could not be produced yet" in response.content.decode()
    assert client.get(link).status_code == 404


def certificate_download_link(certificate):
    from credits.downloads import certificate_download_path

    return certificate_download_path(certificate)


# --- What coordinators see --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_coordinator_dashboard_lists_failed_and_overdue_renders(
    client, make_user, activity, coordinator, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    fine = claim(ready_for_claim(make_user, activity, "fine@example.org"), activity, capture)
    with certificates_folder_unwritable():
        failed = claim(ready_for_claim(make_user, activity, "failed@example.org"), activity, capture)
    late = claim(ready_for_claim(make_user, activity, "late@example.org"), activity, capture, execute=False)
    fresh = claim(ready_for_claim(make_user, activity, "fresh@example.org"), activity, capture, execute=False)
    Certificate.objects.filter(pk=late.pk).update(issued_at=timezone.now() - datetime.timedelta(hours=2))
    mfa_login(client, coordinator)
    body = client.get(reverse("credits:coordinator_dashboard")).content.decode()
    assert "Certificates that could not be produced" in body
    assert failed.number in body and late.number in body
    assert fine.number not in body and fresh.number not in body
    assert reverse("credits:coordinator_certificate", args=[failed.pk]) in body


# --- The repair command -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_repair_command_finds_missing_broken_and_failed_pdfs_and_rerenders_them_with_an_audit_row(
    make_user, activity, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    fine = claim(ready_for_claim(make_user, activity, "fine@example.org"), activity, capture)
    missing = claim(
        ready_for_claim(make_user, activity, "missing@example.org"), activity, capture, execute=False
    )
    broken = claim(ready_for_claim(make_user, activity, "broken@example.org"), activity, capture)
    broken.refresh_from_db()
    Path(broken.pdf.path).write_bytes(b"")
    with certificates_folder_unwritable():
        failed = claim(ready_for_claim(make_user, activity, "failed@example.org"), activity, capture)
    Certificate.objects.filter(pk=failed.pk).update(render_next_try_at=None)  # given up
    fine.refresh_from_db()
    fine_file = fine.pdf.name

    out = StringIO()
    call_command("repair_certificates", stdout=out)  # a dry run by default
    report = out.getvalue()
    for certificate, why in ((missing, "missing"), (broken, "broken"), (failed, "failed")):
        assert certificate.number in report and why in report
    assert fine.number not in report and "dry run" in report.lower()
    assert not AuditEvent.objects.filter(action="certificate.render_repaired").exists()

    out = StringIO()
    with capture(execute=True):
        call_command("repair_certificates", "--execute", stdout=out)
    assert "3 re-rendered" in out.getvalue()
    for certificate in (missing, broken, failed):
        certificate.refresh_from_db()
        assert certificate.render_state == Certificate.RenderState.RENDERED
        with certificate.pdf.open("rb") as handle:
            assert handle.read(5) == b"%PDF-"
        assert AuditEvent.objects.filter(
            action="certificate.render_repaired", object_id=str(certificate.pk)
        ).exists()
    fine.refresh_from_db()
    assert fine.pdf.name == fine_file  # a good certificate is left alone

    out = StringIO()
    call_command("repair_certificates", stdout=out)
    assert "Nothing to repair" in out.getvalue()
