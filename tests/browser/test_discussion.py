"""Discussion as peer review in a real browser (issue 17, "Tests"): a learner comments with a DOI on
a CME episode, the host pins it, hides another comment with a reason, publishes a correction
prompted by it, and the correction is found in the show's feed (fetched and parsed by feedparser and
podcastparser). Logins, CSRF and the Content-Security-Policy are as in production."""

import io

import feedparser
import podcastparser
from django.urls import reverse

from discussion.models import Comment, Correction
from discussion.services import comment_post
from testkit.factories import PASSWORD
from testkit.mfa import browser_login_with_totp, give_totp

DOI = "10.1056/NEJMoa2034577"
COMMENT = "A second air shadow beside the trachea means the tube is in the oesophagus."
ADVERT = "Cheap refurbished ultrasound probes, message me for prices."
REASON = "Advertising, not about the episode."
FIX = "One air shadow is not enough: waveform capnography confirms a tracheal tube."


def test_comment_pin_hide_correct_and_find_the_correction_in_the_feed(
    page, browser, live_server, learner, make_user, host, activity, coordinator
):
    episode = activity.episode
    other = make_user("other-member@example.org")
    advert = comment_post(user=other, episode=episode, body=ADVERT)

    # The learner logs in and comments with a DOI.
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(learner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("link", name="Account").wait_for()
    page.goto(episode.get_absolute_url())
    # The new-comment form (each shown comment has its own reply form with the same labels).
    form = page.locator("form.comment-form", has=page.locator("#id_body"))
    form.get_by_label("Your comment").fill(COMMENT)
    form.get_by_label("References (optional)").fill(f"doi:{DOI}")
    form.get_by_role("button", name="Post the comment").click()
    page.get_by_text(COMMENT).wait_for()
    comment = Comment.objects.get(author=learner)
    assert comment.status == Comment.Status.SHOWN
    assert list(comment.references.values_list("kind", "value")) == [("doi", DOI.lower())]
    citation = page.locator(f"#comment-{comment.pk}").get_by_role("link", name=DOI, exact=False)
    assert citation.get_attribute("href") == f"https://doi.org/{DOI.lower()}"

    # The host (two-factor login, in a browser of their own) pins it and hides the advert.
    host_context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    host_context.set_default_timeout(15_000)
    host_page = host_context.new_page()
    try:
        browser_login_with_totp(host_page, host.email, give_totp(host))
        host_page.goto(reverse("discussion:host_discussion", args=[episode.show.slug]))
        host_page.locator(f"#comment-{comment.pk}").get_by_role("button", name="Pin").click()
        host_page.locator(f"#comment-{comment.pk}").get_by_text("Pinned by the host").wait_for()
        host_page.locator(f"#comment-{advert.pk}").get_by_role("link", name="Hide…").click()
        host_page.get_by_label("Why hide it?").fill(REASON)
        host_page.get_by_role("button", name="Hide the comment").click()
        host_page.get_by_text(REASON).wait_for()
        advert.refresh_from_db()
        assert advert.status == Comment.Status.HIDDEN and advert.hidden_reason == REASON

        # The correction, from the episode's edit page, prompted by the learner's comment.
        host_page.goto(reverse("episodes:host_episode_edit", args=[episode.show.slug, episode.pk]))
        host_page.get_by_role("link", name="Corrections: publish one on this episode…").click()
        host_page.get_by_role("textbox", name="Correction").fill(FIX)
        host_page.get_by_label("Prompted by comment # (optional)").fill(str(comment.pk))
        host_page.get_by_label("I understand: the correction appears at once").check()
        host_page.get_by_role("button", name="Publish the correction").click()
        host_page.get_by_text("The correction is published").wait_for()
        host_page.get_by_text("coordinators were emailed").wait_for()  # a CME episode
        correction = Correction.objects.get()
        assert correction.prompted_by == comment and correction.text == FIX
    finally:
        host_context.close()

    # The learner's page: the correction above the notes, the pinned comment, no advert.
    page.goto(episode.get_absolute_url())
    corrections = page.get_by_role("region", name="Correction")
    corrections.get_by_text(FIX).wait_for()
    page.locator(f"#comment-{comment.pk}").get_by_text("Pinned by the host").wait_for()
    assert page.get_by_text(ADVERT).count() == 0

    # The show's feed, as a podcast app fetches it: the correction leads the item's notes, dated.
    response = page.request.get(reverse("episodes:feed", args=[episode.show.slug]))
    assert response.ok
    body = response.body()
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.bozo_exception
    item = next(entry for entry in parsed.entries if entry.title == episode.title)
    assert item.content[0].value.startswith("<p><strong>Correction (")
    assert FIX in item.content[0].value and FIX in item.summary
    apps = podcastparser.parse(episode.show.feed_url, io.BytesIO(body))
    notes = next(e for e in apps["episodes"] if e["title"] == episode.title)["description_html"]
    assert notes.startswith("<p><strong>Correction (") and FIX in notes
