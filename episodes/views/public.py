"""Public pages: home (shows), show, episode, topic and search."""

from urllib.parse import quote

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.permissions import is_host_of

from .. import embed, episode_transcripts, selectors
from ..models import Show

EPISODES_PER_PAGE = 20


def _page(request, queryset) -> Page:
    # get_page() turns a non-number into page 1 and a number past the end into the last page.
    return Paginator(queryset, EPISODES_PER_PAGE).get_page(request.GET.get("page"))


def subscribe_links(show: Show) -> list[dict[str, str]]:
    """Where a listener can follow the show: the feed itself and the apps that open a feed URL."""
    return feed_subscribe_links(show.feed_url, spotify_search=show.title)


def feed_subscribe_links(feed: str, *, spotify_search: str = "") -> list[dict[str, str]]:
    """The links for any feed URL (a show's, a topic's); Spotify only with a title to search for."""
    bare = feed.split("://", 1)[-1]
    links = [
        {"name": _("RSS feed"), "url": feed, "kind": "rss"},
        {"name": _("Apple Podcasts"), "url": "podcast://" + bare, "kind": "apple"},
    ]
    if spotify_search:
        # Spotify cannot subscribe to a feed URL; its search finds the show once it is submitted there.
        links.append(
            {
                "name": _("Spotify"),
                "url": "https://open.spotify.com/search/" + quote(spotify_search),
                "kind": "spotify",
            }
        )
    return links + [
        {
            "name": _("Overcast"),
            "url": "overcast://x-callback-url/add?url=" + quote(feed, safe=""),
            "kind": "overcast",
        },
        {"name": _("AntennaPod"), "url": "antennapod-subscribe://" + bare, "kind": "antennapod"},
    ]


def home(request):
    return render(request, "episodes/home.html", {"shows": selectors.show_list()})


def show_detail(request, slug):
    show = selectors.show_by_slug(slug=slug)
    if show is None:
        raise Http404(_("There is no show at this address."))
    return render(
        request,
        "episodes/show.html",
        {
            "show": show,
            "page_obj": _page(request, selectors.show_episodes(show=show)),
            "subscribe_links": subscribe_links(show),
        },
    )


def episode_detail(request, show_slug, slug):
    episode = selectors.episode_for_page(show_slug=show_slug, slug=slug)
    preview = False
    if episode is None and request.user.is_authenticated:
        # A host may look at their own draft or scheduled episode before listeners can.
        episode = selectors.episode_for_page(show_slug=show_slug, slug=slug, include_unpublished=True)
        preview = episode is not None and is_host_of(request.user, episode.show)
        if not preview:
            episode = None
    if episode is None:
        raise Http404(_("There is no public episode at this address."))
    return render(
        request,
        "episodes/episode.html",
        {
            "episode": episode,
            "show": episode.show,
            "preview": preview,
            # Parsed once when the file was stored: the page never reads the file.
            "transcript": episode_transcripts.transcript_for_page(episode),
            "chapters": episode_transcripts.episode_chapters(episode),
            # Only what other sites may frame: a public episode of a show that has not moved away.
            "embed": None if preview or episode.show.moved_away_at else embed.page_embed(episode),
        },
    )


def topic_detail(request, slug):
    topic = selectors.topic_by_slug(slug=slug)
    if topic is None:
        raise Http404(_("There is no such topic."))
    # The topic's feed (episodes/topic_feeds.py); Spotify cannot open a feed URL and does not list it.
    feed_url = settings.SITE_URL + reverse("episodes:topic_feed", args=[topic.slug])
    return render(
        request,
        "episodes/topic.html",
        {
            "topic": topic,
            "page_obj": _page(request, selectors.topic_episodes(topic=topic)),
            "feed_url": feed_url,
            "subscribe_links": feed_subscribe_links(feed_url),
        },
    )


def search(request):
    query = request.GET.get("q", "").strip()
    context = {"q": query, "max_chars": selectors.SEARCH_MAX_CHARS, "page_obj": None, "error": ""}
    status = 200
    if len(query) > selectors.SEARCH_MAX_CHARS:
        context["error"] = _("Your search is too long: use at most %(max)d characters.") % {
            "max": selectors.SEARCH_MAX_CHARS
        }
        context["q"] = query[: selectors.SEARCH_MAX_CHARS]
        status = 400
    elif query and not selectors.search_terms(query):
        context["error"] = _("Type a word to search for.")
        status = 400
    elif query:
        context["page_obj"] = _page(request, selectors.episode_search(query=query))
        context["page_query"] = f"q={quote(query)}&"
    return render(request, "episodes/search.html", context, status=status)
