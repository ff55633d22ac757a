"""Personal feeds: private URLs whose downloads are the listener's, revocable, stored hashed."""

import datetime
import io
import re

import podcastparser
import pytest
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from episodes import services
from episodes.models import DownloadRequest, PersonalFeed, Show, podcast_guid_for
from episodes.personal_feeds import personal_feed_get_or_create, personal_feed_token, personal_feed_url

APP_UA = "Overcast/3.0 (+http://overcast.fm/; iOS podcast app)"
ITUNES = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"


@pytest.fixture
def feed_url(client, learner, show, published_episode):
    client.force_login(learner)
    response = client.post(reverse("episodes:my_feeds"), {"show": show.slug, "action": "create"})
    assert response.status_code == 302
    page = client.get(reverse("episodes:my_feeds")).content.decode()
    url = re.search(r'value="(http://testserver/p/[^"]+/feed\.xml)"', page).group(1)
    client.logout()  # podcast apps have no session
    return url


def _path(url: str) -> str:
    return url.removeprefix("http://testserver")


def test_the_personal_feed_is_private_and_its_enclosures_carry_the_token(client, feed_url, published_episode):
    token = _path(feed_url).split("/")[2]
    response = client.get(_path(feed_url), HTTP_USER_AGENT=APP_UA)
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("private")
    root = etree.fromstring(response.content)
    assert (
        root.findtext(f"channel/{ITUNES}block") == "Yes" or root.findtext(f"channel/{ITUNES}block") == "yes"
    )
    self_link = root.find("channel/{http://www.w3.org/2005/Atom}link[@rel='self']").get("href")
    assert self_link == feed_url
    parsed = podcastparser.parse(feed_url, io.BytesIO(response.content))
    enclosure = parsed["episodes"][0]["enclosures"][0]["url"]
    assert enclosure.startswith(f"http://testserver/p/{token}/audio/{published_episode.pk}/")
    assert enclosure.endswith(".mp3")


PODCAST = "{https://podcastindex.org/namespace/1.0}"


def test_the_personal_feed_is_blocked_for_directories_and_has_its_own_podcast_guid(
    client, feed_url, learner, make_user, show, published_episode
):
    Show.objects.filter(pk=show.pk).update(podcast_guid=podcast_guid_for(show.feed_url))  # as show_create
    root = etree.fromstring(client.get(_path(feed_url)).content)
    # podcast:block beside itunes:block: directories other than Apple's are told too.
    assert [b.text for b in root.findall(f"channel/{PODCAST}block")] == ["yes"]
    assert root.find(f"channel/{PODCAST}block").get("id") is None  # every platform
    # Its own podcast:guid (UUIDv5 of its own URL, as the spec derives one from a feed URL): never
    # the public show's, so no directory merges a private feed with the show.
    guid = root.findtext(f"channel/{PODCAST}guid")
    show.refresh_from_db()
    assert guid and guid != str(show.podcast_guid)
    assert guid == str(podcast_guid_for(feed_url))  # stable across polls:
    assert etree.fromstring(client.get(_path(feed_url)).content).findtext(f"channel/{PODCAST}guid") == guid

    other = personal_feed_url(personal_feed_get_or_create(user=make_user("other@example.org"), show=show))
    other_guid = etree.fromstring(client.get(_path(other)).content).findtext(f"channel/{PODCAST}guid")
    assert other_guid not in (guid, str(show.podcast_guid))

    public = etree.fromstring(client.get(reverse("episodes:feed", args=[show.slug])).content)
    assert public.find(f"channel/{PODCAST}block") is None and public.find(f"channel/{ITUNES}block") is None
    assert public.findtext(f"channel/{PODCAST}guid") == str(show.podcast_guid)


def test_downloads_through_the_personal_feed_are_the_listeners(client, feed_url, learner, published_episode):
    enclosure = podcastparser.parse(feed_url, io.BytesIO(client.get(_path(feed_url)).content))["episodes"][0]
    audio = _path(enclosure["enclosures"][0]["url"])
    response = client.get(audio, HTTP_USER_AGENT=APP_UA, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == published_episode.audio.open("rb").read()
    row = DownloadRequest.objects.get(episode=published_episode)
    assert row.user == learner and row.app == "Overcast"
    assert published_episode.downloads.get().user == learner


def test_range_requests_through_the_personal_feed(client, feed_url, published_episode):
    enclosure = podcastparser.parse(feed_url, io.BytesIO(client.get(_path(feed_url)).content))["episodes"][0]
    audio = _path(enclosure["enclosures"][0]["url"])
    response = client.get(audio, HTTP_RANGE="bytes=0-1", HTTP_USER_AGENT=APP_UA)
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 0-1/{published_episode.audio_size}"


def test_revoked_and_regenerated_tokens(client, feed_url, learner, show, published_episode):
    enclosure = podcastparser.parse(feed_url, io.BytesIO(client.get(_path(feed_url)).content))["episodes"][0]
    audio = _path(enclosure["enclosures"][0]["url"])
    client.force_login(learner)
    client.post(reverse("episodes:my_feeds"), {"show": show.slug, "action": "regenerate", "confirm": "1"})
    client.logout()
    assert client.get(_path(feed_url)).status_code == 404
    assert client.get(audio).status_code == 404
    new_url = personal_feed_url(PersonalFeed.objects.get(user=learner, revoked_at__isnull=True))
    assert new_url != feed_url and client.get(_path(new_url)).status_code == 200
    client.force_login(learner)
    client.post(reverse("episodes:my_feeds"), {"show": show.slug, "action": "revoke", "confirm": "1"})
    client.logout()
    assert client.get(_path(new_url)).status_code == 404
    assert not PersonalFeed.objects.filter(user=learner, revoked_at__isnull=True).exists()
    assert DownloadRequest.objects.count() == 0  # a refused URL records nothing


@pytest.mark.parametrize("token", ["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "x", "a" * 70, "../../etc", "%00"])
def test_guessed_or_malformed_tokens_are_404(client, feed_url, show, published_episode, token):
    # A NUL anywhere in a URL is refused before any lookup (podcastcme/nul_characters.py).
    expected = 400 if token == "%00" else 404
    assert client.get(f"/p/{token}/{show.slug}/feed.xml").status_code == expected
    assert (
        client.get(f"/p/{token}/audio/{published_episode.pk}/{published_episode.slug}.mp3").status_code
        == expected
    )


def test_a_token_is_for_its_own_show_only(client, feed_url, published_episode, make_user):
    other = services.show_create(
        host=make_user("other-host@example.org"),
        data={"title": "Other", "slug": "other", "description": "d", "author": "a", "owner_name": "o",
              "owner_email": "o@example.org"},
    )  # fmt: skip
    token = _path(feed_url).split("/")[2]
    assert client.get(f"/p/{token}/{other.slug}/feed.xml").status_code == 404


def test_tokens_are_stored_hashed(learner, show):
    feed = personal_feed_get_or_create(user=learner, show=show)
    token = personal_feed_token(feed)
    assert len(token) >= 32
    stored = " ".join(str(v) for v in PersonalFeed.objects.filter(pk=feed.pk).values_list().get())
    assert token not in stored
    assert personal_feed_get_or_create(user=learner, show=show) == feed  # one active feed per show


def test_the_account_page_needs_a_login_and_refuses_unknown_actions(client, learner, show):
    assert client.get(reverse("episodes:my_feeds")).status_code == 302
    client.force_login(learner)
    assert (
        client.post(reverse("episodes:my_feeds"), {"show": show.slug, "action": "steal"}).status_code == 400
    )
    assert client.post(reverse("episodes:my_feeds"), {"show": "nope", "action": "create"}).status_code == 404
    assert PersonalFeed.objects.count() == 0


def test_claim_page_shows_the_podcast_apps_download(
    client, feed_url, learner, provider, coordinator, published_episode
):
    from decimal import Decimal

    from credits import services as credit_services
    from credits.grants import grant_record_active
    from credits.selectors import listening_evidence
    from testkit.factories import publish

    enclosure = podcastparser.parse(feed_url, io.BytesIO(client.get(_path(feed_url)).content))["episodes"][0]
    audio = _path(enclosure["enclosures"][0]["url"])
    half = published_episode.audio_size // 2
    client.get(audio, HTTP_RANGE=f"bytes=0-{half}", HTTP_USER_AGENT=APP_UA)
    partial = listening_evidence(user=learner, episode=published_episode)["podcast_app"]
    assert not partial["whole"] and "50%" in partial["summary"]
    client.get(audio, HTTP_RANGE=f"bytes={half + 1}-", HTTP_USER_AGENT=APP_UA)
    evidence = listening_evidence(user=learner, episode=published_episode)["podcast_app"]
    assert evidence["whole"] and evidence["apps"] == ["Overcast"]
    assert "Overcast downloaded the whole episode through your personal feed" in evidence["summary"]

    grant_record_active(show=published_episode.show, provider=provider, actor=None, note="test set-up")
    activity = credit_services.activity_create(
        provider=provider,
        episode=published_episode,
        actor=coordinator,
        data={
            "objectives": "o",
            "target_audience": "a",
            "designated_credits": Decimal("0.25"),
            "designation_reason": "Pilot test",
            "release_date": timezone.localdate(),
            "expiry_date": timezone.localdate() + datetime.timedelta(days=9),
        },
    )
    credit_services.quiz_replace(
        activity=activity,
        actor=None,
        data={"questions": [{"text": "Q", "options": [{"text": "a", "correct": True}, {"text": "b"}]}]},
    )
    publish(activity, coordinator)
    attempt = credit_services.attempt_start(learner=learner, activity=activity)
    correct = attempt.questions[0]["options"]
    from credits.models import Option

    right = next(o["token"] for o in correct if Option.objects.get(pk=o["id"]).is_correct)
    credit_services.attempt_submit(
        attempt_id=attempt.pk, learner=learner, answers={str(attempt.questions[0]["id"]): str(right)}
    )
    credit_services.evaluation_submit(
        learner=learner, activity=activity,
        data={"objectives_met": 4, "relevant_to_practice": 4, "free_of_bias": 4, "intends_change": False},
    )  # fmt: skip
    client.force_login(learner)
    page = client.get(reverse("credits:claim", args=[activity.pk])).content.decode()
    assert "Overcast downloaded the whole episode through your personal feed" in page
