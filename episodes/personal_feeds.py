"""Personal feeds: a private feed URL per listener and show, whose downloads are that listener's.

The token is 192 bits from HMAC-SHA256(SECRET_KEY, random nonce). The database keeps only the
nonce and SHA-256(token): a leaked database yields no working feed URL, while the server can
still show the listener their URL again. Rotating SECRET_KEY changes the URL the account page
derives; the old URL keeps working (its hash is stored) until the listener regenerates it.
"""

import base64
import datetime
import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.locks import lock_learner
from accounts.models import User
from audit.services import audit_record

from .audit_actions import EpisodeAction
from .models import PersonalFeed, Show


def _derive(nonce: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"podcastcme-personal-feed:{nonce}".encode(), "sha256")
    return base64.urlsafe_b64encode(digest.digest()).decode()[:32]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def personal_feed_token(feed: PersonalFeed) -> str | None:
    """The feed's token, or None if the secret key changed since it was made."""
    token = _derive(feed.nonce)
    return token if hmac.compare_digest(token_hash(token), feed.token_hash) else None


def personal_feed_url(feed: PersonalFeed) -> str | None:
    token = personal_feed_token(feed)
    if token is None:
        return None
    return settings.SITE_URL + reverse("episodes:personal_feed", args=[token, feed.show.slug])


def _new(user: User, show: Show) -> PersonalFeed:
    nonce = secrets.token_hex(16)
    return PersonalFeed.objects.create(
        user=user, show=show, nonce=nonce, token_hash=token_hash(_derive(nonce))
    )


@transaction.atomic
def personal_feed_get_or_create(*, user: User, show: Show) -> PersonalFeed:
    lock_learner(user.pk)  # two clicks make one feed
    feed = PersonalFeed.objects.filter(user=user, show=show, revoked_at__isnull=True).first()
    if feed is None:
        feed = _new(user, show)
        audit_record(actor=user, action=EpisodeAction.PERSONAL_FEED_CREATED, obj=feed, data={"show": show.pk})
    return feed


@transaction.atomic
def personal_feed_revoke(*, user: User, show: Show) -> int:
    """Revoke the active feed: its feed and audio URLs answer 404 from now on."""
    feeds = list(
        PersonalFeed.objects.select_for_update().filter(user=user, show=show, revoked_at__isnull=True)
    )
    now = timezone.now()
    for feed in feeds:
        feed.revoked_at = now
        feed.save(update_fields=["revoked_at"])
        audit_record(actor=user, action=EpisodeAction.PERSONAL_FEED_REVOKED, obj=feed, data={"show": show.pk})
    return len(feeds)


def personal_feeds_forget_user(*, user: User, at: datetime.datetime) -> int:
    """Revoke every active personal feed of a deleted account (no audit row per feed: the account's
    deletion row counts them). The caller holds the learner's row lock. Returns how many."""
    return PersonalFeed.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=at)


@transaction.atomic
def personal_feed_regenerate(*, user: User, show: Show) -> PersonalFeed:
    personal_feed_revoke(user=user, show=show)
    feed = _new(user, show)
    audit_record(
        actor=user,
        action=EpisodeAction.PERSONAL_FEED_CREATED,
        obj=feed,
        data={"show": show.pk, "regenerated": True},
    )
    return feed


def personal_feed_lookup(token: str) -> PersonalFeed | None:
    """The active feed for a presented token (any malformed or revoked token: None)."""
    if not token or len(token) > 64:
        return None
    return (
        PersonalFeed.objects.filter(token_hash=token_hash(token), revoked_at__isnull=True)
        .select_related("show", "user")
        .first()
    )
