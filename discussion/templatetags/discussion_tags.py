"""The discussion section of an episode page: ``{% load discussion_tags %}{% episode_discussion episode %}``.

After a refused post the view renders the episode page again with ``discussion_form`` (or
``discussion_reply_form`` and ``discussion_reply_to``) in the context: the tag shows that bound form,
its input and its errors instead of an empty one."""

from typing import Any

from django import template

from accounts.permissions import is_host_of
from episodes.models import Episode

from .. import references, selectors, services
from ..forms import CommentForm
from ..models import Comment, CommentReference

register = template.Library()


@register.inclusion_tag("discussion/_discussion.html", takes_context=True)
def episode_discussion(context, episode: Episode) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if episode.pk is None or not episode.is_public:  # a host's preview: no discussion yet
        return {"show_discussion": False}
    settings_row = selectors.show_settings_for_page(episode.show)
    logged_in = bool(getattr(user, "is_authenticated", False))
    verified = logged_in and services.has_verified_email(user)
    reply_to = context.get("discussion_reply_to")
    return {
        "show_discussion": True,
        "episode": episode,
        "request": request,
        "user": user,
        "comments": selectors.episode_comments(episode=episode, viewer=user),
        "comments_open": settings_row.comments_open,
        "logged_in": logged_in,
        "can_comment": verified and settings_row.comments_open,
        "verified": verified,
        "is_host": is_host_of(user, episode.show),
        "form": context.get("discussion_form") or CommentForm(),
        "reply_form": context.get("discussion_reply_form"),
        "reply_to": reply_to,
        "login_url_next": f"{episode.get_absolute_url()}#discussion",
    }


@register.simple_tag
def reply_form_for(comment: Comment, reply_to, reply_form) -> CommentForm:
    """The reply form under ``comment``: the bound one after a refusal, else an empty one."""
    if reply_form is not None and reply_to == comment.pk:
        return reply_form
    return CommentForm(initial={"in_reply_to": comment.pk}, prefix_id=f"reply-{comment.pk}")


@register.filter
def cite_href(reference: CommentReference) -> str:
    return references.citation_href(reference.kind, reference.value)


@register.filter
def cite_label(reference: CommentReference) -> str:
    return references.citation_label(reference.kind, reference.value)


@register.filter
def http_url(value: str) -> str:
    """The address if it is http(s), else empty (a remote server's field is never trusted as a link)."""
    value = (value or "").strip()
    return value if value.lower().startswith(("https://", "http://")) else ""
