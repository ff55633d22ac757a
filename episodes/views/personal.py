"""Personal feeds: the listener's private feed and audio URLs, and the account page to manage them."""

import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import get_conditional_response
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from accounts.permissions import AuthenticatedHttpRequest, answers_before_sessions

from ..analytics.buffer import counting_enabled, recorder_for
from ..delivery import serve_file
from ..edge import signed_audio_path, signing_enabled
from ..feeds import build_personal_feed
from ..models import Episode, PersonalFeed, Show
from ..personal_feeds import (
    personal_feed_get_or_create,
    personal_feed_lookup,
    personal_feed_regenerate,
    personal_feed_revoke,
    personal_feed_url,
)

PRIVATE = "private, max-age=300"


def _feed_or_404(token: str) -> PersonalFeed:
    feed = personal_feed_lookup(token)
    if feed is None or not feed.user.is_active:
        raise Http404  # revoked, guessed or malformed: the same answer, nothing revealed
    return feed


@answers_before_sessions
@require_safe
def personal_feed(request, token: str, slug: str):
    feed = _feed_or_404(token)
    if feed.show.slug != slug:
        raise Http404
    body = build_personal_feed(feed.show, token, user=feed.user)
    etag = f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'
    not_modified = get_conditional_response(request, etag=etag)
    if not_modified is not None:
        not_modified["Cache-Control"] = PRIVATE
        return not_modified
    response = HttpResponse(body, content_type="application/rss+xml; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = PRIVATE
    response["X-Robots-Tag"] = "noindex"
    return response


@answers_before_sessions
@require_safe
def personal_audio(request, token: str, pk: int, slug: str, ext: str):
    feed = _feed_or_404(token)
    episode = Episode.objects.filter(pk=pk, show=feed.show).published().first()
    if episode is None or slug != episode.slug or ext != episode.audio_extension:
        raise Http404
    if signing_enabled():
        # nginx sends the bytes from a link that expires soon (secure_link); the token is checked here
        # on every request, so a revoked feed gets no new link. Counted from nginx's access log.
        response = HttpResponseRedirect(signed_audio_path(feed, episode))
        response["Cache-Control"] = "no-store"
        return response
    return serve_file(
        request,
        episode.audio,
        content_type=episode.audio_mime,
        cache_control="private, max-age=86400",
        download_name=f"{episode.slug}.{ext}",
        # Downloads through a personal feed are the listener's: listening evidence for CME claims.
        on_served=recorder_for(episode, user=feed.user) if counting_enabled() else None,
    )


# Actions that break the address a podcast app is subscribed to.
CONFIRMED_ACTIONS = {"regenerate", "revoke"}


@login_required
def my_feeds(request: AuthenticatedHttpRequest):
    if request.method == "POST":
        show = get_object_or_404(Show, slug=request.POST.get("show", ""))
        action = request.POST.get("action")
        if action in CONFIRMED_ACTIONS and request.POST.get("confirm") != "1":
            # The old address stops working in the listener's podcast app: ask first (no JavaScript
            # needed); the confirm page posts the same action with confirm=1.
            return render(request, "episodes/personal_feed_confirm.html", {"show": show, "action": action})
        if action == "create":
            personal_feed_get_or_create(user=request.user, show=show)
            messages.success(request, _("Your personal feed for %(show)s is ready.") % {"show": show.title})
        elif action == "regenerate":
            personal_feed_regenerate(user=request.user, show=show)
            messages.success(
                request, _("New address made: the old one no longer works. Re-subscribe in your app.")
            )
        elif action == "revoke":
            personal_feed_revoke(user=request.user, show=show)
            messages.success(request, _("Personal feed revoked: its address no longer works."))
        else:
            messages.error(request, _("Unknown action."))
            return render(request, "episodes/personal_feeds.html", _context(request), status=400)
        return redirect("episodes:my_feeds")
    return render(request, "episodes/personal_feeds.html", _context(request))


def _context(request) -> dict:
    active = {
        f.show_id: f
        for f in PersonalFeed.objects.filter(user=request.user, revoked_at__isnull=True).select_related(
            "show"
        )
    }
    rows = [{"show": show, "url": personal_feed_url(active[show.pk]) if show.pk in active else None,
             "has_feed": show.pk in active} for show in Show.objects.order_by("title")]  # fmt: skip
    return {"rows": rows}
