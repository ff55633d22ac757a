"""A host logs in with TOTP, uploads an episode, watches the progress bar finish, finds it in the feed."""

import feedparser

from episodes.models import Episode
from testkit.media import make_audio
from testkit.mfa import browser_login_with_totp, give_totp

# Keeps every state of the progress bar in sessionStorage, which survives the navigation that
# follows a finished upload, so the test can check the bar really reached 100%.
RECORD_PROGRESS = """
() => {
  const bar = document.querySelector('[data-upload-progress] progress');
  const text = document.querySelector('[data-upload-progress-text]');
  const log = () => sessionStorage.setItem('progress', JSON.stringify(
    [...JSON.parse(sessionStorage.getItem('progress') || '[]'), [bar.value, bar.max, text.textContent]]));
  new MutationObserver(log).observe(text, {childList: true, characterData: true, subtree: true});
}
"""


def test_host_uploads_an_episode_with_a_progress_bar_and_finds_it_in_the_feed(page, host, show):
    secret = give_totp(host)
    browser_login_with_totp(page, "host@example.org", secret)

    page.goto(f"/host/shows/{show.slug}/")
    page.get_by_role("link", name="Upload an episode").click()
    page.locator("#id_audio").set_input_files(str(make_audio(30.0, "mp3")))
    page.locator("#id_title").fill("Awake fibreoptic intubation")
    page.locator("#id_status").select_option("published")
    progress = page.locator("[data-upload-progress]")
    assert progress.is_hidden()
    page.evaluate(RECORD_PROGRESS)
    page.get_by_role("button", name="Upload the episode").click()

    page.wait_for_url(f"**/host/shows/{show.slug}/")
    page.get_by_text("“Awake fibreoptic intubation” is published.").wait_for()
    states = page.evaluate("JSON.parse(sessionStorage.getItem('progress') || '[]')")
    assert states, "the progress bar never moved"
    assert states[-1] == [100, 100, "100%"]
    assert page.get_by_role("cell", name="Awake fibreoptic intubation", exact=True).is_visible()

    episode = Episode.objects.get(show=show)
    feed = feedparser.parse(page.request.get(f"/shows/{show.slug}/feed.xml").body())
    [entry] = feed.entries
    assert entry.title == "Awake fibreoptic intubation"
    assert entry.enclosures[0].href.endswith(episode.get_audio_url())
    assert int(entry.enclosures[0].length) == episode.audio_size


def test_form_errors_come_back_in_place_after_an_upload(page, host, show, tmp_path):
    secret = give_totp(host)
    browser_login_with_totp(page, "host@example.org", secret)
    fake = tmp_path / "not-audio.mp3"
    fake.write_bytes(b"this is not audio at all" * 100)
    page.goto(f"/host/shows/{show.slug}/episodes/new/")
    page.locator("#id_audio").set_input_files(str(fake))
    page.locator("#id_title").fill("Broken upload")
    page.get_by_role("button", name="Upload the episode").click()
    page.get_by_text("This file is not MP3 audio, although its name may say so.").wait_for()
    assert page.url.endswith(f"/host/shows/{show.slug}/episodes/new/")
    assert page.locator("#id_title").input_value() == "Broken upload"
    assert not Episode.objects.exists()
