"""A topic's feed (/topics/<slug>/feed.xml) as podcast apps see it: the topic's public episodes from
every show, CME episodes marked while their activity is open, cached and conditional like a show's."""

import io
from datetime import timedelta

import feedparser
import podcastparser
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from credits import services as credit_services
from credits.models import Activity
from episodes import services
from episodes.models import Episode, Show, Topic
from episodes.moving import move_show_away
from episodes.topic_feeds import TOPIC_FEED_LIMIT, current_topic_feed
from testkit.factories import expire_activity, make_episode, make_show

SITE = "http://testserver"
NS = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
}
FEED = "/topics/pocus/feed.xml"


def _tagged(show: Show, slug: str, *, topics=("POCUS",), days_ago: float = 1, **fields) -> Episode:
    episode = make_episode(
        show,
        slug=slug,
        title=fields.pop("title", slug.replace("-", " ").capitalize()),
        notes_html=fields.pop("notes_html", f"<p>Notes of {slug}.</p>"),
        **{"publish_at": timezone.now() - timedelta(days=days_ago), **fields},
    )
    for name in topics:
        topic = Topic.objects.filter(name__iexact=name).first() or Topic.objects.create(
            name=name, slug=name.lower()
        )
        episode.topics.add(topic)
    return episode


def _get(client, url: str = FEED, **headers):
    return client.get(url, headers=headers)


def _feed(client, url: str = FEED) -> bytes:
    response = _get(client, url)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/rss+xml; charset=utf-8"
    return response.content


def _podcastparser(body: bytes) -> dict:
    return podcastparser.parse(SITE + FEED, io.BytesIO(body))


def _show_feed_item(client, show: Show, guid: str) -> dict:
    body = client.get(reverse("episodes:feed", args=[show.slug])).content
    return next(e for e in _podcastparser(body)["episodes"] if e["guid"] == guid)


@pytest.fixture
def ultrasound(db):
    return make_show(title="Ultrasound Minutes", slug="ultrasound-minutes")


@pytest.fixture
def two_shows(show, ultrasound):
    """Three POCUS episodes in two shows (newest: the lung), and one airway episode."""
    return {
        "membrane": _tagged(show, "cricothyroid-membrane", topics=("POCUS", "airway"), days_ago=3),
        "lung": _tagged(ultrasound, "lung-sliding", days_ago=1),
        "gastric": _tagged(ultrasound, "gastric-volume", topics=("POCUS", "OBanes"), days_ago=2),
        "cart": _tagged(show, "airway-cart", topics=("airway",), days_ago=1),
    }


# --- what podcast apps read -----------------------------------------------------------------------


def test_the_feed_parses_in_podcastparser_with_every_shows_episodes(client, show, ultrasound, two_shows):
    body = _feed(client)
    parsed = _podcastparser(body)
    assert parsed["title"] == "#POCUS on podcastcme"
    assert parsed["link"] == SITE + "/topics/pocus/"
    assert "#POCUS" in parsed["description"]
    titles = [e["title"] for e in parsed["episodes"]]
    # Newest first, each with its show; the airway-only episode is not in it.
    assert titles == [
        "Lung sliding · Ultrasound Minutes",
        "Gastric volume · Ultrasound Minutes",
        "Cricothyroid membrane · Airway Rounds",
    ]
    lung = two_shows["lung"]
    item = parsed["episodes"][0]
    # The same item as in the show's own feed: guid, enclosure URL, length and type, link.
    same = _show_feed_item(client, ultrasound, lung.guid)
    assert item["guid"] == lung.guid == same["guid"]
    assert item["enclosures"] == same["enclosures"]
    assert item["enclosures"][0]["url"] == SITE + lung.get_audio_url()
    assert item["link"] == SITE + lung.get_absolute_url()
    assert item["published"] == int(lung.publish_at.timestamp())
    assert "Notes of lung-sliding." in item["description_html"]
    assert item["total_time"] == 41 * 60


def test_the_feed_parses_in_feedparser_with_keywords_and_no_directory_listing(client, two_shows):
    parsed = feedparser.parse(_feed(client))
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.feed.title == "#POCUS on podcastcme"
    assert parsed.feed.link == SITE + "/topics/pocus/"
    assert [e.id for e in parsed.entries] == [
        two_shows["lung"].guid,
        two_shows["gastric"].guid,
        two_shows["membrane"].guid,
    ]
    assert parsed.entries[1].enclosures[0].href == SITE + two_shows["gastric"].get_audio_url()
    assert parsed.entries[1].enclosures[0].type == "audio/mpeg"
    assert {t.term for t in parsed.entries[1].tags} == {"POCUS", "OBanes"}
    root = etree.fromstring(_feed(client))
    channel = root.find("channel")
    # The topic first, then the topics its episodes share most; each item its own topics.
    assert channel.findtext("itunes:keywords", namespaces=NS) == "POCUS,airway,OBanes"
    assert [i.findtext("itunes:keywords", namespaces=NS) for i in channel.findall("item")] == [
        "POCUS",
        "OBanes,POCUS",
        "airway,POCUS",
    ]
    # Apps subscribe by URL; directories do not list a feed that repeats other shows' episodes.
    assert channel.findtext("itunes:block", namespaces=NS) == "yes"
    assert channel.findtext("podcast:block", namespaces=NS) == "yes"
    assert channel.findtext("itunes:author", namespaces=NS) == "podcastcme"
    assert channel.find("itunes:category", NS).get("text") == "Health & Fitness"
    assert channel.findtext("itunes:explicit", namespaces=NS) == "false"
    self_link = channel.find("{http://www.w3.org/2005/Atom}link[@rel='self']")
    assert self_link.get("href") == SITE + FEED


def test_drafts_scheduled_moved_shows_and_other_topics_are_left_out(client, show, ultrasound, two_shows):
    _tagged(show, "a-draft", status=Episode.Status.DRAFT, publish_at=None)
    scheduled = _tagged(show, "scheduled", days_ago=-2)  # public in two days
    moved = make_show(title="Moved Away", slug="moved-away")
    _tagged(moved, "moved-episode")
    move_show_away(show=moved, actor=None, new_feed_url="https://new-host.example.com/feed.xml")
    other = Topic.objects.create(name="intubation", slug="intubation")
    _tagged(ultrasound, "only-intubation", topics=("intubation",))

    guids = [e["guid"] for e in _podcastparser(_feed(client))["episodes"]]
    assert guids == [two_shows["lung"].guid, two_shows["gastric"].guid, two_shows["membrane"].guid]
    assert [e["title"] for e in _podcastparser(_feed(client, "/topics/intubation/feed.xml"))["episodes"]] == [
        "Only intubation · Ultrasound Minutes"
    ]
    assert other.slug == "intubation"
    # The scheduled episode joins once its time has come (no cron job: the built feed knows when).
    later = current_topic_feed("pocus", now=timezone.now() + timedelta(days=3))
    assert scheduled.guid in [e["guid"] for e in _podcastparser(later.body)["episodes"]]


def test_a_topic_without_public_episodes_has_an_empty_valid_feed(client, db):
    Topic.objects.create(name="OBanes", slug="obanes")
    body = _feed(client, "/topics/obanes/feed.xml")
    parsed = _podcastparser(body)
    assert parsed["title"] == "#OBanes on podcastcme" and parsed["episodes"] == []
    assert not feedparser.parse(body).bozo


def test_the_feed_holds_the_newest_episodes_only(client, show, monkeypatch):
    monkeypatch.setattr("episodes.topic_feeds.TOPIC_FEED_LIMIT", 2)
    for day in range(4):
        _tagged(show, f"episode-{day}", days_ago=day + 1)
    titles = [e["title"] for e in _podcastparser(_feed(client))["episodes"]]
    assert titles == ["Episode 0 · Airway Rounds", "Episode 1 · Airway Rounds"]
    assert TOPIC_FEED_LIMIT == 100  # the module's own limit, unchanged by the patch above


def test_a_guid_two_shows_share_stays_unique_in_the_topic_feed(client, show, ultrasound):
    # Guids are unique per show only (imported shows keep their source's guids).
    first = _tagged(show, "first", guid="shared-guid", days_ago=2)
    second = _tagged(ultrasound, "second", guid="shared-guid", days_ago=1)
    guids = [e.id for e in feedparser.parse(_feed(client)).entries]
    assert guids == [f"shared-guid#{ultrasound.pk}", "shared-guid"]
    assert first.pk < second.pk  # the older episode keeps the guid it has in its show's feed


# --- CME episodes ---------------------------------------------------------------------------------


def test_a_cme_episode_is_marked_while_its_activity_is_open(client, show, episode, activity):
    episode.topics.add(Topic.objects.create(name="POCUS", slug="pocus"))
    services.episode_update(episode=episode, actor=None, data={}, topics="#POCUS")  # bumps the show
    page = SITE + episode.get_absolute_url()
    body = _feed(client)
    item = _podcastparser(body)["episodes"][0]
    assert item["title"] == "Difficult airway (CME) · Airway Rounds"
    assert item["description_html"].rstrip().endswith(f'Earn CME credit: <a href="{page}">{page}</a></p>')
    entry = feedparser.parse(body).entries[0]
    assert {t.term for t in entry.tags} == {"POCUS", "CME"}
    assert etree.fromstring(body).findtext("channel/item/itunes:keywords", namespaces=NS) == "CME,POCUS"
    # The show feed says the same about credit (one rule: feeds.episode_credit_link).
    assert (
        f'Earn CME credit: <a href="{page}">{page}</a>'
        in _show_feed_item(client, show, episode.guid)["description_html"]
    )

    expire_activity(activity, released_days_ago=400)
    credit_services.activity_update(activity=Activity.objects.get(pk=activity.pk), actor=None, data={})
    body = _feed(client)
    assert _item_texts(body) == ["Difficult airway · Airway Rounds", "POCUS", "POCUS"]
    assert b"Earn CME credit" not in body


def _item_texts(body: bytes) -> list[str]:
    """The one item's title, categories and itunes:keywords."""
    item = etree.fromstring(body).find("channel/item")
    assert item is not None
    return [
        item.findtext("title") or "",
        ",".join(c.text or "" for c in item.findall("category")),
        item.findtext("itunes:keywords", namespaces=NS) or "",
    ]


def test_an_unpublished_activity_marks_nothing(client, show, episode, provider, coordinator):
    from testkit.factories import make_activity

    make_activity(provider=provider, episode=episode, coordinator=coordinator, publish=False)
    services.episode_update(episode=episode, actor=None, data={}, topics="#POCUS")
    body = _feed(client)
    assert _item_texts(body) == ["Difficult airway · Airway Rounds", "POCUS", "POCUS"]
    assert b"Earn CME credit" not in body


def test_the_credit_line_goes_when_the_activity_expires_without_any_edit(client, show, episode, activity):
    services.episode_update(episode=episode, actor=None, data={}, topics="#POCUS")
    assert _item_texts(current_topic_feed("pocus").body)[0] == "Difficult airway (CME) · Airway Rounds"
    expiry = Activity.objects.get(pk=activity.pk).current_version.expiry_date
    # Time passes (simulated: the dates move back, no service runs, nothing bumps the show); the
    # feed built before knows it changes the day after the expiry date and is rebuilt then.
    expire_activity(activity)
    after = timezone.now() + timedelta(days=(expiry - timezone.localdate()).days + 1)
    body = current_topic_feed("pocus", now=after).body
    assert _item_texts(body)[0] == "Difficult airway · Airway Rounds"
    assert b"Earn CME credit" not in body


# --- addresses and bad input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/topics/unknown/feed.xml", 404),
        ("/topics/" + "a" * 300 + "/feed.xml", 404),
        ("/topics/a.b/feed.xml", 404),
        ("/topics/%E2%9C%93/feed.xml", 404),
        ("/topics/pocus%20/feed.xml", 404),
        ("/topics//feed.xml", 404),
        ("/topics/pocus/feed.rss", 404),
        ("/topics/pocus%00/feed.xml", 400),  # refused before any view (a NUL in the path)
    ],
)
def test_an_unknown_topic_or_a_bad_slug_is_refused(client, two_shows, url, status):
    response = _get(client, url)
    assert response.status_code == status
    assert b"<rss" not in response.content


def test_a_slug_in_another_case_redirects_to_the_topic_feed(client, two_shows):
    response = _get(client, "/topics/POCUS/feed.xml")
    assert response.status_code == 301 and response["Location"] == FEED
    assert _get(client, "/topics/PoCuS/feed.xml")["Location"] == FEED


def test_only_get_and_head(client, two_shows):
    assert client.post(FEED).status_code == 405
    head = client.head(FEED)
    assert head.status_code == 200 and head.content == b""
    assert int(head["Content-Length"]) == len(_feed(client))


# --- caching --------------------------------------------------------------------------------------


def test_conditional_get_answers_304_until_the_feed_changes(client, two_shows):
    first = _get(client)
    etag, modified = first["ETag"], first["Last-Modified"]
    assert first["Cache-Control"].startswith("public, max-age=")
    again = _get(client, **{"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    assert _get(client, **{"If-Modified-Since": modified}).status_code == 304
    gzipped = _get(client, **{"Accept-Encoding": "gzip"})
    assert gzipped["Content-Encoding"] == "gzip" and gzipped["ETag"] == etag

    services.episode_update(episode=two_shows["cart"], actor=None, data={}, topics="#airway #POCUS")
    changed = _get(client, **{"If-None-Match": etag})
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert b"Airway cart" in changed.content


def test_a_show_losing_its_last_tagged_episode_leaves_the_cached_feed(client, show, ultrasound):
    membrane = _tagged(show, "cricothyroid-membrane", days_ago=2)
    lung = _tagged(ultrasound, "lung-sliding", days_ago=1)
    services.show_update(show=show, actor=None, data={"copyright": "2026"})  # the newest change
    assert len(_podcastparser(_feed(client))["episodes"]) == 2
    # The ultrasound show's change is now the newest, but it has no POCUS episode any more: the
    # newest change among the tagged shows is the same as before; their number tells the cache.
    services.episode_update(episode=lung, actor=None, data={}, topics="#lungs")
    assert [e["guid"] for e in _podcastparser(_feed(client))["episodes"]] == [membrane.guid]


def test_renaming_a_show_changes_its_items_in_the_topic_feed(client, ultrasound, two_shows):
    _feed(client)
    services.show_update(show=ultrasound, actor=None, data={"title": "Ultrasound Hour"})
    assert b"Lung sliding \xc2\xb7 Ultrasound Hour" in _feed(client)


def _bulk(shows: list[Show], count: int, topic: Topic, *, first: int = 0) -> None:
    now = timezone.now()
    rows = Episode.objects.bulk_create(
        Episode(
            show=shows[n % len(shows)],
            title=f"Bulk {n}",
            slug=f"bulk-{n}",
            guid=f"bulk-{n}",
            audio="audio/x.mp3",
            audio_mime="audio/mpeg",
            audio_size=1000,
            audio_duration=60,
            audio_bitrate=64000,
            status=Episode.Status.PUBLISHED,
            publish_at=now - timedelta(hours=n + 1),
            notes_html="<p>Bulk.</p>",
        )
        for n in range(first, first + count)
    )
    Episode.topics.through.objects.bulk_create(
        Episode.topics.through(episode_id=row.pk, topic_id=topic.pk) for row in rows
    )
    Show.objects.filter(pk__in=[s.pk for s in shows]).update(content_changed_at=timezone.now())


def _queries(client) -> tuple[int, int, int]:
    with CaptureQueriesContext(connection) as rebuild:
        body = _feed(client)
    with CaptureQueriesContext(connection) as hit:
        _feed(client)
    return len(rebuild), len(hit), len(_podcastparser(body)["episodes"])


def test_queries_per_request_do_not_grow_with_episodes_and_shows(client, db, activity):
    shows = [make_show(title=f"Show {n}", slug=f"show-{n}") for n in range(3)]
    topic = Topic.objects.create(name="POCUS", slug="pocus")
    _bulk(shows[:1], 1, topic)
    small = _queries(client)
    _bulk(shows, 30, topic, first=1)
    activity.episode.topics.add(topic)  # a CME episode of a fourth show, and its persons
    Show.objects.filter(pk=activity.episode.show_id).update(content_changed_at=timezone.now())
    large = _queries(client)

    assert small[2] == 1 and large[2] == 32
    assert small[:2] == large[:2]
    assert large[1] == 1  # a poll: the version check only
    # A rebuild: the version, the topic, the items, their topics and persons, their shows and the
    # next scheduled episode (and what other apps add to every feed build, e.g. corrections).
    assert large[0] <= 9


# --- the topic page -------------------------------------------------------------------------------


def test_the_topic_page_links_to_its_feed_and_the_apps(client, two_shows):
    body = client.get("/topics/pocus/").content.decode()
    title = "#POCUS: episodes from every show"
    assert f'<link rel="alternate" type="application/rss+xml" title="{title}" href="{SITE}{FEED}">' in body
    assert f'href="{SITE}{FEED}" type="application/rss+xml">RSS feed</a>' in body
    assert 'href="podcast://testserver/topics/pocus/feed.xml"' in body
    assert "overcast://x-callback-url/add?url=http%3A%2F%2Ftestserver%2Ftopics%2Fpocus%2Ffeed.xml" in body
    assert 'href="antennapod-subscribe://testserver/topics/pocus/feed.xml"' in body
    assert "open.spotify.com" not in body  # Spotify cannot open a feed URL
    assert f'value="{SITE}{FEED}"' in body


# --- the show feed's keywords ---------------------------------------------------------------------


def test_the_show_feed_writes_topics_as_itunes_keywords_within_apples_limit(client, show, two_shows):
    names = [f"topic{n:02d}" for n in range(14)]
    _tagged(show, "many-topics", topics=names, days_ago=0.5)
    root = etree.fromstring(client.get(reverse("episodes:feed", args=[show.slug])).content)
    items = {i.findtext("guid"): i for i in root.findall("channel/item")}
    assert items[two_shows["membrane"].guid].findtext("itunes:keywords", namespaces=NS) == "airway,POCUS"
    assert items[two_shows["cart"].guid].findtext("itunes:keywords", namespaces=NS) == "airway"
    many = items["guid-many-topics"].findtext("itunes:keywords", namespaces=NS)
    assert many == ",".join(names[:12])  # Apple read at most 12
    # The channel: the show's most used topics first (airway twice), at most 12.
    channel = root.findtext("channel/itunes:keywords", namespaces=NS)
    assert channel.split(",")[0] == "airway" and len(channel.split(",")) == 12


# --- a cached feed follows every change (review) ----------------------------------------------------


def test_an_episode_unpublished_or_a_show_moved_away_leaves_the_cached_feed(client, ultrasound, two_shows):
    assert len(_podcastparser(_feed(client))["episodes"]) == 3
    services.episode_update(episode=two_shows["lung"], actor=None, data={"status": Episode.Status.DRAFT})
    assert [e["guid"] for e in _podcastparser(_feed(client))["episodes"]] == [
        two_shows["gastric"].guid,
        two_shows["membrane"].guid,
    ]
    move_show_away(show=ultrasound, actor=None, new_feed_url="https://new-host.example.com/feed.xml")
    assert [e["guid"] for e in _podcastparser(_feed(client))["episodes"]] == [two_shows["membrane"].guid]


def test_a_topic_given_another_slug_links_its_new_address(client, two_shows):
    _feed(client)
    Topic.objects.filter(slug="pocus").update(slug="point-of-care-ultrasound")  # the admin's edit
    body = _feed(client, "/topics/point-of-care-ultrasound/feed.xml")
    assert b"/topics/point-of-care-ultrasound/feed.xml" in body
    assert b"/topics/pocus/" not in body


def test_markup_in_a_topic_name_and_titles_is_escaped_on_the_page_and_in_the_feed(client, show):
    _tagged(show, "markup", topics=("POCUS",), title="<img src=x onerror=alert(1)> & co")
    Topic.objects.filter(slug="pocus").update(name="<script>alert(1)</script>")  # the admin's edit
    page = client.get("/topics/pocus/").content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    parsed = feedparser.parse(_feed(client))
    assert parsed.bozo == 0
    assert parsed.feed.title == "#<script>alert(1)</script> on podcastcme"  # text, not markup
    assert parsed.entries[0].title == "<img src=x onerror=alert(1)> & co · Airway Rounds"
