"""What other servers fetch of a show's posts: its outbox (the Create activities of its public
episodes, newest first, in pages) and each object by its id (an episode's Note, a site comment as
the show's reply).

Content negotiation: ``application/activity+json`` or ``application/ld+json`` get JSON; a browser
(asking for text/html) is redirected to the page. An object that is not public answers 404, one we
published and then deleted 410 with its Tombstone (to servers; a browser gets the 404 page)."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.paginator import EmptyPage, Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from discussion.models import Comment
from episodes.models import Episode, Show

from .models import FederatedObject
from .notes import comment_note, comment_note_id, document, episode_note, episode_note_id, iso, note_facts
from .sync import comment_is_federated, create_activity, episode_is_federated, federated_episodes
from .views_protocol import activity_response, wants_html

OUTBOX_PAGE_SIZE = 20


def _negotiated_redirect(path: str) -> HttpResponse:
    response = redirect(path)
    patch_vary_headers(response, ["Accept"])
    return response


def _deleted(row: FederatedObject | None, note_id: str, request: HttpRequest) -> HttpResponse:
    if row is None or row.deleted_at is None or wants_html(request):
        raise Http404
    tombstone = {"id": note_id, "type": "Tombstone", "formerType": "Note", "deleted": iso(row.deleted_at)}
    return activity_response(document(tombstone), status=410)


def _object_response(
    request: HttpRequest,
    *,
    public: bool,
    row: FederatedObject | None,
    note_id: str,
    page: str,
    note: Callable[[datetime | None], dict[str, Any]],
) -> HttpResponse:
    """One of our Notes by its id: 404 or its Tombstone when not public, the page for a browser,
    else the Note (with ``updated`` when an Update was sent for it)."""
    if not public:
        return _deleted(row, note_id, request)
    if wants_html(request):
        return _negotiated_redirect(page)
    updated = row.updated_at if row is not None and row.deleted_at is None else None
    return activity_response(document(note(updated)))


@require_safe
def episode_object(request: HttpRequest, pk: int) -> HttpResponse:
    episode = get_object_or_404(Episode.objects.select_related("show"), pk=pk)
    return _object_response(
        request,
        public=episode_is_federated(episode),
        row=FederatedObject.objects.filter(kind=FederatedObject.Kind.EPISODE, episode=episode).first(),
        note_id=episode_note_id(episode),
        page=episode.get_absolute_url(),
        note=lambda updated: episode_note(episode, updated=updated),
    )


@require_safe
def comment_object(request: HttpRequest, pk: int) -> HttpResponse:
    comment = get_object_or_404(
        Comment.objects.select_related("episode__show", "in_reply_to", "author__profile"),
        pk=pk,
        origin=Comment.Origin.SITE,
    )
    return _object_response(
        request,
        public=comment_is_federated(comment),
        row=FederatedObject.objects.filter(kind=FederatedObject.Kind.COMMENT, comment=comment).first(),
        note_id=comment_note_id(comment),
        page=comment.get_absolute_url(),
        note=lambda updated: comment_note(comment, updated=updated),
    )


@require_safe
def outbox(request: HttpRequest, slug: str) -> HttpResponse:
    """The show's outbox: an OrderedCollection whose pages (``?page=1`` ...) hold the Create
    activities of its public episodes, newest first, 20 a page."""
    show = get_object_or_404(Show, slug=slug)
    if wants_html(request):
        return _negotiated_redirect(show.get_absolute_url())
    base = settings.SITE_URL + reverse("fediverse:outbox", args=[show.slug])
    episodes = (
        federated_episodes(show)
        .order_by("-publish_at", "-id")
        .select_related("show")
        .prefetch_related("topics")
    )
    paginator = Paginator(episodes, OUTBOX_PAGE_SIZE, allow_empty_first_page=True)
    raw_page = request.GET.get("page")
    if raw_page is None:
        return activity_response(
            document(
                {
                    "id": base,
                    "type": "OrderedCollection",
                    "totalItems": paginator.count,
                    "first": f"{base}?page=1",
                    "last": f"{base}?page={paginator.num_pages}",
                }
            )
        )
    if not raw_page.isdigit() or int(raw_page) < 1:
        return HttpResponseBadRequest("page must be a whole number from 1.", content_type="text/plain")
    try:
        page = paginator.page(int(raw_page))
    except EmptyPage:
        raise Http404 from None
    published = dict(
        FederatedObject.objects.filter(
            kind=FederatedObject.Kind.EPISODE,
            episode__in=[episode.pk for episode in page.object_list],
            deleted_at__isnull=True,
        ).values_list("episode_id", "published_at")
    )
    items = []
    facts = note_facts(list(page.object_list))
    for episode in page.object_list:
        note = episode_note(episode, facts=facts[episode.pk])
        # The id the delivery had (same moment); an episode never announced takes its publish time.
        items.append(create_activity(show, note, published.get(episode.pk) or episode.publish_at))
    data: dict[str, Any] = {
        "id": f"{base}?page={page.number}",
        "type": "OrderedCollectionPage",
        "partOf": base,
        "totalItems": paginator.count,
        "orderedItems": [{key: value for key, value in item.items() if key != "@context"} for item in items],
    }
    if page.has_next():
        data["next"] = f"{base}?page={page.next_page_number()}"
    if page.has_previous():
        data["prev"] = f"{base}?page={page.previous_page_number()}"
    return activity_response(document(data))
