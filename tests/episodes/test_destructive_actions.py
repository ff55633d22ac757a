"""Destructive actions ask first, without JavaScript (issue 15, item 10): a personal feed's new
address or revocation, and a published episode back to draft; their buttons are marked as danger."""

import re

import pytest
from django.urls import reverse

from episodes.models import Episode, PersonalFeed
from episodes.personal_feeds import personal_feed_get_or_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def feed(learner, show):
    return personal_feed_get_or_create(user=learner, show=show)


def _active(learner):
    return PersonalFeed.objects.filter(user=learner, revoked_at__isnull=True)


@pytest.mark.parametrize("action", ["regenerate", "revoke"])
def test_a_personal_feed_change_asks_first_and_changes_nothing(client, learner, show, feed, action):
    client.force_login(learner)
    response = client.post(reverse("episodes:my_feeds"), {"show": show.slug, "action": action})
    assert response.status_code == 200
    body = response.content.decode()
    assert "stops working at once" in body
    assert re.search(r'<input type="hidden" name="confirm" value="1">', body)
    assert re.search(rf'<input type="hidden" name="action" value="{action}">', body)
    assert list(_active(learner)) == [feed]


def test_a_confirmed_regeneration_makes_a_new_address(client, learner, show, feed):
    client.force_login(learner)
    data = {"show": show.slug, "action": "regenerate", "confirm": "1"}
    assert client.post(reverse("episodes:my_feeds"), data).status_code == 302
    assert _active(learner).get().pk != feed.pk


def test_a_confirmed_revocation_revokes(client, learner, show, feed):
    client.force_login(learner)
    data = {"show": show.slug, "action": "revoke", "confirm": "1"}
    assert client.post(reverse("episodes:my_feeds"), data).status_code == 302
    assert not _active(learner).exists()


def test_the_personal_feed_buttons_are_marked_as_danger(client, learner, show, feed):
    client.force_login(learner)
    body = client.get(reverse("episodes:my_feeds")).content.decode()
    for action in ("regenerate", "revoke"):
        [button] = re.findall(rf'<button[^>]*value="{action}"[^>]*>', body)
        assert "danger" in button and "secondary" not in button


def test_a_published_episode_without_cme_goes_back_to_draft_only_when_confirmed(host_client, show, episode):
    assert episode.is_public
    url = reverse("episodes:host_episode_edit", args=[show.slug, episode.pk])
    [button] = re.findall(r"<button[^>]*>Back to draft", host_client.get(url).content.decode())
    assert "danger" in button
    response = host_client.post(url, {"action": "draft"})
    assert response.status_code == 200 and "Take this episode back to draft?" in response.content.decode()
    episode.refresh_from_db()
    assert episode.is_public
    assert host_client.post(url, {"action": "draft", "confirm": "1"}).status_code == 302
    episode.refresh_from_db()
    assert episode.status == Episode.Status.DRAFT


def test_ending_a_providers_access_is_a_danger_button_behind_its_explanation(host_client, show, show_grant):
    body = host_client.get(reverse("credits:host_show_providers", args=[show.slug])).content.decode()
    revoke = reverse("credits:host_grant_revoke", args=[show.slug, show_grant.pk])
    [details] = re.findall(r"<details>.*?</details>", body, flags=re.S)
    assert f'action="{revoke}"' in details and "will no longer make new activities" in details
    [button] = re.findall(r"<button[^>]*>End [^<]*access</button>", details)
    assert "danger" in button and "secondary" not in button
