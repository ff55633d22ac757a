"""Pages of the discussion: posting a comment or reply and marking one helpful (from the episode
page, Post/Redirect/Get), and the host's moderation page for a show. Thin: the services decide."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.permissions import host_required, is_host_of
from episodes import episode_transcripts
from episodes import selectors as episode_selectors
from episodes.models import Episode, Show

from . import selectors, services
from .errors import DiscussionError
from .forms import CommentForm, HideForm, ModerationForm
from .models import Comment


def _episode_url(episode: Episode, anchor: str = "discussion") -> str:
    return f"{episode.get_absolute_url()}#{anchor}"


def _episode_page(request, episode: Episode, *, context: dict, status: int) -> HttpResponse:
    """The episode page again, with the discussion's bound form and its errors (input kept)."""
    return render(
        request,
        "episodes/episode.html",
        {
            "episode": episode,
            "show": episode.show,
            "preview": False,
            "transcript": episode_transcripts.transcript_for_page(episode),
            "chapters": episode_transcripts.episode_chapters(episode),
            **context,
        },
        status=status,
    )


def _refused(request, error: DiscussionError, *, back: str) -> HttpResponse:
    return render(
        request, "discussion/refused.html", {"message": error.message, "back": back}, status=error.status
    )


@require_POST
def comment_create(request, show_slug: str, slug: str):
    """A site comment or reply on a public episode: to the login page when logged out, 403 without a
    verified email, otherwise back to the episode page (its new comment) or the page again with the
    form, its input and the reason (400, 403 closed, 429 too many)."""
    episode = episode_selectors.episode_for_page(show_slug=show_slug, slug=slug)
    if episode is None:
        raise Http404(_("There is no public episode at this address."))
    if not request.user.is_authenticated:
        return redirect_to_login(_episode_url(episode))
    if not services.has_verified_email(request.user):
        raise PermissionDenied(_("Verify your email address to comment."))
    reply_to = request.POST.get("in_reply_to", "")
    reply_to = reply_to if reply_to.isdigit() else ""
    # A reply's form carries its comment in its ids, as the page shows it under that comment.
    form = CommentForm(request.POST, prefix_id=f"reply-{reply_to}" if reply_to else "")
    parent = selectors.comment_for_episode(episode=episode, pk=int(reply_to)) if reply_to else None
    if reply_to and parent is None:
        form.add_error(None, _("The comment you reply to is not there any more."))
    status = 400
    if form.is_valid():
        try:
            comment = services.comment_post(
                user=request.user,
                episode=episode,
                body=form.cleaned_data["body"],
                references=form.cleaned_data["references"],
                in_reply_to=parent,
            )
        except DiscussionError as error:
            form.add_error(None, error.message)
            status = error.status
        else:
            if comment.status == Comment.Status.SHOWN:
                messages.success(request, _("Your comment is published."))
            else:
                messages.success(request, _("Thank you: your comment is waiting for the host to approve it."))
            return redirect(_episode_url(episode, f"comment-{comment.pk}"))
    if parent is not None and parent.status == Comment.Status.SHOWN and parent.deleted_at is None:
        context = {"discussion_reply_form": form, "discussion_reply_to": parent.pk}
    else:  # no reply form to show it under: the main form, with the text and the reason
        data = request.POST.copy()
        data.pop("in_reply_to", None)
        main = CommentForm(data)
        main.full_clean()
        for problem in form.non_field_errors():
            main.add_error(None, problem)
        context = {"discussion_form": main}
    return _episode_page(request, episode, context=context, status=status)


@require_POST
def helpful(request, pk: int):
    """Mark a comment helpful or take the mark back (logged in; not one's own)."""
    comment = get_object_or_404(Comment.objects.select_related("episode__show"), pk=pk)
    if not comment.episode.is_public:
        raise Http404
    back = _episode_url(comment.episode, f"comment-{comment.pk}")
    if not request.user.is_authenticated:
        return redirect_to_login(back)
    try:
        marked = services.helpful_toggle(comment=comment, user=request.user)
    except DiscussionError as error:
        return _refused(request, error, back=back)
    messages.success(
        request, _("You marked the comment helpful.") if marked else _("You took back your helpful mark.")
    )
    return redirect(back)


# --- The host's moderation page -------------------------------------------------------------------


def _hosted_show(request, slug: str) -> Show:
    """The show, if this user hosts it; otherwise 404 (other hosts do not learn that it exists)."""
    show = get_object_or_404(Show, slug=slug)
    if not is_host_of(request.user, show):
        raise Http404
    return show


def _moderation_url(show: Show, anchor: str = "") -> str:
    url = reverse("discussion:host_discussion", args=[show.slug])
    return f"{url}#{anchor}" if anchor else url


def _moderation_page(request, show: Show, *, form: ModerationForm | None = None, status: int = 200):
    current = selectors.show_settings_for_page(show)
    if form is None:
        initial = {"moderation": current.moderation, "comments_open": current.comments_open}
        form = ModerationForm(initial=initial)
    return render(
        request,
        "discussion/host_discussion.html",
        {
            "show": show,
            "form": form,
            "settings_row": current,
            "counts": selectors.discussion_counts(show),
            "held": selectors.held_comments_for_show(show),
            "shown": selectors.shown_comments_for_show(show),
            "hidden": selectors.hidden_comments_for_show(show),
            "hide_form": HideForm(),
            "max_pinned": services.MAX_PINNED,
        },
        status=status,
    )


@host_required
@require_http_methods(["GET", "POST"])
def host_discussion(request, slug: str):
    """The show's discussion for its hosts: the moderation rule, held, shown and hidden comments."""
    show = _hosted_show(request, slug)
    if request.method == "POST":
        form = ModerationForm(request.POST)
        if form.is_valid():
            try:
                services.moderation_set(
                    show=show,
                    by=request.user,
                    moderation=form.cleaned_data["moderation"],
                    comments_open=form.cleaned_data["comments_open"],
                )
            except DiscussionError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("The discussion settings are saved."))
                return redirect(_moderation_url(show))
        return _moderation_page(request, show, form=form, status=400)
    return _moderation_page(request, show)


_ACTIONS = {
    "approve": (services.comment_approve, _("The comment is shown.")),
    "pin": (services.comment_pin, _("The comment is pinned.")),
    "unpin": (services.comment_unpin, _("The comment is no longer pinned.")),
    "show": (services.comment_show_again, _("The comment is shown again.")),
}


@host_required
@require_POST
def host_comment_action(request, slug: str, pk: int, action: str):
    """Approve, pin, unpin or show again one comment of the show, then back to the moderation page."""
    show = _hosted_show(request, slug)
    comment = selectors.comment_for_show(show=show, pk=pk)
    if comment is None or action not in _ACTIONS:
        raise Http404
    service, done = _ACTIONS[action]
    try:
        service(comment=comment, by=request.user)
    except DiscussionError as error:
        messages.error(request, error.message)
        return _moderation_page(request, show, status=error.status)
    messages.success(request, str(done))
    return redirect(_moderation_url(show, f"comment-{comment.pk}"))


@host_required
@require_http_methods(["GET", "POST"])
def host_comment_hide(request, slug: str, pk: int):
    """Hide a comment with a reason: GET asks for the reason and confirmation, POST hides it."""
    show = _hosted_show(request, slug)
    comment = selectors.comment_for_show(show=show, pk=pk)
    if comment is None:
        raise Http404
    form = HideForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.comment_hide(comment=comment, by=request.user, reason=form.cleaned_data["reason"])
            except DiscussionError as error:
                form.add_error(None, error.message)
                status = error.status
            else:
                messages.success(request, _("The comment is hidden; you can show it again from the list."))
                return redirect(_moderation_url(show, "hidden-comments"))
    comment.author_label = selectors.author_name(comment)  # type: ignore[attr-defined]
    return render(
        request,
        "discussion/host_hide_confirm.html",
        {"show": show, "comment": comment, "form": form},
        status=status,
    )
