"""The certificate lists every credit type claimed (issue 13 item 5): the PDF (read back with
pdftotext) prints each further type's amount, label and statement after the main line; a nurse's
certificate is a certificate of completion that keeps the AMA participation statement; the
verification page and JSON show them; a coordinator's credit correction recomputes them
(certificates.other_credits_corrected) and the kept revision keeps what was printed."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse
from pypdf import PdfReader

from accounts.models import Degree, LearnerProfile
from audit.models import AuditEvent
from credits import certificates, services
from credits.errors import CreditError
from credits.models import Certificate, CertificateRevision
from testkit import factories
from testkit.pdf import pdf_text, stored_bytes

pytestmark = pytest.mark.django_db

UAN = factories.UAN
ANCC_STATEMENT = (
    "Nurses: The Society of Testing designates this activity for a maximum of 1.0 ANCC contact hour. "
    "Nurses should claim only the credit commensurate with the extent of their participation in the activity."
)
IPCE_STATEMENT = (
    "This activity was planned by and for the healthcare team, and learners will receive 0.75 "
    "Interprofessional Continuing Education (IPCE) credits for learning and change."
)


@pytest.fixture
def offering(provider, episode, coordinator):
    factories.jointly_accredit(provider)
    return factories.make_activity(
        provider=provider,
        episode=episode,
        coordinator=coordinator,
        other_credits=[
            {"kind": "ancc", "amount": Decimal("1.0")},
            {"kind": "acpe", "amount": Decimal("0.5"), "uan": UAN, "acpe_activity_type": "K"},
            {"kind": "ipce", "amount": Decimal("0.75")},
        ],
    )


def _issued(make_user, activity, capture, degree, minutes=45, **profile) -> Certificate:
    user = make_user(f"{degree.lower()}@example.org")
    LearnerProfile.objects.create(
        user=user, given_name="Grace", family_name="Hopper", degree=degree, **profile
    )
    factories.pass_and_evaluate(user, activity)
    return factories.claim_and_issue(user, activity, capture, minutes=minutes)


def test_nurse_certificate_lists_ancc_and_ipce_with_their_statements(
    make_user, offering, django_capture_on_commit_callbacks
):
    certificate = _issued(make_user, offering, django_capture_on_commit_callbacks, Degree.RN, minutes=60)
    data = stored_bytes(certificate)
    text = pdf_text(data)
    assert "Certificate of Completion" in text and "Certificate of Participation" not in text
    assert "has completed the enduring material" in text
    # The main line and the AMA statements as before: participation, designated for AMA credit.
    assert "Hours of participation" in text and "Participation" in text
    assert "This activity was designated for AMA PRA Category 1 Credit™." in text
    assert certificate.accreditation_statement in text
    # Then each further type: amount and label, and its statement.
    assert "1.0 ANCC nursing contact hours" in text and ANCC_STATEMENT in text
    assert "0.75 IPCE credits" in text and IPCE_STATEMENT in text
    assert text.index(certificate.accreditation_statement) < text.index("1.0 ANCC nursing contact hours")
    assert "ACPE pharmacy" not in text  # offered, but not to nurses
    with open(certificate.pdf.path, "rb"):
        assert len(PdfReader(Path(certificate.pdf.path)).pages) == 1


def test_pharmacist_certificate_lists_acpe_with_the_uan(
    make_user, offering, django_capture_on_commit_callbacks
):
    certificate = _issued(
        make_user,
        offering,
        django_capture_on_commit_callbacks,
        Degree.PHARMD,
        nabp_eprofile_id="1234567",
        birth_month=5,
        birth_day=6,
    )
    text = pdf_text(stored_bytes(certificate))
    assert "0.5 ACPE pharmacy CE contact hours" in text and f"Universal Activity Number (UAN): {UAN}" in text
    assert "0.75 IPCE credits" in text
    assert len(PdfReader(Path(certificate.pdf.path)).pages) == 1


def test_physician_certificate_keeps_ama_and_adds_ipce(learner, offering, django_capture_on_commit_callbacks):
    factories.pass_and_evaluate(learner, offering)
    certificate = factories.claim_and_issue(learner, offering, django_capture_on_commit_callbacks)
    text = pdf_text(stored_bytes(certificate))
    assert "AMA PRA Category 1 Credit™ Certificate" in text and "Certificate of Completion" not in text
    assert "0.5 IPCE credits" in text  # 30 minutes
    assert "ANCC" not in text.replace("(ANCC)", "")  # Joint Accreditation's statement names ANCC


def test_participation_alone_stays_a_certificate_of_participation(
    make_user, activity, django_capture_on_commit_callbacks
):
    certificate = _issued(make_user, activity, django_capture_on_commit_callbacks, Degree.RN)
    text = pdf_text(stored_bytes(certificate))
    assert "Certificate of Participation" in text and "has participated in the enduring material" in text


def test_verification_page_and_json_show_every_type(
    client, make_user, offering, django_capture_on_commit_callbacks
):
    certificate = _issued(make_user, offering, django_capture_on_commit_callbacks, Degree.RN)
    data = client.get(reverse("credits:verify_json", args=[certificate.code])).json()
    assert data["credits"] == "0.75" and data["credit_type"] == "Certificate of participation"
    assert data["other_credits"] == [
        {
            "kind": "ancc",
            "label": "ANCC nursing contact hours",
            "amount": "0.75",
            "statement": ANCC_STATEMENT,
        },
        {"kind": "ipce", "label": "IPCE credits", "amount": "0.75", "statement": IPCE_STATEMENT},
    ]
    page = client.get(reverse("credits:verify", args=[certificates.code_display(certificate.code)]))
    html = page.content.decode()
    assert "0.75 ANCC nursing contact hours" in html and "0.75 IPCE credits" in html
    assert "Nurses: The Society of Testing designates this activity" in html


def _coordinator_client(client, coordinator):
    from testkit.mfa import mfa_login

    mfa_login(client, coordinator)


def test_a_credit_correction_recomputes_each_further_type(
    client, make_user, offering, coordinator, django_capture_on_commit_callbacks
):
    certificate = _issued(make_user, offering, django_capture_on_commit_callbacks, Degree.RN, minutes=60)
    assert [line["amount"] for line in certificate.other_credits] == ["1.00", "0.75"]
    _coordinator_client(client, coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("credits:coordinator_reissue", args=[certificate.pk]),
            {
                "reason": "Learner spent 30 minutes",
                "learner_name": certificate.learner_name,
                "degree": certificate.degree,
                "credits": "0.5",
                "step": "confirm",
                "confirm": "on",
            },
        )
    assert response.status_code == 302
    certificate.refresh_from_db()
    assert certificate.revision == 2 and certificate.credits == Decimal("0.50")
    # min(0.5, ANCC's 1.0) and min(0.5, IPCE's 0.75)
    assert [(line["kind"], line["amount"]) for line in certificate.other_credits] == [
        ("ancc", "0.50"),
        ("ipce", "0.50"),
    ]
    kept = CertificateRevision.objects.get(certificate=certificate, revision=1)
    assert [line["amount"] for line in kept.fields["other_credits"]] == ["1.0", "0.75"]
    event = AuditEvent.objects.get(action="certificate.reissued", object_id=str(certificate.pk))
    assert event.data["changed"]["other_credits.ancc"] == ["1.0", "0.5"]
    assert event.data["changed"]["other_credits.ipce"] == ["0.75", "0.5"]
    text = pdf_text(stored_bytes(certificate))
    assert "0.5 ANCC nursing contact hours" in text and "0.5 IPCE credits" in text
    corrected = next(m for m in mail.outbox if "was corrected" in m.subject)
    assert "ANCC nursing contact hours: 1.0 → 0.5" in corrected.body
    assert "IPCE credits: 0.75 → 0.5" in corrected.body
    data = client.get(reverse("credits:verify_json", args=[certificate.code])).json()
    assert [line["amount"] for line in data["other_credits"]] == ["0.5", "0.5"]
    page = client.get(reverse("credits:coordinator_certificate", args=[certificate.pk])).content.decode()
    assert "1.0 ANCC nursing contact hours" in page  # revision 1, as it was printed
    assert "0.5 ANCC nursing contact hours" in page  # the current revision
    # Up again: each type back to at most its designation.
    certificates.certificate_reissue(
        certificate=certificate, actor=coordinator, reason="Recount", credits="0.75"
    )
    certificate.refresh_from_db()
    assert [line["amount"] for line in certificate.other_credits] == ["0.75", "0.75"]


def test_the_correction_rule_caps_at_each_designation_of_the_version(
    make_user, offering, coordinator, django_capture_on_commit_callbacks
):
    certificate = _issued(make_user, offering, django_capture_on_commit_callbacks, Degree.RN, minutes=15)
    # The coordinator's page may change the activity later: the version the learner saw decides.
    offering.other_credits.filter(kind="ancc").update(amount=Decimal("0.25"))
    lines = certificates.other_credits_corrected(certificate, Decimal("0.75"))
    assert [(line["kind"], line["amount"]) for line in lines] == [("ancc", "0.75"), ("ipce", "0.75")]
    assert lines[0]["statement"] == certificate.other_credits[0]["statement"]


def test_a_name_correction_leaves_the_further_types(
    make_user, offering, coordinator, django_capture_on_commit_callbacks
):
    certificate = _issued(make_user, offering, django_capture_on_commit_callbacks, Degree.RN, minutes=60)
    before = certificate.other_credits
    certificates.certificate_reissue(
        certificate=certificate, actor=coordinator, reason="Typo", learner_name="Grace B. Hopper"
    )
    certificate.refresh_from_db()
    assert certificate.other_credits == before


def test_a_refused_correction_changes_nothing(
    make_user, offering, coordinator, django_capture_on_commit_callbacks
):
    certificate = _issued(make_user, offering, django_capture_on_commit_callbacks, Degree.RN, minutes=60)
    before = certificate.other_credits
    with pytest.raises(CreditError):
        certificates.certificate_reissue(
            certificate=certificate, actor=coordinator, reason="x", credits="0.9"
        )
    certificate.refresh_from_db()
    assert certificate.other_credits == before and certificate.revision == 1
    assert not CertificateRevision.objects.filter(certificate=certificate).exists()


def test_coordinator_certificate_list_shows_the_further_types(
    client, make_user, offering, coordinator, django_capture_on_commit_callbacks
):
    _issued(make_user, offering, django_capture_on_commit_callbacks, Degree.RN)
    _coordinator_client(client, coordinator)
    page = client.get(reverse("credits:coordinator_certificates")).content.decode()
    assert "0.75 ANCC nursing contact hours" in page and "0.75 IPCE credits" in page


def test_claim_service_is_the_only_writer(make_user, offering):
    """No further type without a claim: the certificate freezes what the claim awarded."""
    user = make_user("np@example.org")
    LearnerProfile.objects.create(user=user, given_name="Grace", family_name="Hopper", degree=Degree.NP)
    factories.pass_and_evaluate(user, offering)
    claim = services.claim_credit(
        learner=user, activity=offering, minutes=45, attested=True, credit_kinds=["ipce"]
    )
    assert [line["kind"] for line in Certificate.objects.get(claim=claim).other_credits] == ["ipce"]
