"""The follow-up email: a short note with the one-tap link, and the one-tap unsubscribe link, text and
HTML. Built as an outbox row (accounts.models.OutgoingEmail) so a batch stores all its emails in one
INSERT; accounts.mail sends and retries them like every other email."""

import datetime

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import OutgoingEmail

from .links import follow_up_url, unsubscribe_url
from .models import FollowUp, FollowUpKind

KIND = "followups/email/follow_up"


def follow_up_subject(follow_up: FollowUp) -> str:
    title = follow_up.activity.title[:120]
    if follow_up.kind == FollowUpKind.PRACTICE:
        return _("Did you change your practice? “%(title)s”") % {"title": title}
    n = len(follow_up.questions)
    return ngettext(
        "Follow-up: %(n)d question on “%(title)s”", "Follow-up: %(n)d questions on “%(title)s”", n
    ) % {"n": n, "title": title}


def follow_up_email(follow_up: FollowUp, *, at: datetime.datetime | None = None) -> OutgoingEmail:
    """The outbox row for a follow-up being sent (its questions snapshot already set); not saved."""
    at = at or timezone.now()
    context = {
        "follow_up": follow_up,
        "activity": follow_up.activity,
        "n": len(follow_up.questions),
        "is_practice": follow_up.kind == FollowUpKind.PRACTICE,
        "intended_change": follow_up.claim.evaluation.change_description
        if follow_up.kind == FollowUpKind.PRACTICE
        else "",
        "url": follow_up_url(follow_up),
        "unsubscribe_url": unsubscribe_url(follow_up.learner_id),
        "expires_at": follow_up.expires_at,
        "site_url": settings.SITE_URL,
    }
    return OutgoingEmail(
        kind=KIND,
        to=[follow_up.learner.email],
        from_email=settings.DEFAULT_FROM_EMAIL,
        subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + follow_up_subject(follow_up),
        body=render_to_string("followups/email/follow_up.txt", context),
        html_body=render_to_string("followups/email/follow_up.html", context),
        created_at=at,
        next_attempt_at=at,  # the real clock: the outbox sends rows due by it
    )
