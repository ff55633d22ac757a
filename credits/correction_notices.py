"""Telling a CME activity's coordinators that a host published a correction on its episode.

The content learners are credited for changed: the provider may need to review the activity (its
post-test, its references, a new version). Called by ``podcastcme.corrections.publish_correction``
in the correction's transaction (discussion and credits do not see each other): the notice is
recorded now (an audit row on the activity) and the emails are queued in the outbox after the commit
(``accounts.mail``: sent by a task, retried), one per coordinator, so a rolled-back correction sends
nothing.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.mail import email_queue
from audit.services import audit_record

from .audit_actions import CreditAction
from .models import Activity, ProviderCoordinator


def _coordinator_addresses(provider_id: int) -> list[str]:
    """Each active coordinator's address once (two memberships never get two emails)."""
    emails = (
        ProviderCoordinator.objects.filter(provider_id=provider_id, user__is_active=True)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    return sorted({email.strip().lower(): email for email in emails}.values())


def activity_correction_notify(*, episode_id: int, correction_text: str, episode_url: str) -> int:
    """If the episode is a CME activity, email each coordinator of its provider (after the commit)
    and record the notice on the activity. Returns how many coordinators will be emailed (0 when the
    episode is not an activity or its provider has no coordinator: still recorded for an activity)."""
    activity = Activity.objects.select_related("provider").filter(episode_id=episode_id).first()
    if activity is None:
        return 0
    recipients = _coordinator_addresses(activity.provider_id)
    audit_record(
        actor=None,
        action=CreditAction.ACTIVITY_CORRECTION_NOTIFIED,
        obj=activity,
        data={"episode": episode_id, "coordinators": len(recipients), "correction": correction_text},
    )
    if recipients:
        context = {
            "activity": activity,
            "correction_text": correction_text,
            "episode_url": episode_url,
            "activity_url": settings.SITE_URL + reverse("credits:coordinator_activity", args=[activity.pk]),
        }
        subject = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + _(
            "A correction was published on “%(title)s”: review the activity"
        ) % {"title": activity.title}
        body = render_to_string("credits/email/episode_correction.txt", context)
        transaction.on_commit(lambda: _queue(recipients, subject, body))
    return len(recipients)


def _queue(recipients: list[str], subject: str, body: str) -> None:
    for address in recipients:
        message = EmailMultiAlternatives(subject=subject, body=body, to=[address])
        email_queue(message=message, kind="credits/email/episode_correction")  # sent by a task, retried
