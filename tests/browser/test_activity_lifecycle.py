"""A coordinator publishes a draft activity and later withdraws it, in a real browser (two-factor
login, the CSRF check and the Content-Security-Policy all as in production)."""

from django.urls import reverse

from credits.models import Activity
from testkit.factories import make_activity
from testkit.mfa import browser_login_with_totp, give_totp


def test_a_coordinator_publishes_then_withdraws_an_activity(page, provider, coordinator, episode):
    draft = make_activity(provider=provider, episode=episode, coordinator=coordinator, publish=False)
    secret = give_totp(coordinator)
    browser_login_with_totp(page, coordinator.email, secret)

    # Learners do not see the draft on the episode page.
    page.goto(episode.get_absolute_url())
    assert page.get_by_text("CME activity:").count() == 0

    page.goto(reverse("credits:coordinator_activity", args=[draft.pk]))
    page.get_by_text("Ready to publish.").wait_for()
    page.get_by_role("button", name="Publish").click()
    page.get_by_text("learners are shown version 1").wait_for()
    draft.refresh_from_db()
    assert draft.status == Activity.Status.PUBLISHED and draft.current_version.number == 1

    page.goto(episode.get_absolute_url())
    page.get_by_text("CME activity:").first.wait_for()

    # Withdrawing is a confirmation page that asks for the reason (kept in the record).
    page.goto(reverse("credits:coordinator_activity", args=[draft.pk]))
    page.get_by_role("link", name="Withdraw…").click()
    page.get_by_label("Reason for withdrawing").fill("A guideline changed; a review is under way.")
    page.get_by_role("button", name="Withdraw the activity").click()
    page.wait_for_url(f"**{reverse('credits:coordinator_activity', args=[draft.pk])}")
    draft.refresh_from_db()
    assert draft.status == Activity.Status.WITHDRAWN
    assert draft.withdrawn_reason == "A guideline changed; a review is under way."
