"""A new learner on a 390 px phone, from the feed's "Earn CME credit" link to the certificate's
public verification page (issue 15): sign up, confirm the email, post-test, evaluation, claim.

The path is measured as a keystroke-level model (KLM) and printed:
- clicks: taps on a link, button, radio, checkbox or a choice in a list (a <select> is two taps:
  open it, pick), and the tap that opens the email's link;
- field taps: a tap into a text field before typing (counted apart, and in the estimate);
- typed characters: every character typed;
- page loads: documents the browser loads (a redirect chain is one load);
- reading: the words the learner must read to act, i.e. the labels and legends of the forms they
  answer (post-test questions and options, evaluation questions and choices, the claim form's
  fields and attestation), not hints or statements they may skim;
- the estimate: 1.3 s a click or field tap, 0.28 s a character, 1.35 s a page load, reading at
  200 words a minute, 20 s to fetch the email.
Screenshots of every step go to test-artifacts/learner-path-390/.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

import feedparser
from django.core import mail

from credits.models import Certificate

SHOTS = "learner-path-390"
EMAIL = "new.doctor@example.org"
PASSWORD = "propofol-drip-2026"

CLICK_S, CHAR_S, LOAD_S, EMAIL_S, WORDS_PER_MIN = 1.3, 0.28, 1.35, 20.0, 200
GOAL = {"clicks": 12, "loads": 8, "seconds": 90}
# Measured on this path (three-question post-test, four-question evaluation): 19 clicks, 9 loads,
# 126 words, about 120 s. The goal needs changes outside the claim and sign-up (MISSING_FOR_THE_GOAL).
TODAY = {"clicks": 19, "loads": 9, "seconds": 122}
MISSING_FOR_THE_GOAL = """
- the evaluation on the "You passed" page (no "Evaluate the activity" link and page): -1 click, -1 load;
- the claim fields on the evaluation page (one submit for both): -1 click, -1 load;
- the sign-up form on the episode page, or the feed link going to sign-up: -1 click, -1 load;
- a password typed once (ACCOUNT_SIGNUP_FIELDS without password2): -1 field tap, -18 characters;
- the degree as a short list of buttons (MD, DO, ...) instead of a <select>: -1 click.
That is 15 clicks, 6 loads and about 100 s: the reading (126 words, 38 s) and the email (20 s) are
fixed, so 90 s and 12 clicks also need fewer questions (3 post-test + 4 evaluation answers are 7 of
the clicks) or counting the podcast app's and the mail app's taps outside the site.
"""


@dataclass
class Path:
    page: Any
    folder: FsPath
    clicks: int = 0
    field_taps: int = 0
    chars: int = 0
    loads: int = 0
    words: int = 0
    steps: list = field(default_factory=list)

    def click(self, locator, taps: int = 1):
        locator.click()
        self.clicks += taps

    def check(self, locator):
        locator.check()
        self.clicks += 1

    def select(self, locator, value):
        locator.select_option(value)
        self.clicks += 2  # open the list, pick

    def type(self, locator, text: str):
        locator.click()
        self.field_taps += 1
        locator.fill(text)
        self.chars += len(text)

    def read(self, selector: str):
        """Count the words of the labels and legends of the form the learner answers."""
        texts = self.page.locator(selector).all_inner_texts()
        self.words += sum(len(re.findall(r"\w+", t)) for t in texts)

    def shot(self, name: str):
        self.steps.append(name)
        self.page.screenshot(path=str(self.folder / f"{len(self.steps):02d}-{name}.png"), full_page=True)

    @property
    def seconds(self) -> float:
        return (
            (self.clicks + self.field_taps) * CLICK_S
            + self.chars * CHAR_S
            + self.loads * LOAD_S
            + self.words / WORDS_PER_MIN * 60
            + EMAIL_S
        )

    def report(self) -> str:
        return (
            f"learner path at 390 px: {self.clicks} clicks (+{self.field_taps} field taps), "
            f"{self.chars} typed characters, {self.loads} page loads, {self.words} words read; "
            f"estimate {self.seconds:.1f} s = {self.clicks + self.field_taps} x {CLICK_S} + "
            f"{self.chars} x {CHAR_S} + {self.loads} x {LOAD_S} + {self.words} words / {WORDS_PER_MIN} wpm + "
            f"{EMAIL_S:.0f} s email. Goal: <= {GOAL['clicks']} clicks, <= {GOAL['loads']} loads, "
            f"< {GOAL['seconds']} s."
        )


def _credit_link(page, live_server, show, episode) -> str:
    """The "Earn CME credit" link of the episode's item in the show's real feed."""
    response = page.request.get(live_server.url + show.get_feed_url())
    assert response.status == 200
    entry = next(e for e in feedparser.parse(response.body()).entries if e.id == episode.guid)
    match = re.search(r'Earn CME credit: <a href="([^"]+)"', entry.summary)
    assert match is not None, entry.summary
    url = match.group(1)
    return live_server.url + url[url.index("/", url.index("//") + 2) :]


def _correct(page, path, activity):
    for question in activity.questions.prefetch_related("options"):
        option = next(o for o in question.options.all() if o.is_correct)
        path.check(
            page.locator("fieldset.question", has_text=question.text).get_by_label(option.text, exact=True)
        )


def test_a_new_learner_reaches_the_verification_page_on_a_phone(
    browser, live_server, show, episode, activity
):

    folder = FsPath(__file__).resolve().parents[2] / "test-artifacts" / SHOTS
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    path = Path(page=page, folder=folder)

    def loaded(frame):
        if frame == page.main_frame:
            path.loads += 1

    try:
        link = _credit_link(page, live_server, show, episode)
        page.on("framenavigated", loaded)

        # 1. The podcast app opens the link: the episode page with its activity panel.
        page.goto(link)
        page.get_by_role("heading", name=re.compile("CME activity")).wait_for()
        path.clicks += 1  # the tap on the link in the podcast app
        path.shot("episode")

        # 2. Sign up from the panel.
        path.click(page.locator("#main .cme-panel").get_by_role("link", name="Sign up"))
        page.get_by_label("Email").wait_for()
        path.shot("sign-up")
        path.type(page.get_by_label("Email"), EMAIL)
        path.type(page.locator("#id_password1"), PASSWORD)
        path.type(page.locator("#id_password2"), PASSWORD)
        path.click(page.get_by_role("button", name="Sign Up"))
        page.get_by_role("heading", name="Verify Your Email Address").wait_for()
        path.shot("check-your-email")

        # 3. The email (20 s in the estimate); its link confirms and logs in: the post-test.
        message = next(m for m in mail.outbox if EMAIL in m.to)
        confirm = re.search(r"https?://\S+/accounts/confirm-email/\S+", message.body).group(0)
        page.goto(confirm.replace("http://testserver", live_server.url))
        path.clicks += 1  # the tap on the email's link
        page.get_by_role("heading", name="Post-test").wait_for()
        path.shot("post-test")

        # 4. Post-test: read and answer each question.
        path.read("form fieldset.question legend, form fieldset.question label")
        _correct(page, path, activity)
        path.click(page.get_by_role("button", name="Submit answers"))
        page.get_by_role("heading", name="You passed").wait_for()
        path.shot("passed")

        # 5. Evaluation.
        path.click(page.get_by_role("link", name="Evaluate the activity"))
        page.get_by_role("button", name="Submit evaluation").wait_for()
        path.read("main form legend")
        for group in ["The activity met its stated objectives", "The content is relevant to my practice",
                      "The content was free of commercial bias"]:  # fmt: skip
            path.check(page.get_by_role("group", name=group).get_by_label("Agree", exact=True))
        path.check(page.get_by_role("group", name=re.compile("intend to change")).get_by_label("No"))
        path.shot("evaluation")
        path.click(page.get_by_role("button", name="Submit evaluation"))

        # 6. Claim: only what this claim needs (name and degree, asked on the claim page).
        page.get_by_role("heading", name="Claim credit").wait_for()
        path.shot("claim")
        assert page.get_by_text("You will receive a certificate of participation").count() == 0
        path.read("main form legend, main form label")
        path.type(page.get_by_label("Legal given name"), "Zoë")
        path.type(page.get_by_label("Legal family name"), "D'Arcy")
        path.select(page.get_by_label("Degree or credential"), "MD")
        path.check(page.get_by_label("I claim only the credit commensurate"))
        path.click(page.get_by_role("button", name="Claim credit"))
        page.get_by_role("heading", name="Credit claimed").wait_for()
        path.shot("claimed")

        # 7. The certificate's public verification page.
        path.click(page.get_by_role("link", name="Its public verification page"))
        page.get_by_text("Zoë D'Arcy").first.wait_for()
        path.shot("verification")
        certificate = Certificate.objects.get(claim__learner__email=EMAIL)
        assert certificate.code in page.url
        # Nothing scrolls sideways on the way.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    finally:
        context.close()

    print("\n" + path.report())
    met = {
        "clicks": path.clicks <= GOAL["clicks"],
        "loads": path.loads <= GOAL["loads"],
        "seconds": path.seconds < GOAL["seconds"],
    }
    print("issue 15 goal met: " + ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in met.items()))
    assert errors == []
    # The goal (12 clicks, 8 loads, 90 s) is NOT met yet; see MISSING_FOR_THE_GOAL. Until it
    # is, the path is held to what it measures today, so it cannot get longer unnoticed.
    assert path.clicks <= TODAY["clicks"], path.report()
    assert path.loads <= TODAY["loads"], path.report()
    assert path.seconds < TODAY["seconds"], path.report()
    # Besides sign-up, the claim asked only what it needs: the name and degree, nothing else typed.
    assert path.field_taps == 5 and path.chars == len(EMAIL) + 2 * len(PASSWORD) + len("Zoë") + len("D'Arcy")
