"""The public pages as a listener meets them: shows, episodes, topics, search; drafts stay hidden."""

import re
import uuid
from datetime import timedelta

import pytest
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from episodes.models import Episode, EpisodePerson, Show, Topic
from episodes.services import PersonData, episode_create
from testkit.media import make_audio

VTT = (
    "WEBVTT\n\n"
    "00:00:00.000 --> 00:00:02.000\n<v Hank Host>Welcome to the show.</v>\n\n"
    "00:00:02.000 --> 00:00:03.000\n<v Hank Host>Our guest is here.</v>\n\n"
    "00:00:03.000 --> 00:00:04.000\n<v Grace Guest>Thanks for having me.</v>\n"
)
CHAPTERS = (
    '{"version":"1.2.0","chapters":[{"startTime":0,"title":"Intro"},{"startTime":65,"title":"The case"}]}'
)


def publish(show, title, *, days_ago=1, status=Episode.Status.PUBLISHED, publish_at=None, **extra):
    """An episode stored through the real service, with real (tiny) MP3 audio."""
    if publish_at is None and status == Episode.Status.PUBLISHED:
        publish_at = timezone.now() - timedelta(days=days_ago)
    with make_audio(1.0).open("rb") as handle:
        return episode_create(
            show=show,
            actor=None,
            title=title,
            audio=File(handle, name="upload.mp3"),
            status=status,
            publish_at=publish_at,
            tag_audio=False,
            **extra,
        )


def second_show():
    return Show.objects.create(
        title="Obstetric Anaesthesia Hour",
        slug="ob-hour",
        description="Labour ward cases.",
        author="Society of Testing",
        owner_name="Society of Testing",
        owner_email="ob@example.org",
    )


def bulk_episodes(show, count, topic):
    """Many public episodes at once (one stored audio name is enough for listing pages)."""
    now = timezone.now()
    episodes = Episode.objects.bulk_create(
        Episode(
            show=show,
            title=f"Bulk episode {i}",
            slug=f"bulk-{i}",
            guid=str(uuid.uuid4()),
            notes_html="<p>Notes</p>",
            audio="audio/shared.mp3",
            audio_mime="audio/mpeg",
            audio_size=1000,
            audio_duration=600,
            audio_bitrate=64000,
            status=Episode.Status.PUBLISHED,
            publish_at=now - timedelta(minutes=i + 1),
        )
        for i in range(count)
    )
    Episode.topics.through.objects.bulk_create(
        Episode.topics.through(episode_id=episode.pk, topic_id=topic.pk) for episode in episodes
    )


def titles_in(body: str) -> list[str]:
    return re.findall(r'<h3 id="episode-\d+-title"><a href="[^"]+">([^<]+)</a></h3>', body)


@pytest.mark.django_db
def test_home_lists_every_show_with_a_link(client, show):
    other = second_show()
    publish(show, "First light")
    body = client.get("/").content.decode()
    assert f'href="{show.get_absolute_url()}"' in body
    assert f'href="{other.get_absolute_url()}"' in body
    assert "Obstetric Anaesthesia Hour" in body
    assert "1 episode" in body and "0 episodes" in body
    assert 'role="search"' in body  # the search form in the header


@pytest.mark.django_db
def test_show_page_lists_public_episodes_newest_first(client, show):
    publish(show, "Oldest", days_ago=9)
    publish(show, "Newest", days_ago=1)
    publish(show, "Middle", days_ago=5)
    publish(show, "Still a draft", status=Episode.Status.DRAFT)
    publish(show, "Next week", publish_at=timezone.now() + timedelta(days=7))
    response = client.get(show.get_absolute_url())
    assert response.status_code == 200
    body = response.content.decode()
    assert titles_in(body) == ["Newest", "Middle", "Oldest"]
    assert "Still a draft" not in body and "Next week" not in body


@pytest.mark.django_db
def test_draft_and_scheduled_episode_pages_are_not_found(client, show, make_user):
    draft = publish(show, "Still a draft", status=Episode.Status.DRAFT)
    scheduled = publish(show, "Next week", publish_at=timezone.now() + timedelta(days=7))
    for episode in (draft, scheduled):
        assert client.get(episode.get_absolute_url()).status_code == 404
    client.force_login(make_user("someone@example.org"))
    for episode in (draft, scheduled):
        assert client.get(episode.get_absolute_url()).status_code == 404


@pytest.mark.django_db
def test_a_host_previews_their_own_scheduled_episode(client, show, host):
    scheduled = publish(show, "Next week", publish_at=timezone.now() + timedelta(days=7))
    client.force_login(host)
    response = client.get(scheduled.get_absolute_url())
    assert response.status_code == 200
    assert "Preview: listeners will see this episode from" in response.content.decode()


@pytest.mark.django_db
def test_show_page_offers_feed_autodiscovery_and_subscribe_links(client, show):
    body = client.get(show.get_absolute_url()).content.decode()
    head = body.split("</head>")[0]
    assert (
        '<link rel="alternate" type="application/rss+xml" title="Airway Rounds" '
        'href="http://testserver/shows/airway-rounds/feed.xml">'
    ) in head
    assert 'href="http://testserver/shows/airway-rounds/feed.xml"' in body.split("</head>")[1]
    assert 'href="podcast://testserver/shows/airway-rounds/feed.xml"' in body
    assert (
        'href="overcast://x-callback-url/add?url=http%3A%2F%2Ftestserver%2Fshows%2Fairway-rounds%2Ffeed.xml"'
        in body
    )
    assert 'href="antennapod-subscribe://testserver/shows/airway-rounds/feed.xml"' in body
    assert "Spotify" in body
    assert "Copy feed URL" in body
    assert 'value="http://testserver/shows/airway-rounds/feed.xml"' in body  # copyable without JavaScript
    assert "No episodes have been published yet" in body


@pytest.mark.django_db
def test_unknown_show_topic_and_episode_are_not_found(client, show):
    assert client.get("/shows/no-such-show/").status_code == 404
    assert client.get("/shows/airway-rounds/no-such-episode/").status_code == 404
    assert client.get("/topics/no-such-topic/").status_code == 404


@pytest.mark.django_db
def test_show_page_paginates_and_bad_page_numbers_never_fail(client, show):
    bulk_episodes(show, 25, Topic.objects.create(name="airway", slug="airway"))
    url = show.get_absolute_url()
    first = titles_in(client.get(url).content.decode())
    assert len(first) == 20 and first[0] == "Bulk episode 0"
    last = titles_in(client.get(url + "?page=2").content.decode())
    assert last == [f"Bulk episode {i}" for i in range(20, 25)]
    assert "Page 2 of 2" in client.get(url + "?page=2").content.decode()
    for bad, expected in [
        ("abc", first),
        ("999", last),
        ("-1", last),
        ("0", last),
        ("1.5", first),
        ("9" * 5000, first),
    ]:
        response = client.get(url, {"page": bad})
        assert response.status_code == 200, bad
        assert titles_in(response.content.decode()) == expected, bad


@pytest.mark.django_db
def test_episode_page_has_player_notes_transcript_chapters_people_and_topics(client, show):
    episode = publish(
        show,
        "Cricothyroidotomy <script>alert('t')</script>\x07now",
        notes="**Bold** take-home\x0b points.\n\n<script>alert('x')</script>\n\n[Guideline](https://example.org/g)",
        topics="#POCUS #airway",
        transcript=ContentFile(VTT.encode(), name="episode.vtt"),
        chapters=ContentFile(CHAPTERS.encode(), name="chapters.json"),
        persons=[
            PersonData(name="Hank Host", role=EpisodePerson.Role.HOST, credentials="MD"),
            PersonData(name="Grace Guest", role=EpisodePerson.Role.GUEST, href="https://example.org/grace"),
            PersonData(name="Fatima Faculty", role=EpisodePerson.Role.FACULTY),
        ],
    )
    response = client.get(episode.get_absolute_url())
    assert response.status_code == 200
    body = response.content.decode()
    audio_url = episode.get_audio_url()
    assert re.search(
        rf'<audio id="episode-player" controls preload="metadata" src="{re.escape(audio_url)}">', body
    )
    # Notes: Markdown rendered, the script gone or escaped, control characters removed.
    assert "<strong>Bold</strong> take-home points." in body
    assert "<script>alert" not in body
    assert "\x07" not in body and "\x0b" not in body
    assert '<a href="https://example.org/g" rel="noopener noreferrer nofollow">Guideline</a>' in body
    assert "Cricothyroidotomy &lt;script&gt;" in body  # the title is escaped
    # Transcript as readable text: one speaker's consecutive cues are one paragraph.
    assert re.search(r"Hank Host:</strong>\s*Welcome to the show. Our guest is here.", body)
    assert re.search(r"Grace Guest:</strong>\s*Thanks for having me.", body)
    # Chapters seek the player with JavaScript and are media-fragment links without it.
    assert f'<a href="{audio_url}#t=65" data-seek="65.0"><span class="time">1:05</span> The case</a>' in body
    assert f'href="{audio_url}#t=0" data-seek="0.0"' in body
    assert "/static/js/player.js" in body and "<script>" not in body  # no inline script
    # People with their roles, and topic links.
    assert re.search(r"Hank Host</span>, MD\s*<span class=\"badge\">Host</span>", body)
    assert '<a href="https://example.org/grace" rel="noopener nofollow">Grace Guest</a>' in body
    assert "Faculty</span>" in body
    pocus = Topic.objects.get(name="POCUS")
    assert f'<a class="topic" href="/topics/{pocus.slug}/">#POCUS</a>' in body
    # The place a later feature fills with CME disclosures comes before the player.
    assert body.index('class="episode-header"') < body.index('<section class="player"')


@pytest.mark.django_db
def test_episode_page_survives_broken_transcript_and_chapters_files(client, show):
    episode = publish(
        show,
        "Broken extras",
        transcript=ContentFile(b"\x89PNG\r\n\x1a\n\x00\x00 not a transcript", name="t.vtt"),
        chapters=ContentFile(b"{not json", name="c.json"),
    )
    body = client.get(episode.get_absolute_url()).content.decode()
    assert 'id="transcript-title"' not in body and 'id="chapters-title"' not in body
    # A file gone from the disk is no reason for a 500 either.
    episode.transcript.storage.delete(episode.transcript.name)
    episode.chapters.storage.delete(episode.chapters.name)
    assert client.get(episode.get_absolute_url()).status_code == 200


@pytest.mark.django_db
def test_topic_page_lists_episodes_across_shows(client, show):
    other = second_show()
    publish(show, "Airway ultrasound", topics="#POCUS", days_ago=3)
    publish(other, "Gastric ultrasound", topics="#pocus", days_ago=1)
    publish(other, "Draft ultrasound", topics="#POCUS", status=Episode.Status.DRAFT)
    publish(show, "Unrelated", topics="#airway")
    topic = Topic.objects.get(name__iexact="pocus")
    response = client.get(topic.get_absolute_url())
    assert response.status_code == 200
    body = response.content.decode()
    assert titles_in(body) == ["Gastric ultrasound", "Airway ultrasound"]
    assert f'href="{other.get_absolute_url()}">Obstetric Anaesthesia Hour</a>' in body
    assert f'href="{show.get_absolute_url()}">Airway Rounds</a>' in body


@pytest.fixture
def searchable(show):
    other = second_show()
    publish(
        show,
        "Difficult airway cart",
        notes="Plan A to plan D, drawer by drawer.",
        topics="#airway",
        days_ago=3,
    )
    publish(other, "Spinal for caesarean", notes="Bupivacaine dosing and the block height.", topics="#OBanes")
    publish(show, "Gastric POCUS", notes="Antral cross-section.", topics="#POCUS", days_ago=2)
    publish(show, "Secret airway draft", notes="bupivacaine", status=Episode.Status.DRAFT)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("airway", ["Difficult airway cart"]),  # title (the draft is not found)
        ("BUPIVACAINE", ["Spinal for caesarean"]),  # notes, any case
        ("#OBanes", ["Spinal for caesarean"]),  # topic, with its hash
        ("pocus", ["Gastric POCUS"]),
        ("drawer plan", ["Difficult airway cart"]),  # every word must match
        ("drawer bupivacaine", []),
    ],
)
def test_search_finds_titles_notes_and_topics(client, searchable, query, expected):
    response = client.get(reverse("episodes:search"), {"q": query})
    assert response.status_code == 200
    assert titles_in(response.content.decode()) == expected


@pytest.mark.django_db
def test_search_without_a_query_shows_the_form(client):
    response = client.get(reverse("episodes:search"))
    assert response.status_code == 200
    assert "Type a word to search every show" in response.content.decode()
    response = client.get(reverse("episodes:search"), {"q": "   "})
    assert response.status_code == 200


@pytest.mark.django_db
def test_search_refuses_an_overlong_query_with_a_message(client, searchable):
    response = client.get(reverse("episodes:search"), {"q": "airway " * 72})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Your search is too long: use at most 200 characters." in body
    assert titles_in(body) == []


@pytest.mark.django_db
def test_search_escapes_markup_in_the_query(client, searchable):
    response = client.get(reverse("episodes:search"), {"q": "<script>alert(1)</script>"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "<script>alert(1)" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "0 episodes found" in body
    assert client.get(reverse("episodes:search"), {"q": "###"}).status_code == 400


@pytest.mark.django_db
def test_search_results_paginate_and_keep_the_query(client, show):
    bulk_episodes(show, 23, Topic.objects.create(name="airway", slug="airway"))
    body = client.get(reverse("episodes:search"), {"q": "bulk"}).content.decode()
    assert "23 episodes found" in body
    assert 'href="?q=bulk&amp;page=2"' in body
    body = client.get(reverse("episodes:search"), {"q": "bulk", "page": "2"}).content.decode()
    assert len(titles_in(body)) == 3


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_listing_pages_use_the_same_few_queries_at_10_and_1000_episodes(client, show):
    topic = Topic.objects.create(name="airway", slug="airway")
    bulk_episodes(show, 10, topic)
    urls = [show.get_absolute_url(), topic.get_absolute_url(), reverse("episodes:search") + "?q=bulk", "/"]
    few = [count_queries(client, url) for url in urls]
    Episode.objects.all().delete()
    bulk_episodes(show, 1000, topic)
    many = [count_queries(client, url) for url in urls]
    assert few == many
    assert few[0] <= 6, few  # the show page
