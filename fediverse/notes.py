"""What a show publishes on the Fediverse: each public episode as a Note, and each shown site comment
as the show's reply (both attributed to the show's actor).

The shape follows what Mastodon displays and what Castopod sends for an episode: ``content`` is a
short HTML post (the title in bold, a summary of the notes, any corrections, for a CME activity
still open for claims the credit line and its link, the topics as hashtags, the episode's link);
``tag`` lists the hashtags; ``attachment`` holds the audio (a Document whose ``mediaType`` is the
audio's, with the artwork as its ``icon``: Mastodon's audio player shows it) and the artwork
(an Image). Public (``to`` the Public collection, ``cc`` the show's followers).

Every text field goes through one small nh3 allow-list (p, br, a[href, rel, class], span[class],
strong, em; http and https links only): a title or notes holding a script never carry it out.
"""

import hashlib
import html
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import nh3
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.translation import gettext as _

from credits.models import Activity
from credits.selectors import activity_for_episode
from credits.statements import CREDIT_MARK, format_credits
from discussion.corrections import episode_corrections
from discussion.models import Comment, CommentReference, Correction
from discussion.selectors import author_name
from episodes.models import Episode, Show
from episodes.models.shows import audio_media_type

from .keys import actor_url

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
CONTEXT: list[Any] = [
    "https://www.w3.org/ns/activitystreams",
    {"sensitive": "as:sensitive", "Hashtag": "as:Hashtag"},
]
SUMMARY_CHARS = 500  # of the notes, as text: Mastodon's own posts are 500 characters

NOTE_TAGS = {"p", "br", "a", "span", "strong", "em"}
NOTE_ATTRIBUTES = {"a": {"href", "rel", "class"}, "span": {"class"}}

_BLOCK_END = re.compile(r"(?i)<br\s*/?>|</(p|div|li|h[1-6]|blockquote|tr)>")
_SPACES = re.compile(r"[ \t\r\f\v]+")
_HASHTAG_CHARS = re.compile(r"[^0-9A-Za-z_]")
_DOI_URL = "https://doi.org/{}"
_PMID_URL = "https://pubmed.ncbi.nlm.nih.gov/{}/"


def sanitise(markup: str) -> str:
    """A Note's HTML through the allow-list (scripts and styles dropped with their content)."""
    return nh3.clean(
        markup,
        tags=NOTE_TAGS,
        attributes=NOTE_ATTRIBUTES,
        url_schemes={"http", "https"},
        link_rel=None,  # rel is ours to set (rel="tag" on a hashtag), not nh3's
        strip_comments=True,
    ).strip()


def text_of(markup: str) -> str:
    """HTML as plain text: tags (and scripts and styles with their content) removed, entities
    decoded, a line break at each paragraph or line end, runs of spaces and blank lines collapsed."""
    marked = _BLOCK_END.sub("\n", markup or "")
    text = html.unescape(nh3.clean(marked, tags=set(), strip_comments=True))
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


def summary_of(markup: str, limit: int = SUMMARY_CHARS) -> str:
    """The first ``limit`` characters of ``markup`` as text, cut at a word with an ellipsis."""
    text = text_of(markup)
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.\n") + "…"


def _paragraphs(text: str) -> str:
    """Plain text as escaped HTML paragraphs (a line break within one is <br>)."""
    blocks = [block.strip() for block in text.split("\n\n") if block.strip()]
    return "".join(
        "<p>" + "<br>".join(escape(line) for line in block.split("\n")) + "</p>" for block in blocks
    )


def absolute(path: str) -> str:
    return path if path.startswith(("http://", "https://")) else settings.SITE_URL + path


def episode_note_id(episode: Episode | int) -> str:
    pk = episode if isinstance(episode, int) else episode.pk
    return settings.SITE_URL + reverse("fediverse:episode_note", args=[pk])


def comment_note_id(comment: Comment | int) -> str:
    pk = comment if isinstance(comment, int) else comment.pk
    return settings.SITE_URL + reverse("fediverse:comment_note", args=[pk])


def followers_url(show: Show) -> str:
    return actor_url(show) + "/followers"


def hashtag_name(topic_name: str) -> str:
    """A topic as a hashtag Mastodon links: letters, digits and _ only ("OB-anes" -> "OBanes");
    "" when nothing or only digits is left (Mastodon does not make those hashtags)."""
    name = _HASHTAG_CHARS.sub("", topic_name)
    return "" if name.isdigit() else name


def _date_text(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def _offer_of(activity: Activity | None, today: date) -> tuple[str, date] | None:
    """The one rule: (credits, last day) while learners can claim the activity (published, not a
    draft or withdrawn; its current version released and not expired), else None."""
    if activity is None or activity.status != Activity.Status.PUBLISHED:
        return None
    version = activity.current_version
    if version is None or not (version.release_date <= today <= version.expiry_date):
        return None
    return format_credits(version.designated_credits), version.expiry_date


def credit_offer(episode: Episode, *, today: date | None = None) -> tuple[str, date] | None:
    """(credits, last day) of the episode's CME activity while learners can claim it: what the
    episode page's CME panel offers (credits.selectors.activity_for_episode); None otherwise."""
    return _offer_of(activity_for_episode(episode), today or timezone.localdate())


@dataclass
class NoteFacts:
    """What an episode's Note reads besides the episode row: its credit offer and its corrections."""

    credit: tuple[str, date] | None = None
    corrections: list[Correction] = field(default_factory=list)


def note_facts(episodes: list[Episode]) -> dict[int, NoteFacts]:
    """NoteFacts for many episodes in two queries (a sync or an outbox page; one Note alone reads
    them through credits.selectors.activity_for_episode and discussion.corrections instead)."""
    today = timezone.localdate()
    facts = {episode.pk: NoteFacts() for episode in episodes}
    # activity_for_episode's query for many episodes: never a draft, with the version learners see.
    activities = (
        Activity.objects.filter(episode__in=list(facts))
        .exclude(status=Activity.Status.DRAFT)
        .select_related("current_version")
    )
    for activity in activities:
        facts[activity.episode_id].credit = _offer_of(activity, today)
    # episode_corrections' order (newest first) for many episodes.
    for correction in Correction.objects.filter(episode__in=list(facts)).order_by("-published_at", "-id"):
        facts[correction.episode_id].corrections.append(correction)
    return facts


def _credit_line(offer: tuple[str, date] | None, page_url: str) -> str:
    if offer is None:
        return ""
    amount, until = offer
    link = format_html('<a href="{}">{}</a>', page_url, page_url)
    return format_html(
        "<p>{} {}</p>",
        _("Earn %(amount)s %(mark)s™ until %(date)s:")
        % {"amount": amount, "mark": CREDIT_MARK, "date": _date_text(until)},
        link,
    )


def _corrections(corrections: list[Correction]) -> str:
    parts = []
    for correction in corrections:
        day = timezone.localdate(correction.published_at)
        label = _("Correction (%(date)s):") % {"date": _date_text(day)}
        parts.append(
            format_html("<p><strong>{}</strong> {}</p>", label, text_of(correction.text).replace("\n", " "))
        )
    return "".join(parts)


def _hashtags(episode: Episode) -> tuple[str, list[dict[str, str]]]:
    links, tags = [], []
    for topic in episode.topics.all():
        name = hashtag_name(topic.name)
        if not name:
            continue
        href = absolute(topic.get_absolute_url())
        links.append(
            format_html('<a href="{}" class="mention hashtag" rel="tag">#<span>{}</span></a>', href, name)
        )
        tags.append({"type": "Hashtag", "href": href, "name": f"#{name}"})
    return " ".join(links), tags


def _media_type_of(url: str) -> str:
    ext = url.rsplit(".", 1)[-1].lower() if "." in url.rsplit("/", 1)[-1] else ""
    return {"png": "image/png", "webp": "image/webp", "gif": "image/gif"}.get(ext, "image/jpeg")


def artwork_url(episode: Episode) -> str:
    """The square JPEG the feed uses: the episode's own artwork, else the show's ("" without any)."""
    if episode.artwork:
        return absolute(episode.get_feed_artwork_url())
    if episode.show.artwork:
        return absolute(episode.show.get_feed_artwork_url())
    return ""


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def episode_note(
    episode: Episode, *, updated: datetime | None = None, facts: NoteFacts | None = None
) -> dict[str, Any]:
    """The episode as a Note (without @context: an activity or ``document`` adds it).

    ``updated`` (an Update's time) is left out of ``note_digest``, so the same content has one digest.
    ``facts``: from ``note_facts`` when many Notes are made at once (read here otherwise).
    """
    if facts is None:
        facts = NoteFacts(credit=credit_offer(episode), corrections=episode_corrections(episode))
    show = episode.show
    page_url = absolute(episode.get_absolute_url())
    title = text_of(episode.title)  # plain text: markup in it is dropped, not shown
    summary = summary_of(sanitise(episode.notes_html))
    hashtag_html, tags = _hashtags(episode)
    content = "".join(
        [
            format_html("<p><strong>{}</strong></p>", title),
            _paragraphs(summary),
            _corrections(facts.corrections),
            _credit_line(facts.credit, page_url),
            f"<p>{hashtag_html}</p>" if hashtag_html else "",
            format_html('<p><a href="{}">{}</a></p>', page_url, page_url),
        ]
    )
    content = sanitise(content)
    artwork = artwork_url(episode)
    audio: dict[str, Any] = {
        "type": "Document",
        "mediaType": audio_media_type(episode.audio_mime),
        "url": episode.audio_url,
        "name": title,
    }
    attachment = [audio]
    if artwork:
        image = {"type": "Image", "mediaType": _media_type_of(artwork), "url": artwork}
        audio["icon"] = dict(image)
        attachment.append({**image, "name": title})
    note: dict[str, Any] = {
        "id": episode_note_id(episode),
        "type": "Note",
        "attributedTo": actor_url(show),
        "to": [PUBLIC],
        "cc": [followers_url(show)],
        "published": iso(episode.publish_at or episode.created_at),
        "url": page_url,
        "sensitive": bool(episode.explicit),
        "content": content,
        "contentMap": {show.language or "en": content},
        "tag": tags,
        "attachment": attachment,
    }
    if updated is not None:
        note["updated"] = iso(updated)
    return note


def _reference_url(reference: CommentReference) -> str:
    if reference.kind == CommentReference.Kind.DOI:
        return _DOI_URL.format(reference.value)
    if reference.kind == CommentReference.Kind.PMID:
        return _PMID_URL.format(reference.value)
    return reference.value


def comment_parent_id(comment: Comment) -> str:
    """What a site comment answers: the episode's Note, a remote reply's own id, or our comment's Note."""
    parent = comment.in_reply_to
    if parent is None:
        return episode_note_id(comment.episode_id)
    if parent.origin == Comment.Origin.REMOTE:
        return parent.remote_object_id
    return comment_note_id(parent)


def comment_note(comment: Comment, *, updated: datetime | None = None) -> dict[str, Any]:
    """A site comment as the show's reply: "<name> wrote: …", its references as links; a reply to a
    remote author is addressed to them too (cc and a Mention), so their server notifies them."""
    show = comment.episode.show
    name = author_name(comment)
    references = [_reference_url(reference) for reference in comment.references.all()]
    content = format_html("<p><strong>{}</strong> {}</p>", name, _("wrote:")) + sanitise(comment.body_html)
    if references:
        links = "<br>".join(format_html('<a href="{}">{}</a>', url, url) for url in references)
        content += format_html("<p>{}</p>", _("References:")) + f"<p>{links}</p>"
    content = sanitise(content)
    cc = [followers_url(show)]
    tags: list[dict[str, str]] = []
    parent = comment.in_reply_to
    if parent is not None and parent.origin == Comment.Origin.REMOTE and parent.remote_actor_url:
        cc.append(parent.remote_actor_url)
        tags.append({"type": "Mention", "href": parent.remote_actor_url, "name": parent.remote_handle})
    note: dict[str, Any] = {
        "id": comment_note_id(comment),
        "type": "Note",
        "attributedTo": actor_url(show),
        "inReplyTo": comment_parent_id(comment),
        "to": [PUBLIC],
        "cc": cc,
        "published": iso(comment.created_at),
        "url": absolute(comment.get_absolute_url()),
        "sensitive": False,
        "content": content,
        "contentMap": {show.language or "en": content},
        "tag": tags,
    }
    if updated is not None:
        note["updated"] = iso(updated)
    return note


def note_digest(note: dict[str, Any]) -> str:
    """SHA-256 of the Note without ``updated``: a change of content changes it, a re-send does not."""
    stable = {key: value for key, value in note.items() if key != "updated"}
    return hashlib.sha256(json.dumps(stable, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def document(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` as a JSON-LD document: @context first."""
    return {"@context": CONTEXT, **obj}
