"""Faults in the outside services: Stripe answering slowly during a webhook, and the mail server down."""

import datetime
import logging
import re
import threading
import time

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import mail as outbox
from accounts.models import OutgoingEmail, User
from accounts.tasks import send_outgoing_email
from audit.models import AuditEvent
from billing.models import Order, StripeEvent
from credits.models import Certificate, CompletionRecord, CreditClaim
from testkit.fake_smtp import FakeSMTP
from testkit.mfa import mfa_login
from testkit.payments import post_event, start_paid_claim

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: row locks and deadlock detection across connections (make test runs it)",
)

STRIPE_DELAY = 3.0


# --- Stripe slow during a webhook ----------------------------------------------------------------


@pytest.mark.postgres_only
@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_slow_stripe_during_the_webhook_does_not_block_the_learner_or_deadlock(
    learner,
    activity,  # noqa: F811
    evaluated,  # noqa: F811
    fee,  # noqa: F811
    stripe_fake,  # noqa: F811
):
    learner_client = Client()
    learner_client.force_login(learner)
    order = start_paid_claim(learner_client, activity, minutes=40)
    body = stripe_fake.event("checkout.session.completed", stripe_fake.pay(order.stripe_session_id))
    stripe_fake.delay_seconds = STRIPE_DELAY  # the webhook asks Stripe for the receipt: slowly
    results: dict[str, object] = {}
    errors: list[BaseException] = []

    def deliver():
        try:
            results["webhook"] = post_event(body)
        except BaseException as error:  # report every failure, not only the first
            errors.append(error)
        finally:
            connections.close_all()

    def resubmit():
        try:
            started = time.monotonic()
            results["resubmit"] = learner_client.post(
                reverse("credits:claim", args=[activity.pk]), {"minutes": "45", "attest": "on"}
            )
            results["resubmit_seconds"] = time.monotonic() - started
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    webhook = threading.Thread(target=deliver)
    webhook.start()
    assert stripe_fake.waiting.wait(timeout=30), "the webhook never asked Stripe"
    learner_thread = threading.Thread(target=resubmit)
    learner_thread.start()
    learner_thread.join(timeout=60)
    webhook_still_waiting = webhook.is_alive()
    webhook.join(timeout=60)

    assert errors == []
    # The learner's second submit went through while Stripe was still answering the webhook.
    assert results["resubmit"].status_code in (200, 302)
    assert webhook_still_waiting and results["resubmit_seconds"] < STRIPE_DELAY - 0.5
    assert results["webhook"].status_code == 200
    assert results["webhook"].content == b"paid"
    order.refresh_from_db()
    assert order.status == "paid"
    assert order.receipt_url.startswith("https://pay.stripe.com/receipts/")
    assert StripeEvent.objects.get().outcome == "paid"
    claim = CreditClaim.objects.get(learner=learner, activity=activity)
    assert order.claim == claim
    assert CompletionRecord.objects.filter(learner=learner, activity=activity).count() == 1
    assert Order.objects.filter(learner=learner, activity=activity).count() == 1
    assert AuditEvent.objects.filter(action="order.paid").count() == 1
    assert AuditEvent.objects.filter(action="claim.created").count() == 1


# --- The mail server down ------------------------------------------------------------------------

SIGNUP = {"email": "new@example.org", "password1": "lidocaine-bolus-77", "password2": "lidocaine-bolus-77"}


@pytest.fixture
def smtp(settings):
    """Django's real SMTP backend pointed at a local server that is DOWN (its port closed) until
    the test calls ``smtp.start()``."""
    server = FakeSMTP().start()
    server.stop()  # the port is known and closed: connection refused
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.stop()


def _path(text: str) -> str:
    match = re.search(r"https?://testserver(/[^\s]+)", text)
    assert match is not None, text
    return match.group(1)


def _logged(caplog) -> str:
    return "\n".join(record.getMessage() for record in caplog.records)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fault", ["port closed", "server refuses"])
def test_sign_up_with_the_mail_server_down_shows_the_normal_page_and_the_link_follows(smtp, caplog, fault):
    if fault == "server refuses":
        smtp.refuse = True
        smtp.start()
    client = Client(raise_request_exception=False)
    caplog.set_level(logging.INFO)
    response = client.post(reverse("account_signup"), SIGNUP, follow=True)
    assert response.status_code == 200
    assert "Verify Your Email Address" in response.content.decode()
    user = User.objects.get(email="new@example.org")
    assert not EmailAddress.objects.get(user=user).verified
    waiting = OutgoingEmail.objects.get()  # kept, with when to try again
    assert waiting.to == ["new@example.org"] and waiting.attempts == 1 and waiting.gave_up_at is None
    assert waiting.next_attempt_at > timezone.now()
    assert "confirm-email" not in _logged(caplog)  # the key is never written to the log
    assert smtp.messages == []

    smtp.refuse = False
    smtp.start()  # the mail server is back
    call_command("send_queued_email", "--all")
    [text] = smtp.texts("new@example.org")
    assert OutgoingEmail.objects.count() == 0
    assert client.post(_path(text)).status_code == 302
    assert EmailAddress.objects.get(user=user).verified


@pytest.mark.django_db(transaction=True)
def test_password_reset_with_the_mail_server_down_shows_the_normal_page_and_the_task_retries(
    smtp, make_user, caplog
):
    make_user("forgot@example.org")
    client = Client(raise_request_exception=False)
    caplog.set_level(logging.INFO)
    response = client.post(reverse("account_reset_password"), {"email": "forgot@example.org"}, follow=True)
    assert response.status_code == 200
    assert "We have sent you an email" in response.content.decode()
    waiting = OutgoingEmail.objects.get()
    assert waiting.attempts == 1 and waiting.last_error.startswith("ConnectionRefusedError")
    assert "/password/reset/key/" not in _logged(caplog)

    smtp.start()
    assert send_outgoing_email.call(waiting.pk) == "skipped"  # too early: the back-off holds
    OutgoingEmail.objects.update(next_attempt_at=timezone.now())  # a minute later
    assert send_outgoing_email.call(waiting.pk) == "sent"  # what the worker runs at the retry time
    [text] = smtp.texts("forgot@example.org")
    assert OutgoingEmail.objects.count() == 0
    form = client.get(_path(text), follow=True)
    action = form.redirect_chain[-1][0] if form.redirect_chain else _path(text)
    done = client.post(action, {"password1": "a-brand-new-pass-9", "password2": "a-brand-new-pass-9"})
    assert done.status_code == 302
    assert User.objects.get(email="forgot@example.org").check_password("a-brand-new-pass-9")


@pytest.mark.django_db(transaction=True)
def test_retries_back_off_and_give_up_without_keeping_the_message(smtp, make_user, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    from django_tasks import default_task_backend

    make_user("forgot@example.org")
    Client().post(reverse("account_reset_password"), {"email": "forgot@example.org"})
    waiting = OutgoingEmail.objects.get()
    assert waiting.attempts == 0  # queued; the worker has not run yet
    delays = []
    for _ in range(outbox.MAX_ATTEMPTS - 1):
        before = timezone.now()
        assert outbox.email_send(waiting.pk) == "retry"
        waiting.refresh_from_db()
        delays.append(round((waiting.next_attempt_at - before).total_seconds() / 60))
    assert delays[:4] == [1, 2, 4, 8] and max(delays) == 120
    # Each failure asked the task queue for a later try, at the time the row says.
    deferred = [r for r in default_task_backend.results if r.task.run_after is not None]
    assert len(deferred) == outbox.MAX_ATTEMPTS - 1
    assert deferred[-1].task.run_after == waiting.next_attempt_at
    assert outbox.email_send(waiting.pk) == "gave up"
    waiting.refresh_from_db()
    assert waiting.gave_up_at is not None and waiting.body == "" and waiting.html_body == ""
    smtp.start()
    call_command("send_queued_email", "--all")
    assert smtp.messages == []  # given up is given up: the learner asks for a new link


@pytest.mark.django_db(transaction=True)
def test_a_message_due_later_waits_for_its_time(smtp, make_user):
    make_user("forgot@example.org")
    Client().post(reverse("account_reset_password"), {"email": "forgot@example.org"})
    smtp.start()
    call_command("send_queued_email")  # not due yet: the one-minute back-off holds
    assert smtp.messages == []
    OutgoingEmail.objects.update(next_attempt_at=timezone.now() - datetime.timedelta(seconds=1))
    call_command("send_queued_email")
    assert len(smtp.texts("forgot@example.org")) == 1


@pytest.mark.django_db(transaction=True)
def test_certificate_emails_with_the_mail_server_down_wait_and_arrive(
    smtp,
    learner,
    coordinator,
    activity,  # noqa: F811
    evaluated,  # noqa: F811
):
    learner_client = Client(raise_request_exception=False)
    learner_client.force_login(learner)
    response = learner_client.post(
        reverse("credits:claim", args=[activity.pk]), {"minutes": "45", "attest": "on"}
    )
    assert response.status_code == 302  # claimed, on to the verification page (mail down or not)
    certificate = Certificate.objects.get(claim__learner=learner)
    coordinator_client = Client(raise_request_exception=False)
    mfa_login(coordinator_client, coordinator)
    response = coordinator_client.post(
        reverse("credits:coordinator_revoke", args=[certificate.pk]),
        {"reason": "Claim made in error", "step": "confirm", "confirm_word": "REVOKE"},  # the confirmed step
    )
    assert response.status_code == 302  # the normal answer, not a 500 from the mail server
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.REVOKED
    assert AuditEvent.objects.filter(action="certificate.revoked").count() == 1
    kinds = sorted(OutgoingEmail.objects.values_list("kind", flat=True))
    assert kinds == ["credits/email/certificate_ready", "credits/email/certificate_revoked"]

    smtp.start()
    call_command("send_queued_email", "--all")
    texts = smtp.texts("learner@example.org")
    assert len(texts) == 2 and any("Claim made in error" in text for text in texts)
    assert OutgoingEmail.objects.count() == 0
