"""The whole learner path in a real browser: episode page, play, post-test (fail, then pass),
evaluation, claim, and the credit on My learning."""

import datetime
from decimal import Decimal

import pytest
from django.core.files import File
from django.utils import timezone

from credits import services as credit_services
from credits.grants import grant_record_active
from credits.models import CreditClaim, ListeningProgress
from episodes import services as episode_services
from testkit.factories import PASSWORD, QUIZ, publish
from testkit.media import make_audio


@pytest.fixture
def cme_episode(show, provider, coordinator):
    with open(make_audio(20.0, "mp3"), "rb") as handle:
        episode = episode_services.episode_create(
            show=show,
            actor=None,
            title="Difficult airway",
            audio=File(handle, name="difficult.mp3"),
            status="published",
            publish_at=timezone.now() - datetime.timedelta(hours=1),
        )
    # The show allows the provider (credits/grants.py) before an episode becomes an activity.
    grant_record_active(show=episode.show, provider=provider, actor=None, note="test set-up")
    activity = credit_services.activity_create(
        provider=provider,
        episode=episode,
        actor=coordinator,
        data={
            "title": "",
            "objectives": "Recognise a failed airway",
            "target_audience": "Anaesthetists",
            "designated_credits": Decimal("0.5"),
            "designation_reason": "Pilot test: learners needed the designated time with the readings.",
            "release_date": timezone.localdate() - datetime.timedelta(days=1),
            "expiry_date": timezone.localdate() + datetime.timedelta(days=300),
        },
    )
    credit_services.activity_set_people(
        activity=activity,
        actor=coordinator,
        people=[{"name": "Dr Ada Byrne", "credentials": "MD", "role": "faculty", "disclosures": []}],
    )
    credit_services.quiz_replace(activity=activity, actor=coordinator, data=QUIZ)
    activity = publish(activity, coordinator)  # version 1: what learners are shown
    return episode, activity


def _answer(page, activity, *, correct: bool):
    """Tick the right (or a wrong) option of each question by its label, as a learner does.

    The inputs' values and ids are per-attempt tokens and page positions: only the text says
    which option is which.
    """
    for question in activity.questions.prefetch_related("options"):
        option = next(o for o in question.options.all() if o.is_correct == correct)
        fieldset = page.locator("fieldset.question", has_text=question.text)
        fieldset.get_by_label(option.text, exact=True).check()


def test_listen_test_evaluate_claim(page, live_server, learner, cme_episode):
    episode, activity = cme_episode
    page.goto(episode.get_absolute_url())
    page.get_by_role("heading", name="CME activity: Difficult airway").wait_for()
    page.get_by_text("Dr Ada Byrne, MD").wait_for()
    page.get_by_text("is accredited by the Accreditation Council").wait_for()

    # Log in from the activity panel and come straight back to the post-test.
    page.get_by_role("link", name="Log in to take the post-test").click()
    page.get_by_label("Email").fill(learner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("heading", name="Post-test").wait_for()

    # Listen first: play a few seconds in the web player, which reports what was played.
    page.goto(episode.get_absolute_url())
    page.evaluate("document.getElementById('episode-player').play()")
    # A function, not an expression string: Playwright evals a string in the page, which the CSP forbids.
    page.wait_for_function("() => document.getElementById('episode-player').currentTime > 2", timeout=15_000)
    with page.expect_response(lambda r: "/progress/" in r.url and r.status == 200):
        page.evaluate("document.getElementById('episode-player').pause()")
    assert ListeningProgress.objects.get(user=learner, episode=episode).seconds_played >= 2

    # The claim page asks for everything left in one submit: post-test, evaluation, time.
    page.get_by_role("link", name="Take the post-test").click()
    page.get_by_role("heading", name="Claim credit").wait_for()
    page.get_by_text("in the browser").wait_for()
    _answer(page, activity, correct=False)
    for group in ["The activity met its stated objectives", "The content is relevant to my practice",
                  "The content was free of commercial bias"]:  # fmt: skip
        page.get_by_role("group", name=group).get_by_label("Agree", exact=True).check()
    page.get_by_label("Yes").check()
    page.get_by_label("What will you change?").fill("Reach for a supraglottic airway sooner.")
    page.get_by_label("Minutes spent").fill("25")
    page.get_by_role("button", name="Claim credit").click()
    page.get_by_role("heading", name="Not passed yet").wait_for()
    assert page.get_by_text("A second-generation supraglottic airway").count() == 0
    # The evaluation and the time are kept; only the post-test is asked again.
    assert (
        page.get_by_label("What will you change?").input_value() == "Reach for a supraglottic airway sooner."
    )
    assert page.get_by_label("Minutes spent").input_value() == "25"
    _answer(page, activity, correct=True)
    page.get_by_text("By claiming you attest").wait_for()
    page.get_by_role("button", name="Claim credit").click()
    # Claimed: the certificate's verification page, with the post-test's feedback for its owner.
    page.get_by_role("heading", name="Credit claimed").wait_for()
    page.get_by_text("A second-generation supraglottic airway restores oxygenation.").wait_for()

    page.get_by_role("link", name="All your credit: My learning").click()
    row = page.get_by_role("row").filter(has_text="Difficult airway")
    row.get_by_text("0.5 · AMA PRA Category 1 Credit™").wait_for()
    claim = CreditClaim.objects.get(learner=learner, activity=activity)
    assert claim.credits == Decimal("0.50")
    assert claim.listening_evidence["web_player"]["seconds_played"] >= 2
