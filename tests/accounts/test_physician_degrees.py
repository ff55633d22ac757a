"""Issue 12, finding 7: international primary medical degrees (MBChB, MB BCh, BMBS, ...) are
physician degrees for AMA PRA Category 1 Credit once the learner attests that theirs is equivalent
to an MD or DO; the claim, the certificate (and its re-issue) and the reports follow one rule."""

import pytest
from django.urls import reverse

from accounts.models import Degree, LearnerProfile, degree_is_physician, profile_is_complete_for_credit
from accounts.services import profile_update
from audit.models import AuditEvent
from credits import certificates, services
from credits.models import CreditType
from credits.reports import activity_report
from testkit.factories import claim_and_issue, pass_and_evaluate
from testkit.pdf import pdf_text, stored_bytes

INTERNATIONAL = ["MBBS", "MBChB", "MB BCh", "MBBCh", "MB BChir", "BM BCh", "BMBS", "MB BCh BAO", "OtherMed"]

FORM = {
    "given_name": "Thandiwe",
    "family_name": "Nkosi",
    "degree": "MBChB",
    "time_zone": "Africa/Johannesburg",
}
ATTEST = "I attest that my degree is a primary medical degree equivalent to an MD or DO"


@pytest.fixture
def client_in(client, make_user):
    user = make_user("thandiwe@example.org")
    client.force_login(user)
    client.user = user
    return client


def _profile(client_in) -> LearnerProfile:
    return LearnerProfile.objects.get(user=client_in.user)


@pytest.mark.parametrize("degree", INTERNATIONAL)
def test_each_international_medical_degree_is_offered_and_earns_physician_credit_once_attested(degree):
    assert degree in Degree.values
    assert not degree_is_physician(degree, equivalence_attested=False)
    assert degree_is_physician(degree, equivalence_attested=True)


@pytest.mark.parametrize("degree", ["MD", "DO"])
def test_md_and_do_need_no_attestation(degree):
    assert degree_is_physician(degree, equivalence_attested=False)


@pytest.mark.parametrize("degree", ["PA-C", "NP", "RN", "CRNA", "PharmD", "PhD", "Other", "", "MBChB "])
def test_other_professions_never_earn_physician_credit_even_if_they_tick_the_box(degree):
    assert not degree_is_physician(degree, equivalence_attested=True)


def test_the_profile_page_offers_the_degrees_and_the_attestation_without_inline_script(client_in):
    body = client_in.get(reverse("accounts:profile")).content.decode()
    for degree in ("MBChB", "MB BCh", "BMBS", "MB BCh BAO", "Other international medical degree equivalent"):
        assert degree in body
    assert ATTEST in body
    assert 'id="degree-equivalence"' in body and "data-equivalence-degrees=" in body
    assert "js/profile-degree.js" in body
    assert "<script>" not in body  # the CSP allows no inline script: the toggle is a static file


def test_mbchb_with_the_attestation_is_saved_timestamped_and_audited(client_in):
    response = client_in.post(reverse("accounts:profile"), {**FORM, "degree_equivalence": "on"})
    assert response.status_code == 302
    profile = _profile(client_in)
    assert profile.degree == "MBChB" and profile.credential == "MBChB"
    assert profile.degree_equivalence_attested_at is not None
    assert profile.is_physician and profile_is_complete_for_credit(profile)
    event = AuditEvent.objects.for_object(profile).get(action="profile.degree_equivalence_attested")
    assert event.actor == client_in.user
    assert event.data["new"] == {"degree": "MBChB", "degree_other": ""}
    body = client_in.get(reverse("accounts:profile")).content.decode()
    assert "You attested for your MBChB on" in body


def test_an_international_degree_without_the_attestation_is_refused_and_nothing_is_written(client_in):
    LearnerProfile.objects.create(user=client_in.user, given_name="Before", family_name="Edit", degree="RN")
    response = client_in.post(reverse("accounts:profile"), FORM)
    assert response.status_code == 400
    assert "Tick the attestation to receive physician credit" in response.content.decode()
    profile = _profile(client_in)
    assert (profile.given_name, profile.degree, profile.degree_equivalence_attested_at) == (
        "Before",
        "RN",
        None,
    )
    assert not AuditEvent.objects.for_object(profile).exists()


def test_other_international_degree_prints_its_name_and_needs_both_name_and_attestation(client_in):
    response = client_in.post(
        reverse("accounts:profile"), {**FORM, "degree": "OtherMed", "degree_equivalence": "on"}
    )
    assert response.status_code == 400
    assert "Name your medical degree as it should be printed" in response.content.decode()
    assert not LearnerProfile.objects.filter(user=client_in.user, degree="OtherMed").exists()

    response = client_in.post(
        reverse("accounts:profile"),
        {**FORM, "degree": "OtherMed", "degree_other": "Médico Cirujano", "degree_equivalence": "on"},
    )
    assert response.status_code == 302
    profile = _profile(client_in)
    assert profile.credential == "Médico Cirujano" and profile.is_physician


def test_a_nurse_ticking_the_box_stays_a_nurse(client_in):
    response = client_in.post(
        reverse("accounts:profile"), {**FORM, "degree": "RN", "degree_equivalence": "on"}
    )
    assert response.status_code == 302
    profile = _profile(client_in)
    assert profile.degree_equivalence_attested_at is None and not profile.is_physician
    assert not AuditEvent.objects.filter(action="profile.degree_equivalence_attested").exists()


def test_changing_the_degree_clears_the_attestation_and_a_new_degree_needs_its_own(client_in):
    client_in.post(reverse("accounts:profile"), {**FORM, "degree_equivalence": "on"})
    first = _profile(client_in).degree_equivalence_attested_at

    client_in.post(reverse("accounts:profile"), {**FORM, "degree_equivalence": "on"})  # saved again
    assert _profile(client_in).degree_equivalence_attested_at == first  # one attestation per degree
    assert AuditEvent.objects.filter(action="profile.degree_equivalence_attested").count() == 1

    client_in.post(reverse("accounts:profile"), {**FORM, "degree": "RN"})
    profile = _profile(client_in)
    assert profile.degree_equivalence_attested_at is None and not profile.is_physician
    cleared = AuditEvent.objects.for_object(profile).get(action="profile.degree_equivalence_cleared")
    assert cleared.data["old"]["degree"] == "MBChB" and cleared.data["new"]["degree"] == "RN"

    client_in.post(reverse("accounts:profile"), {**FORM, "degree": "BMBS", "degree_equivalence": "on"})
    profile = _profile(client_in)
    assert profile.is_physician and profile.degree_equivalence_attested_at > first


def test_an_unattested_mbbs_from_before_asks_for_the_attestation_before_a_claim(client_in):
    # MBBS profiles saved before the attestation existed: nobody attested for them.
    profile = LearnerProfile.objects.create(
        user=client_in.user, given_name="Old", family_name="Mbbs", degree="MBBS"
    )
    assert profile.needs_degree_attestation and not profile_is_complete_for_credit(profile)
    body = client_in.get(reverse("accounts:profile")).content.decode()
    assert "confirm below that your MBBS is a primary medical degree equivalent to an MD or DO" in body
    overview = client_in.get(reverse("accounts:overview")).content.decode()
    assert "confirm in your profile that your degree is a primary medical degree" in overview


@pytest.mark.django_db
def test_an_unattested_international_degree_cannot_claim(learner, activity):
    LearnerProfile.objects.filter(user=learner).update(degree="MBChB")
    pass_and_evaluate(learner, activity)
    with pytest.raises(services.CreditError, match="Confirm in your profile that your MBChB is a primary"):
        services.claim_credit(learner=learner, activity=activity, minutes=30, attested=True)


def _attested(learner, degree="MBChB"):
    LearnerProfile.objects.filter(user=learner).update(degree=degree)
    profile = LearnerProfile.objects.get(user=learner)
    return profile_update(
        user=learner,
        data={"degree": degree, "degree_other": profile.degree_other},
        degree_equivalence_attested=True,
    )


@pytest.mark.django_db
def test_an_attested_mbchb_claims_ama_credit_and_the_report_counts_a_physician(
    learner, activity, make_user, django_capture_on_commit_callbacks
):
    _attested(learner)
    pass_and_evaluate(learner, activity)
    certificate = claim_and_issue(learner, activity, django_capture_on_commit_callbacks)
    assert certificate.claim.credit_type == CreditType.AMA_PRA_1
    assert certificate.credit_type == CreditType.AMA_PRA_1 and certificate.degree == "MBChB"
    text = pdf_text(stored_bytes(certificate))
    assert "Certificate of Participation" not in text and "MBChB" in text

    nurse = make_user("nurse@example.org", profile=True)
    LearnerProfile.objects.filter(user=nurse).update(degree="RN")
    pass_and_evaluate(nurse, activity)
    claim_and_issue(nurse, activity, django_capture_on_commit_callbacks)
    counts = {row["credit_type"]: row["n"] for row in activity_report(activity).by_credit_type}
    assert counts == {CreditType.AMA_PRA_1: 1, CreditType.PARTICIPATION: 1}


@pytest.mark.django_db
def test_a_reissue_keeps_the_credit_type_an_attested_international_degree_earned(
    learner, activity, coordinator, django_capture_on_commit_callbacks
):
    """The re-issue (a name fix, or from the profile) uses the same rule as the claim."""
    _attested(learner, "MB BCh BAO")
    pass_and_evaluate(learner, activity)
    issued = claim_and_issue(learner, activity, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        fixed = certificates.certificate_reissue(
            certificate=issued, actor=coordinator, reason="Name misspelled", learner_name="Ada K. Lovelace"
        )
    assert fixed.degree == "MB BCh BAO" and fixed.credit_type == CreditType.AMA_PRA_1
    with django_capture_on_commit_callbacks(execute=True):
        again = certificates.certificate_reissue(
            certificate=fixed, actor=coordinator, reason="Profile corrected", from_profile=True
        )
    assert again.credit_type == CreditType.AMA_PRA_1
    assert "Certificate of Participation" not in pdf_text(stored_bytes(again))


@pytest.mark.django_db
def test_a_reissue_from_an_unattested_profile_is_refused_not_downgraded(
    learner, activity, coordinator, django_capture_on_commit_callbacks
):
    pass_and_evaluate(learner, activity)
    issued = claim_and_issue(learner, activity, django_capture_on_commit_callbacks)  # as an MD
    LearnerProfile.objects.filter(user=learner).update(degree="MBBS")  # changed outside the form
    with pytest.raises(services.CreditError, match="not yet attested"):
        certificates.certificate_reissue(
            certificate=issued, actor=coordinator, reason="Profile corrected", from_profile=True
        )
    issued.refresh_from_db()
    assert issued.revision == 1 and issued.credit_type == CreditType.AMA_PRA_1
