"""The follow-up email carries RFC 8058 one-click unsubscribe headers, kept by the outbox (the outbox
stores any message's extra headers, accounts/mail.py) and put on the message it sends."""

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.test import Client

from accounts.mail import email_queue, emails_send_due
from accounts.models import OutgoingEmail
from followups import scheduler
from followups.models import FollowUp, FollowUpConsent, FollowUpStatus


def _down(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens


@pytest.mark.django_db
def test_the_outbox_keeps_a_messages_extra_headers_until_it_is_sent(settings):
    _down(settings)
    message = EmailMultiAlternatives(
        "Subject", "text", "from@example.org", ["to@example.org"], headers={"X-Tag": "kept"}
    )
    email_queue(message=message, kind="test")
    stored = OutgoingEmail.objects.get()
    assert stored.headers == {"X-Tag": "kept"}  # the server was down: the row waits with its header
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    emails_send_due(everything=True)
    [sent] = mail.outbox
    assert sent.extra_headers == {"X-Tag": "kept"}
    assert sent.message()["X-Tag"] == "kept"


@pytest.mark.django_db
def test_a_message_without_extra_headers_is_sent_without_any():
    email_queue(message=EmailMultiAlternatives("S", "t", "f@example.org", ["t@example.org"]), kind="test")
    [sent] = mail.outbox
    assert sent.extra_headers == {}


def test_the_follow_up_email_has_one_click_unsubscribe_headers_that_work_by_post(
    claim, learner, django_capture_on_commit_callbacks
):
    day7 = FollowUp.objects.get(claim=claim, interval_days=7)
    with django_capture_on_commit_callbacks(execute=True):
        scheduler.follow_ups_send_due(now=day7.due_at)
    message = next(m for m in mail.outbox if "Follow-up" in m.subject)
    parsed = message.message()
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header = parsed["List-Unsubscribe"]
    assert header.startswith("<https://") or header.startswith("<http://")
    assert header.endswith(">")
    url = header[1:-1]
    assert "/follow-ups/unsubscribe/" in url and url in message.body  # the same link as in the text
    # The mail provider's one-click POST: no cookie, no CSRF token, the RFC 8058 body.
    path = url[url.index("/follow-ups/") :]
    response = Client(enforce_csrf_checks=True).post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert FollowUpConsent.objects.get(learner=learner).opted_in is False
    assert not FollowUp.objects.filter(claim=claim, status=FollowUpStatus.SCHEDULED).exists()
