"""Corrections a host publishes on an episode (issue 17 item 3: discussion as peer review).

A correction is plain text, dated, and public at once: the episode page lists it above the notes
(``discussion/templatetags/discussion_corrections.py``), the episode's feed item carries it at the
top of its notes, dated in its text (``episodes/feeds.py`` reads the rows by the related name
``corrections``; the item's pubDate does not change, so apps do not announce the episode as new),
and the feed change makes followers on the Fediverse receive an Update of the episode's post.

A correction is never edited or deleted: a correction of a correction is another one. Telling the
coordinators of a CME activity is a reaction in another app (credits): ``podcastcme.corrections``
runs both.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import is_host_of
from audit.services import audit_record
from episodes.models import Episode
from episodes.services import show_content_changed
from episodes.text import strip_control_chars

from .audit_actions import DiscussionAction
from .errors import DiscussionError
from .models import Comment, Correction

MAX_CORRECTION_CHARS = 2000


class CorrectionError(DiscussionError):
    """A correction that cannot be published; ``message`` says why, for people; ``code`` names the rule."""


def clean_correction_text(text: str) -> str:
    """The text as stored: control characters removed, each line's trailing spaces and the blank
    lines around it dropped, at most one blank line between paragraphs."""
    lines = [line.rstrip() for line in strip_control_chars(text or "").replace("\r\n", "\n").split("\n")]
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append("\n".join(current))
            current = []
    if current:
        paragraphs.append("\n".join(current))
    return "\n\n".join(paragraphs)


def correction_publish(
    *, episode: Episode, text: str, by: User, prompted_by: Comment | None = None
) -> Correction:
    """Publish a correction on a public ``episode`` as ``by``, one of its show's hosts.

    ``text`` is plain text (escaped wherever it is shown), required, at most 2,000 characters.
    ``prompted_by`` is the comment on this episode that led to it, if one did. The show's feed is
    marked changed (its cache renewed; hubs and the fediverse hear of it after the commit). Refusals
    raise ``CorrectionError`` and write nothing.
    """
    if not is_host_of(by, episode.show):
        raise CorrectionError(
            _("Only a host of this show can publish a correction."), code="not_host", status=403
        )
    if not episode.is_public:
        raise CorrectionError(
            _("Only a public episode takes a correction: edit a draft or scheduled episode's notes instead."),
            code="not_public",
        )
    cleaned = clean_correction_text(text)
    if not cleaned:
        raise CorrectionError(_("Write the correction."), code="empty")
    if len(cleaned) > MAX_CORRECTION_CHARS:
        raise CorrectionError(
            _("A correction is at most %(max)s characters (this one has %(count)s).")
            % {"max": f"{MAX_CORRECTION_CHARS:,}", "count": f"{len(cleaned):,}"},
            code="too_long",
        )
    if prompted_by is not None and prompted_by.episode_id != episode.pk:
        raise CorrectionError(_("That comment is not on this episode."), code="other_episode")
    with transaction.atomic():
        correction = Correction.objects.create(
            episode=episode, text=cleaned, published_by=by, prompted_by=prompted_by
        )
        audit_record(
            actor=by,
            action=DiscussionAction.CORRECTION_PUBLISHED,
            obj=correction,
            data={
                "episode": episode.pk,
                "text": cleaned,
                "prompted_by": prompted_by.pk if prompted_by is not None else None,
            },
        )
        show_content_changed(show=episode.show)
    return correction


def episode_corrections(episode: Episode) -> list[Correction]:
    """The episode's corrections, newest first (as the page and the feed item list them)."""
    return list(Correction.objects.filter(episode=episode).order_by("-published_at", "-id"))
