"""Editable lists in a real browser (issue 15, item 7): "Add row" adds a blank row in the page
(static/js/formset-rows.js, no round trip) and three people are added in one save."""

from django.urls import reverse

from credits.models import ContentPerson, DisclosureRequest
from testkit.factories import make_activity
from testkit.mfa import browser_login_with_totp, give_totp

PEOPLE = [
    ("Ada Byrne", "ada@example.org", "faculty"),
    ("Ben Okafor", "ben@example.org", "planner"),
    ("Cal Reyes", "cal@example.org", "reviewer"),
]


def test_add_row_in_the_page_then_three_people_in_one_save(page, provider, coordinator, episode):
    activity = make_activity(
        provider=provider, episode=episode, coordinator=coordinator, people=[], quiz=None, publish=False
    )
    browser_login_with_totp(page, coordinator.email, give_totp(coordinator))
    url = reverse("credits:coordinator_people", args=[activity.pk])
    page.goto(url)
    total = page.locator('input[name="p-TOTAL_FORMS"]')
    assert total.input_value() == "3"

    page.get_by_role("button", name="Add row").click()
    row = page.get_by_role("group", name="Person 4", exact=True)
    row.wait_for()
    assert total.input_value() == "4" and page.url.endswith(url)  # no round trip: the same page

    # Rows 1, 2 and the added row 4 are filled; row 3 is left blank and skipped.
    for number, (name, email, role) in zip((1, 2, 4), PEOPLE, strict=True):
        group = page.get_by_role("group", name=f"Person {number}", exact=True)
        group.get_by_label("Name (new person)").fill(name)
        group.get_by_label("Email", exact=True).fill(email)
        group.get_by_label("Role").select_option(role)
    page.get_by_role("button", name="Add these people").click()
    page.get_by_text("The disclosure form was emailed to cal@example.org.").wait_for()

    added = ContentPerson.objects.filter(activity=activity).select_related("person").order_by("position")
    assert [(c.person.name, c.person.email, c.role) for c in added] == PEOPLE
    assert DisclosureRequest.objects.filter(activity=activity).count() == 3
