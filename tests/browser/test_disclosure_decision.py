"""A coordinator decides, in a real browser, that a faculty member's new relationship is relevant and
how it was mitigated; learners are then shown it with the mitigation statement (ACCME 3.3-3.5)."""

from django.urls import reverse
from django.utils import timezone

from credits import disclosure_services
from credits.models import ContentPerson
from testkit.factories import make_activity
from testkit.mfa import browser_login_with_totp, give_totp


def test_a_relevant_relationship_is_decided_and_mitigated_then_shown_to_learners(
    page, provider, coordinator, episode
):
    activity = make_activity(provider=provider, episode=episode, coordinator=coordinator)
    content_person = ContentPerson.objects.get(activity=activity, removed_at__isnull=True)
    # The faculty member's refreshed form lists a new relationship (entered as received on paper).
    disclosure_services.disclosure_form_enter(
        person=content_person.person,
        actor=coordinator,
        collected_on=timezone.localdate(),
        data={
            "relationships": [{"company": "Acme Devices", "nature": "consultant", "ongoing": True}],
            "owner_or_employee": False,
            "attests_complete": True,
            "promises_to_report_changes": True,
            "signed_name": content_person.person.name,
        },
    )
    # Until it is decided, learners keep the version they were shown: no Acme there.
    page.goto(episode.get_absolute_url())
    assert page.get_by_text("Acme Devices").count() == 0

    browser_login_with_totp(page, coordinator.email, give_totp(coordinator))
    page.goto(reverse("credits:coordinator_people", args=[activity.pk]))
    decision = page.locator("form", has=page.get_by_text("Acme Devices — Consultant"))
    decision.get_by_label("Yes").check()
    decision.get_by_label("How it was mitigated (when relevant)").select_option("peer_review")
    decision.get_by_label("Mitigation details").fill("Reviewed by an independent anaesthetist.")
    decision.get_by_role("button", name="Record decision").click()
    page.get_by_text("mitigated: Independent peer review of the content").wait_for()

    page.goto(episode.get_absolute_url())
    panel = page.locator(".cme-panel")
    panel.get_by_text("Acme Devices").wait_for()
    assert panel.get_by_text("All relevant financial relationships listed have been mitigated.").count() == 1
