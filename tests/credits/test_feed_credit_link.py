"""From the podcast app: a CME episode's feed item links to its page and ends with "Earn CME credit"."""

import datetime
import io

import feedparser
import podcastparser
from django.urls import reverse
from django.utils import timezone

from credits import services
from credits.models import Activity
from testkit.factories import QUIZ, expire_activity, publish

SITE = "http://testserver"


def _feed(client, show):
    response = client.get(reverse("episodes:feed", args=[show.slug]))
    assert response.status_code == 200
    return response


def test_cme_item_links_to_the_episode_page_and_ends_with_the_credit_line(client, show, activity, episode):
    body = _feed(client, show).content
    page = SITE + episode.get_absolute_url()
    parsed = podcastparser.parse(SITE + show.get_feed_url(), io.BytesIO(body))
    item = next(e for e in parsed["episodes"] if e["guid"] == episode.guid)
    assert item["link"] == page
    assert item["description_html"].rstrip().endswith(f'Earn CME credit: <a href="{page}">{page}</a></p>')
    entry = next(e for e in feedparser.parse(body).entries if e.id == episode.guid)
    assert entry.link == page
    assert f'Earn CME credit: <a href="{page}">{page}</a>' in entry.summary


def test_publishing_an_activity_changes_the_cached_feed(client, show, episode, provider, coordinator):
    before = _feed(client, show)
    assert b"Earn CME credit" not in before.content
    draft = services.activity_create(
        provider=provider,
        episode=episode,
        actor=coordinator,
        data={
            "objectives": "o",
            "target_audience": "a",
            "designated_credits": "0.5",
            "designation_reason": "Pilot test",
            "release_date": timezone.localdate(),
            "expiry_date": timezone.localdate() + datetime.timedelta(days=30),
        },
    )
    services.quiz_replace(activity=draft, actor=coordinator, data=QUIZ)
    assert b"Earn CME credit" not in _feed(client, show).content  # a draft offers no credit
    publish(draft, coordinator)
    after = _feed(client, show)
    assert b"Earn CME credit" in after.content
    assert after["ETag"] != before["ETag"]


def test_an_expired_activity_has_no_credit_line(client, show, activity, episode):
    expire_activity(activity, released_days_ago=400)
    services.activity_update(activity=Activity.objects.get(pk=activity.pk), actor=None, data={})
    body = _feed(client, show).content
    assert b"Earn CME credit" not in body
    assert episode.get_absolute_url().encode() in body  # the item still links to its page
