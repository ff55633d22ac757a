"""The RSS feed as podcast apps see it: two independent parsers, XPath for podcast:*, HTTP caching."""

import gzip
import io
import json
import time
import uuid
from datetime import timedelta
from email.utils import parsedate_to_datetime

import feedparser
import mutagen
import podcastparser
import pytest
from django.core.cache import caches
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from episodes import services
from episodes.feed_limits import enclosure_type
from episodes.feeds import build_feed, forget_built_feeds
from episodes.models import Episode, EpisodePerson, Show, Topic
from testkit.media import make_artwork, make_audio

NS = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
}
GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
VTT = b"WEBVTT\n\n00:00.000 --> 00:01.500\nWelcome to Airway Rounds.\n"
CHAPTERS = json.dumps({"version": "1.2.0", "chapters": [{"startTime": 0, "title": "Intro"}]}).encode()


@pytest.fixture(autouse=True)
def _no_built_feeds():
    # Each test starts without feeds built by an earlier one (the cache is cleared by conftest).
    forget_built_feeds()
    for cache in caches.all():
        cache.clear()
    yield
    forget_built_feeds()


def _audio(seconds: float = 3.0, kind: str = "mp3") -> File:
    path = make_audio(seconds, kind)
    return File(open(path, "rb"), name=f"upload.{kind}")  # noqa: SIM115 (the service stores and closes it)


def _episode(show: Show, title: str, **kwargs) -> Episode:
    seconds = kwargs.pop("seconds", 3.0)
    kind = kwargs.pop("kind", "mp3")
    kwargs.setdefault("status", Episode.Status.PUBLISHED)
    audio = _audio(seconds, kind)
    try:
        return services.episode_create(show=show, actor=None, title=title, audio=audio, **kwargs)
    finally:
        audio.close()


@pytest.fixture
def feed_show(db):
    return services.show_create(
        host=None,
        data={
            "title": "Airway Rounds",
            "slug": "airway-rounds",
            "description": "Short cases in airway management for anaesthetists.",
            "author": "Society of Testing",
            "owner_name": "Society of Testing",
            "owner_email": "podcast@example.org",
            "category": "Health & Fitness",
            "subcategory": "Medicine",
            "copyright": "© 2026 Society of Testing",
            "funding_url": "https://example.org/donate",
            "funding_label": "Support the society",
            "artwork": SimpleUploadedFile("cover.jpg", make_artwork(1400), content_type="image/jpeg"),
        },
    )


@pytest.fixture
def published(feed_show):
    """Three public episodes (oldest first), with transcript, chapters, persons and artwork on one."""
    now = timezone.now()
    first = _episode(feed_show, "Difficult airway basics", seconds=2.0, season=1, number=1,
                     publish_at=now - timedelta(days=3), notes="The **basics**.")  # fmt: skip
    second = _episode(
        feed_show,
        "Front-of-neck access",
        seconds=4.0,
        kind="m4a",
        season=1,
        number=2,
        explicit=True,
        publish_at=now - timedelta(days=2),
        notes="Scalpel, bougie, tube.",
        topics="#airway #FONA",
        transcript=SimpleUploadedFile("fona.vtt", VTT),
        chapters=SimpleUploadedFile("fona.json", CHAPTERS),
        artwork=SimpleUploadedFile("fona.png", make_artwork(1400, "PNG"), content_type="image/png"),
        persons=[
            services.PersonData(
                name="Dr Host",
                role="host",
                href="https://example.org/host",
                img="https://example.org/host.jpg",
            ),  # fmt: skip
            services.PersonData(name="Prof Faculty", role="faculty", href="https://example.org/faculty"),
        ],
    )
    trailer = _episode(feed_show, "Season 2 trailer", seconds=1.0, season=2, episode_type="trailer",
                       publish_at=now - timedelta(days=1), notes="Coming soon.")  # fmt: skip
    return [first, second, trailer]


def _get(client, show: Show, **headers):
    return client.get(reverse("episodes:feed", args=[show.slug]), headers=headers)


def _xml(content: bytes):
    return etree.fromstring(content)  # raises on anything that is not well-formed XML


def _items(root) -> list:
    return root.findall("channel/item")


def _duration(episode: Episode) -> int:
    return round(mutagen.File(episode.audio.path).info.length)


# --- what podcast apps read --------------------------------------------------------------------


@pytest.mark.django_db
def test_podcastparser_reads_every_public_episode_as_stored(client, feed_show, published):
    response = _get(client, feed_show)
    assert response.status_code == 200
    parsed = podcastparser.parse(feed_show.feed_url, io.BytesIO(response.content))

    assert parsed["title"] == "Airway Rounds"
    assert parsed["type"] == "episodic"
    # The cover is the JPEG rendition made from the artwork (tests/episodes/test_artwork_renditions.py).
    assert parsed["cover_url"] == "http://testserver" + feed_show.get_feed_artwork_url()
    assert parsed["cover_url"].endswith("-1400.jpg")
    episodes = {e["guid"]: e for e in parsed["episodes"]}
    assert set(episodes) == {e.guid for e in published}
    for episode in published:
        got = episodes[episode.guid]
        assert got["title"] == episode.title
        assert got["link"] == "http://testserver" + episode.get_absolute_url()
        assert got["enclosures"] == [
            {  # the M4A one as audio/x-m4a, the type Apple documents (episodes/feed_limits.py)
                "url": episode.audio_url,
                "file_size": episode.audio.size,
                "mime_type": enclosure_type(episode.audio_mime),
            }
        ]
        assert got["total_time"] == _duration(episode)
        assert got["published"] == int(episode.publish_at.timestamp())
        assert got["season"] == episode.season
        assert got.get("number") == episode.number
        assert got["type"] == episode.episode_type
        assert got["explicit"] is episode.explicit
    assert "<strong>basics</strong>" in episodes[published[0].guid]["description_html"]
    assert episodes[published[1].guid]["enclosures"][0]["url"].endswith(".m4a")


@pytest.mark.django_db
def test_feedparser_reads_the_same_feed(client, feed_show, published):
    parsed = feedparser.parse(_get(client, feed_show).content)

    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.title == "Airway Rounds"
    assert parsed.feed.language == "en"
    assert parsed.feed.link == "http://testserver" + feed_show.get_absolute_url()
    assert parsed.feed.author == "Society of Testing"
    assert parsed.feed.rights == "© 2026 Society of Testing"
    assert parsed.feed.image.href == "http://testserver" + feed_show.get_feed_artwork_url()
    assert parsed.feed.subtitle == feed_show.description
    # Newest first, as the XML lists them.
    assert [e.id for e in parsed.entries] == [e.guid for e in reversed(published)]
    for entry, episode in zip(parsed.entries, reversed(published), strict=True):
        assert entry.title == episode.title
        assert entry.guidislink is False
        assert entry.enclosures == [
            {
                "href": episode.audio_url,
                "length": str(episode.audio.size),
                "type": enclosure_type(episode.audio_mime),
            }
        ]
        assert entry.itunes_duration == str(_duration(episode))
        assert parsedate_to_datetime(entry.published) == episode.publish_at.replace(microsecond=0)
        assert entry.itunes_episodetype == episode.episode_type
        assert entry.summary == episode.notes_html
        assert entry.content[0].value == episode.notes_html
    assert parsed.entries[1].itunes_season == "1" and parsed.entries[1].itunes_episode == "2"
    assert {t.term for t in parsed.entries[1].tags} == {"airway", "FONA"}


@pytest.mark.django_db
def test_channel_has_every_tag_apple_asks_for(client, feed_show, published):
    root = _xml(_get(client, feed_show).content)
    channel = root.find("channel")

    assert channel.findtext("title") == "Airway Rounds"
    assert channel.findtext("description") == feed_show.description
    assert channel.findtext("language") == "en"
    assert channel.findtext("link") == "http://testserver/shows/airway-rounds/"
    assert channel.findtext("copyright") == "© 2026 Society of Testing"
    cover = channel.find("itunes:image", NS).get("href")
    assert cover.startswith("http://testserver/shows/airway-rounds/artwork/") and cover.endswith("-1400.jpg")
    category = channel.find("itunes:category", NS)
    assert category.get("text") == "Health & Fitness"
    assert [c.get("text") for c in category.findall("itunes:category", NS)] == ["Medicine"]
    assert channel.findtext("itunes:explicit", namespaces=NS) == "false"
    assert channel.findtext("itunes:author", namespaces=NS) == "Society of Testing"
    assert channel.findtext("itunes:owner/itunes:name", namespaces=NS) == "Society of Testing"
    assert channel.findtext("itunes:owner/itunes:email", namespaces=NS) == "podcast@example.org"
    assert channel.findtext("itunes:type", namespaces=NS) == "episodic"
    assert channel.find("itunes:new-feed-url", NS) is None
    assert channel.find("itunes:complete", NS) is None


@pytest.mark.django_db
def test_items_carry_explicit_true_false_artwork_and_links(client, feed_show, published):
    items = _items(_xml(_get(client, feed_show).content))
    by_guid = {item.findtext("guid"): item for item in items}

    for episode in published:
        item = by_guid[episode.guid]
        assert item.find("guid").get("isPermaLink") == "false"
        assert item.findtext("itunes:explicit", namespaces=NS) == ("true" if episode.explicit else "false")
        assert item.findtext("link") == "http://testserver" + episode.get_absolute_url()
    with_art = by_guid[published[1].guid].find("itunes:image", NS)
    assert with_art.get("href") == "http://testserver" + published[1].get_feed_artwork_url()
    assert with_art.get("href").endswith("-1400.jpg")  # a JPEG made from the episode's PNG
    assert by_guid[published[0].guid].find("itunes:image", NS) is None  # no episode art: none


@pytest.mark.django_db
def test_podcasting20_tags(client, feed_show, published):
    root = _xml(_get(client, feed_show).content)
    channel = root.find("channel")
    feed_url = "http://testserver/shows/airway-rounds/feed.xml"

    assert channel.xpath("podcast:guid/text()", namespaces=NS) == [
        str(uuid.uuid5(GUID_NAMESPACE, "testserver/shows/airway-rounds/feed.xml"))
    ]
    assert channel.xpath("podcast:locked/text()", namespaces=NS) == ["yes"]
    assert channel.xpath("podcast:locked/@owner", namespaces=NS) == ["podcast@example.org"]
    assert channel.xpath("podcast:funding/@url", namespaces=NS) == ["https://example.org/donate"]
    assert channel.xpath("podcast:funding/text()", namespaces=NS) == ["Support the society"]
    assert channel.xpath("podcast:medium/text()", namespaces=NS) == ["podcast"]
    assert channel.xpath("atom:link[@rel='self']/@href", namespaces=NS) == [feed_url]

    fona = published[1]
    item = root.xpath("channel/item[guid=$g]", g=fona.guid)[0]
    persons = item.xpath("podcast:person", namespaces=NS)
    assert [(p.text, p.get("role"), p.get("href")) for p in persons] == [
        ("Dr Host", "host", "https://example.org/host"),
        ("Prof Faculty", "guest", "https://example.org/faculty"),  # faculty is not a P2.0 role
    ]
    assert persons[0].get("img") == "https://example.org/host.jpg"
    transcript = item.xpath("podcast:transcript", namespaces=NS)[0]
    assert transcript.get("url") == "http://testserver" + fona.get_transcript_url()
    assert transcript.get("type") == "text/vtt"
    assert transcript.get("rel") == "captions"
    chapters = item.xpath("podcast:chapters", namespaces=NS)[0]
    assert chapters.get("url") == "http://testserver" + fona.get_chapters_url()
    assert chapters.get("type") == "application/json+chapters"
    assert item.xpath("podcast:season/text()", namespaces=NS) == ["1"]
    assert item.xpath("podcast:episode/text()", namespaces=NS) == ["2"]

    first = root.xpath("channel/item[guid=$g]", g=published[0].guid)[0]
    assert first.xpath("podcast:transcript | podcast:chapters | podcast:person", namespaces=NS) == []


@pytest.mark.django_db
def test_serial_show_is_marked_serial_and_still_lists_newest_first(client, feed_show, published):
    feed_show = services.show_update(
        show=feed_show, actor=None, data={"show_type": "serial", "complete": True}
    )
    root = _xml(_get(client, feed_show).content)

    assert root.findtext("channel/itunes:type", namespaces=NS) == "serial"
    assert root.findtext("channel/itunes:complete", namespaces=NS) == "yes"
    assert [i.findtext("guid") for i in _items(root)] == [e.guid for e in reversed(published)]
    parsed = podcastparser.parse(feed_show.feed_url, io.BytesIO(build_feed(feed_show)))
    assert [e["guid"] for e in parsed["episodes"]] == [e.guid for e in published]  # the app reorders


# --- what is (not yet) public ---------------------------------------------------------------------


@pytest.mark.django_db
def test_drafts_and_scheduled_episodes_stay_out_until_due(client, feed_show, published):
    draft = _episode(feed_show, "Unfinished draft", status=Episode.Status.DRAFT)
    later = _episode(feed_show, "Next week", publish_at=timezone.now() + timedelta(days=7))

    guids = [i.findtext("guid") for i in _items(_xml(_get(client, feed_show).content))]
    assert draft.guid not in guids and later.guid not in guids
    assert len(guids) == 3

    # Time travel: the same rows, eight days on.
    future = _xml(build_feed(feed_show, now=timezone.now() + timedelta(days=8)))
    guids = [i.findtext("guid") for i in _items(future)]
    assert guids[0] == later.guid and draft.guid not in guids


@pytest.mark.django_db
def test_scheduled_episode_enters_the_http_feed_when_due_without_any_job(client, feed_show, published):
    due = timezone.now() + timedelta(seconds=1)
    scheduled = _episode(feed_show, "Right on time", publish_at=due)
    before = _get(client, feed_show)
    assert scheduled.guid not in [i.findtext("guid") for i in _items(_xml(before.content))]
    assert _get(client, feed_show, if_none_match=before["ETag"]).status_code == 304

    time.sleep(max(0.0, (due - timezone.now()).total_seconds()) + 0.05)
    after = _get(client, feed_show, if_none_match=before["ETag"])

    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    assert _items(_xml(after.content))[0].findtext("guid") == scheduled.guid
    assert parsedate_to_datetime(after["Last-Modified"]) >= due.replace(microsecond=0)


@pytest.mark.django_db
def test_an_edit_through_the_services_rebuilds_the_cached_feed(client, feed_show, published):
    before = _get(client, feed_show)
    services.episode_update(episode=published[0], actor=None, data={"title": "Basics, revised"})
    after = _get(client, feed_show, if_none_match=before["ETag"])

    assert after.status_code == 200
    titles = [i.findtext("title") for i in _items(_xml(after.content))]
    assert "Basics, revised" in titles and "Difficult airway basics" not in titles
    # The guid never changes with the title.
    assert published[0].guid in [i.findtext("guid") for i in _items(_xml(after.content))]


# --- hostile text ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_script_tags_and_control_characters_keep_the_feed_well_formed(client, feed_show):
    episode = _episode(
        feed_show,
        "Bad\x00 <script>alert(1)</script> title\x0b\x1b",
        notes="Hello\x00 <script>alert('x')</script> **world**\x1b\x0b <img src=x onerror=alert(1)>",
    )
    # Rows written around the services (an import, the admin) must not break the feed either.
    # (No \x00 here: PostgreSQL refuses NUL in text, so such a row cannot exist there.)
    Episode.objects.filter(pk=episode.pk).update(notes_html="<p>raw\x08 \x1bnotes\x0b</p>", guid="g\x1b-1")
    Show.objects.filter(pk=feed_show.pk).update(
        title="Airway\x0b Rounds\x7f", content_changed_at=timezone.now()
    )

    response = _get(client, feed_show)
    root = _xml(response.content)
    item = _items(root)[0]

    assert b"<script" not in response.content
    assert root.findtext("channel/title") == "Airway Rounds"
    assert item.findtext("title") == "Bad <script>alert(1)</script> title"  # text, escaped in XML
    assert item.findtext("description") == "<p>raw notes</p>"
    assert item.findtext("guid") == "g-1"
    assert not feedparser.parse(response.content).bozo


@pytest.mark.django_db
def test_rendered_notes_reach_the_feed_without_scripts(client, feed_show):
    _episode(feed_show, "Notes", notes="Hi <script>alert('x')</script> <b onclick='x()'>bold</b>")
    content = _get(client, feed_show).content
    notes = _items(_xml(content))[0].findtext("content:encoded", namespaces=NS)

    assert "<script" not in notes and "onclick" not in notes and "alert" not in notes
    assert "<b>bold</b>" in notes
    assert b"<script" not in content


# --- HTTP behaviour -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_feed_headers(client, feed_show, published, settings):
    settings.PODCASTCME_FEED_MAX_AGE = 123
    response = _get(client, feed_show)

    assert response["Content-Type"] == "application/rss+xml; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=123"
    assert response["ETag"].startswith('W/"')
    assert int(response["Content-Length"]) == len(response.content)
    newest = max(e.publish_at for e in published)
    feed_show.refresh_from_db()
    expected = max(newest, feed_show.content_changed_at).replace(microsecond=0)
    assert parsedate_to_datetime(response["Last-Modified"]) == expected
    assert "Accept-Encoding" in response["Vary"]


@pytest.mark.django_db
def test_if_none_match_and_if_modified_since_answer_304(client, feed_show, published):
    first = _get(client, feed_show)

    by_etag = _get(client, feed_show, if_none_match=first["ETag"])
    assert by_etag.status_code == 304
    assert by_etag.content == b""
    assert by_etag["ETag"] == first["ETag"]
    assert by_etag["Cache-Control"] == first["Cache-Control"]

    by_date = _get(client, feed_show, if_modified_since=first["Last-Modified"])
    assert by_date.status_code == 304

    older = parsedate_to_datetime(first["Last-Modified"]) - timedelta(hours=1)
    stale = _get(client, feed_show, if_modified_since=older.strftime("%a, %d %b %Y %H:%M:%S GMT"))
    assert stale.status_code == 200 and stale.content == first.content
    assert _get(client, feed_show, if_none_match='W/"something-else"').status_code == 200


@pytest.mark.django_db
def test_head_sends_the_headers_without_the_body(client, feed_show, published):
    get = _get(client, feed_show)
    head = client.head(reverse("episodes:feed", args=[feed_show.slug]))

    assert head.status_code == 200
    assert head.content == b""
    assert head["Content-Length"] == str(len(get.content))
    assert head["ETag"] == get["ETag"]
    assert head["Content-Type"] == get["Content-Type"]


@pytest.mark.django_db
def test_gzip_when_the_client_accepts_it(client, feed_show, published):
    plain = _get(client, feed_show)
    zipped = _get(client, feed_show, accept_encoding="gzip, deflate, br")

    assert zipped["Content-Encoding"] == "gzip"
    assert len(zipped.content) < len(plain.content)
    assert gzip.decompress(zipped.content) == plain.content
    parsed = feedparser.parse(gzip.decompress(zipped.content))
    assert [e.id for e in parsed.entries] == [e.guid for e in reversed(published)]
    assert not plain.has_header("Content-Encoding")
    # One feed, one validator: a client that got the gzip body revalidates with the same ETag.
    assert zipped["ETag"] == plain["ETag"]
    assert _get(client, feed_show, if_none_match=zipped["ETag"]).status_code == 304
    assert _get(client, feed_show, accept_encoding="gzip;q=0").has_header("Content-Encoding") is False


@pytest.mark.django_db
def test_unknown_show_is_404_and_writes_are_refused(client, feed_show):
    assert client.get("/shows/no-such-show/feed.xml").status_code == 404
    response = client.post(reverse("episodes:feed", args=[feed_show.slug]))
    assert response.status_code == 405


@pytest.mark.django_db
def test_moved_show_keeps_serving_its_feed_with_new_feed_url(client, feed_show, published):
    services.show_update(
        show=feed_show, actor=None, data={"new_feed_url": "https://new.example.org/feed.xml"}
    )
    response = _get(client, feed_show)

    assert response.status_code == 200
    parsed = podcastparser.parse(feed_show.feed_url, io.BytesIO(response.content))
    assert parsed["new_url"] == "https://new.example.org/feed.xml"
    assert len(parsed["episodes"]) == 3


@pytest.mark.django_db
def test_feed_middleware_answers_the_same_as_the_view(client, feed_show, published, settings):
    plain = _get(client, feed_show)
    middleware = list(settings.MIDDLEWARE)
    if "podcastcme.middleware.EarlyPublicViewsMiddleware" not in middleware:
        middleware.insert(middleware.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1,
                          "podcastcme.middleware.EarlyPublicViewsMiddleware")  # fmt: skip
    settings.MIDDLEWARE = middleware

    fast = _get(client, feed_show)
    assert fast.status_code == 200 and fast.content == plain.content
    assert fast["ETag"] == plain["ETag"] and fast["Cache-Control"] == plain["Cache-Control"]
    assert _get(client, feed_show, if_none_match=fast["ETag"]).status_code == 304
    assert client.head(feed_show.get_feed_url())["Content-Length"] == str(len(plain.content))
    assert client.get("/shows/no-such-show/feed.xml").status_code == 404
    assert client.post(feed_show.get_feed_url()).status_code == 405
    assert client.get(feed_show.get_absolute_url() + "nope/feed.xml").status_code == 404


# --- constant number of queries ------------------------------------------------------------------


def _bulk_episodes(show: Show, count: int, template: Episode, topic: Topic) -> None:
    """Rows sharing one stored audio file: enough for counting queries, fast to create."""
    now = timezone.now()
    rows = Episode.objects.bulk_create(
        Episode(
            show=show,
            title=f"Bulk {n}",
            slug=f"bulk-{n}-{uuid.uuid4().hex[:6]}",
            guid=str(uuid.uuid4()),
            notes_html=f"<p>Episode {n}</p>",
            audio=template.audio.name,
            audio_mime=template.audio_mime,
            audio_size=template.audio_size,
            audio_duration=template.audio_duration,
            audio_bitrate=template.audio_bitrate,
            status=Episode.Status.PUBLISHED,
            publish_at=now - timedelta(minutes=n + 10),
            number=n + 1,
        )
        for n in range(count)
    )
    Episode.topics.through.objects.bulk_create(
        Episode.topics.through(episode_id=row.pk, topic_id=topic.pk) for row in rows
    )
    EpisodePerson.objects.bulk_create(EpisodePerson(episode=row, name=f"Guest {row.pk}") for row in rows)
    Show.objects.filter(pk=show.pk).update(content_changed_at=timezone.now())


def _count_queries(client, show: Show) -> tuple[int, int, int]:
    with CaptureQueriesContext(connection) as rebuild:
        response = _get(client, show)
    with CaptureQueriesContext(connection) as hit:
        assert _get(client, show).status_code == 200
    return len(rebuild), len(hit), len(_items(_xml(response.content)))


@pytest.mark.django_db
def test_queries_per_feed_request_do_not_grow_with_episodes(client, feed_show):
    template = _episode(feed_show, "Template", topics="#POCUS")
    topic = Topic.objects.get(name="POCUS")
    _bulk_episodes(feed_show, 9, template, topic)
    small = _count_queries(client, feed_show)
    _bulk_episodes(feed_show, 240, template, topic)
    large = _count_queries(client, feed_show)

    assert small[2] == 10 and large[2] == 250
    assert small[:2] == large[:2]
    # A rebuild: 6, and one query each for what higher apps add to every build with people or items
    # (discussion's corrections; credits' verified clinicians' links, episodes/person_links.py).
    assert large[0] <= 8 and large[1] <= 6
    assert large[1] < large[0]  # a cache hit does not rebuild


@pytest.mark.django_db
def test_within_the_recheck_window_a_poll_costs_no_query(
    client, feed_show, published, settings, django_assert_num_queries
):
    settings.PODCASTCME_FEED_RECHECK_SECONDS = 60
    first = _get(client, feed_show)
    with django_assert_num_queries(0):
        again = _get(client, feed_show)
    assert again.content == first.content
    # A change is seen once the window has passed (here: once this worker forgets its check).
    services.show_update(show=feed_show, actor=None, data={"title": "Renamed within the window"})
    assert b"Renamed within the window" not in _get(client, feed_show).content
    from episodes.feeds import _checked

    _checked.clear()
    assert b"Renamed within the window" in _get(client, feed_show).content
