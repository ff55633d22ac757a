"""The RSS feeds of a show and of a topic: cached, conditional (ETag / Last-Modified), gzip-aware,
GET and HEAD."""

import re

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseNotModified, HttpResponsePermanentRedirect
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from accounts.permissions import answers_before_sessions

from ..feeds import FeedState, current_feed
from ..moving import moved_feed
from ..topic_feeds import canonical_slug, current_topic_feed
from .moving import moved_feed_response

_ACCEPTS_GZIP = re.compile(r"\bgzip\b(?!\s*;\s*q=0(?:\.0*)?\s*(?:,|$))")


def _not_modified(state) -> HttpResponseNotModified:
    """The 304 Django's get_conditional_response would answer for this feed (same headers)."""
    response = HttpResponseNotModified()
    response.headers["ETag"] = state.etag
    response.headers["Last-Modified"] = state.last_modified_http
    response.headers["Cache-Control"] = f"public, max-age={settings.PODCASTCME_FEED_MAX_AGE}"
    response.headers["Vary"] = "Accept-Encoding"
    return response


@answers_before_sessions
@require_safe
def show_feed(request, slug):
    """Answer podcast apps polling ``/shows/<slug>/feed.xml``.

    A show with ``new_feed_url`` still gets 200 and the feed (which then carries
    itunes:new-feed-url), not a 301: the URL is typed by a host and a permanent redirect is cached
    by apps and directories for good, so a mistake could not be undone; apps that read the tag move
    on their own, and the others keep a working feed. A 301 can be added at the web server once the
    new feed is confirmed to work. A show the host moved away (episodes/moving.py, a confirmed and
    audited step) answers 301 to its new feed, with a minimal feed carrying the tag as the body.
    """
    state = current_feed(slug)
    if state is None:
        raise Http404(_("There is no show at this address."))
    move = moved_feed(slug, state.version)  # no query unless the show changed since last asked
    if move is not None:
        return moved_feed_response(request, move)
    return _feed_response(request, state)


@answers_before_sessions
@require_safe
def topic_feed(request, slug):
    """``/topics/<slug>/feed.xml``: the topic's episodes from every show (episodes/topic_feeds.py).

    A slug in another case (``/topics/POCUS/feed.xml``, typed from the hashtag) answers 301 to the
    topic's own address, so an app keeps one subscription whatever case it was given.
    """
    state = current_topic_feed(slug)
    if state is None:
        canonical = canonical_slug(slug)
        if canonical is None:
            raise Http404(_("There is no such topic."))
        return HttpResponsePermanentRedirect(reverse("episodes:topic_feed", args=[canonical]))
    return _feed_response(request, state)


def _feed_response(request, state: FeedState):
    """The feed, or 304 when the app has it already: the same answer for a show and a topic."""
    if request.META.get("HTTP_IF_NONE_MATCH") == state.etag:
        # The poll of an app that has this feed, echoing its ETag exactly (nearly every poll):
        # 304 with the validators and caching headers only, without building the full answer
        # first. Any other conditional request takes the general path below.
        return _not_modified(state)

    # The gzip body is compressed once per build, not per request (GZipMiddleware would redo it
    # for every poll). Both bodies share one weak ETag, so a 304 works whichever one a client got.
    use_gzip = bool(_ACCEPTS_GZIP.search(request.headers.get("Accept-Encoding", "")))
    body = state.gzipped if use_gzip else state.body

    response = HttpResponse(content_type="application/rss+xml; charset=utf-8")
    response.headers["ETag"] = state.etag
    response.headers["Last-Modified"] = state.last_modified_http
    response.headers["Cache-Control"] = f"public, max-age={settings.PODCASTCME_FEED_MAX_AGE}"
    patch_vary_headers(response, ["Accept-Encoding"])

    not_modified = get_conditional_response(
        request, etag=state.etag, last_modified=int(state.last_modified.timestamp()), response=response
    )
    if not_modified is not response:
        return not_modified  # 304 with the same validators and Cache-Control

    if use_gzip:
        response.headers["Content-Encoding"] = "gzip"
    response.headers["Content-Length"] = str(len(body))
    if request.method == "GET":  # HEAD: the same headers, no body
        response.content = body
    return response
