"""A learner copies their personal feed URL from the account page; their app's requests are theirs."""

import io
import urllib.request

import podcastparser

from episodes.models import DownloadRequest
from testkit.factories import PASSWORD

UA = "AntennaPod/3.4.0"


def _get(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": UA})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read()


def test_copy_the_personal_feed_url_and_listen(page, live_server, settings, learner, show, published_episode):
    settings.SITE_URL = live_server.url
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(learner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("link", name="Account").click()
    page.get_by_role("link", name="Personal feeds").click()
    page.get_by_role("button", name="Get my personal feed").click()
    page.get_by_text("Your personal feed for Airway Rounds is ready.").wait_for()
    url = page.get_by_label("Your private feed URL").input_value()
    assert url.startswith(f"{live_server.url}/p/") and url.endswith("/airway-rounds/feed.xml")

    # The podcast app (no cookies, its own user agent) subscribes and downloads the episode.
    feed = podcastparser.parse(url, io.BytesIO(_get(url)))
    enclosure = feed["episodes"][0]["enclosures"][0]["url"]
    assert _get(enclosure) == published_episode.audio.open("rb").read()
    request = DownloadRequest.objects.get(episode=published_episode)
    assert request.user == learner and request.app == "AntennaPod"
    assert published_episode.downloads.get().user == learner
