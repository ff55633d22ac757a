"""Topics (with at least one public episode) and their public episodes across shows."""

from django.http import HttpRequest, HttpResponse
from ninja import Router

from episodes.models import Topic

from .. import selectors
from ..errors import NotFound
from ..pagination import PageQuery, paginate
from ..schemas import EpisodePage, ErrorOut, TopicOut, TopicPage
from .episodes import episode_out
from .links import api_url, site

router = Router(tags=["topics"])


def topic_out(topic: Topic) -> dict:
    return {
        "slug": topic.slug,
        "name": topic.name,
        "public_episode_count": getattr(topic, "public_episode_count", 0),
        "url": site(topic.get_absolute_url()),
        "api_url": api_url("topic", topic.slug),
    }


def _topic(slug: str) -> Topic:
    topic = selectors.topic(slug=slug)
    if topic is None:
        raise NotFound(f"No topic with the slug '{slug}' (or none of its episodes is public).")
    return topic


@router.get("", response={200: TopicPage, 400: ErrorOut}, url_name="topics", summary="List topics")
def list_topics(request: HttpRequest, response: HttpResponse, params: PageQuery):
    return paginate(request, response, selectors.topics(), params, out=topic_out)


@router.get("/{slug}", response={200: TopicOut, 404: ErrorOut}, url_name="topic", summary="One topic")
def get_topic(request: HttpRequest, slug: str):
    return topic_out(_topic(slug))


@router.get(
    "/{slug}/episodes",
    response={200: EpisodePage, 400: ErrorOut, 404: ErrorOut},
    url_name="topic_episodes",
    summary="A topic's public episodes, across shows",
)
def list_topic_episodes(request: HttpRequest, response: HttpResponse, slug: str, params: PageQuery):
    return paginate(request, response, selectors.topic_episodes(topic=_topic(slug)), params, out=episode_out)
