"""The public ActivityPub and discovery endpoints of the shows: WebFinger, NodeInfo, each show's
actor document and followers collection (the inbox is ``inbox.py``). docs/fediverse.md."""

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.html import escape, format_html
from django.views.decorators.http import require_GET

from credits import selectors as credit_selectors
from discussion.sanitise import site_html
from episodes.models import Episode, Show

from .keys import actor_key, actor_url, key_id, site_host
from .models import Follower
from .remote import ACTIVITY_JSON

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"
ACTOR_CONTEXT = [
    AS_CONTEXT,
    SECURITY_CONTEXT,
    {
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "toot": "http://joinmastodon.org/ns#",
        "discoverable": "toot:discoverable",
        "indexable": "toot:indexable",
        "schema": "http://schema.org#",
        "PropertyValue": "schema:PropertyValue",
        "value": "schema:value",
    },
]
NODEINFO_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/2.0"


def activity_response(data: dict, *, status: int = 200) -> JsonResponse:
    response = JsonResponse(
        data, status=status, content_type=ACTIVITY_JSON, json_dumps_params={"ensure_ascii": False}
    )
    response["Vary"] = "Accept"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def wants_html(request: HttpRequest) -> bool:
    """A browser (text/html preferred to any ActivityPub type) rather than a server."""
    accept = request.headers.get("Accept", "").lower()
    if "activity+json" in accept or "ld+json" in accept:
        return False
    return "text/html" in accept


def _absolute(path: str) -> str:
    return settings.SITE_URL + path if path.startswith("/") else path


# --- WebFinger and NodeInfo ------------------------------------------------------------------------


def _webfinger_show(resource: str) -> Show | None | HttpResponse:
    """The show a WebFinger resource names: ``acct:slug@host``, or the actor or show page URL."""
    if resource.lower().startswith("acct:"):
        account = resource[5:].lstrip("@")
        if account.count("@") != 1:
            return HttpResponseBadRequest(
                "The resource must be acct:<show>@<host>.", content_type="text/plain"
            )
        name, host = account.split("@")
        if not name or host.lower() != site_host():
            return None
        return Show.objects.filter(slug=name.lower()).first()
    if resource.startswith(("https://", "http://")):
        for show in Show.objects.filter(slug=urlsplit(resource).path.rstrip("/").rsplit("/", 1)[-1])[:1]:
            if resource in {actor_url(show), _absolute(show.get_absolute_url())}:
                return show
        return None
    return HttpResponseBadRequest(
        "The resource must be acct:<show>@<host> or a URL.", content_type="text/plain"
    )


@require_GET
def webfinger(request: HttpRequest) -> HttpResponse:
    """RFC 7033: where the actor of ``acct:<show>@<host>`` is (400 without a resource, 404 unknown)."""
    resource = request.GET.get("resource", "").strip()
    if not resource:
        return HttpResponseBadRequest("The resource parameter is required.", content_type="text/plain")
    found = _webfinger_show(resource)
    if isinstance(found, HttpResponse):
        return found
    if found is None:
        return HttpResponse("No such account here.", status=404, content_type="text/plain")
    show = found
    page = _absolute(show.get_absolute_url())
    data = {
        "subject": f"acct:{show.slug}@{site_host()}",
        "aliases": [actor_url(show), page],
        "links": [
            {"rel": "self", "type": ACTIVITY_JSON, "href": actor_url(show)},
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": page},
        ],
    }
    response = JsonResponse(data, content_type="application/jrd+json")
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def nodeinfo_links(request: HttpRequest) -> JsonResponse:
    """/.well-known/nodeinfo: where the NodeInfo document is."""
    href = settings.SITE_URL + reverse("fediverse:nodeinfo")
    return JsonResponse({"links": [{"rel": NODEINFO_SCHEMA, "href": href}]})


@require_GET
def nodeinfo(request: HttpRequest) -> JsonResponse:
    """NodeInfo 2.0: the software, its protocol, and how many shows (users) and episodes (posts)."""
    shows = Show.objects.count()
    posts = Episode.objects.published().count()
    data = {
        "version": "2.0",
        "software": {"name": "podcastcme", "version": "1.0"},
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": ["rss2.0"]},
        "openRegistrations": False,
        "usage": {
            "users": {"total": shows, "activeMonth": shows, "activeHalfyear": shows},
            "localPosts": posts,
        },
        "metadata": {"nodeName": "podcastcme"},
    }
    return JsonResponse(data, content_type=f'application/json; profile="{NODEINFO_SCHEMA}#"')


# --- The actor ---------------------------------------------------------------------------------------


def _property(name: str, url: str, text: str | None = None) -> dict:
    """A profile field; a link only to an http(s) address (a show imported from a feed keeps the
    feed's website as it was: a ``javascript:`` one is shown as text, not linked)."""
    if not url.lower().startswith(("https://", "http://")):
        return {"type": "PropertyValue", "name": name, "value": str(escape(text or url))}
    link = format_html('<a href="{}" rel="me nofollow noopener" target="_blank">{}</a>', url, text or url)
    return {"type": "PropertyValue", "name": name, "value": str(link)}


def actor_document(show: Show) -> dict:
    """The show as an ActivityPub Person (Mastodon shows it as a normal account)."""
    url = actor_url(show)
    key = actor_key(show)
    page = _absolute(show.get_absolute_url())
    summary = site_html(show.description)  # plain text: escaped, paragraphs kept, addresses linked
    attachment = []
    if show.website:
        attachment.append(_property("Website", show.website))
    attachment.append(_property("RSS feed", show.feed_url))
    for person in credit_selectors.verified_people_for_show(show):
        label = f"Verified clinician: {person.name}" + (
            f", {person.credentials}" if person.credentials else ""
        )
        attachment.append(_property(label[:255], _absolute(person.url), person.name))
    document = {
        "@context": ACTOR_CONTEXT,
        "id": url,
        "type": "Person",
        "preferredUsername": show.slug,
        "name": show.title,
        "summary": summary,
        "url": page,
        "inbox": settings.SITE_URL + reverse("fediverse:inbox", args=[show.slug]),
        "outbox": url + "/outbox",
        "followers": settings.SITE_URL + reverse("fediverse:followers", args=[show.slug]),
        "endpoints": {"sharedInbox": settings.SITE_URL + reverse("fediverse:shared_inbox")},
        "manuallyApprovesFollowers": False,
        "discoverable": True,
        "indexable": True,
        "published": show.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "publicKey": {"id": key_id(show), "owner": url, "publicKeyPem": key.public_key_pem},
        "attachment": attachment,
    }
    if show.artwork:
        document["icon"] = {
            "type": "Image",
            "mediaType": "image/jpeg",
            "url": _absolute(show.get_artwork_rendition_url(600)),
        }
        document["image"] = {
            "type": "Image",
            "mediaType": "image/jpeg",
            "url": _absolute(show.get_feed_artwork_url()),
        }
    return document


@require_GET
def actor(request: HttpRequest, slug: str) -> HttpResponse:
    show = get_object_or_404(Show, slug=slug)
    if wants_html(request):
        return redirect(show.get_absolute_url())
    return activity_response(actor_document(show))


@require_GET
def followers(request: HttpRequest, slug: str) -> HttpResponse:
    """The count only: who follows a show is not published (privacy)."""
    show = get_object_or_404(Show, slug=slug)
    total = Follower.objects.filter(show=show, ended_at__isnull=True, actor__gone_at__isnull=True).count()
    data = {
        "@context": AS_CONTEXT,
        "id": settings.SITE_URL + reverse("fediverse:followers", args=[show.slug]),
        "type": "OrderedCollection",
        "totalItems": total,
    }
    return activity_response(data)


def activity(request: HttpRequest, pk) -> HttpResponse:
    """Our activities have ids here; they are not kept to be fetched again."""
    return HttpResponse("Not kept.", status=404, content_type="text/plain")
