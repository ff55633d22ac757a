"""The email outbox (accounts/mail.py): what is stored, and what goes when an account is deleted."""

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from accounts.mail import email_queue
from accounts.models import OutgoingEmail
from podcastcme.account_deletion import account_delete

pytestmark = pytest.mark.django_db


def test_a_sent_message_leaves_nothing_behind_and_keeps_its_text_and_html(settings):
    message = EmailMultiAlternatives("Subject", "plain text", "from@example.org", ["to@example.org"])
    message.attach_alternative("<p>html</p>", "text/html")
    email_queue(message=message, kind="test")
    [sent] = mail.outbox
    assert sent.subject == "Subject" and sent.body == "plain text" and sent.to == ["to@example.org"]
    assert sent.alternatives[0][0] == "<p>html</p>"
    assert OutgoingEmail.objects.count() == 0


def test_deleting_the_account_drops_mail_still_waiting_for_its_address(client, make_user, settings):
    user = make_user("leaving@example.org")
    other = make_user("staying@example.org")
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens
    for address in ("leaving@example.org", "staying@example.org"):
        client.post(reverse("account_reset_password"), {"email": address})
    assert OutgoingEmail.objects.count() == 2  # the mail server is down: both wait
    account_delete(user=user)
    assert list(OutgoingEmail.objects.values_list("to", flat=True)) == [[other.email]]
