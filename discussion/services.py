"""Writes of the discussion under episodes: site comments, replies from the Fediverse (called by
fediverse.replies), moderation (approve, hide with a reason, show again, pin), helpful marks and the
show's moderation settings. Each is one transaction with its audit row; the comment listeners
(discussion.listeners) hear of a site comment shown or hidden after the commit.

Refusals raise ``discussion.errors.DiscussionError`` (``message`` for people, ``status`` for views);
nothing is written when one is raised. Nothing is hard-deleted: a hidden comment keeps its row and
reason, a reply its server deleted keeps its row as a tombstone (text and references removed).
"""

import datetime
import hashlib

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import is_host_of
from audit.services import audit_record
from episodes.models import Episode, Show

from . import references as refs
from . import sanitise
from .audit_actions import DiscussionAction
from .errors import DiscussionError, RateLimited
from .listeners import HIDDEN, SHOWN, comment_changed
from .models import Comment, CommentReference, HelpfulMark, Moderation, ShowDiscussion
from .selectors import comment_by_object_id
from .selectors import show_settings_for_page as show_settings

MAX_PINNED = 3  # pinned comments per episode
MAX_REASON_CHARS = 1000  # why a host hid a comment
# Rate limits, lists of (count, seconds) windows, in settings (base.py): PODCASTCME_COMMENT_RATE_LIMITS
# (a site member: 5 comments in 10 minutes, 30 a day), PODCASTCME_REMOTE_REPLY_RATE_LIMITS (a remote
# actor: 20 replies an hour), PODCASTCME_HELPFUL_RATE_LIMITS (a member: 60 helpful marks an hour).
REMOTE_RATE_LIMITED = "ignored: rate limited"  # the outcome fediverse records for the inbox activity


# --- The moderation rule --------------------------------------------------------------------------


def initial_status(
    *, show_settings, origin: str, author_follows: bool, has_links: bool, author_is_host: bool = False
) -> tuple[str, str]:
    """The status a new comment starts in, and why it is held (empty when shown). The one rule.

    - A host's own comment on their show is shown at once.
    - Comments closed: a reply from elsewhere is kept, held (site members cannot post then).
    - HOLD_ALL: every comment waits for a host.
    - HOLD_LINKS: a comment with a web link waits; DOI and PMID citations are not links here, since
      they resolve through doi.org and PubMed (addresses we build, which cannot lead to spam or
      phishing), and citing the literature is what the discussion is for.
    - AUTO_APPROVE_FOLLOWERS: followers of the show, and site members (``author_follows``: the site
      passes True for a member with a verified email), are shown at once; anyone else waits.

    ``origin`` is Comment.Origin; ``show_settings`` anything with ``moderation`` and ``comments_open``.
    """
    if author_is_host:
        return Comment.Status.SHOWN, ""
    if not show_settings.comments_open:
        return Comment.Status.HELD, _("Comments are closed on this show.")
    moderation = show_settings.moderation
    if moderation == Moderation.HOLD_ALL:
        return Comment.Status.HELD, _("The host approves every comment.")
    if moderation == Moderation.HOLD_LINKS:
        if has_links:
            return Comment.Status.HELD, _("It contains a link: the host checks links first.")
        return Comment.Status.SHOWN, ""
    if author_follows:
        return Comment.Status.SHOWN, ""
    if origin == Comment.Origin.REMOTE:
        return Comment.Status.HELD, _("Its author does not follow the show.")
    return Comment.Status.HELD, _("Its author has not verified an email address.")


# --- Rate limits ----------------------------------------------------------------------------------


def _rate_keys(prefix: str, limits) -> list[tuple[str, int, int]]:
    now = int(timezone.now().timestamp())
    return [
        (f"discussion-rate:{prefix}:{seconds}:{now // seconds}", count, seconds) for count, seconds in limits
    ]


def _rate_take(keys) -> bool:
    """Take one place in each window before writing; False (limited, nothing taken) when a window is
    full. Counting first, with the cache's increment, makes the limit hold for requests at the same
    moment (a check before the write and a count after it let each of them through)."""
    taken: list[str] = []
    full = False
    for key, count, seconds in keys:
        cache.add(key, 0, timeout=seconds + 60)
        try:
            value = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=seconds + 60)
            value = 1
        taken.append(key)
        full = full or value > count
    if full:  # a refused attempt does not use up the other windows
        for key in taken:
            try:
                cache.decr(key)
            except ValueError:
                pass
    return not full


# --- Helpers --------------------------------------------------------------------------------------


def _has_links(found: list[refs.Reference], body_html: str) -> bool:
    """For the moderation rule, on every path: a web-address reference, or any live link of the
    comment as stored and shown that does not lead to a DOI or PubMed (a link the reference parser
    refused, or one past the references a comment keeps, is a link all the same)."""
    return refs.has_links(found) or any(
        not refs.is_citation_link(href) for href in sanitise.link_targets(body_html)
    )


def has_verified_email(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (
        EmailAddress.objects.filter(user_id=user.pk, verified=True).exists()
    )


def _require_host(user, show: Show) -> None:
    if not is_host_of(user, show):
        raise DiscussionError(_("Only a host of this show can do that."), code="not_host", status=403)


def _locked(comment: Comment) -> Comment:
    """The comment's row, locked for this transaction, with its episode and show."""
    return Comment.objects.select_for_update().select_related("episode__show").get(pk=comment.pk)


def _save_references(comment: Comment, found: list[refs.Reference]) -> None:
    CommentReference.objects.bulk_create(
        CommentReference(comment=comment, kind=reference.kind, value=reference.value, position=position)
        for position, reference in enumerate(found)
    )


def _reference_data(found: list[refs.Reference]) -> list[str]:
    return [f"{reference.kind}:{reference.value}" for reference in found]


def _http_only(url: str | None) -> str:
    """A remote server's address field, kept only when it is http(s) (the page links it)."""
    url = (url or "").strip()
    return url if url.lower().startswith(("https://", "http://")) else ""


def _thread_parent(in_reply_to: Comment | None, episode: Episode) -> Comment | None:
    """Replies are one level deep: a reply to a reply hangs under the first comment."""
    if in_reply_to is None:
        return None
    if in_reply_to.episode_id != episode.pk:
        raise DiscussionError(_("That comment is on another episode."), code="wrong_episode")
    if in_reply_to.in_reply_to_id is not None:
        return Comment.objects.get(pk=in_reply_to.in_reply_to_id)
    return in_reply_to


# --- Site comments --------------------------------------------------------------------------------


def comment_post(
    *, user, episode: Episode, body: str, references: str = "", in_reply_to: Comment | None = None
) -> Comment:
    """A site member's comment (or reply, one level) on a public episode.

    Refused (DiscussionError, nothing written): not logged in or no verified email (403), comments
    closed (403), the episode not public (404), empty or longer than 5,000 characters, a bad
    reference (the message names it), a reply to a comment that is not shown, too many comments in a
    while (RateLimited, 429). Shown at once or held by ``initial_status``; audited; a shown comment
    is announced to the listeners ("shown") after the commit."""
    if not getattr(user, "is_authenticated", False):
        raise DiscussionError(_("Log in to comment."), code="anonymous", status=403)
    if not has_verified_email(user):
        raise DiscussionError(_("Verify your email address to comment."), code="unverified", status=403)
    if not episode.is_public:
        raise DiscussionError(_("This episode is not public."), code="not_public", status=404)
    settings_row = show_settings(episode.show)
    if not settings_row.comments_open:
        raise DiscussionError(_("Comments are closed on this show."), code="closed", status=403)
    text = sanitise.plain_text(body or "")
    if not text:
        raise DiscussionError(_("Write a comment first."), code="empty")
    if len(text) > sanitise.MAX_SITE_CHARS:
        raise DiscussionError(
            _("Your comment is too long: at most %(max)d characters (it has %(count)d).")
            % {"max": sanitise.MAX_SITE_CHARS, "count": len(text)},
            code="too_long",
        )
    try:
        found = refs.parse_field(references or "")
    except refs.ReferenceError as error:
        raise DiscussionError(error.message, code="bad_reference") from error
    parent = _thread_parent(in_reply_to, episode)
    if parent is not None and (parent.status != Comment.Status.SHOWN or parent.deleted_at is not None):
        raise DiscussionError(_("You can only reply to a comment that is shown."), code="parent_not_shown")
    keys = _rate_keys(f"user:{user.pk}", settings.PODCASTCME_COMMENT_RATE_LIMITS)
    if not _rate_take(keys):
        raise RateLimited(_("You have posted many comments in a short time. Wait a while and try again."))
    body_html = sanitise.site_html(text)
    status, held_reason = initial_status(
        show_settings=settings_row,
        origin=Comment.Origin.SITE,
        author_follows=True,  # a member with a verified email (checked above)
        has_links=_has_links(found, body_html),
        author_is_host=is_host_of(user, episode.show),
    )
    with transaction.atomic():
        comment = _comment_create(
            found=found,
            actor=user,
            action=DiscussionAction.COMMENT_POSTED,
            data={},
            episode=episode,
            origin=Comment.Origin.SITE,
            author=user,
            in_reply_to=parent,
            body_html=body_html,
            status=status,
            held_reason=held_reason,
        )
        if status == Comment.Status.SHOWN:
            comment_changed(comment.pk, SHOWN)
    return comment


def _comment_create(*, found, actor, action: str, data: dict, **fields) -> Comment:
    """A new comment with its references and its one audit row (site comments and remote replies):
    the audit data names the episode, the status and the references, plus ``data``."""
    comment = Comment.objects.create(**fields)
    _save_references(comment, found)
    audit_record(
        actor=actor,
        action=action,
        obj=comment,
        data={
            "episode": comment.episode_id,
            "status": comment.status,
            **data,
            "references": _reference_data(found),
        },
    )
    return comment


# --- Replies from the Fediverse -------------------------------------------------------------------


def comment_receive_remote(
    *,
    episode: Episode,
    in_reply_to: Comment | None,
    object_id: str,
    url: str,
    actor_url: str,
    handle: str,
    name: str,
    content_html: str,
    published: datetime.datetime | None,
    author_follows: bool,
) -> Comment:
    """A reply from another server (fediverse.replies calls it after verifying the signature).

    Idempotent on ``object_id``: the same Note again returns the comment already stored. The
    content is sanitised (nh3), its references (DOI, PMID, links that are not mentions or hashtags)
    extracted, and the show's rule decides shown or held; audited. Refused with DiscussionError: no
    object id, an episode that is not public, a reply to a comment on another episode, and too many
    replies from the actor
    (RateLimited, message ``REMOTE_RATE_LIMITED``: "ignored: rate limited")."""
    existing = comment_by_object_id(object_id)
    if existing is not None:
        return existing
    if not object_id or not actor_url:
        raise DiscussionError("ignored: no object id or actor", code="no_object_id")
    if not episode.is_public:
        raise DiscussionError("ignored: the episode is not public", code="not_public", status=404)
    parent = _thread_parent(in_reply_to, episode)
    # The address hashed: a cache key stays short whatever the remote server sends (the database
    # cache's column holds 255 characters).
    actor_key = hashlib.sha256(actor_url.encode()).hexdigest()[:32]
    keys = _rate_keys(f"actor:{actor_key}", settings.PODCASTCME_REMOTE_REPLY_RATE_LIMITS)
    if not _rate_take(keys):
        raise RateLimited(REMOTE_RATE_LIMITED)
    body_html = sanitise.remote_html(content_html or "")
    # From the HTML as sent: the sanitised copy has lost the classes that mark mentions and hashtags.
    found = refs.from_html((content_html or "")[: sanitise.MAX_REMOTE_HTML_CHARS])
    status, held_reason = initial_status(
        show_settings=show_settings(episode.show),
        origin=Comment.Origin.REMOTE,
        author_follows=author_follows,
        has_links=_has_links(found, body_html),
    )
    now = timezone.now()
    if published is not None and timezone.is_naive(published):
        published = timezone.make_aware(published, datetime.UTC)
    created_at = published if published is not None and published <= now else now
    try:
        with transaction.atomic():
            comment = _comment_create(
                found=found,
                actor=None,
                action=DiscussionAction.COMMENT_RECEIVED,
                data={"actor": actor_url, "object_id": object_id},
                episode=episode,
                origin=Comment.Origin.REMOTE,
                remote_actor_url=actor_url[:500],
                remote_handle=(handle or "")[:255],
                remote_name=(name or "")[:255],
                remote_object_id=object_id[:500],
                remote_url=_http_only(url)[:500],
                in_reply_to=parent,
                body_html=body_html,
                status=status,
                held_reason=held_reason,
                created_at=created_at,
            )
    except IntegrityError:  # the same Note delivered twice at once: the other delivery stored it
        existing = comment_by_object_id(object_id)
        if existing is None:
            raise
        return existing
    return comment


def comment_edit_remote(*, object_id: str, actor_url: str, content_html: str) -> Comment | None:
    """Its author's server sent an Update: new text and references (None: unknown, not its author's,
    or deleted). An edit that now contains a link, on a show that holds links, waits again."""
    with transaction.atomic():
        comment = (
            Comment.objects.select_for_update()
            .select_related("episode__show")
            .filter(remote_object_id=object_id, remote_actor_url=actor_url, deleted_at__isnull=True)
            .first()
            if object_id and actor_url
            else None
        )
        if comment is None:
            return None
        body_html = sanitise.remote_html(content_html or "")
        # From the HTML as sent: the sanitised copy has lost the classes that mark mentions and hashtags.
        found = refs.from_html((content_html or "")[: sanitise.MAX_REMOTE_HTML_CHARS])
        before = _reference_data(list(_stored_references(comment)))
        comment.body_html = body_html
        comment.edited_at = timezone.now()
        fields = ["body_html", "edited_at"]
        if comment.status == Comment.Status.SHOWN:
            status, held_reason = initial_status(
                show_settings=show_settings(comment.episode.show),
                origin=Comment.Origin.REMOTE,
                author_follows=True,  # it was shown: its author passed the rule once
                has_links=_has_links(found, body_html),
            )
            if status == Comment.Status.HELD:
                comment.status, comment.held_reason = status, held_reason
                comment.pinned_at, comment.pinned_by = None, None
                fields += ["status", "held_reason", "pinned_at", "pinned_by"]
        comment.save(update_fields=fields)
        comment.references.all().delete()  # replaced by the edit; the audit row keeps both lists
        _save_references(comment, found)
        audit_record(
            actor=None,
            action=DiscussionAction.COMMENT_EDITED,
            obj=comment,
            data={
                "references_before": before,
                "references": _reference_data(found),
                "status": comment.status,
            },
        )
    return comment


def _stored_references(comment: Comment):
    return (refs.Reference(reference.kind, reference.value) for reference in comment.references.all())


def comment_delete_remote(*, object_id: str, actor_url: str) -> Comment | None:
    """Its author's server deleted it: a tombstone (text and references removed, row kept, unpinned).
    None when unknown or not its author's. Deleting twice changes nothing the second time."""
    with transaction.atomic():
        comment = (
            Comment.objects.select_for_update()
            .filter(remote_object_id=object_id, remote_actor_url=actor_url)
            .first()
            if object_id and actor_url
            else None
        )
        if comment is None or comment.deleted_at is not None:
            return comment
        comment.body_html = ""
        comment.deleted_at = timezone.now()
        comment.pinned_at, comment.pinned_by = None, None
        comment.save(update_fields=["body_html", "deleted_at", "pinned_at", "pinned_by"])
        comment.references.all().delete()
        audit_record(actor=None, action=DiscussionAction.COMMENT_DELETED_BY_AUTHOR, obj=comment, data={})
    return comment


# --- Moderation -----------------------------------------------------------------------------------


def _moderated(
    comment: Comment, by, *, needs: str | None = None, refusal: str = "", code: str = ""
) -> Comment:
    """The comment's row locked for this transaction, once ``by`` is a host of its show; refused with
    ``refusal`` unless its status is ``needs`` (when given)."""
    comment = _locked(comment)
    _require_host(by, comment.episode.show)
    if needs is not None and comment.status != needs:
        raise DiscussionError(refusal, code=code)
    return comment


def _shown_by_host(comment: Comment, by, *, action: str, data: dict, fields: tuple[str, ...] = ()) -> None:
    """A host shows the comment (approved, shown again): saved, audited, and a site comment
    announced to the listeners after the commit."""
    comment.status, comment.held_reason = Comment.Status.SHOWN, ""
    comment.save(update_fields=["status", "held_reason", *fields])
    audit_record(actor=by, action=action, obj=comment, data=data)
    if comment.origin == Comment.Origin.SITE and comment.deleted_at is None:
        comment_changed(comment.pk, SHOWN)


def comment_approve(*, comment: Comment, by) -> Comment:
    """A host shows a held comment."""
    with transaction.atomic():
        comment = _moderated(
            comment,
            by,
            needs=Comment.Status.HELD,
            refusal=_("This comment is not waiting for approval."),
            code="not_held",
        )
        _shown_by_host(comment, by, action=DiscussionAction.COMMENT_APPROVED, data={})
    return comment


def comment_hide(*, comment: Comment, by, reason: str) -> Comment:
    """A host hides a held or shown comment; the reason is required and kept with who and when."""
    reason = (reason or "").strip()
    if not reason:
        raise DiscussionError(_("Say why you hide this comment."), code="no_reason")
    if len(reason) > MAX_REASON_CHARS:
        raise DiscussionError(
            _("The reason is too long: at most %(max)d characters.") % {"max": MAX_REASON_CHARS},
            code="reason_too_long",
        )
    with transaction.atomic():
        comment = _moderated(comment, by)
        if comment.status == Comment.Status.HIDDEN:
            raise DiscussionError(_("This comment is hidden already."), code="already_hidden")
        was_shown = comment.status == Comment.Status.SHOWN
        comment.status = Comment.Status.HIDDEN
        comment.hidden_reason, comment.hidden_at, comment.hidden_by = reason, timezone.now(), by
        comment.pinned_at, comment.pinned_by = None, None
        comment.save(
            update_fields=["status", "hidden_reason", "hidden_at", "hidden_by", "pinned_at", "pinned_by"]
        )
        audit_record(
            actor=by,
            action=DiscussionAction.COMMENT_HIDDEN,
            obj=comment,
            data={"reason": reason, "was_shown": was_shown},
        )
        if was_shown and comment.origin == Comment.Origin.SITE:
            comment_changed(comment.pk, HIDDEN)
    return comment


def comment_show_again(*, comment: Comment, by) -> Comment:
    """A host shows a hidden comment again (the reason stays in the audit trail)."""
    with transaction.atomic():
        comment = _moderated(
            comment,
            by,
            needs=Comment.Status.HIDDEN,
            refusal=_("This comment is not hidden."),
            code="not_hidden",
        )
        reason = comment.hidden_reason
        comment.hidden_reason, comment.hidden_at, comment.hidden_by = "", None, None
        _shown_by_host(
            comment,
            by,
            action=DiscussionAction.COMMENT_SHOWN_AGAIN,
            data={"hidden_reason": reason},
            fields=("hidden_reason", "hidden_at", "hidden_by"),
        )
    return comment


def comment_pin(*, comment: Comment, by) -> Comment:
    """A host pins a shown comment (not a reply) to the top; at most MAX_PINNED per episode."""
    with transaction.atomic():
        # The episode's row serialises pins, so two hosts cannot pin a fourth at once.
        Episode.objects.select_for_update().filter(pk=comment.episode_id).first()
        comment = _moderated(comment, by)
        if comment.status != Comment.Status.SHOWN or comment.deleted_at is not None:
            raise DiscussionError(_("Only a shown comment can be pinned."), code="not_shown")
        if comment.in_reply_to_id is not None:
            raise DiscussionError(_("A reply cannot be pinned; pin the comment it answers."), code="reply")
        if comment.pinned_at is not None:
            raise DiscussionError(_("This comment is pinned already."), code="already_pinned")
        pinned = Comment.objects.filter(episode_id=comment.episode_id, pinned_at__isnull=False).count()
        if pinned >= MAX_PINNED:
            raise DiscussionError(
                _("At most %(max)d comments can be pinned on an episode: unpin one first.")
                % {"max": MAX_PINNED},
                code="pin_limit",
            )
        comment.pinned_at, comment.pinned_by = timezone.now(), by
        comment.save(update_fields=["pinned_at", "pinned_by"])
        audit_record(actor=by, action=DiscussionAction.COMMENT_PINNED, obj=comment, data={})
    return comment


def comment_unpin(*, comment: Comment, by) -> Comment:
    with transaction.atomic():
        comment = _moderated(comment, by)
        if comment.pinned_at is None:
            raise DiscussionError(_("This comment is not pinned."), code="not_pinned")
        comment.pinned_at, comment.pinned_by = None, None
        comment.save(update_fields=["pinned_at", "pinned_by"])
        audit_record(actor=by, action=DiscussionAction.COMMENT_UNPINNED, obj=comment, data={})
    return comment


# --- Helpful marks --------------------------------------------------------------------------------


def helpful_toggle(*, comment: Comment, user) -> bool:
    """Mark a shown comment helpful, or take the mark back; True when it is marked now.

    One mark per user and comment (a database constraint); not on one's own comment; logged in; at
    most 60 marks given or taken back an hour (each writes an audit row)."""
    if not getattr(user, "is_authenticated", False):
        raise DiscussionError(_("Log in to mark a comment helpful."), code="anonymous", status=403)
    with transaction.atomic():
        comment = _locked(comment)
        if comment.status != Comment.Status.SHOWN or comment.deleted_at is not None:
            raise DiscussionError(_("This comment is not shown."), code="not_shown", status=404)
        if comment.author_id == user.pk:
            raise DiscussionError(
                _("You cannot mark your own comment helpful."), code="own_comment", status=403
            )
        keys = _rate_keys(f"helpful:{user.pk}", settings.PODCASTCME_HELPFUL_RATE_LIMITS)
        if not _rate_take(keys):
            raise RateLimited(_("You have marked many comments in a short time. Wait a while and try again."))
        deleted, _rows = HelpfulMark.objects.filter(comment=comment, user=user).delete()
        if deleted:
            audit_record(actor=user, action=DiscussionAction.COMMENT_HELPFUL_UNMARKED, obj=comment, data={})
            return False
        HelpfulMark.objects.create(comment=comment, user=user)
        audit_record(actor=user, action=DiscussionAction.COMMENT_HELPFUL_MARKED, obj=comment, data={})
    return True


# --- Settings -------------------------------------------------------------------------------------


def moderation_set(*, show: Show, by, moderation: str, comments_open: bool) -> ShowDiscussion:
    """A host sets the show's moderation rule and whether comments are open; audited with before/after."""
    if moderation not in Moderation.values:
        raise DiscussionError(_("Choose one of the moderation rules."), code="bad_moderation")
    with transaction.atomic():
        _require_host(by, show)
        row, _created = ShowDiscussion.objects.select_for_update().get_or_create(show=show)
        before = {"moderation": row.moderation, "comments_open": row.comments_open}
        row.moderation, row.comments_open = moderation, bool(comments_open)
        row.updated_at, row.updated_by = timezone.now(), by
        row.save()
        audit_record(
            actor=by,
            action=DiscussionAction.MODERATION_CHANGED,
            obj=row,
            data={
                "before": before,
                "after": {"moderation": row.moderation, "comments_open": row.comments_open},
            },
        )
    return row
