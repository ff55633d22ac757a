"""Public episodes (published, and their publish time has come: drafts and scheduled ones are 404)."""

from django.http import HttpRequest, HttpResponse
from ninja import Path, Router

from credits.models import Activity
from episodes.models import Episode

from .. import selectors
from ..errors import NotFound
from ..pagination import PageQuery, paginate
from ..schemas import EpisodeOut, EpisodePage, ErrorOut
from .links import api_url, site

router = Router(tags=["episodes"])


def _activity_id(episode: Episode) -> int | None:
    activity = getattr(episode, "activity", None)  # joined by the selector: no query
    if activity is None or activity.status == Activity.Status.DRAFT:
        return None
    return activity.pk


def episode_out(episode: Episode) -> dict:
    return {
        "id": episode.pk,
        "show": episode.show.slug,
        "show_title": episode.show.title,
        "title": episode.title,
        "slug": episode.slug,
        "season": episode.season,
        "number": episode.number,
        "episode_type": episode.episode_type,
        "explicit": episode.explicit,
        "published_at": episode.publish_at,
        "duration_seconds": episode.audio_duration,
        "audio_url": site(episode.get_audio_url()),
        "audio_mime": episode.audio_mime,
        "audio_size": episode.audio_size,
        "topics": [t.slug for t in episode.topics.all()],
        "url": site(episode.get_absolute_url()),
        "api_url": api_url("episode", episode.pk),
        "activity_id": _activity_id(episode),
    }


@router.get(
    "", response={200: EpisodePage, 400: ErrorOut}, url_name="episodes", summary="List public episodes"
)
def list_episodes(request: HttpRequest, response: HttpResponse, params: PageQuery):
    return paginate(request, response, selectors.public_episodes(), params, out=episode_out)


@router.get(
    "/{episode_id}",
    response={200: EpisodeOut, 400: ErrorOut, 404: ErrorOut},
    url_name="episode",
    summary="One public episode",
)
def get_episode(request: HttpRequest, episode_id: int = Path(..., ge=1)):
    episode = selectors.public_episode(pk=episode_id)
    if episode is None:
        raise NotFound(f"No public episode with id {episode_id}.")
    return episode_out(episode)
