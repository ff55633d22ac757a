"""Moving a show away (issue 16 item 7): 301 plus itunes:new-feed-url, audio kept, audited, undoable."""

import io
import uuid
from datetime import timedelta

import feedparser
import podcastparser
import pytest
from django.core.cache import caches
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from audit.models import AuditEvent
from episodes import services
from episodes.feeds import forget_built_feeds
from episodes.models import Episode, Show, ShowHost
from episodes.moving import MoveRefused, forget_moves, move_show_away, undo_move
from episodes.personal_feeds import personal_feed_get_or_create, personal_feed_url
from testkit.media import make_artwork, make_audio

pytestmark = pytest.mark.django_db

NEW_FEED = "https://feeds.newhost.example/airway-rounds.xml"
NS = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
}
APP_UA = "Overcast/3.0 (+http://overcast.fm/; iOS podcast app)"


@pytest.fixture(autouse=True)
def _nothing_remembered():
    forget_built_feeds()
    forget_moves()
    for cache in caches.all():
        cache.clear()
    yield
    forget_built_feeds()
    forget_moves()


def _episode(show: Show, title: str, kind: str, days_ago: int) -> Episode:
    with open(make_audio(1.0, kind), "rb") as handle:  # a real ffmpeg-made file
        return services.episode_create(
            show=show,
            actor=None,
            title=title,
            audio=File(handle, name=f"upload.{kind}"),
            status=Episode.Status.PUBLISHED,
            publish_at=timezone.now() - timedelta(days=days_ago),
            notes="Notes with **Markdown**.",
        )


@pytest.fixture
def episodes(show):
    Show.objects.filter(pk=show.pk).update(podcast_guid=uuid.uuid4())
    show.refresh_from_db()
    return [
        _episode(show, "Difficult airway basics", "mp3", 2),
        _episode(show, "Front-of-neck access", "m4a", 1),
    ]


def _feed(client, show: Show, method: str = "get"):
    return getattr(client, method)(reverse("episodes:feed", args=[show.slug]))


def _move_url(show: Show) -> str:
    return reverse("episodes:host_show_move", args=[show.slug])


def _moves(show: Show) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.for_object(show)
        .filter(action__in=["show.moved_away", "show.move_undone"])
        .order_by("pk")
    )


# --- the host's pages -------------------------------------------------------------------------------


def test_a_host_moves_a_show_after_confirming_and_the_old_feed_answers_301(host_client, host, show, episodes):
    host_page = host_client.get(reverse("episodes:host_show", args=[show.slug])).content.decode()
    assert _move_url(show) in host_page and "Move this show away" in host_page
    assert host_client.get(_move_url(show)).status_code == 200

    confirm = host_client.post(_move_url(show), {"new_feed_url": f"  {NEW_FEED} "})
    assert confirm.status_code == 200
    page = confirm.content.decode()
    assert 'name="confirm" value="1"' in page and f'value="{NEW_FEED}"' in page and "danger" in page
    show.refresh_from_db()
    assert show.moved_away_at is None and show.new_feed_url == "" and _moves(show) == []
    assert _feed(host_client, show).status_code == 200  # nothing changes before the confirmation

    done = host_client.post(_move_url(show), {"new_feed_url": NEW_FEED, "confirm": "1"})
    assert done.status_code == 302 and done["Location"] == reverse("episodes:host_show", args=[show.slug])
    show.refresh_from_db()
    assert show.new_feed_url == NEW_FEED and show.moved_away_at is not None
    [event] = _moves(show)
    assert event.action == "show.moved_away" and event.actor == host
    assert event.data["new_feed_url"] == NEW_FEED and event.data["previous_new_feed_url"] == ""

    feed = _feed(host_client, show)
    assert feed.status_code == 301 and feed["Location"] == NEW_FEED
    assert feed["Content-Type"].startswith("application/rss+xml")
    head = _feed(host_client, show, "head")
    assert head.status_code == 301 and head["Location"] == NEW_FEED and head.content == b""
    moved_page = host_client.get(reverse("episodes:host_show", args=[show.slug])).content.decode()
    assert NEW_FEED in moved_page and "Moved away: undo the move" in moved_page


def test_the_minimal_feed_announces_the_new_url_and_keeps_every_guid(client, show, episodes):
    before = _feed(client, show)
    assert before.status_code == 200
    old_items = etree.fromstring(before.content).findall("channel/item")

    move_show_away(show=show, actor=None, new_feed_url=NEW_FEED)
    response = _feed(client, show)
    assert response.status_code == 301

    parsed = podcastparser.parse(show.feed_url, io.BytesIO(response.content))
    assert parsed["new_url"] == NEW_FEED
    assert [e["guid"] for e in parsed["episodes"]] == [i.findtext("guid") for i in old_items]
    assert [e["enclosures"][0]["url"] for e in parsed["episodes"]] == [
        i.find("enclosure").get("url") for i in old_items
    ]
    # The same enclosure types as the feed before the move (audio/x-m4a for M4A, not the stored type).
    moved_items = etree.fromstring(response.content).findall("channel/item")
    assert [i.find("enclosure").get("type") for i in moved_items] == [
        i.find("enclosure").get("type") for i in old_items
    ]
    assert "audio/x-m4a" in {i.find("enclosure").get("type") for i in moved_items}
    by_feedparser = feedparser.parse(response.content)
    assert not by_feedparser.bozo
    assert by_feedparser.feed["itunes_new-feed-url"] == NEW_FEED
    assert [entry.id for entry in by_feedparser.entries] == [i.findtext("guid") for i in old_items]

    channel = etree.fromstring(response.content).find("channel")
    assert channel.findtext("podcast:guid", namespaces=NS) == str(show.podcast_guid)
    assert channel.find("podcast:locked", NS).text == "yes"
    assert channel.find("podcast:locked", NS).get("owner") == show.owner_email
    assert channel.findtext("itunes:new-feed-url", namespaces=NS) == NEW_FEED
    assert channel.findtext("title") == show.title


def test_the_minimal_feed_names_the_same_feed_cover_as_the_feed(client, show, episodes):
    # The feed's itunes:image is the JPEG rendition made for it (docs/artwork.md), not the uploaded
    # original (which may be a 19 MB PNG); the minimal feed names the same file as the feed did.
    services.show_update(
        show=show,
        actor=None,
        data={
            "artwork": SimpleUploadedFile("cover.png", make_artwork(1400, "PNG"), content_type="image/png")
        },
    )
    show.refresh_from_db()
    assert show.get_feed_artwork_url() != show.get_artwork_url()
    channel = etree.fromstring(_feed(client, show).content).find("channel")
    feed_cover = channel.find("itunes:image", NS).get("href")
    assert feed_cover == "http://testserver" + show.get_feed_artwork_url()

    move_show_away(show=show, actor=None, new_feed_url=NEW_FEED)
    moved = etree.fromstring(_feed(client, show).content).find("channel")
    assert moved.find("itunes:image", NS).get("href") == feed_cover
    assert moved.findtext("image/url") == channel.findtext("image/url") == feed_cover
    cover = client.get(feed_cover.removeprefix("http://testserver"))
    assert cover.status_code == 200 and cover["Content-Type"] == "image/jpeg"


def test_audio_and_personal_feeds_keep_working_after_the_move(client, learner, show, episodes):
    personal = personal_feed_url(personal_feed_get_or_create(user=learner, show=show))
    move_show_away(show=show, actor=None, new_feed_url=NEW_FEED)

    for episode in episodes:
        probe = client.get(episode.get_audio_url(), headers={"Range": "bytes=0-1", "User-Agent": APP_UA})
        assert probe.status_code == 206 and probe["Content-Range"] == f"bytes 0-1/{episode.audio_size}"
        whole = client.get(episode.get_audio_url(), headers={"User-Agent": APP_UA})
        assert whole.status_code == 200
        assert b"".join(whole.streaming_content) == episode.audio.open("rb").read()

    # Decision: a personal feed is private, polled by one listener's app for their CME downloads; it
    # is not redirected (the new host cannot serve it) and keeps every episode and its token.
    assert personal is not None
    private = client.get(personal.removeprefix("http://testserver"))
    assert private.status_code == 200
    parsed = podcastparser.parse(personal, io.BytesIO(private.content))
    assert len(parsed["episodes"]) == 2
    audio = parsed["episodes"][0]["enclosures"][0]["url"].removeprefix("http://testserver")
    assert client.get(audio, headers={"Range": "bytes=0-1", "User-Agent": APP_UA}).status_code == 206


def test_public_pages_tell_visitors_the_show_moved(client, show, episodes):
    move_show_away(show=show, actor=None, new_feed_url=NEW_FEED)
    for url in (show.get_absolute_url(), episodes[0].get_absolute_url()):
        page = client.get(url)
        assert page.status_code == 200
        assert "This show has moved to another host" in page.content.decode()
        assert f'href="{NEW_FEED}"' in page.content.decode()


# --- undo ------------------------------------------------------------------------------------------


def _snapshot(show: Show) -> dict:
    show.refresh_from_db()
    fields = model_to_dict(show, exclude=["content_changed_at", "hosts"])
    fields.update(podcast_guid=show.podcast_guid, artwork=show.artwork.name)
    return fields


def test_undo_restores_the_show_exactly_and_is_audited(host_client, host, show, episodes):
    # A URL announced before the move (the show form's field) comes back too.
    services.show_update(show=show, actor=None, data={"new_feed_url": "https://mirror.example.org/feed.xml"})
    before, feed_before = _snapshot(show), _feed(host_client, show).content
    move_show_away(show=show, actor=host, new_feed_url=NEW_FEED)
    assert _feed(host_client, show).status_code == 301

    page = host_client.get(_move_url(show)).content.decode()
    assert "Undo the move" in page and reverse("episodes:host_show_move_undo", args=[show.slug]) in page
    response = host_client.post(reverse("episodes:host_show_move_undo", args=[show.slug]))
    assert response.status_code == 302

    assert _snapshot(show) == before
    after = _feed(host_client, show)
    assert after.status_code == 200
    assert after.content.replace(b"\n", b"").count(b"<item>") == feed_before.count(b"<item>") == 2
    assert b"https://mirror.example.org/feed.xml" in after.content
    moved, undone = _moves(show)
    assert undone.action == "show.move_undone" and undone.actor == host
    assert undone.data["moved_to"] == NEW_FEED
    assert undone.data["new_feed_url"] == "https://mirror.example.org/feed.xml"
    assert "This show has moved" not in host_client.get(show.get_absolute_url()).content.decode()


def test_moving_twice_or_undoing_an_unmoved_show_is_refused_and_changes_nothing(show, episodes):
    with pytest.raises(MoveRefused, match="nothing to undo"):
        undo_move(show=show, actor=None)
    move_show_away(show=show, actor=None, new_feed_url=NEW_FEED)
    moved = _snapshot(show)
    with pytest.raises(MoveRefused, match="already moved away"):
        move_show_away(show=show, actor=None, new_feed_url="https://other.example.org/feed.xml")
    assert _snapshot(show) == moved and len(_moves(show)) == 1


# --- the show form never changes the new feed URL (decision: docs/moving-away.md) -----------------


def _edit_url(show: Show) -> str:
    return reverse("episodes:host_show_edit", args=[show.slug])


def _show_form(show: Show, **overrides) -> dict:
    """What the edit form posts for ``show`` as it is, with ``overrides``."""
    data = {
        "title": show.title,
        "description": show.description,
        "author": show.author,
        "owner_name": show.owner_name,
        "owner_email": show.owner_email,
        "language": show.language,
        "category": show.category,
        "subcategory": show.subcategory,
        "show_type": show.show_type,
        **overrides,
    }
    if show.locked:
        data["locked"] = "on"  # an unticked box is not posted
    return data


def _updates(show: Show) -> int:
    return AuditEvent.objects.for_object(show).filter(action="show.updated").count()


def test_while_moved_the_show_form_shows_the_new_feed_url_read_only_and_refuses_to_change_it(
    host_client, show, episodes
):
    move_show_away(show=show, actor=None, new_feed_url=NEW_FEED)
    moved = _snapshot(show)
    page = host_client.get(_edit_url(show)).content.decode()
    assert 'name="new_feed_url"' not in page
    assert NEW_FEED in page and _move_url(show) in page

    for posted in ("", "https://elsewhere.example.org/feed.xml"):  # cleared, or pointed elsewhere
        response = host_client.post(_edit_url(show), _show_form(show, title="Renamed", new_feed_url=posted))
        assert response.status_code == 400
        page = response.content.decode()
        assert "has moved away" in page and "only on the" in page and _move_url(show) in page
        assert _snapshot(show) == moved and _updates(show) == 0  # nothing saved, not even the title
        forget_built_feeds()
        feed = _feed(host_client, show)
        assert feed.status_code == 301 and feed["Location"] == NEW_FEED

    # The form as the page now sends it (no new_feed_url) saves the rest and keeps the move.
    response = host_client.post(_edit_url(show), _show_form(show, title="Renamed"))
    assert response.status_code == 302
    show.refresh_from_db()
    assert show.title == "Renamed" and show.new_feed_url == NEW_FEED and show.moved_away_at is not None
    assert _feed(host_client, show).status_code == 301
    # The same URL posted back (a page opened before this change) is not a change: accepted.
    response = host_client.post(
        _edit_url(show), _show_form(show, title="Renamed again", new_feed_url=NEW_FEED)
    )
    assert response.status_code == 302


def test_the_show_form_does_not_announce_a_new_feed_url_the_move_page_does(host_client, show, episodes):
    page = host_client.get(_edit_url(show)).content.decode()
    assert 'name="new_feed_url"' not in page and _move_url(show) in page
    before = _snapshot(show)
    response = host_client.post(_edit_url(show), _show_form(show, title="Renamed", new_feed_url=NEW_FEED))
    assert response.status_code == 400
    assert "Move this show away" in response.content.decode()
    assert _snapshot(show) == before and _updates(show) == 0
    assert b"new-feed-url" not in _feed(host_client, show).content
    # Creating a show with one is refused the same way.
    create = {**_show_form(show, title="Another show", new_feed_url=NEW_FEED), "slug": "another-show"}
    response = host_client.post(reverse("episodes:host_show_create"), create)
    assert response.status_code == 400 and not Show.objects.filter(slug="another-show").exists()


def test_a_url_announced_without_a_redirect_is_shown_and_can_be_withdrawn_on_the_move_page(
    host_client, host, show, episodes
):
    # Announced through the show form before it lost the field (a 200 feed with the tag).
    services.show_update(show=show, actor=None, data={"new_feed_url": "https://mirror.example.org/feed.xml"})
    assert b"https://mirror.example.org/feed.xml" in _feed(host_client, show).content
    assert "https://mirror.example.org/feed.xml" in host_client.get(_edit_url(show)).content.decode()
    page = host_client.get(_move_url(show)).content.decode()
    assert "https://mirror.example.org/feed.xml" in page and 'name="stop_announcing"' in page

    response = host_client.post(_move_url(show), {"stop_announcing": "1"})
    assert response.status_code == 302
    show.refresh_from_db()
    assert show.new_feed_url == "" and show.moved_away_at is None
    forget_built_feeds()
    feed = _feed(host_client, show)
    assert feed.status_code == 200 and b"new-feed-url" not in feed.content
    event = AuditEvent.objects.for_object(show).filter(action="show.updated").latest("pk")
    assert _updates(show) == 2 and event.actor == host
    assert event.data == {
        "fields": ["new_feed_url"],
        "new_feed_url": ["https://mirror.example.org/feed.xml", ""],
    }

    # Nothing announced any more: refused, nothing written.
    response = host_client.post(_move_url(show), {"stop_announcing": "1"})
    assert response.status_code == 302 and _updates(show) == 2
    assert "announces no new feed URL" in host_client.get(response["Location"]).content.decode()


def test_a_moved_show_cannot_stop_announcing_its_new_feed_url_without_the_undo(host_client, show, episodes):
    move_show_away(show=show, actor=None, new_feed_url=NEW_FEED)
    moved = _snapshot(show)
    response = host_client.post(_move_url(show), {"stop_announcing": "1"})
    assert response.status_code == 302
    assert (
        "Undo the move to serve its feed here again" in host_client.get(response["Location"]).content.decode()
    )
    assert _snapshot(show) == moved and _updates(show) == 0
    assert _feed(host_client, show).status_code == 301


# --- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "This field is required."),
        ("http://feeds.newhost.example/show.xml", "must start with https://"),
        ("ftp://feeds.newhost.example/show.xml", "must start with https://"),
        ("javascript:alert(1)", "must start with https://"),
        ("feeds.newhost.example/show.xml", "must start with https://"),
        ("https://93.184.216.34/feed.xml", "not an IP address"),
        ("https://[::1]/feed.xml", "not an IP address"),
        ("https://localhost/feed.xml", "not a public address"),
        ("https://intranet/feed.xml", "not a public address"),
        ("https://user:secret@feeds.newhost.example/show.xml", "user name or password"),
        ("https://feeds.newhost.example/my show.xml", "cannot contain spaces"),
        ("https://feeds.newhöst.example/show.xml", "ASCII characters only"),
        ("https://feeds.newhost.example/" + "a" * 200 + ".xml", "longer than 200 characters"),
        ("https://bad_host!.example/show.xml", "not a valid URL"),
        ("https://podcastcme.example.org/shows/other/feed.xml", "on this site"),
        ("https://PODCASTCME.example.org./feed.xml", "on this site"),
    ],
)
def test_bad_new_feed_urls_are_refused_clearly_and_nothing_changes(
    host_client, show, episodes, settings, url, message
):
    settings.SITE_URL = "https://podcastcme.example.org"
    before = _snapshot(show)
    for data in ({"new_feed_url": url}, {"new_feed_url": url, "confirm": "1"}):
        response = host_client.post(_move_url(show), data)
        assert response.status_code == 400
        assert message in response.content.decode()
    assert _snapshot(show) == before and _moves(show) == []
    assert _feed(host_client, show).status_code == 200
    with pytest.raises(MoveRefused):
        move_show_away(show=show, actor=None, new_feed_url=url)
    assert _snapshot(show) == before and _moves(show) == []


def test_a_moved_show_refuses_a_second_move_on_its_page(host_client, show, episodes):
    move_show_away(show=show, actor=None, new_feed_url=NEW_FEED)
    response = host_client.post(
        _move_url(show), {"new_feed_url": "https://other.example.org/f.xml", "confirm": "1"}
    )
    assert response.status_code == 400 and "already moved away" in response.content.decode()
    show.refresh_from_db()
    assert show.new_feed_url == NEW_FEED and len(_moves(show)) == 1


# --- who may ---------------------------------------------------------------------------------------


def test_only_the_shows_hosts_may_move_it_or_undo_the_move(client, make_user, learner, show, episodes):
    from testkit.factories import make_show
    from testkit.mfa import mfa_login

    other_show = make_show(title="Other show", slug="other-show")
    other_host = make_user("other-host@example.org")
    ShowHost.objects.create(show=other_show, user=other_host)
    undo = reverse("episodes:host_show_move_undo", args=[show.slug])

    assert client.get(_move_url(show)).status_code == 302  # anonymous: to the login page
    assert client.post(undo).status_code == 302
    client.force_login(learner)
    assert client.get(_move_url(show)).status_code == 403
    assert client.post(_move_url(show), {"new_feed_url": NEW_FEED, "confirm": "1"}).status_code == 403
    client.logout()
    mfa_login(client, other_host)
    assert client.get(_move_url(show)).status_code == 404
    assert client.post(_move_url(show), {"new_feed_url": NEW_FEED, "confirm": "1"}).status_code == 404
    show.refresh_from_db()
    assert show.moved_away_at is None and _moves(show) == []

    move_show_away(show=show, actor=None, new_feed_url=NEW_FEED)
    assert client.post(undo).status_code == 404
    assert client.get(undo).status_code == 405  # a host of some show, but undo is POST only
    show.refresh_from_db()
    assert show.moved_away_at is not None and len(_moves(show)) == 1


# --- the cost of the check -------------------------------------------------------------------------


def test_polling_a_show_that_did_not_move_costs_no_extra_query(client, show, episodes):
    assert _feed(client, show).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert _feed(client, show).status_code == 200
    assert len(queries) == 1, [q["sql"] for q in queries]  # the feed's own version check only

    move_show_away(show=show, actor=None, new_feed_url=NEW_FEED)
    assert _feed(client, show).status_code == 301  # the move is seen at once (its version changed)
    with CaptureQueriesContext(connection) as queries:
        assert _feed(client, show).status_code == 301
    assert len(queries) == 1, [q["sql"] for q in queries]


def test_the_early_feed_middleware_answers_a_moved_show_the_same(client, show, episodes, settings):
    middleware = list(settings.MIDDLEWARE)
    if "podcastcme.middleware.EarlyPublicViewsMiddleware" not in middleware:
        at = middleware.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1
        middleware.insert(at, "podcastcme.middleware.EarlyPublicViewsMiddleware")
    settings.MIDDLEWARE = middleware
    move_show_away(show=show, actor=None, new_feed_url=NEW_FEED)

    response = _feed(client, show)
    assert response.status_code == 301 and response["Location"] == NEW_FEED
    assert podcastparser.parse(show.feed_url, io.BytesIO(response.content))["new_url"] == NEW_FEED
    assert client.get(episodes[0].get_audio_url(), headers={"Range": "bytes=0-1"}).status_code == 206


def test_the_minimal_feed_keeps_an_imported_guid_too_long_for_the_column(client, show, episodes):
    # An imported guid over 500 characters is stored hashed with the original beside it; the feed
    # publishes the original, and so must the moved feed, or apps would download the episode again.
    long_guid = "https://old-host.example/items/" + "x" * 600
    Episode.objects.filter(pk=episodes[0].pk).update(source_guid=long_guid)
    forget_built_feeds()
    before = {
        i.findtext("guid") for i in etree.fromstring(_feed(client, show).content).findall("channel/item")
    }
    assert long_guid in before
    move_show_away(show=show, actor=None, new_feed_url=NEW_FEED)
    moved = _feed(client, show)
    assert moved.status_code == 301
    assert {i.findtext("guid") for i in etree.fromstring(moved.content).findall("channel/item")} == before
