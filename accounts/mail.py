"""The outbox: account and certificate emails are stored, then sent by a task that retries with back-off.

A person's page never waits on the mail server and never fails with it: ``email_queue`` stores the
rendered message and its extra headers (``message.extra_headers``, e.g. List-Unsubscribe) in the
caller's transaction, with its task when the task queue is the database: a rolled-back transaction
sends nothing, a committed one loses nothing; ``email_send`` sends it with those headers.
A mail server that refuses or does not answer leaves the row for a later try (1, 2, 4 ... minutes,
at most two hours apart, MAX_ATTEMPTS in all, about ten hours); the worker's deferred task or
``manage.py send_queued_email`` (cron, and the way to flush the queue once the server is back)
makes it. A sent message's row is deleted. Bodies may hold a password-reset key: never logged.
"""

import datetime
import logging
import smtplib

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db.models import Q
from django.utils import timezone

from .models import OutgoingEmail
from .tasks import send_outgoing_email

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
MAX_DELAY = datetime.timedelta(hours=2)
# A sender holds a row this long; one that crashed mid-send lets another take it afterwards.
LEASE = datetime.timedelta(minutes=5)


def retry_delay(attempts: int) -> datetime.timedelta:
    """The wait after the ``attempts``-th failed try: 1, 2, 4 ... minutes, at most MAX_DELAY."""
    return min(datetime.timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_DELAY)


def email_queue(*, message: EmailMessage, kind: str) -> OutgoingEmail:
    """Store a rendered message and hand it to the task queue; the caller's page does not wait."""
    html = ""
    for content, mimetype in getattr(message, "alternatives", None) or []:
        if mimetype == "text/html":
            html = str(content)
    body = str(message.body)  # a lazy translation is stored as the text it gives now
    if message.content_subtype == "html":  # an HTML-only message
        body, html = "", body
    email = OutgoingEmail.objects.create(
        kind=kind[:100],
        to=list(message.to),
        from_email=message.from_email,
        subject=str(message.subject),
        body=body,
        html_body=html,
        headers={str(name): str(value) for name, value in (message.extra_headers or {}).items()},
    )
    send_outgoing_email.enqueue(email.pk)
    return email


def _message(email: OutgoingEmail) -> EmailMessage:
    if not email.body and email.html_body:
        message = EmailMessage(
            email.subject, email.html_body, email.from_email, email.to, headers=email.headers or None
        )
        message.content_subtype = "html"
        return message
    message = EmailMultiAlternatives(
        email.subject, email.body, email.from_email, email.to, headers=email.headers or None
    )
    if email.html_body:
        message.attach_alternative(email.html_body, "text/html")
    return message


def _take(email_id: int, *, due_only: bool) -> OutgoingEmail | None:
    """Take the row for one try (one UPDATE, no transaction held while sending); None if not ours."""
    now = timezone.now()
    rows = OutgoingEmail.objects.filter(pk=email_id, gave_up_at__isnull=True).filter(
        Q(sending_until__isnull=True) | Q(sending_until__lt=now)
    )
    if due_only:
        rows = rows.filter(next_attempt_at__lte=now)
    if not rows.update(sending_until=now + LEASE):
        return None
    return OutgoingEmail.objects.get(pk=email_id)


def _schedule_retry(email_id: int, at: datetime.datetime) -> None:
    if send_outgoing_email.get_backend().supports_defer:
        send_outgoing_email.using(run_after=at).enqueue(email_id)
    # The immediate backend (development, tests) cannot wait: `send_queued_email` sends it then.


def email_send(email_id: int, *, due_only: bool = False) -> str:
    """One try at sending a stored message: "sent", "retry", "gave up" or "skipped" (gone or busy)."""
    email = _take(email_id, due_only=due_only)
    if email is None:
        return "skipped"
    try:
        _message(email).send()
    except smtplib.SMTPRecipientsRefused as error:  # every address refused: trying again will not help
        return _failed(email, _describe(error), permanent=True)
    except OSError as error:  # refused, unreachable, timed out, or another SMTP error reply
        return _failed(email, _describe(error), permanent=False)
    except Exception as error:  # a message no server will take (e.g. a bad header)
        return _failed(email, _describe(error), permanent=True)
    OutgoingEmail.objects.filter(pk=email.pk).delete()
    logger.info("email %s (%s) sent after %d failed tries", email.pk, email.kind, email.attempts)
    return "sent"


def _describe(error: Exception) -> str:
    """The error's kind and code only: a server's reply text can echo addresses or the message."""
    code = getattr(error, "smtp_code", None) or getattr(error, "errno", None)
    return f"{type(error).__name__} {code}" if code else type(error).__name__


def _failed(email: OutgoingEmail, error: str, *, permanent: bool) -> str:
    attempts = email.attempts + 1
    now = timezone.now()
    if permanent or attempts >= MAX_ATTEMPTS:
        # Giving up: the rendered text (and any key in it) goes; the row stays for the record.
        OutgoingEmail.objects.filter(pk=email.pk).update(
            attempts=attempts, last_error=error, gave_up_at=now, sending_until=None, body="", html_body=""
        )
        logger.error(
            "email %s (%s) not sent after %d tries, given up: %s", email.pk, email.kind, attempts, error
        )
        return "gave up"
    next_at = now + retry_delay(attempts)
    OutgoingEmail.objects.filter(pk=email.pk).update(
        attempts=attempts, last_error=error, next_attempt_at=next_at, sending_until=None
    )
    logger.warning(
        "email %s (%s) not sent (try %d), next try at %s: %s",
        email.pk,
        email.kind,
        attempts,
        next_at.isoformat(timespec="seconds"),
        error,
    )
    _schedule_retry(email.pk, next_at)
    return "retry"


def emails_send_due(*, everything: bool = False) -> dict[str, int]:
    """Try every stored message that is due (``everything``: every one still waiting, now)."""
    rows = OutgoingEmail.objects.filter(gave_up_at__isnull=True)
    if not everything:
        rows = rows.filter(next_attempt_at__lte=timezone.now())
    counts = {"sent": 0, "retry": 0, "gave up": 0, "skipped": 0}
    for email_id in list(rows.values_list("pk", flat=True)):
        counts[email_send(email_id, due_only=not everything)] += 1
    return counts
