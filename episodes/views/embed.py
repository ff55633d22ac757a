"""The embeddable player and its oEmbed endpoint (docs/embedding.md).

The player is framed by other sites: only this route drops X-Frame-Options and allows any frame
ancestor. It sets no cookie at all: it never reads ``request.user`` or the session, and its
template has no CSRF token (it has no form).
"""

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from .. import embed, episode_transcripts

FRAMED_BY_ANYONE = {"frame-ancestors": ["*"]}


@require_safe
def episode_embed(request, pk):
    episode = embed.embeddable_episode(pk)
    if episode is None:
        raise Http404("There is no public episode at this address.")
    response = render(
        request,
        "episodes/embed.html",
        {
            "episode": episode,
            "show": episode.show,
            "page_url": settings.SITE_URL + episode.get_absolute_url(),
            "chapters": episode_transcripts.episode_chapters(episode),
            "credit": embed.credit_line(episode),
        },
    )
    # This route only: no X-Frame-Options (what @xframe_options_exempt sets) and any frame ancestor
    # (what django-csp's @csp_replace sets; its typing takes no URL arguments).
    response.xframe_options_exempt = True
    response._csp_replace = FRAMED_BY_ANYONE  # type: ignore[attr-defined]  # read by django-csp
    return response


def _error(status: int, message: str) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def _limit(value: str | None) -> int | None:
    """A maxwidth/maxheight value: None when absent, ValueError when not a positive integer."""
    if value is None or value == "":
        return None
    if not value.isascii() or not value.isdigit() or int(value) <= 0:
        raise ValueError(value)
    return int(value)


@require_safe
def oembed(request):
    """oEmbed 1.0 (https://oembed.com), "rich" type, JSON only (501 for any other format)."""
    url = request.GET.get("url", "").strip()
    if not url:
        return _error(400, "The url parameter is required.")
    if request.GET.get("format", "json") != "json":
        return _error(501, "Only format=json is offered.")
    try:
        max_width = _limit(request.GET.get("maxwidth"))
        max_height = _limit(request.GET.get("maxheight"))
    except ValueError:
        return _error(400, "maxwidth and maxheight must be positive whole numbers of pixels.")
    episode = embed.episode_from_page_url(url)
    if episode is None:
        return _error(404, "That URL is not a public episode page of this site.")
    width = (
        embed.DEFAULT_WIDTH
        if max_width is None
        else max(embed.MIN_WIDTH, min(embed.DEFAULT_WIDTH, max_width))
    )
    height = (
        embed.DEFAULT_HEIGHT
        if max_height is None
        else max(embed.MIN_HEIGHT, min(embed.DEFAULT_HEIGHT, max_height))
    )
    data = {
        "version": "1.0",
        "type": "rich",
        "title": episode.title,
        "author_name": episode.show.title,
        "author_url": settings.SITE_URL + episode.show.get_absolute_url(),
        "provider_name": "podcastcme",
        "provider_url": settings.SITE_URL + "/",
        "html": embed.iframe_html(episode, width=width, height=height),
        "width": width,
        "height": height,
    }
    thumbnail = embed.thumbnail(episode)
    if thumbnail is not None:
        url, size = thumbnail
        data |= {"thumbnail_url": url, "thumbnail_width": size, "thumbnail_height": size}
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})
