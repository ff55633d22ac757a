"""The feed's podcast:person links (episodes/person_links.py): a verified clinician's ``href`` is their
public page (credits registers the source), in a constant number of queries whatever the number of
episodes; a verification made or revoked rebuilds the feed."""

import datetime
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from credits import clinicians
from credits.models import ProviderPerson
from episodes import person_links
from episodes.models import Episode, EpisodePerson, Show
from testkit import factories

pytestmark = pytest.mark.django_db

NS = {"podcast": "https://podcastindex.org/namespace/1.0"}


@pytest.fixture
def verified(provider, coordinator, show_grant):
    person = ProviderPerson.objects.create(provider=provider, name="Dana Faculty", credentials="MD")
    verification = clinicians.clinician_verify(
        person=person,
        actor=coordinator,
        licence_state="NY",
        licence_number="123456",
        npi="1003000126",
        licence_expires_on=timezone.localdate() + datetime.timedelta(days=200),
    )
    return person, verification


def _feed(client, show: Show) -> bytes:
    response = client.get(reverse("episodes:feed", args=[show.slug]))
    assert response.status_code == 200
    return response.content


def _person_url(person) -> str:
    return "http://testserver" + reverse("credits:clinician_person", args=[person.pk])


def _speakers(episode: Episode, *names: str) -> None:
    for position, name in enumerate(names):
        EpisodePerson.objects.create(
            episode=episode, name=name, role="guest", position=position, href="https://example.org/own"
        )


def test_a_verified_speakers_href_is_their_person_page(client, show, episode, verified):
    person, _verification = verified
    _speakers(episode, "Dana Faculty", "Guest Speaker")
    Show.objects.filter(pk=show.pk).update(content_changed_at=timezone.now())
    content = _feed(client, show)

    # Parsed back with lxml (podcastparser 0.6 knows the namespace only by its old GitHub URIs, so
    # it skips podcast:person in https://podcastindex.org/namespace/1.0).
    tags = etree.fromstring(content).findall("channel/item/podcast:person", NS)
    assert [(tag.text, tag.get("href")) for tag in tags] == [
        ("Dana Faculty", _person_url(person)),
        ("Guest Speaker", "https://example.org/own"),
    ]
    # The page it points at says the verification.
    page = client.get(reverse("credits:clinician_person", args=[person.pk])).content.decode()
    assert "Licensed clinician verified by" in page


def test_verifying_and_revoking_change_the_cached_feed(
    client, show, episode, provider, coordinator, show_grant
):
    _speakers(episode, "Dana Faculty")
    person = ProviderPerson.objects.create(provider=provider, name="Dana Faculty")
    assert _person_url(person).encode() not in _feed(client, show)  # built and cached without
    verification = clinicians.clinician_verify(
        person=person,
        actor=coordinator,
        licence_state="NY",
        licence_number="123456",
        npi="1003000126",
        licence_expires_on=timezone.localdate() + datetime.timedelta(days=200),
    )
    assert _person_url(person).encode() in _feed(client, show)
    clinicians.clinician_revoke(verification=verification, actor=coordinator, reason="Left practice")
    content = _feed(client, show)
    assert _person_url(person).encode() not in content
    assert b"https://example.org/own" in content  # the speaker's own link is back


def _bulk(show: Show, count: int) -> None:
    now = timezone.now()
    rows = Episode.objects.bulk_create(
        Episode(
            show=show,
            title=f"Bulk {n}",
            slug=f"bulk-{n}-{uuid.uuid4().hex[:6]}",
            guid=str(uuid.uuid4()),
            audio=f"audio/{show.slug}/x.mp3",
            audio_mime="audio/mpeg",
            audio_size=1000,
            audio_duration=600,
            audio_bitrate=64000,
            status=Episode.Status.PUBLISHED,
            publish_at=now - datetime.timedelta(minutes=n + 10),
        )
        for n in range(count)
    )
    EpisodePerson.objects.bulk_create(
        person
        for row in rows
        for person in (
            EpisodePerson(episode=row, name="Dana Faculty", position=0),
            EpisodePerson(episode=row, name=f"Guest {row.pk}", position=1),
        )
    )
    Show.objects.filter(pk=show.pk).update(content_changed_at=timezone.now())


def _build_queries(client, show: Show) -> tuple[int, bytes]:
    with CaptureQueriesContext(connection) as queries:
        content = _feed(client, show)
    return len(queries), content


def test_the_feed_costs_the_same_queries_at_10_and_at_250_episodes(client, show, verified):
    person, _verification = verified
    _bulk(show, 10)
    small, small_feed = _build_queries(client, show)
    _bulk(show, 240)
    large, large_feed = _build_queries(client, show)
    assert small_feed.count(_person_url(person).encode()) == 10
    assert large_feed.count(_person_url(person).encode()) == 250
    assert small == large


def test_a_show_without_people_asks_no_source(client, show, monkeypatch):
    factories.make_episode(show)
    called = []
    monkeypatch.setattr(person_links, "_sources", [lambda ids: called.append(ids) or {}])
    _feed(client, show)
    assert called == []


def test_sources_register_once_and_a_later_one_wins():
    first = lambda ids: {(1, "A"): "https://one.example/"}  # noqa: E731
    second = lambda ids: {(1, "A"): "https://two.example/", (2, "B"): "https://b.example/"}  # noqa: E731
    saved = list(person_links._sources)
    try:
        person_links._sources.clear()
        person_links.register_person_links(first)
        person_links.register_person_links(first)
        person_links.register_person_links(second)
        assert len(person_links._sources) == 2
        assert person_links.person_links([1, 2]) == {
            (1, "A"): "https://two.example/",
            (2, "B"): "https://b.example/",
        }
    finally:
        person_links._sources[:] = saved


def test_credits_registers_its_source():
    assert clinicians.verified_person_links in person_links._sources
