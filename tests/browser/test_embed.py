"""The embeddable player framed by a page on another origin (a tiny http.server on 127.0.0.1): the
audio player, the chapters and the "Claim credit" link are in the frame, a chapter button seeks,
and the browser reports no policy violation (the page fixture fails on any CSP console error)."""

import functools
import http.server
import json
import threading

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from testkit import factories
from testkit.site_pages import AXE_JS, OVERFLOW, RUN_AXE

CHAPTERS = {
    "version": "1.2.0",
    "chapters": [{"startTime": 0, "title": "Start"}, {"startTime": 30, "title": "Later"}],
}


@pytest.fixture
def other_site(tmp_path):
    """Serves tmp_path on 127.0.0.1 (a random port): a host page of another origin."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_another_site_frames_the_player_with_its_claim_link(
    page, live_server, settings, other_site, published_episode, show_grant, provider, coordinator
):
    settings.SITE_URL = live_server.url
    activity = factories.make_activity(provider=provider, episode=published_episode, coordinator=coordinator)
    published_episode.chapters.save("chapters.json", ContentFile(json.dumps(CHAPTERS).encode()))
    folder, origin = other_site
    embed_url = live_server.url + reverse("episodes:embed", args=[published_episode.pk])
    (folder / "host.html").write_text(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>A blog</title></head><body>'
        f'<h1>A blog post</h1><iframe id="player" src="{embed_url}" width="560" height="300" '
        'title="The episode"></iframe></body></html>',
        encoding="utf-8",
    )
    assert not origin.startswith(live_server.url)

    response = page.goto(origin + "/host.html")
    assert response is not None and response.status == 200
    frame = page.frame_locator("#player")
    audio = frame.locator("audio#embed-player")
    audio.wait_for(state="attached")
    assert audio.get_attribute("src") == published_episode.audio_url
    claim = frame.get_by_role("link", name="Claim credit")
    assert claim.get_attribute("href") == live_server.url + reverse("credits:claim", args=[activity.pk])
    assert claim.get_attribute("target") == "_blank" and claim.get_attribute("rel") == "noopener"
    assert "AMA PRA Category 1 Credit(s)" in frame.locator(".embed-credit").inner_text()

    frame.get_by_role("button", name="0:30 Later").click()
    player_frame = page.frame(url=embed_url)
    assert player_frame is not None
    player_frame.wait_for_function("document.getElementById('embed-player').currentTime >= 29")
    # The page fixture then asserts the browser logged no Content-Security-Policy error.


def test_the_player_reads_on_a_phone_and_passes_axe(page, live_server, settings, published_episode):
    settings.SITE_URL = live_server.url  # the audio's absolute URL
    published_episode.chapters.save("chapters.json", ContentFile(json.dumps(CHAPTERS).encode()))
    page.context.add_init_script(AXE_JS)
    page.set_viewport_size({"width": 390, "height": 844})
    response = page.goto(reverse("episodes:embed", args=[published_episode.pk]))
    assert response is not None and response.status == 200
    page.get_by_role("heading", name=published_episode.title).wait_for()
    layout = page.evaluate(OVERFLOW)
    assert layout["scrollWidth"] <= layout["width"], layout["culprits"]
    serious = [v for v in page.evaluate(RUN_AXE) if v["impact"] in ("serious", "critical")]
    assert serious == []


def test_the_episode_page_embed_box_reads_on_a_phone_and_passes_axe(page, published_episode):
    page.context.add_init_script(AXE_JS)
    page.set_viewport_size({"width": 390, "height": 844})
    response = page.goto(published_episode.get_absolute_url())
    assert response is not None and response.status == 200
    page.get_by_text("Embed this episode").click()
    snippet = page.get_by_label("Code to paste into your page")
    assert snippet.input_value().startswith("<iframe src=")
    layout = page.evaluate(OVERFLOW)
    assert layout["scrollWidth"] <= layout["width"], layout["culprits"]
    serious = [v for v in page.evaluate(RUN_AXE) if v["impact"] in ("serious", "critical")]
    assert serious == []
