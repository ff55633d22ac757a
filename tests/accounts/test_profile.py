import pytest
from django.urls import reverse

from accounts.models import Degree, LearnerProfile, profile_is_complete_for_credit
from audit.models import AuditEvent

VALID = {
    "given_name": "María-José",
    "middle_name": "",
    "family_name": "O'Connor Núñez",
    "suffix": "",
    "degree": "MD",
    "degree_other": "",
    "specialty": "Anesthesiology",
    "country": "United States",
    "state_province": "Ohio",
    "licence_number": "35.123456",
    "npi": "1234567893",
    "abim_id": "",
    "aba_id": "A12345",
    "abp_id": "",
    "abfm_id": "",
    "abem_id": "",
    "other_board_name": "",
    "other_board_id": "",
    "birth_month": "2",
    "birth_day": "29",
    "time_zone": "America/Chicago",
}


@pytest.fixture
def client_in(client, make_user):
    user = make_user("amy@example.org")
    client.force_login(user)
    client.user = user
    return client


def test_profile_page_explains_each_field(client_in):
    response = client_in.get(reverse("accounts:profile"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Printed on your certificates exactly as typed" in body
    assert "AMA PRA Category 1 Credit™" in body
    assert "boards match MOC reports on month and day of birth" in body


def test_saving_a_complete_profile(client_in):
    response = client_in.post(reverse("accounts:profile"), VALID)
    assert response.status_code == 302
    profile = LearnerProfile.objects.get(user=client_in.user)
    assert profile.legal_name == "María-José O'Connor Núñez"
    assert profile.is_physician
    assert profile.profile_is_complete_for_credit
    assert (profile.birth_month, profile.birth_day) == (2, 29)
    assert profile.board_ids == {"ABA": "A12345"}
    client_in.user.refresh_from_db()
    assert client_in.user.time_zone == "America/Chicago"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"npi": "1234567890"}, "npi", "check digit is wrong"),
        ({"npi": "12345"}, "npi", "exactly 10 digits"),
        ({"birth_month": "2", "birth_day": "30"}, "birth_day", "02/30 is not a date"),
        ({"birth_month": "2", "birth_day": ""}, "birth_day", "both the month and the day"),
        ({"given_name": "x" * 101}, "given_name", "at most 100 characters"),
        ({"family_name": "y" * 500}, "family_name", "at most 100 characters"),
        ({"degree": "Shaman"}, "degree", "Select a valid choice"),
        ({"degree": "Other", "degree_other": ""}, "degree_other", "Name your credential"),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "Select a valid choice"),
    ],
)
def test_bad_profile_input_is_refused_and_nothing_is_written(client_in, change, field, message):
    LearnerProfile.objects.create(
        user=client_in.user, given_name="Before", family_name="Edit", degree=Degree.RN
    )
    response = client_in.post(reverse("accounts:profile"), {**VALID, **change})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors
    assert message in " ".join(errors[field])
    assert message.split("(")[0] in response.content.decode().replace("&#x27;", "'")
    profile = LearnerProfile.objects.get(user=client_in.user)
    assert (profile.given_name, profile.family_name, profile.degree) == ("Before", "Edit", "RN")
    assert profile.npi == ""


def test_consent_is_timestamped_and_audited(client_in):
    client_in.post(reverse("accounts:profile"), {**VALID, "board_sharing_consent": "on"})
    profile = LearnerProfile.objects.get(user=client_in.user)
    assert profile.board_sharing_consent
    assert profile.board_sharing_consent_at is not None
    assert AuditEvent.objects.for_object(profile).filter(action="profile.consent_given").count() == 1

    client_in.post(reverse("accounts:profile"), VALID)  # unticked: withdrawn
    profile.refresh_from_db()
    assert not profile.board_sharing_consent
    assert profile.board_sharing_consent_at is None
    assert AuditEvent.objects.for_object(profile).filter(action="profile.consent_withdrawn").count() == 1


@pytest.mark.parametrize(
    ("given", "family", "degree", "complete"),
    [
        ("Ada", "Lovelace", "MD", True),
        ("Ada", "Lovelace", "RN", True),
        ("Ada", "", "MD", False),
        ("", "Lovelace", "MD", False),
        ("Ada", "Lovelace", "", False),
        ("  ", "Lovelace", "DO", False),
    ],
)
def test_profile_is_complete_for_credit(make_user, given, family, degree, complete):
    user = make_user()
    profile = LearnerProfile.objects.create(user=user, given_name=given, family_name=family, degree=degree)
    assert profile_is_complete_for_credit(profile) is complete
    assert profile_is_complete_for_credit(None) is False


@pytest.mark.parametrize(("degree", "physician"), [(d, d in {"MD", "DO"}) for d in Degree.values])
def test_physician_flag_follows_the_degree(make_user, degree, physician):
    # International medical degrees need the learner's attestation (tests/accounts/test_physician_degrees.py).
    profile = LearnerProfile.objects.create(user=make_user(), degree=degree)
    assert profile.is_physician is physician


def test_profile_requires_login(client):
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_a_learner_only_ever_edits_their_own_profile(client_in, make_user):
    other = make_user("other@example.org", profile=True)
    client_in.post(reverse("accounts:profile"), {**VALID, "user": other.pk})
    other.profile.refresh_from_db()
    assert other.profile.given_name == "Ada"
    assert LearnerProfile.objects.get(user=client_in.user).given_name == "María-José"
