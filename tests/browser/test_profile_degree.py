"""Issue 12, finding 7 in a browser: the MD/DO-equivalence attestation appears only while an
international medical degree is chosen (a static script, no inline code); the server still asks for it."""

from accounts.models import LearnerProfile
from testkit.factories import PASSWORD

ATTEST = "I attest that my degree is a primary medical degree equivalent to an MD or DO"


def _log_in(page, email):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("link", name="Account").wait_for()


def test_the_attestation_shows_for_an_international_degree_and_is_saved(page, make_user):
    make_user("intl@example.org")
    _log_in(page, "intl@example.org")
    page.goto("/account/profile/")
    attestation = page.get_by_label(ATTEST)
    page.get_by_label("Degree or credential").select_option("MD")
    assert not attestation.is_visible()
    page.get_by_label("Degree or credential").select_option("MBChB")
    assert attestation.is_visible()

    page.get_by_label("Legal given name").fill("Thandiwe")
    page.get_by_label("Legal family name").fill("Nkosi")
    page.get_by_role("button", name="Save profile").click()
    page.get_by_text("Tick the attestation to receive physician credit").wait_for()
    assert attestation.is_visible()  # still shown, with its error, after the server refused
    assert not LearnerProfile.objects.filter(user__email="intl@example.org", degree="MBChB").exists()

    page.get_by_label(ATTEST).check()
    page.get_by_role("button", name="Save profile").click()
    page.get_by_text("Your profile has been saved.").wait_for()
    profile = LearnerProfile.objects.get(user__email="intl@example.org")
    assert profile.degree == "MBChB" and profile.is_physician
    page.get_by_text("You attested for your MBChB on").wait_for()
    page.get_by_label("Degree or credential").select_option("RN")
    assert not page.get_by_label(ATTEST).is_visible()
    assert page.policy_errors == []
