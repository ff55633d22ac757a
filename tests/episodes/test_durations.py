"""Durations read as people say them on the host's pages, never "1200 s"."""

import pytest
from django.urls import reverse

from episodes.templatetags.durations import duration


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0, "0 s"),
        (44.6, "45 s"),
        (60, "1 min"),
        (1200, "20 min"),
        (1230.4, "20 min 30 s"),
        (3599.6, "1 h"),
        (3600, "1 h"),
        (3900, "1 h 5 min"),
        (3929, "1 h 5 min"),
        (3930, "1 h 6 min"),
        (7170, "2 h"),
        (None, ""),
        ("", ""),
        ("abc", ""),
        (float("nan"), ""),
        (float("inf"), ""),
        (-5, ""),
    ],
)
def test_duration_filter(seconds, shown):
    assert duration(seconds) == shown


@pytest.mark.django_db
def test_the_host_pages_show_minutes_not_seconds(host_client, show, episode):
    episode.audio_duration = 1200
    episode.save(update_fields=["audio_duration"])
    pages = [
        reverse("episodes:host_show", args=[show.slug]),
        reverse("episodes:host_episode_edit", args=[show.slug, episode.pk]),
    ]
    for url in pages:
        body = host_client.get(url).content.decode()
        assert "20 min" in body, url
        assert "1200 s" not in body, url


@pytest.mark.django_db
def test_the_public_pages_show_hours_and_minutes(client, show, episode):
    episode.audio_duration = 3900
    episode.save(update_fields=["audio_duration"])
    for url in (episode.get_absolute_url(), show.get_absolute_url()):
        body = client.get(url).content.decode()
        assert "1 h 5 min" in body, url
        assert "65 min" not in body, url
