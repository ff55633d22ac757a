"""A podcast app's poll with the ETag it has (If-None-Match) is answered 304 on a short path; the
answer is the same 304 as the general conditional path gives, and a changed feed is sent again."""

import pytest
from django.urls import reverse

from episodes import services
from testkit.factories import make_episode

pytestmark = pytest.mark.django_db

HEADERS = ("ETag", "Last-Modified", "Cache-Control", "Vary")


def _get(client, show, **headers):
    return client.get(reverse("episodes:feed", args=[show.slug]), headers=headers)


def test_a_poll_with_the_etag_gets_the_same_304_as_the_general_path(client, show):
    make_episode(show)
    first = _get(client, show)
    etag = first["ETag"]

    exact = _get(client, show, if_none_match=etag)  # what apps send: the short path
    listed = _get(client, show, if_none_match=f'"other", {etag}')  # Django's get_conditional_response
    strong = _get(client, show, if_none_match=etag.removeprefix("W/"))  # weak comparison matches too
    for answer in (exact, listed, strong):
        assert answer.status_code == 304 and answer.content == b""
        assert {name: answer.get(name) for name in HEADERS} == {
            "ETag": etag,
            "Last-Modified": first["Last-Modified"],
            "Cache-Control": first["Cache-Control"],
            "Vary": "Accept-Encoding",
        }
        assert not answer.has_header("Content-Type") and not answer.has_header("Content-Length")
    head = client.head(reverse("episodes:feed", args=[show.slug]), headers={"if_none_match": etag})
    assert head.status_code == 304


def test_a_changed_feed_is_sent_again_to_an_app_with_the_old_etag(client, show):
    episode = make_episode(show)
    etag = _get(client, show)["ETag"]
    services.episode_update(episode=episode, actor=None, data={"notes": "New notes."})
    again = _get(client, show, if_none_match=etag)
    assert again.status_code == 200 and b"New notes." in again.content
    assert again["ETag"] != etag


def test_a_post_with_the_etag_is_still_refused(client, show):
    make_episode(show)
    etag = _get(client, show)["ETag"]
    response = client.post(reverse("episodes:feed", args=[show.slug]), headers={"if_none_match": etag})
    assert response.status_code == 405
