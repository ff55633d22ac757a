"""The follow-up email: a short note with the one-tap link and the one-tap unsubscribe link, text and HTML,
with the RFC 8058 List-Unsubscribe and List-Unsubscribe-Post headers. Built as outbox rows
(accounts.models.OutgoingEmail) so a batch stores all its emails in one INSERT; accounts.mail sends and
retries them like every other email.

A batch renders each distinct email once (per activity, kind and day: the words are the same for every
learner) with placeholders, then fills in each learner's links: rendering 20,000 templates for 10,000
follow-ups was most of the sender's time (bench/bench_followups.py)."""

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import OutgoingEmail

from .links import follow_up_token, unsubscribe_token
from .models import FollowUpKind

KIND = "followups/email/follow_up"
_URL, _UNSUBSCRIBE, _CHANGE = "FOLLOWUP-URL-9f3c", "FOLLOWUP-UNSUBSCRIBE-9f3c", "FOLLOWUP-CHANGE-9f3c"


@dataclass(frozen=True)
class Outgoing:
    """What one email needs besides its activity's words."""

    pk: int
    nonce: str
    learner_id: int
    email: str
    kind: str
    interval_days: int
    n_questions: int
    intended_change: str


def follow_up_subject(*, kind: str, title: str, n: int) -> str:
    title = title[:120]
    if kind == FollowUpKind.PRACTICE:
        return _("Did you change your practice? “%(title)s”") % {"title": title}
    return ngettext(
        "Follow-up: %(n)d question on “%(title)s”", "Follow-up: %(n)d questions on “%(title)s”", n
    ) % {"n": n, "title": title}


class EmailBuilder:
    """The outbox rows of one batch: the same ``expires_at`` and queue time for all."""

    def __init__(
        self, *, activities: dict[int, Any], expires_at: datetime.datetime, at: datetime.datetime | None
    ):
        self.activities = activities
        self.expires_at = expires_at
        self.at = at or timezone.now()  # the real clock: the outbox sends rows due by it
        self.answer_url = settings.SITE_URL + reverse("followups:answer", args=["TOKEN"])
        self.unsubscribe_url = settings.SITE_URL + reverse("followups:unsubscribe", args=["TOKEN"])
        self._rendered: dict[tuple, tuple[str, str, str]] = {}

    def render(self, item: Outgoing, activity) -> OutgoingEmail:
        key = (activity.pk, item.kind, item.interval_days, item.n_questions, bool(item.intended_change))
        words = self._rendered.get(key)
        if words is None:
            context = {
                "follow_up": {"interval_days": item.interval_days},
                "activity": activity,
                "n": item.n_questions,
                "is_practice": item.kind == FollowUpKind.PRACTICE,
                "intended_change": _CHANGE if item.intended_change else "",
                "url": _URL,
                "unsubscribe_url": _UNSUBSCRIBE,
                "expires_at": self.expires_at,
                "site_url": settings.SITE_URL,
            }
            words = self._rendered[key] = (
                settings.ACCOUNT_EMAIL_SUBJECT_PREFIX
                + follow_up_subject(kind=item.kind, title=activity.title, n=item.n_questions),
                render_to_string("followups/email/follow_up.txt", context),
                render_to_string("followups/email/follow_up.html", context),
            )
        subject, text, html = words
        url = self.answer_url.replace("TOKEN", follow_up_token(item))
        unsubscribe = self.unsubscribe_url.replace("TOKEN", unsubscribe_token(item.learner_id))
        text = (
            text.replace(_URL, url).replace(_UNSUBSCRIBE, unsubscribe).replace(_CHANGE, item.intended_change)
        )
        html = (
            html.replace(_URL, escape(url))
            .replace(_UNSUBSCRIBE, escape(unsubscribe))
            .replace(_CHANGE, escape(item.intended_change))
        )
        return OutgoingEmail(
            kind=KIND,
            to=[item.email],
            from_email=settings.DEFAULT_FROM_EMAIL,
            subject=subject,
            body=text,
            html_body=html,
            # RFC 8058 one-click unsubscribe: a mail client offers its own button and POSTs
            # "List-Unsubscribe=One-Click" to the same signed link (the view takes it without CSRF).
            headers={
                "List-Unsubscribe": f"<{unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
            created_at=self.at,
            next_attempt_at=self.at,
        )
