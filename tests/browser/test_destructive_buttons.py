"""Destructive actions look destructive and ask first (issue 15, item 10), in a real browser:
secondary buttons are not painted as primary ones, danger buttons are red, and regenerating a
personal feed goes through its confirmation page."""

from episodes.models import PersonalFeed
from episodes.personal_feeds import personal_feed_get_or_create
from testkit.factories import PASSWORD

BRAND = "rgb(11, 92, 173)"  # --brand
BAD = "rgb(164, 22, 26)"  # --bad
WASH = "rgb(243, 246, 249)"  # --wash

BACKGROUND = "(el) => getComputedStyle(el).backgroundColor"


def test_danger_and_secondary_buttons_and_the_feed_confirmation(page, learner, show):
    first = personal_feed_get_or_create(user=learner, show=show)
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(learner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.goto("/account/feeds/")

    regenerate = page.get_by_role("button", name="Regenerate…")
    assert regenerate.evaluate(BACKGROUND) == BAD
    assert page.get_by_role("button", name="Revoke…").evaluate(BACKGROUND) == BAD
    # A submit button marked secondary is not outranked by the submit-button rule any more.
    page.evaluate(
        """() => { const b = document.createElement('button'); b.type = 'submit'; b.id = 'probe';
                   b.className = 'button small secondary'; b.textContent = 'probe';
                   document.querySelector('main').appendChild(b); }"""
    )
    assert page.locator("#probe").evaluate(BACKGROUND) == WASH

    regenerate.click()
    page.get_by_role("heading", name="Make a new personal feed address for Airway Rounds?").wait_for()
    assert PersonalFeed.objects.get(user=learner, revoked_at__isnull=True).pk == first.pk
    assert page.get_by_role("link", name="Cancel").evaluate(BACKGROUND) == WASH
    page.get_by_role("button", name="Make a new address").click()
    page.get_by_text("New address made").wait_for()
    assert PersonalFeed.objects.get(user=learner, revoked_at__isnull=True).pk != first.pk
