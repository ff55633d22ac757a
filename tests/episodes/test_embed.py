"""The embeddable player (/embed/episodes/<pk>/) and oEmbed (/oembed): docs/embedding.md.

Only public episodes of shows still here are embedded; a CME episode shows its credit line and a
"Claim credit" link only while claims are open; the embed sets no cookie even for a logged-in
visitor, and only this route may be framed by other sites.
"""

import datetime
import html
import io
import json
import re
from urllib.parse import quote, urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from episodes.models import Episode
from testkit import factories

SITE = "http://testserver"
CHAPTERS = {
    "version": "1.2.0",
    "chapters": [
        {"startTime": 0, "title": "Introduction"},
        {"startTime": 95.5, "title": "The case"},
    ],
}


def _embed(client, episode):
    return client.get(reverse("episodes:embed", args=[episode.pk]))


def _oembed(client, **params):
    return client.get(reverse("episodes:oembed"), params)


def _page_url(episode) -> str:
    return SITE + episode.get_absolute_url()


def _csp(response) -> dict[str, str]:
    parts = [p.strip() for p in response["Content-Security-Policy"].split(";") if p.strip()]
    return {p.split(" ", 1)[0]: p.split(" ", 1)[1] if " " in p else "" for p in parts}


@pytest.fixture
def public_episode(db):
    return factories.make_episode(factories.make_show())


def test_a_public_episode_is_embedded_with_its_player(client, public_episode):
    response = _embed(client, public_episode)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<h1" in body and "Difficult airway" in body and "Airway Rounds" in body
    assert f'<audio id="embed-player" controls preload="metadata" src="{public_episode.audio_url}"' in body
    assert "/static/css/embed.css" in body and "/static/js/embed.js" in body
    assert "<script>" not in body and "style=" not in body  # nothing inline (the CSP)
    assert "Claim credit" not in body  # not a CME episode
    assert "csrfmiddlewaretoken" not in body and "<form" not in body


def test_no_third_party_resources(client, public_episode):
    body = _embed(client, public_episode).content.decode()
    for url in re.findall(r'(?:src|href)="([^"]+)"', body):
        assert url.startswith("/") or url.startswith(SITE), url


@pytest.mark.parametrize(
    "change",
    [
        {"status": Episode.Status.DRAFT},
        {"publish_at": timezone.now() + datetime.timedelta(days=2)},  # scheduled
    ],
    ids=["draft", "scheduled"],
)
def test_drafts_and_scheduled_episodes_are_not_embedded(client, public_episode, change):
    Episode.objects.filter(pk=public_episode.pk).update(**change)
    response = _embed(client, public_episode)
    assert response.status_code == 404
    assert "Difficult airway" not in response.content.decode()


def test_an_episode_of_a_show_that_moved_away_is_not_embedded(client, public_episode):
    public_episode.show.moved_away_at = timezone.now()
    public_episode.show.save(update_fields=["moved_away_at"])
    assert _embed(client, public_episode).status_code == 404


def test_an_unknown_episode_is_not_found(client, db):
    assert client.get(reverse("episodes:embed", args=[987654])).status_code == 404


def test_a_cme_episode_shows_its_credit_line_and_claim_link_while_open(client, episode, activity):
    body = _embed(client, episode).content.decode()
    until = activity.current_version.expiry_date
    assert "0.75 <em>AMA PRA Category 1 Credit(s)</em>™" in body
    assert f"until {until:%B} {until.day}, {until.year}" in body
    claim = SITE + reverse("credits:claim", args=[activity.pk])
    assert f'<a class="embed-claim" href="{claim}" target="_blank" rel="noopener">Claim credit</a>' in body


def test_an_expired_activity_has_no_credit_line(client, episode, activity):
    factories.expire_activity(activity)
    body = _embed(client, episode).content.decode()
    assert "Claim credit" not in body and "AMA PRA" not in body


def test_a_draft_activity_has_no_credit_line(client, episode, provider, coordinator):
    factories.make_activity(provider=provider, episode=episode, coordinator=coordinator, publish=False)
    body = _embed(client, episode).content.decode()
    assert "Claim credit" not in body and "AMA PRA" not in body


def test_chapters_are_buttons_that_seek(client, public_episode, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    public_episode.chapters.save("chapters.json", ContentFile(json.dumps(CHAPTERS).encode()))
    body = _embed(client, public_episode).content.decode()
    assert (
        '<button type="button" data-seek="0.0"><span class="time">0:00</span> Introduction</button>' in body
    )
    assert '<button type="button" data-seek="95.5"><span class="time">1:35</span> The case</button>' in body


def test_no_cookie_is_set_for_an_anonymous_visitor(client, episode, activity):
    response = _embed(client, episode)
    assert response.status_code == 200
    assert not response.cookies
    assert "Set-Cookie" not in str(response.serialize_headers(), "latin-1")


def test_no_cookie_is_set_for_a_logged_in_visitor(client, episode, activity, learner):
    client.force_login(learner)
    response = _embed(client, episode)
    assert response.status_code == 200
    assert not response.cookies
    assert "Set-Cookie" not in str(response.serialize_headers(), "latin-1")


def test_only_the_embed_may_be_framed(client, public_episode):
    embed = _embed(client, public_episode)
    assert "X-Frame-Options" not in embed
    assert _csp(embed)["frame-ancestors"] == "*"
    assert _csp(embed)["script-src"] == "'self'"  # the rest of the policy stays
    page = client.get(public_episode.get_absolute_url())
    assert page.status_code == 200
    assert page["X-Frame-Options"] == "DENY"
    assert _csp(page)["frame-ancestors"] == "'none'"
    oembed = _oembed(client, url=_page_url(public_episode))
    assert oembed["X-Frame-Options"] == "DENY" and _csp(oembed)["frame-ancestors"] == "'none'"


def test_oembed_answers_the_rich_type(client, public_episode):
    response = _oembed(client, url=_page_url(public_episode), format="json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    embed_url = SITE + reverse("episodes:embed", args=[public_episode.pk])
    assert data == {
        "version": "1.0",
        "type": "rich",
        "title": "Difficult airway",
        "author_name": "Airway Rounds",
        "author_url": SITE + public_episode.show.get_absolute_url(),
        "provider_name": "podcastcme",
        "provider_url": SITE + "/",
        "html": f'<iframe src="{embed_url}" width="560" height="300" title="Difficult airway · Airway Rounds"'
        ' loading="lazy" style="border:0"></iframe>',
        "width": 560,
        "height": 300,
    }


def test_oembed_keeps_within_maxwidth_and_maxheight(client, public_episode):
    data = _oembed(client, url=_page_url(public_episode), maxwidth="400", maxheight="200").json()
    assert (data["width"], data["height"]) == (400, 200)
    assert 'width="400" height="200"' in data["html"]
    data = _oembed(client, url=_page_url(public_episode), maxwidth="2000").json()
    assert data["width"] == 560  # never wider than the player needs


def test_oembed_gives_a_thumbnail_once_renditions_exist(client, public_episode):
    show = public_episode.show
    show.artwork = "artwork/shows/a.jpg"
    show.artwork_renditions = {
        "source": "artwork/shows/a.jpg",
        "160": "r/0123456789abcdef-160.jpg",
        "600": "r/0123456789abcdef-600.jpg",
    }
    show.save(update_fields=["artwork", "artwork_renditions"])
    data = _oembed(client, url=_page_url(public_episode)).json()
    assert data["thumbnail_url"] == SITE + show.get_artwork_rendition_url(600)
    assert data["thumbnail_width"] == data["thumbnail_height"] == 600


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({}, 400, "The url parameter is required."),
        ({"url": ""}, 400, "The url parameter is required."),
        ({"format": "xml"}, 501, "Only format=json is offered."),
        ({"maxwidth": "wide"}, 400, "maxwidth and maxheight must be positive whole numbers"),
        ({"maxheight": "-5"}, 400, "maxwidth and maxheight must be positive whole numbers"),
        ({"maxwidth": "0"}, 400, "maxwidth and maxheight must be positive whole numbers"),
        ({"maxwidth": "١٢٣"}, 400, "maxwidth and maxheight must be positive whole numbers"),
    ],
)
def test_oembed_bad_input(client, public_episode, params, status, message):
    if params.get("url") != "" and "url" not in params and params:
        params = {"url": _page_url(public_episode), **params}
    response = _oembed(client, **params)
    assert response.status_code == status
    assert message in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "https://elsewhere.example/shows/airway-rounds/difficult-airway/",  # another site
        "ftp://testserver/shows/airway-rounds/difficult-airway/",
        SITE + "/shows/airway-rounds/",  # a show, not an episode
        SITE + "/shows/airway-rounds/no-such-episode/",
        SITE + "/nowhere/at/all/",
        "not a url",
    ],
)
def test_oembed_of_what_is_not_an_episode_page_here_is_not_found(client, public_episode, url):
    response = _oembed(client, url=url)
    assert response.status_code == 404
    assert "not a public episode page of this site" in response.content.decode()


def test_oembed_of_a_draft_is_not_found(client, public_episode):
    Episode.objects.filter(pk=public_episode.pk).update(status=Episode.Status.DRAFT)
    assert _oembed(client, url=_page_url(public_episode)).status_code == 404


def test_the_episode_page_announces_oembed_and_offers_the_snippet(client, public_episode):
    body = client.get(public_episode.get_absolute_url()).content.decode()
    oembed = f"{SITE}/oembed?url={quote(_page_url(public_episode), safe='')}&amp;format=json"
    assert f'<link rel="alternate" type="application/json+oembed" href="{oembed}"' in body
    snippet = re.search(r'<input id="embed-snippet" type="text" readonly value="([^"]*)">', body)
    assert snippet is not None
    assert html.unescape(snippet.group(1)).startswith(
        f'<iframe src="{SITE}/embed/episodes/{public_episode.pk}/"'
    )


def test_a_moved_show_s_episode_page_announces_no_embed(client, public_episode):
    public_episode.show.moved_away_at = timezone.now()
    public_episode.show.save(update_fields=["moved_away_at"])
    body = client.get(public_episode.get_absolute_url()).content.decode()
    assert "json+oembed" not in body and "embed-snippet" not in body


def test_make_run_prints_the_demo_embed_player(client, db):
    """`make run` (demo_info) prints the claimable demo episode's player, which shows its Claim credit."""
    call_command("seed_demo", stdout=io.StringIO())
    out = io.StringIO()
    call_command("demo_info", stdout=out)
    line = next(line for line in out.getvalue().splitlines() if "Embed player" in line)
    url = re.search(r"https?://\S+", line)
    assert url is not None and "/embed/episodes/" in url.group(0)
    response = client.get(urlsplit(url.group(0)).path)
    assert response.status_code == 200
    assert "Claim credit" in response.content.decode()
