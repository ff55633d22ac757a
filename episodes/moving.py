"""Moving a show away to another host: the move and its undo (audited), and what the old feed answers.

After ``move_show_away`` the show's feed URL answers 301 to the new feed, with a minimal feed as the
body of the redirect (``itunes:new-feed-url``, the same ``podcast:guid``, the same item guids and
enclosure URLs), for as long as the show stays moved: Apple asks for the 301 and the tag for at
least four weeks, and keeping both costs nothing. Audio, artwork and transcript URLs keep working,
so episodes already downloaded or listed by apps never break. docs/moving-away.md.
"""

import ipaddress
import threading
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import connection, models, transaction
from django.http.request import validate_host
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from feedgen.feed import FeedGenerator  # before .podcast_ext: feedgen.ext.* needs feedgen.feed loaded

from accounts.models import User
from audit.models import AuditEvent
from audit.services import audit_record

from .audit_actions import EpisodeAction
from .feed_limits import enclosure_type
from .models import Episode, Show
from .models.shows import audio_media_type
from .podcast_ext import register
from .push import feed_changed
from .text import clean_line, strip_control_chars

MAX_FEED_URL_LENGTH = Show._meta.get_field("new_feed_url").max_length or 200


class MoveRefused(ValidationError):
    """The move or its undo cannot be done; nothing was changed. The message is for the host."""


def _refuse(message: str) -> MoveRefused:
    return MoveRefused({"new_feed_url": [message]})


def _own_host_names() -> list[str]:
    """Host names that are this site: SITE_URL's, and ALLOWED_HOSTS except catch-all patterns."""
    names = [urlsplit(settings.SITE_URL).hostname or ""]
    names += [name for name in settings.ALLOWED_HOSTS if name not in {"*", "."}]
    return [name.lower() for name in names if name]


def clean_new_feed_url(value: str) -> str:
    """The new feed URL a host typed, checked; raises MoveRefused with a message for the host.

    Checked for its form only (no request is made): https, a public host name with a dot, not an
    IP address, no user name or password, not this site. A redirect to a wrong URL loses the
    show's subscribers, so anything doubtful is refused rather than corrected.
    """
    url = strip_control_chars(value or "").strip()
    if not url:
        raise _refuse(_("Enter the feed URL of the show at its new host."))
    if any(character.isspace() for character in url):
        raise _refuse(_("A feed URL cannot contain spaces."))
    if len(url) > MAX_FEED_URL_LENGTH:
        raise _refuse(
            _("This URL is longer than %(limit)d characters; use the short feed URL the new host gives.")
            % {"limit": MAX_FEED_URL_LENGTH}
        )
    if not url.isascii():
        raise _refuse(_("Use the feed URL exactly as the new host gives it (ASCII characters only)."))
    parts = urlsplit(url)
    if parts.scheme.lower() != "https":
        raise _refuse(_("The new feed URL must start with https:// (apps and Apple expect a secure feed)."))
    host = (parts.hostname or "").rstrip(".")
    if parts.username is not None or parts.password is not None:
        raise _refuse(_("A feed URL with a user name or password cannot be followed by podcast apps."))
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        raise _refuse(_("Use the new host's domain name, not an IP address."))
    if "." not in host or host.endswith((".localhost", ".local", ".internal")) or host == "localhost":
        raise _refuse(_("This is not a public address: enter the full feed URL from the new host."))
    try:
        URLValidator(schemes=["https"])(url)
    except ValidationError:
        raise _refuse(_("This is not a valid URL: copy the feed URL from the new host.")) from None
    if validate_host(host.lower(), _own_host_names()):
        raise _refuse(
            _("This address is on this site. Enter the feed URL the new host gives you for the show.")
        )
    return url


def move_show_away(*, show: Show, actor: User | None, new_feed_url: str) -> Show:
    """Move ``show`` away: its feed now answers 301 to ``new_feed_url`` (with itunes:new-feed-url).

    Refuses (MoveRefused, nothing changed) a bad URL or a show already moved. Audited with what
    the undo needs to restore the show exactly.
    """
    url = clean_new_feed_url(new_feed_url)
    now = timezone.now()
    with transaction.atomic():
        locked = Show.objects.select_for_update().get(pk=show.pk)
        if locked.moved_away_at is not None:
            raise _refuse(
                _("This show has already moved away (to %(url)s). Undo that move first.")
                % {"url": locked.new_feed_url}
            )
        previous = locked.new_feed_url
        locked.new_feed_url = url
        locked.moved_away_at = now
        locked.content_changed_at = now  # the feed caches key on it
        locked.save(update_fields=["new_feed_url", "moved_away_at", "content_changed_at", "updated_at"])
        audit_record(
            actor=actor,
            action=EpisodeAction.SHOW_MOVED_AWAY,
            obj=locked,
            data={"new_feed_url": url, "previous_new_feed_url": previous, "moved_away_at": now.isoformat()},
        )
        feed_changed(locked)  # hubs and podping hear of the 301 after the commit (nothing on rollback)
    return locked


def undo_move(*, show: Show, actor: User | None) -> Show:
    """Bring a moved show back: its feed is served here again, as before the move. Audited.

    Apps and directories that already followed the 301 stay at the new URL: only a redirect
    set up at the new host brings them back (the host page says so before the undo).
    """
    with transaction.atomic():
        locked = Show.objects.select_for_update().get(pk=show.pk)
        if locked.moved_away_at is None:
            raise MoveRefused(_("This show has not moved away: there is nothing to undo."))
        move = (
            AuditEvent.objects.for_object(locked)
            .filter(action=EpisodeAction.SHOW_MOVED_AWAY)
            .order_by("-created_at", "-pk")
            .first()
        )
        # A move made before audit rows existed (or by hand) had no URL announced before it.
        previous = move.data.get("previous_new_feed_url", "") if move is not None else ""
        moved_to, moved_at = locked.new_feed_url, locked.moved_away_at
        locked.new_feed_url = previous
        locked.moved_away_at = None
        locked.content_changed_at = timezone.now()
        locked.save(update_fields=["new_feed_url", "moved_away_at", "content_changed_at", "updated_at"])
        audit_record(
            actor=actor,
            action=EpisodeAction.SHOW_MOVE_UNDONE,
            obj=locked,
            data={"moved_to": moved_to, "moved_away_at": moved_at.isoformat(), "new_feed_url": previous},
        )
        feed_changed(locked)
    return locked


# --- The new feed URL outside a move ---------------------------------------------------------------


def new_feed_url_edit_refused(*, show: Show, posted: str) -> str | None:
    """Why the show form cannot set ``posted`` as the new feed URL, or None when it is no change.

    The show form does not offer the field (docs/moving-away.md: announcing a new feed URL moves
    subscribers for good, so it is done on the move page, checked, confirmed and audited). A page
    opened before that, or a hand-made request, may still post it: the same value is no change, any
    other is refused with the whole form, so nothing is saved.
    """
    current = show.new_feed_url if show.pk else ""
    if strip_control_chars(posted or "").strip() == current:
        return None
    if show.pk and show.moved_away_at is not None:
        return _(
            "This show has moved away to %(url)s. Its new feed URL changes only on the move page: "
            "undo the move there, then move the show again. Nothing was saved."
        ) % {"url": current}
    return _(
        "A new feed URL is announced with “Move this show away” on the show's page, which checks it, "
        "asks for a confirmation and redirects the old feed. Nothing was saved."
    )


def stop_announcing_new_feed_url(*, show: Show, actor: User | None) -> Show:
    """Clear a new feed URL announced without a move (a 200 feed with itunes:new-feed-url). Audited.

    Such a URL was set through the show form before it lost the field, or comes back with an undo.
    A moved show is refused: the undo is what brings its feed back.
    """
    with transaction.atomic():
        locked = Show.objects.select_for_update().get(pk=show.pk)
        if locked.moved_away_at is not None:
            raise MoveRefused(_("This show has moved away: Undo the move to serve its feed here again."))
        if not locked.new_feed_url:
            raise MoveRefused(_("This show's feed announces no new feed URL: there is nothing to stop."))
        previous = locked.new_feed_url
        locked.new_feed_url = ""
        locked.content_changed_at = timezone.now()
        locked.save(update_fields=["new_feed_url", "content_changed_at", "updated_at"])
        audit_record(
            actor=actor,
            action=EpisodeAction.SHOW_UPDATED,
            obj=locked,
            data={"fields": ["new_feed_url"], "new_feed_url": [previous, ""]},
        )
        feed_changed(locked)
    return locked


# --- What the old feed answers ---------------------------------------------------------------------


@dataclass
class MovedFeed:
    """Where a moved show's feed went, and the minimal feed served as the body of the 301."""

    pk: int
    new_feed_url: str
    moved_away_at: datetime
    _body: bytes | None = None

    @property
    def body(self) -> bytes:
        if self._body is None:  # built once per move and process, only when a GET asks for it
            show = Show.objects.get(pk=self.pk)
            self._body = build_moved_feed(show)
        return self._body


# slug -> (the show's content_changed_at as the feed's version check read it, the move or None).
# Every move and undo bumps content_changed_at, so an entry with the feed's current version is
# current: a poll of a show that has not moved costs no query here.
_moves: dict[str, tuple[object, MovedFeed | None]] = {}
_moves_lock = threading.Lock()
_MOVES_SIZE = 1000


def _column(name: str) -> str:
    field = Show._meta.get_field(name)
    assert isinstance(field, models.Field)
    return connection.ops.quote_name(field.column)


def _move_row(slug: str) -> tuple[int, object, datetime | None, str] | None:
    # Plain SQL like the feed's version check (episodes/feeds.py), so content_changed_at comes back
    # in the same form and can be compared with the version the feed was built for.
    columns = ", ".join(
        _column(name) for name in ("id", "content_changed_at", "moved_away_at", "new_feed_url")
    )
    table = connection.ops.quote_name(Show._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {table} WHERE {_column('slug')} = %s", [slug])
        return cursor.fetchone()


def moved_feed(slug: str, version: object) -> MovedFeed | None:
    """The move of the show ``slug`` if it has moved away, else None.

    ``version`` is the content_changed_at the current feed was built for (FeedState.version).
    """
    with _moves_lock:
        entry = _moves.get(slug)
    if entry is not None and entry[0] == version:
        return entry[1]
    row = _move_row(slug)
    if row is None:
        return None
    pk, changed, moved_at, url = row
    if isinstance(moved_at, str):  # SQLite through a plain cursor may hand back text
        moved_at = datetime.fromisoformat(moved_at)
    move = MovedFeed(pk=pk, new_feed_url=url, moved_away_at=moved_at) if moved_at and url else None
    with _moves_lock:
        if len(_moves) >= _MOVES_SIZE:  # bounded: unknown slugs never get here (no feed, 404)
            _moves.clear()
        _moves[slug] = (changed, move)
    return move


def forget_moves() -> None:
    """Drop this process's memory of moved shows (tests)."""
    with _moves_lock:
        _moves.clear()


def build_moved_feed(show: Show) -> bytes:
    """The minimal RSS feed of a moved show: enough for an app to find the new feed, lose nothing.

    The channel keeps the title, link, language, artwork, owner, the same ``podcast:guid`` and
    ``podcast:locked``, and announces ``itunes:new-feed-url``. The items keep their guids,
    titles, dates and enclosure URLs (still served here), so an app that reads this feed instead
    of following the 301 neither drops nor downloads again any episode. Notes, people, topics,
    transcripts and CME links are left to the new feed.
    """
    fg = FeedGenerator()
    fg.load_extension("podcast", atom=False)
    register(fg)
    site = settings.SITE_URL
    page = site + show.get_absolute_url()
    with translation.override(show.language):
        title = clean_line(show.title)
        fg.title(title)
        fg.description(_("This show has moved to a new feed: %(url)s") % {"url": show.new_feed_url})
        fg.link(href=show.feed_url, rel="self", type="application/rss+xml")
        fg.link(href=show.website or page, rel="alternate")
        fg.language(show.language)
        fg.generator("podcastcme")
        if show.moved_away_at is not None:
            fg.lastBuildDate(show.moved_away_at)
        if show.artwork:
            artwork = site + show.get_feed_artwork_url()  # the feed's JPEG cover, not the original
            fg.image(url=artwork, title=title, link=page)
            fg.podcast.itunes_image(artwork)
        fg.podcast.itunes_author(clean_line(show.author))
        fg.podcast.itunes_owner(name=clean_line(show.owner_name), email=show.owner_email)
        fg.podcast.itunes_new_feed_url(show.new_feed_url)
        p2 = fg.podcastindex
        if show.podcast_guid:
            p2.podcast_guid(str(show.podcast_guid))
        p2.podcast_locked(show.locked, show.owner_email)
        p2.itunes_explicit_bool(show.explicit)
        episodes = (
            Episode.objects.published()
            .filter(show=show)
            .newest_first()
            .values_list(
                "pk", "slug", "title", "guid", "source_guid", "publish_at", "audio_mime", "audio_size",
                "audio_duration",
            )
        )  # fmt: skip
        for pk, slug, episode_title, guid, source_guid, publish_at, mime, size, duration in episodes:
            entry = fg.add_entry(order="append")
            entry.title(clean_line(episode_title))
            entry.link(href=site + reverse("episodes:episode", args=[show.slug, slug]))
            # The guid the feed publishes: an imported one too long for the column is kept whole.
            entry.guid(strip_control_chars(source_guid or guid), permalink=False)
            entry.pubDate(publish_at)
            audio = Episode(pk=pk, slug=slug, audio_mime=mime)
            entry.enclosure(site + audio.get_audio_url(), str(size), enclosure_type(audio_media_type(mime)))
            entry.podcast.itunes_duration(round(duration or 0))
    return fg.rss_str(pretty=False, encoding="UTF-8", xml_declaration=True)
