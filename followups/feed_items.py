"""A sent, unanswered follow-up as a short bonus item in the learner's personal feed for the episode's
show (episodes/personal_feed_items.py): "Follow-up: 3 questions on <episode>", linking to the signed
answer page.

Podcast apps drop an item without exactly one enclosure (podcastparser does; Apple Podcasts and most
apps list only items with audio), so the item carries one second of silent MP3 (4 KB, the same bytes
for every item, at a URL of its own: an enclosure URL must be unique). The notes carry the link."""

import datetime
from functools import cache

from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from episodes.personal_feed_items import PersonalFeedItem

from . import links, selectors
from .models import FollowUp, FollowUpKind

# MPEG-1 Layer III, 32 kbit/s, 44.1 kHz, mono, no CRC: each frame 104 bytes, 1152 samples (26 ms);
# all-zero side information decodes as silence. 39 frames: one second.
_FRAME = bytes([0xFF, 0xFB, 0x10, 0xC0]) + bytes(100)
FRAMES = 39


@cache
def silent_mp3() -> bytes:
    return _FRAME * FRAMES


def follow_up_feed_title(follow_up: FollowUp) -> str:
    episode = follow_up.activity.episode.title
    if follow_up.kind == FollowUpKind.PRACTICE:
        return _("Follow-up: did you change your practice? (%(episode)s)") % {"episode": episode}
    n = len(follow_up.questions)
    return ngettext(
        "Follow-up: %(n)d question on %(episode)s", "Follow-up: %(n)d questions on %(episode)s", n
    ) % {"n": n, "episode": episode}


def follow_up_feed_items(user, show, now: datetime.datetime) -> list[PersonalFeedItem]:
    items = []
    for follow_up in selectors.open_follow_ups(learner=user, now=now, show=show):
        url = links.follow_up_url(follow_up)
        token = links.follow_up_token(follow_up)
        note = _(
            "Answer from memory: it takes a minute and helps you keep what you learned. No login needed."
        )
        until = (
            _("Open until %(date)s.") % {"date": follow_up.expires_at.date().isoformat()}
            if follow_up.expires_at
            else ""
        )
        items.append(
            PersonalFeedItem(
                guid=f"podcastcme-follow-up-{follow_up.pk}",
                title=follow_up_feed_title(follow_up),
                link=url,
                description_html=(
                    f'<p>{escape(note)} {escape(until)}</p><p><a href="{escape(url)}">{escape(url)}</a></p>'
                ),
                published=follow_up.sent_at or now,
                enclosure_url=links.absolute(reverse("followups:reminder_audio", args=[token])),
                enclosure_length=len(silent_mp3()),
            )
        )
    return items


def reminder_audio(request, token: str):
    """The bonus item's enclosure: one second of silence (only for a real follow-up's link)."""
    read = links.follow_up_token_read(token)
    follow_up = FollowUp.objects.filter(pk=read[0]).only("pk", "nonce").first() if read else None
    if follow_up is None or read is None or not links.nonce_matches(follow_up, read[1]):
        raise Http404
    body = silent_mp3()
    start, end = _byte_range(request.headers.get("Range", ""), len(body))
    if start is None:
        response = HttpResponse(body, content_type="audio/mpeg")
    else:
        response = HttpResponse(body[start : end + 1], content_type="audio/mpeg", status=206)
        response["Content-Range"] = f"bytes {start}-{end}/{len(body)}"
    response["Cache-Control"] = "private, max-age=86400"
    response["Accept-Ranges"] = "bytes"
    return response


def _byte_range(header: str, size: int) -> tuple[int | None, int]:
    """One ``bytes=a-b`` range (Apple's app probes ``bytes=0-1`` and wants a 206); else the whole."""
    if not header.startswith("bytes=") or "," in header:
        return None, size - 1
    first, _sep, last = header[6:].partition("-")
    try:
        if first == "":
            start, end = max(size - int(last), 0), size - 1
        else:
            start, end = int(first), min(int(last), size - 1) if last else size - 1
    except ValueError:
        return None, size - 1
    if start > end or start >= size:
        return None, size - 1
    return start, end
