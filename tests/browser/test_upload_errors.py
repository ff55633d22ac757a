"""The upload page: the previous file's error does not stay on screen while a corrected file uploads."""

from episodes.models import Episode
from testkit.media import make_audio
from testkit.mfa import browser_login_with_totp, give_totp

BAD_AUDIO = "This file is not MP3 audio, although its name may say so."

# On the next submit (after upload.js's own handler), note whether the old error is still shown.
RECORD_ERROR_ON_SUBMIT = """
(message) => {
  document.addEventListener('submit', () => {
    const shown = [...document.querySelectorAll('[role="alert"]')]
      .some((el) => el.offsetParent !== null && el.textContent.includes(message));
    sessionStorage.setItem('errorShownDuringUpload', JSON.stringify(shown));
  });
}
"""


def test_the_old_error_is_gone_while_a_valid_file_uploads(page, host, show, tmp_path):
    secret = give_totp(host)
    browser_login_with_totp(page, "host@example.org", secret)
    fake = tmp_path / "not-audio.mp3"
    fake.write_bytes(b"this is not audio at all" * 100)
    page.goto(f"/host/shows/{show.slug}/episodes/new/")
    page.locator("#id_audio").set_input_files(str(fake))
    page.locator("#id_title").fill("Second try")
    page.get_by_role("button", name="Upload the episode").click()
    page.get_by_text(BAD_AUDIO).wait_for()

    page.evaluate(RECORD_ERROR_ON_SUBMIT, BAD_AUDIO)
    page.locator("#id_audio").set_input_files(str(make_audio(5.0, "mp3")))
    assert page.get_by_text(BAD_AUDIO).count() == 0, "choosing a new file clears the field's old error"
    page.get_by_role("button", name="Upload the episode").click()
    page.wait_for_url(f"**/host/shows/{show.slug}/")
    assert page.evaluate("JSON.parse(sessionStorage.getItem('errorShownDuringUpload'))") is False
    assert Episode.objects.get(show=show).title == "Second try"
