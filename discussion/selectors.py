"""Reads of the discussion: an episode's comments for its page (a constant number of queries however
many comments), a remote reply by its ActivityPub id, and a show's comments for its hosts."""

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from accounts.permissions import is_host_of
from episodes.models import Episode, Show

from .models import Comment, CommentReference, HelpfulMark, ShowDiscussion

MODERATION_LIST_LIMIT = 200  # rows per list on the host's moderation page


def author_name(comment: Comment) -> str:
    """Who wrote it, as the page names them: a remote author's name or handle; a member's name from
    their profile (never their email address), else "A member"."""
    if comment.origin == Comment.Origin.REMOTE:
        return comment.remote_name or comment.remote_handle or _("Someone on the Fediverse")
    author = comment.author
    try:
        profile = author.profile if author is not None else None
    except Exception:  # no profile row (RelatedObjectDoesNotExist)
        profile = None
    if profile is not None:
        name = " ".join(part for part in (profile.given_name, profile.family_name) if part)
        if name:
            degree = profile.get_degree_display() if profile.degree and profile.degree != "other" else ""
            degree = profile.degree_other if profile.degree == "other" else degree
            return f"{name}, {degree}" if degree else name
    return _("A member")


def _base(*, viewer) -> QuerySet[Comment]:
    queryset = (
        Comment.objects.select_related("author__profile", "hidden_by", "pinned_by")
        .prefetch_related(
            Prefetch("references", queryset=CommentReference.objects.order_by("position", "id"))
        )
        .annotate(helpful_count=Count("helpful_marks", distinct=True))
    )
    if getattr(viewer, "is_authenticated", False):
        queryset = queryset.annotate(
            viewer_marked=Exists(HelpfulMark.objects.filter(comment=OuterRef("pk"), user_id=viewer.pk))
        )
    return queryset


def episode_comments(*, episode: Episode, viewer) -> list[Comment]:
    """The episode's discussion as its page shows it to ``viewer``: top-level comments, pinned first
    (in pin order) then oldest first, each with ``thread`` (its replies, oldest first), ``author_label``,
    ``helpful_count``, ``viewer_marked``, ``viewer_is_author`` and references prefetched.

    Shown comments for everyone; held ones only for their author ("waiting for the host") and the
    show's hosts. A comment its author deleted stays as a tombstone only while it has visible replies.
    Three queries whatever the number of comments (hosts, comments, references)."""
    is_host = is_host_of(viewer, episode.show)
    visible = Q(status=Comment.Status.SHOWN)
    if is_host:
        visible |= Q(status=Comment.Status.HELD)
    elif getattr(viewer, "is_authenticated", False):
        visible |= Q(status=Comment.Status.HELD, author_id=viewer.pk)
    rows = list(_base(viewer=viewer).filter(visible, episode=episode).order_by("created_at", "id"))
    by_id = {comment.pk: comment for comment in rows}
    top: list[Comment] = []
    for comment in rows:
        comment.thread = []  # type: ignore[attr-defined]
        comment.author_label = author_name(comment)  # type: ignore[attr-defined]
        comment.viewer_is_author = bool(  # type: ignore[attr-defined]
            getattr(viewer, "is_authenticated", False) and comment.author_id == viewer.pk
        )
        if not hasattr(comment, "viewer_marked"):
            comment.viewer_marked = False  # type: ignore[attr-defined]
    for comment in rows:
        parent = by_id.get(comment.in_reply_to_id) if comment.in_reply_to_id else None
        if comment.in_reply_to_id is None:
            top.append(comment)
        elif parent is not None:
            parent.thread.append(comment)  # type: ignore[attr-defined]
        # A reply whose parent is not visible to this viewer is not shown either.
    top = [c for c in top if c.deleted_at is None or any(r.deleted_at is None for r in c.thread)]  # type: ignore[attr-defined]
    for comment in top:
        comment.thread = [r for r in comment.thread if r.deleted_at is None]  # type: ignore[attr-defined]
    pinned = sorted((c for c in top if c.pinned_at is not None), key=lambda c: (c.pinned_at, c.pk))
    return pinned + [c for c in top if c.pinned_at is None]


def comment_by_object_id(object_id: str) -> Comment | None:
    """A remote reply by its ActivityPub id (None when unknown or empty)."""
    if not object_id:
        return None
    return Comment.objects.select_related("episode__show").filter(remote_object_id=object_id).first()


def comment_for_episode(*, episode: Episode, pk: int) -> Comment | None:
    return Comment.objects.select_related("episode__show").filter(episode=episode, pk=pk).first()


def comment_for_show(*, show: Show, pk: int) -> Comment | None:
    return Comment.objects.select_related("episode__show").filter(episode__show=show, pk=pk).first()


def _for_show(show: Show, status: str) -> list[Comment]:
    rows = list(
        _base(viewer=None)
        .select_related("episode")
        .filter(episode__show=show, status=status, deleted_at__isnull=True)
        .order_by("-created_at", "-id")[:MODERATION_LIST_LIMIT]
    )
    for comment in rows:
        comment.author_label = author_name(comment)  # type: ignore[attr-defined]
    return rows


def held_comments_for_show(show: Show) -> list[Comment]:
    """Comments waiting for a host, newest first (at most MODERATION_LIST_LIMIT)."""
    return _for_show(show, Comment.Status.HELD)


def shown_comments_for_show(show: Show) -> list[Comment]:
    return _for_show(show, Comment.Status.SHOWN)


def hidden_comments_for_show(show: Show) -> list[Comment]:
    return _for_show(show, Comment.Status.HIDDEN)


def discussion_counts(show: Show) -> dict[str, int]:
    """For the host: how many comments are held, shown and hidden on the show (one query)."""
    counts = Comment.objects.filter(episode__show=show, deleted_at__isnull=True).aggregate(
        held=Count("pk", filter=Q(status=Comment.Status.HELD)),
        shown=Count("pk", filter=Q(status=Comment.Status.SHOWN)),
        hidden=Count("pk", filter=Q(status=Comment.Status.HIDDEN)),
    )
    return {key: value or 0 for key, value in counts.items()}


def show_settings_for_page(show: Show) -> ShowDiscussion:
    """The show's settings row, or an unsaved one with the defaults."""
    found = ShowDiscussion.objects.filter(show=show).first()
    return found if found is not None else ShowDiscussion(show=show)
