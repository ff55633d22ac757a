"""What directories accept: descriptions cut to 4,000 bytes, episode number 0 refused, the M4A type
Apple documents, and a show's feed limited to its newest episodes."""

import io
import re
from datetime import timedelta

import feedparser
import podcastparser
import pytest
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from audit.models import AuditEvent
from episodes import services
from episodes.audit_actions import EpisodeAction
from episodes.feed_limits import MAX_DESCRIPTION_BYTES, cut_description, utf8_length
from episodes.feeds import forget_built_feeds
from episodes.models import Episode, Show
from episodes.personal_feeds import personal_feed_get_or_create, personal_feed_url
from testkit import factories
from testkit.media import audio_bytes, make_audio

pytestmark = pytest.mark.django_db

CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
ITUNES = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"
# Multibyte on purpose: 2-byte (é, µ), 3-byte (–, 気) and 4-byte (🫁) characters.
SENTENCE = "Pré-oxygénation: 3 min à 15 L/min – 気道 🫁 µg doses matter. "


def _feed(client, show: Show):
    response = client.get(reverse("episodes:feed", args=[show.slug]))
    assert response.status_code == 200
    return response


def _items(response) -> list:
    return etree.fromstring(response.content).findall("channel/item")


def _balanced(fragment: str) -> etree._Element:
    """The description as XML: it fails unless every element the cut left open was closed."""
    return etree.fromstring(f"<div>{fragment}</div>")


def _long_notes(paragraphs: int = 30) -> str:
    return "\n\n".join(f"Paragraph {n}. " + SENTENCE * 4 for n in range(paragraphs))


# --- descriptions over 4,000 bytes ------------------------------------------------------------------


def test_long_notes_are_cut_cleanly_in_the_description_and_kept_whole_in_content_encoded(client, show):
    notes = _long_notes() + "\n\nThe very last words of the notes."
    episode = factories.make_audio_episode(show, seconds=1.0, notes=notes)
    assert utf8_length(episode.notes_html) > 2 * MAX_DESCRIPTION_BYTES

    item = _items(_feed(client, show))[0]
    description = item.findtext("description")
    assert utf8_length(description) <= MAX_DESCRIPTION_BYTES
    assert description.endswith("…</p>")
    text = "".join(_balanced(description).itertext())
    # A clean cut: the text is the notes' beginning up to a sentence end, then the ellipsis.
    assert re.search(r"\w[.] …$", text)  # a sentence's end, a space, the ellipsis
    full_text = "".join(_balanced(episode.notes_html).itertext())
    assert full_text.startswith(text.removesuffix(" …"))
    assert item.findtext(CONTENT) == episode.notes_html  # the whole notes, uncut
    assert "The very last words of the notes." in item.findtext(CONTENT)
    # What apps read: feedparser and podcastparser see a description within the limit.
    parsed = feedparser.parse(_feed(client, show).content)
    assert utf8_length(parsed.entries[0].summary) <= MAX_DESCRIPTION_BYTES
    assert "The very last words" in parsed.entries[0].content[0].value


def test_notes_within_the_limit_are_not_touched(client, show):
    factories.make_audio_episode(show, seconds=1.0, notes="Phenylephrine **first**.")
    item = _items(_feed(client, show))[0]
    assert (
        item.findtext("description")
        == item.findtext(CONTENT)
        == "<p>Phenylephrine <strong>first</strong>.</p>"
    )


def test_a_cut_inside_a_list_and_a_link_closes_them(client, show):
    notes = "\n".join(
        f"- **Point {n}**: [see the guideline µ–🫁](https://example.org/{n}) for doses" for n in range(200)
    )
    factories.make_audio_episode(show, seconds=1.0, notes=notes)
    description = _items(_feed(client, show))[0].findtext("description")
    assert utf8_length(description) <= MAX_DESCRIPTION_BYTES
    root = _balanced(description)
    assert root[0].tag == "ul" and description.endswith("…</li></ul>")
    assert all(a.get("href", "").startswith("https://example.org/") for a in root.iter("a"))


def test_text_without_spaces_is_cut_between_characters_never_inside_one():
    notes = "<p>" + "気道管理の基本を学びます" * 400 + "</p>"  # 3 bytes a character, no word boundary
    cut = cut_description(notes)
    assert utf8_length(cut) <= MAX_DESCRIPTION_BYTES and utf8_length(cut) > MAX_DESCRIPTION_BYTES - 10
    assert cut.endswith("…</p>")
    assert notes.startswith(cut.removesuffix("…</p>"))
    cut.encode("utf-8").decode("utf-8")  # whole characters only


def test_a_long_word_run_is_cut_at_a_word_boundary():
    notes = "<p>" + "intubation " * 500 + "</p>"
    cut = cut_description(notes)
    assert cut.endswith(" intubation…</p>") and utf8_length(cut) <= MAX_DESCRIPTION_BYTES


def test_an_accredited_episode_keeps_its_earn_credit_line_in_a_cut_description(client, show, activity):
    episode = activity.episode
    services.episode_update(episode=episode, actor=None, data={"notes": _long_notes()})
    item = next(i for i in _items(_feed(client, show)) if i.findtext("title") == episode.title)
    description = item.findtext("description")
    assert utf8_length(description) <= MAX_DESCRIPTION_BYTES
    assert "…" in description
    assert re.search(r"<p>Earn CME credit: <a href=\"[^\"]+\">[^<]+</a></p>$", description)
    assert item.findtext(CONTENT).endswith(re.search(r"<p>Earn CME credit.*$", description).group(0))


# --- episode number 0 -------------------------------------------------------------------------------


def _episode_post(**overrides) -> dict:
    data = {"title": "Spinal hypotension", "notes": "", "episode_type": "full", "status": "draft",
            "persons-TOTAL_FORMS": "0", "persons-INITIAL_FORMS": "0", "persons-MIN_NUM_FORMS": "0",
            "persons-MAX_NUM_FORMS": "20"}  # fmt: skip
    data.update(overrides)
    return data


NUMBER_MESSAGE = "Episode numbers start at 1"


def test_episode_number_zero_is_refused_on_upload_with_nothing_written(host_client, show):
    audio = SimpleUploadedFile("talk.mp3", audio_bytes(1.0, "mp3"), content_type="audio/mpeg")
    response = host_client.post(
        reverse("episodes:host_episode_upload", args=[show.slug]), _episode_post(audio=audio, number="0")
    )
    assert response.status_code == 400
    assert NUMBER_MESSAGE in response.content.decode()
    assert not Episode.objects.filter(show=show).exists()


def test_episode_number_zero_is_refused_on_edit_and_the_number_kept(host_client, show):
    episode = factories.make_audio_episode(show, seconds=1.0, number=4)
    url = reverse("episodes:host_episode_edit", args=[show.slug, episode.pk])
    response = host_client.post(url, _episode_post(number="0"))
    assert response.status_code == 400
    assert NUMBER_MESSAGE in response.content.decode()
    episode.refresh_from_db()
    assert episode.number == 4


# --- M4A enclosures ---------------------------------------------------------------------------------


def test_m4a_enclosures_use_the_type_apple_documents(client, show):
    with open(make_audio(1.0, "m4a"), "rb") as handle:
        services.episode_create(show=show, actor=None, title="AAC", audio=File(handle, name="a.m4a"),
                                status="published")  # fmt: skip
    factories.make_audio_episode(show, seconds=1.0, title="MP3")
    response = _feed(client, show)
    types = {i.findtext("title"): i.find("enclosure").get("type") for i in _items(response)}
    assert types == {"AAC": "audio/x-m4a", "MP3": "audio/mpeg"}
    url = next(i.find("enclosure").get("url") for i in _items(response) if i.findtext("title") == "AAC")
    assert url.endswith(".m4a")
    parsed = podcastparser.parse(show.feed_url, io.BytesIO(response.content))
    assert {e["enclosures"][0]["mime_type"] for e in parsed["episodes"]} == {"audio/x-m4a", "audio/mpeg"}


# --- the newest N episodes ---------------------------------------------------------------------------


def _dated_episodes(show: Show, count: int) -> list[Episode]:
    """``count`` public episodes, oldest first, one a day, each with a topic and a person."""
    now = timezone.now()
    return [
        factories.make_audio_episode(
            show,
            seconds=1.0,
            title=f"Episode {n}",
            number=n,
            topics=f"#topic{n}",
            persons=[services.PersonData(name=f"Guest {n}", role="guest")],
            publish_at=now - timedelta(days=10 - n),
        )  # fmt: skip
        for n in range(1, count + 1)
    ]


def _count(client, show: Show) -> tuple[int, list[str]]:
    forget_built_feeds()
    with CaptureQueriesContext(connection) as queries:
        response = _feed(client, show)
    return len(queries), [i.findtext("title") for i in _items(response)]


def test_a_show_can_limit_its_feed_to_the_newest_episodes_at_the_same_query_count(client, show):
    _dated_episodes(show, 5)
    all_queries, titles = _count(client, show)
    assert titles == ["Episode 5", "Episode 4", "Episode 3", "Episode 2", "Episode 1"]

    services.show_update(show=show, actor=None, data={"feed_episode_limit": 2})
    limited_queries, titles = _count(client, show)
    assert titles == ["Episode 5", "Episode 4"]
    assert limited_queries == all_queries
    items = _items(_feed(client, show))
    assert [i.findtext("category") for i in items] == ["topic5", "topic4"]
    persons = [i.findtext("{https://podcastindex.org/namespace/1.0}person") for i in items]
    assert persons == ["Guest 5", "Guest 4"]


def test_personal_feeds_are_limited_the_same_way(client, show, learner):
    _dated_episodes(show, 3)
    services.show_update(show=show, actor=None, data={"feed_episode_limit": 1})
    url = personal_feed_url(personal_feed_get_or_create(user=learner, show=show))
    response = client.get(url.removeprefix("http://testserver"))
    assert [i.findtext("title") for i in _items(response)] == ["Episode 3"]


def test_a_scheduled_episode_does_not_count_against_the_limit_until_it_is_public(client, show):
    _dated_episodes(show, 3)
    factories.make_audio_episode(
        show, seconds=1.0, title="Next week", publish_at=timezone.now() + timedelta(days=7)
    )
    services.show_update(show=show, actor=None, data={"feed_episode_limit": 2})
    assert _count(client, show)[1] == ["Episode 3", "Episode 2"]


def test_the_host_sets_the_limit_on_the_show_form_and_it_is_audited(host_client, show):
    url = reverse("episodes:host_show_edit", args=[show.slug])
    page = host_client.get(url).content.decode()
    assert 'name="feed_episode_limit"' in page
    data = {"title": show.title, "description": show.description, "author": show.author,
            "owner_name": show.owner_name, "owner_email": show.owner_email, "language": "en",
            "category": "Health & Fitness", "subcategory": "Medicine", "show_type": "episodic",
            "locked": "on", "feed_episode_limit": "300"}  # fmt: skip
    assert host_client.post(url, data).status_code == 302
    show.refresh_from_db()
    assert show.feed_episode_limit == 300
    event = AuditEvent.objects.filter(action=EpisodeAction.SHOW_UPDATED).latest("pk")
    assert "feed_episode_limit" in event.data["fields"]

    assert host_client.post(url, {**data, "feed_episode_limit": ""}).status_code == 302
    show.refresh_from_db()
    assert show.feed_episode_limit is None  # empty: every episode

    for bad in ("0", "-3", "ten"):
        response = host_client.post(url, {**data, "feed_episode_limit": bad})
        assert response.status_code == 400, bad
        expected = (
            "Enter a whole number." if bad == "ten" else "Publish at least 1 episode, or leave it empty"
        )
        assert expected in response.content.decode(), bad
        show.refresh_from_db()
        assert show.feed_episode_limit is None
