"""Moving a podcastcme show to another podcastcme site: export (its real feed), import, compare.

The source show has everything a show can carry; its feed, audio, covers, transcripts and chapters
are served on 127.0.0.1 exactly as the site serves them, and the import into a fresh show must
give back every field and guid. What the feed cannot carry is asserted as a known, reported loss.
"""

import io
import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any

import podcastparser
import pytest
from django.core.files import File
from django.core.files.base import ContentFile
from django.test import Client

from episodes import feeds, services
from episodes.importer import import_feed
from episodes.importer.common import hashed_guid
from episodes.models import Episode, EpisodePerson, NotesFormat, Show
from episodes.services import PersonData
from testkit import factories
from testkit.media import make_artwork, make_audio

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

VTT = b"WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n<v Dana>Welcome to case one.\n"
CHAPTERS = json.dumps(
    {
        "version": "1.2.0",
        "chapters": [{"startTime": 0, "title": "Case"}, {"startTime": 1, "title": "Debrief"}],
    }
).encode()
LONG_GUID = "https://old-host.example.org/episodes/" + "x" * 600


@pytest.fixture(autouse=True)
def allow_loopback(settings):
    settings.PODCASTCME_IMPORT_ALLOW_LOOPBACK = True


def _body(response) -> bytes:
    assert response.status_code == 200, response
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def _source_show(coordinator, provider) -> Show:
    show = services.show_create(
        host=None,
        data={
            "title": "Airway Rounds",
            "slug": "airway-rounds",
            "description": "Short cases in airway management.\n\nFor anaesthetists and ED doctors.",
            "author": "Society of Testing",
            "owner_name": "Society of Testing Media",
            "owner_email": "podcast@example.org",
            "language": "en-gb",
            "category": "Science",
            "subcategory": "Life Sciences",
            "show_type": "serial",
            "explicit": True,
            "website": "https://airway.example.org",
            "copyright": "© 2025 Society of Testing",
            "funding_url": "https://airway.example.org/support",
            "funding_label": "Support Airway Rounds",
            "complete": True,
            "artwork": ContentFile(make_artwork(1400, fmt="PNG"), name="cover.png"),
        },
    )
    episodes: list[dict[str, Any]] = [
        dict(
            title="Case 1: the *difficult* airway",
            notes="Notes for **case 1**.\n\n- plan A\n- plan B\n\n[guideline](https://example.org/das)",
            season=1,
            number=1,
            episode_type="full",
            explicit=True,
            transcript=ContentFile(VTT, name="case1.vtt"),
            chapters=ContentFile(CHAPTERS, name="case1.json"),
            topics="#airway #CICO",
            persons=[
                PersonData(name="Sam Host", role=EpisodePerson.Role.HOST, href="https://example.org/sam"),
                PersonData(
                    name="Dana Guest", role=EpisodePerson.Role.GUEST, img="https://example.org/dana.jpg"
                ),
            ],
            artwork=ContentFile(make_artwork(1500), name="case1.jpg"),
        ),
        dict(
            title="Season 1 trailer", notes="Coming soon.", season=1, episode_type="trailer", explicit=False
        ),
        dict(title="Bonus: kit list", notes="A bonus.", season=1, episode_type="bonus", topics="#kit"),
        dict(title="A very old guid", notes="Moved here long ago.", season=1, number=2, guid="long"),
        dict(title="Accredited case", notes="Case notes only.", season=1, number=3),
    ]
    for index, fields in enumerate(episodes, start=1):
        guid = fields.pop("guid", "")
        if guid == "long":  # an episode an earlier import brought with a guid over 500 characters
            fields.update(guid=hashed_guid(LONG_GUID), source_guid=LONG_GUID)
        with open(make_audio(1.0, "mp3" if index % 2 else "m4a"), "rb") as handle:
            services.episode_create(
                show=show,
                actor=None,
                audio=File(handle, name=f"upload-{index}.{'mp3' if index % 2 else 'm4a'}"),
                status=Episode.Status.PUBLISHED,
                publish_at=datetime(2025, 1, index, 8, 0, tzinfo=UTC),
                **fields,
            )
    accredited = show.episodes.get(title="Accredited case")
    factories.grant_show(show, provider)
    factories.make_activity(provider=provider, episode=accredited, coordinator=coordinator)
    return Show.objects.get(pk=show.pk)


def _serve(server, show: Show) -> str:
    """The show's feed and every file it names, as the site serves them, on the loopback server."""
    client = Client()
    built = feeds.build_feed(show)
    for url in set(re.findall(rb'(?:url|href)="(' + re.escape(server.base.encode()) + rb'[^"]+)"', built)):
        path = url.decode().removeprefix(server.base)
        if path.endswith("feed.xml"):
            continue
        server.add(path, _body(client.get(path)))
    return server.add("/shows/airway-rounds/feed.xml", built, "application/rss+xml")


def _episode_fields(episode: Episode) -> dict:
    return {
        "source_guid": episode.source_guid,
        "title": episode.title,
        "publish_at": episode.publish_at,
        "season": episode.season,
        "number": episode.number,
        "episode_type": episode.episode_type,
        "explicit": episode.explicit,
        "audio_mime": episode.audio_mime,
        "topics": sorted(topic.name for topic in episode.topics.all()),
        "transcript": (episode.transcript_type, episode.transcript.read() if episode.transcript else b""),
        "chapters": episode.chapters.read() if episode.chapters else b"",
        "has_artwork": bool(episode.artwork),
    }


SHOW_FIELDS = [
    "title", "description", "author", "owner_name", "owner_email", "language", "category",
    "subcategory", "explicit", "show_type", "website", "copyright", "funding_url", "funding_label",
    "complete", "podcast_guid",
]  # fmt: skip


def test_export_and_import_into_a_fresh_show_keeps_every_field_and_guid(
    server, settings, provider, coordinator
):
    settings.SITE_URL = server.base
    source = _source_show(coordinator, provider)
    url = _serve(server, source)
    exported = podcastparser.parse(url, io.BytesIO(server.routes["/shows/airway-rounds/feed.xml"][2]))
    original = {field: getattr(source, field) for field in SHOW_FIELDS}
    originals = {episode.guid: episode for episode in source.episodes.all()}
    # The other site: the old show is not there (its podcast:guid is free for the moved show).
    Show.objects.filter(pk=source.pk).update(podcast_guid=uuid.uuid4(), slug="old-airway-rounds")

    result = import_feed(url, show_slug="airway-rounds", owner_email="podcast@example.org", timeout=5)

    assert result.ok and not result.skipped
    moved = Show.objects.get(slug="airway-rounds")
    assert {field: getattr(moved, field) for field in SHOW_FIELDS} == original
    assert moved.artwork and moved.artwork_renditions
    imported = {episode.guid: episode for episode in moved.episodes.all()}
    assert set(imported) == set(originals)  # every guid, the hashed long one included
    for guid, before in originals.items():
        after = imported[guid]
        assert _episode_fields(after) == _episode_fields(before), guid
        assert after.audio_duration == pytest.approx(before.audio_duration, abs=0.1)
        assert after.notes_format == NotesFormat.HTML
        # The notes as the old site rendered them; the credit line and disclosures stay behind.
        assert after.notes_html == before.notes_html, guid
    case1 = imported[originals_by_title(originals)["Case 1: the *difficult* airway"]]
    persons = [(p.name, p.role, p.href, p.img) for p in case1.persons.all()]
    assert persons == [
        ("Sam Host", "host", "https://example.org/sam", ""),
        ("Dana Guest", "guest", "", "https://example.org/dana.jpg"),
    ]
    accredited = imported[originals_by_title(originals)["Accredited case"]]
    assert "Earn CME credit" not in accredited.notes_html and "CME:" not in accredited.notes_html
    # The old site's move page, exactly: 301 plus itunes:new-feed-url from there.
    assert result.redirect_steps[0].startswith(
        f"On the old podcastcme site, open {server.base}/host/shows/airway-rounds/move/ "
        f"(“Move this show away”), give the new feed URL {moved.feed_url} and confirm"
    )
    report = result.report()
    assert report["podcast_guid"] == {"imported": 1, "dropped": [], "notes": []}
    assert report["notes"]["notes"] == [
        "Accredited case: the old “Earn CME credit” line and its disclosures were not copied."
    ]
    assert report["guid"]["notes"] == [
        "A very old guid: a guid of 638 characters is stored as its hash; the feed keeps publishing it."
    ]

    # The new feed says what the old one said: same podcast:guid, item guids, numbers, tags.
    settings.SITE_URL = "https://new-site.example.org"
    again = podcastparser.parse("https://new-site.example.org/feed.xml", io.BytesIO(feeds.build_feed(moved)))
    keys = ("guid", "title", "published", "number", "season", "type", "description_html")
    credit = re.compile(r"<p><strong>CME: .*$", re.S)  # the old site's disclosures and credit line

    def items(feed):
        return sorted(
            (*(credit.sub("", episode.get(key)) if key == "description_html" else episode.get(key)
               for key in keys),
             bool(episode.get("transcript_url")), bool(episode.get("chapters_json_url")),
             [(person["name"], person.get("role")) for person in episode.get("persons") or []])
            for episode in feed["episodes"]
        )  # fmt: skip

    assert len(exported["episodes"]) == 5
    assert items(again) == items(exported)
    assert f"<podcast:guid>{original['podcast_guid']}</podcast:guid>" in feeds.build_feed(moved).decode()


def originals_by_title(originals: dict[str, Episode]) -> dict[str, str]:
    return {episode.title: guid for guid, episode in originals.items()}


def test_what_the_feed_cannot_carry_is_a_known_loss(server, settings, provider, coordinator):
    """Faculty are published as guests (Podcasting 2.0 has no faculty role) and credentials are not
    in podcast:person: after a move they are guests without credentials, as any app saw them."""
    settings.SITE_URL = server.base
    show = services.show_create(
        host=None,
        data={
            "title": "Faculty Hour",
            "slug": "faculty-hour",
            "description": "x",
            "author": "S",
            "owner_name": "S",
            "owner_email": "s@example.org",
            "category": "Science",
        },
    )
    with open(make_audio(1.0, "mp3"), "rb") as handle:
        services.episode_create(
            show=show,
            actor=None,
            title="One",
            audio=File(handle, name="one.mp3"),
            status=Episode.Status.PUBLISHED,
            persons=[PersonData(name="Dr. Faculty", role=EpisodePerson.Role.FACULTY, credentials="MD, PhD")],
        )
    built = feeds.build_feed(show)
    client = Client()
    for url in set(re.findall(rb'url="(' + re.escape(server.base.encode()) + rb'[^"]+)"', built)):
        path = url.decode().removeprefix(server.base)
        server.add(path, _body(client.get(path)))
    url = server.add("/faculty.xml", built, "application/rss+xml")
    Show.objects.filter(pk=show.pk).update(podcast_guid=uuid.uuid4(), slug="old-faculty-hour")

    result = import_feed(url, show_slug="faculty-hour", owner_email="s@example.org", timeout=5)

    (episode,) = result.show.episodes.all()
    assert [(p.name, p.role, p.credentials) for p in episode.persons.all()] == [("Dr. Faculty", "guest", "")]
