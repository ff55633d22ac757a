"""A person in control of content answers the disclosure form from the emailed link, in a real
browser, without an account (ACCME Standard 3.1): what they type is what the provider stores."""

from django.urls import reverse

from credits import disclosure_services
from credits.models import DisclosureForm


def test_a_faculty_member_discloses_through_the_link_without_an_account(page, provider, coordinator):
    person = disclosure_services.person_create(
        provider=provider, actor=coordinator, name="Dana Faculty", credentials="MD", email="dana@example.org"
    )
    _request, token = disclosure_services.disclosure_request_send(person=person, actor=coordinator)
    page.goto(reverse("credits:disclosure_form", args=[token]))
    page.get_by_role("heading", name="Disclosure of financial relationships").wait_for()

    # Submitting without the attestations keeps the page, says why, and stores nothing.
    page.get_by_role("button", name="Submit my disclosure").click()
    page.get_by_text("Nothing was saved").wait_for()
    assert not DisclosureForm.objects.filter(person=person).exists()

    page.get_by_label("Ineligible company").first.fill("Acme Devices")
    page.get_by_label("Nature of the relationship").first.select_option("consultant")
    page.get_by_label("Ongoing").first.check()
    page.get_by_role("group", name="Ownership and employment").get_by_label("No").check()
    page.get_by_label("This lists all my financial relationships").check()
    page.get_by_label("I will tell the provider of any change").check()
    page.get_by_label("Your name (as a signature)").fill("Dana Faculty")
    page.get_by_role("button", name="Submit my disclosure").click()
    page.get_by_role("heading", name="Thank you: your disclosure was received").wait_for()

    form = DisclosureForm.objects.get(person=person)
    assert form.collected_on is not None
    relationships = list(form.relationships.values_list("company", "nature"))
    assert relationships == [("Acme Devices", "consultant")]
    # The link is used up: opening it again says so instead of showing the form.
    response = page.goto(reverse("credits:disclosure_form", args=[token]))
    assert response is not None and response.status == 410
