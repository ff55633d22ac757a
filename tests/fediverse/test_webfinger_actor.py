"""WebFinger, NodeInfo, the actor document and the followers collection, as Mastodon reads them."""

import io
from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone

from credits import selectors as credit_selectors
from episodes.services import artwork_renditions_make
from fediverse.models import Follower, RemoteActor
from testkit.media import make_artwork

pytestmark = pytest.mark.django_db

AP = "application/activity+json"


def _webfinger(client, resource):
    return client.get("/.well-known/webfinger", {"resource": resource} if resource is not None else {})


def test_webfinger_finds_the_show_by_its_handle(client, show):
    response = _webfinger(client, f"acct:{show.slug}@testserver")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/jrd+json"
    data = response.json()
    assert data["subject"] == "acct:airway-rounds@testserver"
    self_link = next(link for link in data["links"] if link["rel"] == "self")
    assert self_link == {"rel": "self", "type": AP, "href": "http://testserver/ap/shows/airway-rounds"}
    page = next(link for link in data["links"] if link["rel"] == "http://webfinger.net/rel/profile-page")
    assert page["href"] == "http://testserver/shows/airway-rounds/"
    # Mastodon also looks up the actor URL and @-less or capitalised handles.
    assert _webfinger(client, "http://testserver/ap/shows/airway-rounds").json()["subject"] == data["subject"]
    assert _webfinger(client, "acct:Airway-Rounds@TestServer").status_code == 200
    assert _webfinger(client, "acct:@airway-rounds@testserver").status_code == 200


@pytest.mark.parametrize(
    ("resource", "status"),
    [
        (None, 400),
        ("", 400),
        ("airway-rounds@testserver", 400),  # no scheme
        ("acct:airway-rounds", 400),  # no host
        ("acct:a@b@testserver", 400),
        ("mailto:airway-rounds@testserver", 400),
        ("acct:airway-rounds@elsewhere.example", 404),  # not our domain
        ("acct:no-such-show@testserver", 404),
        ("acct:@testserver", 400),
        ("http://testserver/ap/shows/no-such-show", 404),
        ("https://elsewhere.example/ap/shows/airway-rounds", 404),
        ("acct:airway-rounds@testserver@elsewhere.example", 400),
        ("acct:airway-rounds@elsewhere.example/testserver", 404),
        ("acct:airway-rounds%40testserver", 400),  # still encoded after the query is decoded once
        ("acct: airway-rounds@testserver", 404),
        ("acct:airway-rounds@testserver:443", 404),  # another port is another host
        ("acct:" + "a" * 5000 + "@testserver", 404),
    ],
)
def test_webfinger_refuses_bad_or_unknown_resources(client, show, resource, status):
    response = _webfinger(client, resource)
    assert response.status_code == status, response.content
    assert response.content  # a message, not an empty answer


def test_nodeinfo_names_the_software(client, show):
    links = client.get("/.well-known/nodeinfo").json()["links"]
    assert links[0]["href"] == "http://testserver/nodeinfo/2.0"
    data = client.get("/nodeinfo/2.0").json()
    assert data["software"]["name"] == "podcastcme"
    assert data["protocols"] == ["activitypub"]
    assert data["usage"]["users"]["total"] == 1


def test_the_actor_has_what_mastodon_requires(client, show, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    show.artwork.save("cover.jpg", ContentFile(make_artwork(1400)), save=True)
    artwork_renditions_make(owner=show)
    response = client.get("/ap/shows/airway-rounds", HTTP_ACCEPT=AP)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(AP)
    actor = response.json()
    base = "http://testserver/ap/shows/airway-rounds"
    assert actor["id"] == base
    assert actor["type"] == "Person"
    assert actor["preferredUsername"] == "airway-rounds"
    assert actor["name"] == "Airway Rounds"
    assert actor["inbox"] == base + "/inbox"
    assert actor["outbox"] == base + "/outbox"
    assert actor["followers"] == base + "/followers"
    assert actor["endpoints"] == {"sharedInbox": "http://testserver/ap/inbox"}
    assert actor["manuallyApprovesFollowers"] is False
    assert actor["discoverable"] is True
    assert actor["url"] == "http://testserver/shows/airway-rounds/"
    key = actor["publicKey"]
    assert key["id"] == base + "#main-key"
    assert key["owner"] == base
    assert key["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert "PRIVATE" not in response.content.decode()
    assert actor["icon"]["type"] == "Image" and actor["icon"]["mediaType"] == "image/jpeg"
    assert actor["icon"]["url"].startswith("http://testserver/")
    assert client.get(actor["icon"]["url"].removeprefix("http://testserver")).status_code == 200
    assert actor["image"]["url"].startswith("http://testserver/")
    assert "https://www.w3.org/ns/activitystreams" in actor["@context"]
    names = [item["name"] for item in actor["attachment"]]
    assert "RSS feed" in names
    feed = next(item for item in actor["attachment"] if item["name"] == "RSS feed")
    assert 'href="http://testserver/shows/airway-rounds/feed.xml"' in feed["value"]
    # The same key on every fetch (made once, kept).
    assert client.get("/ap/shows/airway-rounds", HTTP_ACCEPT=AP).json()["publicKey"] == key


def test_the_actor_summary_and_links_are_escaped(client, show):
    show.description = "Cases <script>alert(1)</script> & more\n\nSee https://example.org/x"
    show.website = "https://example.org/?a=<b>"
    show.save()
    actor = client.get("/ap/shows/airway-rounds", HTTP_ACCEPT=AP).json()
    assert "<script>" not in actor["summary"]
    assert "&lt;script&gt;" in actor["summary"]
    assert '<a href="https://example.org/x"' in actor["summary"]
    website = next(item for item in actor["attachment"] if item["name"] == "Website")
    assert "<b>" not in website["value"]


def test_a_website_that_is_not_http_is_text_not_a_link(client, show):
    # Show.objects.update: as a feed import writes it, without the form's URL validation.
    type(show).objects.filter(pk=show.pk).update(website="javascript:alert(document.cookie)")
    actor = client.get("/ap/shows/airway-rounds", HTTP_ACCEPT=AP).json()
    website = next(item for item in actor["attachment"] if item["name"] == "Website")
    assert "href" not in website["value"]
    assert website["value"] == "javascript:alert(document.cookie)"


@dataclass
class _Person:
    name: str
    credentials: str
    url: str


def test_the_actor_lists_verified_clinicians(client, show, monkeypatch):
    people = [_Person("Dr Ana <Ruiz>", "MD, FRCA", "/people/1/")]
    monkeypatch.setattr(credit_selectors, "verified_people_for_show", lambda s: people if s == show else [])
    actor = client.get("/ap/shows/airway-rounds", HTTP_ACCEPT=AP).json()
    item = next(item for item in actor["attachment"] if item["name"].startswith("Verified clinician"))
    assert item["name"] == "Verified clinician: Dr Ana <Ruiz>, MD, FRCA"  # plain text field
    assert 'href="http://testserver/people/1/"' in item["value"]
    assert "&lt;Ruiz&gt;" in item["value"] and "<Ruiz>" not in item["value"]


def test_a_browser_asking_for_the_actor_goes_to_the_show_page(client, show):
    response = client.get("/ap/shows/airway-rounds", HTTP_ACCEPT="text/html,application/xhtml+xml")
    assert response.status_code == 302
    assert response["Location"] == "/shows/airway-rounds/"


def test_an_unknown_actor_is_404(client, show):
    assert client.get("/ap/shows/nope", HTTP_ACCEPT=AP).status_code == 404
    assert client.get("/ap/shows/nope/followers", HTTP_ACCEPT=AP).status_code == 404


def test_followers_counts_current_followers_without_listing_them(client, show):
    for number, gone in ((1, False), (2, False), (3, True)):
        actor = RemoteActor.objects.create(
            url=f"https://social.example/users/u{number}",
            domain="social.example",
            inbox="https://social.example/i",
        )
        if gone:
            actor.gone_at = timezone.now()
            actor.save()
        Follower.objects.create(
            show=show, actor=actor, follow_activity_id=f"https://social.example/f{number}"
        )
    data = client.get("/ap/shows/airway-rounds/followers", HTTP_ACCEPT=AP).json()
    assert data["type"] == "OrderedCollection"
    assert data["totalItems"] == 2
    assert "orderedItems" not in data and "first" not in data


def test_demo_info_prints_the_handle_webfinger_finds(client, show):
    out = io.StringIO()
    call_command("demo_info", stdout=out)
    line = next(line for line in out.getvalue().splitlines() if line.strip().startswith("Fediverse"))
    assert line.split()[1:] == ["@airway-rounds@testserver", "(search", "it", "in", "Mastodon)"]
    assert _webfinger(client, "acct:" + line.split()[1].lstrip("@")).status_code == 200
