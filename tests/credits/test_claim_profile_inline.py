"""The claim page asks for what this claim needs, on the page (issue 15, item 2).

A learner with no profile sees the legal name and degree fields on the claim page, marked as
needed for the certificate, and claims in one submit; bad input is refused with the field's message
and nothing is written (no profile, no claim). Nobody is told what certificate they will receive
before their degree is known.
"""

import pytest
from django.urls import reverse

from accounts.models import Degree, LearnerProfile
from audit.models import AuditEvent
from credits.models import CreditClaim
from testkit.factories import make_user, pass_and_evaluate

CLAIM = {"minutes": "45", "attest": "on"}
PROFILE = {"given_name": "Zoë", "family_name": "D'Arcy", "degree": "MD"}


@pytest.fixture
def newcomer(activity):
    user = make_user("newcomer@example.org")  # no profile: signed up a minute ago
    pass_and_evaluate(user, activity)
    return user


def _url(activity):
    return reverse("credits:claim", args=[activity.pk])


@pytest.mark.django_db
def test_the_claim_page_asks_for_the_name_and_degree_and_promises_no_certificate_type(
    client, newcomer, activity
):
    client.force_login(newcomer)
    body = client.get(_url(activity)).content.decode()
    for field in ('name="given_name"', 'name="family_name"', 'name="degree"'):
        assert field in body
    assert "You will receive a certificate of participation" not in body
    assert "As a physician you will receive" not in body
    assert "Needed for your certificate" in body
    assert 'href="/account/profile/"' not in body  # no detour without a way back


@pytest.mark.django_db
def test_a_physician_fills_the_name_and_degree_and_claims_in_one_submit(client, newcomer, activity):
    client.force_login(newcomer)
    response = client.post(_url(activity), {**CLAIM, **PROFILE}, follow=True)
    assert response.status_code == 200, response.content.decode()
    assert b"Credit claimed" in response.content
    profile = LearnerProfile.objects.get(user=newcomer)
    assert profile.legal_name == "Zoë D'Arcy" and profile.degree == Degree.MD
    claim = CreditClaim.objects.get(learner=newcomer, activity=activity)
    assert claim.credit_type == "ama_pra_1"
    assert claim.degree == "MD"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ({"family_name": ""}, "Enter your family name as it should print on the certificate."),
        ({"degree": ""}, "Choose your degree: it decides the credit on your certificate."),
        ({"degree": "Wizard"}, "Select a valid choice"),
        ({"degree": "Other"}, "Name your credential"),
        ({"degree": "MBBS"}, "Tick the attestation"),
    ],
)
def test_bad_profile_input_is_refused_and_nothing_is_written(client, newcomer, activity, missing, message):
    client.force_login(newcomer)
    audits = AuditEvent.objects.count()
    response = client.post(_url(activity), {**CLAIM, **PROFILE, **missing})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not LearnerProfile.objects.filter(user=newcomer).exists()
    assert not CreditClaim.objects.filter(learner=newcomer).exists()
    assert AuditEvent.objects.count() == audits


@pytest.mark.django_db
def test_a_bad_claim_field_writes_no_profile_either(client, newcomer, activity):
    client.force_login(newcomer)
    response = client.post(_url(activity), {**PROFILE, "minutes": "0", "attest": "on"})
    assert response.status_code == 400
    assert not LearnerProfile.objects.filter(user=newcomer).exists()
    assert not CreditClaim.objects.filter(learner=newcomer).exists()


@pytest.mark.django_db
def test_an_international_degree_with_the_attestation_claims_physician_credit(client, newcomer, activity):
    client.force_login(newcomer)
    response = client.post(
        _url(activity), {**CLAIM, **PROFILE, "degree": "MBBS", "degree_equivalence": "on"}, follow=True
    )
    assert response.status_code == 200, response.content.decode()
    profile = LearnerProfile.objects.get(user=newcomer)
    assert profile.is_physician and profile.degree_equivalence_attested_at is not None
    assert AuditEvent.objects.filter(action__icontains="degree").exists()


@pytest.mark.django_db
def test_a_complete_profile_is_not_asked_again(client, learner, activity, evaluated):
    client.force_login(learner)
    body = client.get(_url(activity)).content.decode()
    assert 'name="given_name"' not in body
    assert "As a physician you will receive" in body
    # Posted profile fields are ignored once the profile is complete: the claim does not rename.
    response = client.post(
        _url(activity), {**CLAIM, "given_name": "Mallory", "family_name": "X", "degree": "RN"}, follow=True
    )
    assert response.status_code == 200
    assert LearnerProfile.objects.get(user=learner).given_name == "Ada"


@pytest.mark.django_db
def test_the_name_and_degree_given_on_the_claim_page_are_audited_with_old_and_new(client, newcomer, activity):
    client.force_login(newcomer)
    assert client.post(_url(activity), {**CLAIM, **PROFILE}).status_code == 302
    event = AuditEvent.objects.get(action="profile.certificate_fields_changed")
    assert event.data["old"] == {"given_name": "", "family_name": "", "degree": ""}
    assert event.data["new"] == {"given_name": "Zoë", "family_name": "D'Arcy", "degree": "MD"}


@pytest.mark.django_db
def test_a_nurse_on_an_activity_with_more_credit_types_sees_them_before_claiming(
    client, provider, episode, coordinator
):
    from decimal import Decimal

    from testkit import factories

    factories.jointly_accredit(provider)
    offering = factories.make_activity(
        provider=provider,
        episode=episode,
        coordinator=coordinator,
        other_credits=[
            {"kind": "ancc", "amount": Decimal("1.0")},
            {"kind": "ipce", "amount": Decimal("0.75")},
        ],
    )
    nurse = make_user("nurse@example.org")
    pass_and_evaluate(nurse, offering)
    client.force_login(nurse)
    response = client.post(_url(offering), {**CLAIM, **PROFILE, "degree": "RN"})
    # The profile is saved; the claim waits for the learner to see the types a nurse may claim.
    assert response.status_code == 200
    body = response.content.decode()
    assert "Check the credit for your profession, then claim." in body
    assert "ANCC" in body and 'name="given_name"' not in body
    assert LearnerProfile.objects.get(user=nurse).degree == "RN"
    assert not CreditClaim.objects.filter(learner=nurse).exists()
    response = client.post(_url(offering), {**CLAIM, "credit_kinds": ["ancc"]}, follow=True)
    assert response.status_code == 200 and b"Credit claimed" in response.content
    claim = CreditClaim.objects.get(learner=nurse)
    assert claim.credit_type == "participation"
    assert set(claim.other_credits.values_list("kind", flat=True)) == {"ancc"}
