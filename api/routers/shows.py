"""Shows: every show, and one show's public episodes."""

from django.http import HttpRequest, HttpResponse
from ninja import Router

from episodes.models import Show

from .. import selectors
from ..errors import NotFound
from ..pagination import PageQuery, paginate
from ..schemas import EpisodePage, ErrorOut, ShowOut, ShowPage
from .episodes import episode_out
from .links import api_url, site

router = Router(tags=["shows"])


def show_out(show: Show) -> dict:
    return {
        "slug": show.slug,
        "title": show.title,
        "description": show.description,
        "author": show.author,
        "language": show.language,
        "category": show.category,
        "explicit": show.explicit,
        "show_type": show.show_type,
        "complete": show.complete,
        "public_episode_count": getattr(show, "public_episode_count", 0),
        "url": site(show.get_absolute_url()),
        "feed_url": site(show.get_feed_url()),
        "api_url": api_url("show", show.slug),
    }


def _show(slug: str) -> Show:
    show = selectors.show(slug=slug)
    if show is None:
        raise NotFound(f"No show with the slug '{slug}'.")
    return show


@router.get("", response={200: ShowPage, 400: ErrorOut}, url_name="shows", summary="List shows")
def list_shows(request: HttpRequest, response: HttpResponse, params: PageQuery):
    return paginate(request, response, selectors.shows(), params, out=show_out)


@router.get("/{slug}", response={200: ShowOut, 404: ErrorOut}, url_name="show", summary="One show")
def get_show(request: HttpRequest, slug: str):
    return show_out(_show(slug))


@router.get(
    "/{slug}/episodes",
    response={200: EpisodePage, 400: ErrorOut, 404: ErrorOut},
    url_name="show_episodes",
    summary="A show's public episodes",
)
def list_show_episodes(request: HttpRequest, response: HttpResponse, slug: str, params: PageQuery):
    return paginate(request, response, selectors.show_episodes(show=_show(slug)), params, out=episode_out)
