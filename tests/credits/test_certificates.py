"""Certificates: issue with frozen fields, the PDF itself (text, QR code, fonts), re-issue, revocation."""

import re
import subprocess
import tempfile
import zoneinfo
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import Degree, LearnerProfile
from audit.models import AuditEvent
from credits import certificates, services
from credits.models import Certificate, CertificateRevision, CorrectionRequest, CreditType
from credits.statements import format_credits
from testkit.factories import claim_and_issue, pass_and_evaluate
from testkit.mfa import mfa_login
from testkit.pdf import pdf_text, printed, qr_payload, stored_bytes


def _coordinator_client(client, coordinator):
    mfa_login(client, coordinator)
    return client


# --- Issue ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_claim_issues_certificate_with_every_printed_field_frozen(issued, learner, activity):
    claim = issued.claim
    zone = zoneinfo.ZoneInfo(activity.provider.time_zone)
    assert issued.status == Certificate.Status.ISSUED
    assert issued.learner_name == "Ada Lovelace" and issued.degree == "MD"
    assert issued.activity_title == activity.title
    assert issued.format == "Enduring material — podcast"
    assert issued.completion_date == timezone.localtime(claim.claimed_at, zone).date()
    assert issued.credits == claim.credits and format_credits(issued.credits) == "0.5"  # claimed, not 0.75
    assert issued.credit_type == CreditType.AMA_PRA_1
    assert issued.provider_name == "Society of Testing"
    assert "0.75 AMA PRA Category 1 Credit(s)™" in issued.designation_statement
    assert "accredited by the Accreditation Council" in issued.accreditation_statement
    year = timezone.localtime(issued.issued_at, zone).year
    assert issued.number == f"SOT-{year}-000001"
    assert AuditEvent.objects.filter(action="certificate.issued", object_id=str(issued.pk)).exists()
    assert AuditEvent.objects.filter(action="certificate.rendered", object_id=str(issued.pk)).exists()


@pytest.mark.django_db
def test_verification_codes_are_long_random_and_easy_to_type():
    codes = {certificates.code_generate() for _ in range(200)}
    assert len(codes) == 200
    for code in list(codes)[:20]:
        assert len(code) == 28 and set(code) <= set(certificates.ALPHABET)
        shown = certificates.code_display(code)
        assert re.fullmatch(r"([0-9A-Z]{4}-){6}[0-9A-Z]{4}", shown)
        # any case, dashes optional, O/I/L read as 0/1
        assert certificates.code_normalize(shown.lower()) == code
        assert certificates.code_normalize(code.replace("0", "o").replace("1", "l")) == code
    # 26 random Crockford symbols: 130 bits of randomness
    assert certificates.RANDOM_SYMBOLS * 5 >= 128


@pytest.mark.django_db
def test_malformed_and_mistyped_codes_are_rejected_before_any_lookup():
    code = certificates.code_generate()
    swapped = code[:-1] + ("A" if code[-1] != "A" else "B")
    for raw in ["", "abc", code[:-1], code + "A", swapped, "U" * 28, "💥" * 28, "-" * 60]:
        assert certificates.code_normalize(raw) is None


@pytest.mark.django_db
def test_certificate_numbers_count_up_per_provider(
    issued, make_user, activity, django_capture_on_commit_callbacks
):
    other = make_user("second@example.org", profile=True)
    attempt = services.attempt_start(learner=other, activity=activity)
    from testkit.factories import correct_answers

    services.attempt_submit(attempt_id=attempt.pk, learner=other, answers=correct_answers(attempt))
    services.evaluation_submit(
        learner=other,
        activity=activity,
        data={"objectives_met": 4, "relevant_to_practice": 4, "free_of_bias": 4, "intends_change": False},
    )
    second = claim_and_issue(other, activity, django_capture_on_commit_callbacks)
    assert second.number.endswith("-000002") and second.number[:-6] == issued.number[:-6]
    assert second.code != issued.code


@pytest.mark.django_db
def test_ready_email_is_sent_only_when_the_claim_commits(
    learner, activity, evaluated, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.claim_credit(learner=learner, activity=activity, minutes=30, attested=True)
    # The certificate row is part of the claim; its PDF and the email come only after the commit.
    assert mail.outbox == [] and not Certificate.objects.get().pdf
    assert callbacks
    for callback in callbacks:
        with django_capture_on_commit_callbacks(execute=True):
            callback()
    certificate = Certificate.objects.get()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["learner@example.org"]
    assert "certificate is ready" in message.subject
    assert reverse("credits:certificate_pdf", args=[certificate.pk]) in message.body
    assert certificates.verification_url(certificate) in message.body
    html_body = message.alternatives[0][0]
    assert f'href="http://testserver{reverse("credits:certificate_pdf", args=[certificate.pk])}"' in html_body


@pytest.mark.django_db
def test_issuing_twice_for_a_claim_keeps_one_certificate(issued):
    again = certificates.certificate_issue_for_claim(claim_id=issued.claim_id)
    assert again.pk == issued.pk and Certificate.objects.count() == 1
    before = stored_bytes(issued)
    certificates.certificate_render(certificate_id=issued.pk)  # a duplicate task renders nothing
    assert stored_bytes(issued) == before


# --- The PDF -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_pdf_prints_every_field_exactly_as_stored(issued):
    data = stored_bytes(issued)
    text = pdf_text(data)
    for value in [
        issued.provider_name,
        issued.learner_name,
        issued.degree,
        issued.activity_title,
        issued.format,
        printed(issued.completion_date),
        format_credits(issued.credits),
        "AMA PRA Category 1 Credit™",
        issued.designation_statement,
        issued.accreditation_statement,
        issued.number,
        printed(certificates.issue_date(issued)),
        certificates.verification_url(issued),
    ]:
        assert " ".join(value.split()) in text, value
    assert "Certificate" in text and "Certificate of Participation" not in text
    assert "Revision" not in text  # only corrected certificates print their revision


@pytest.mark.django_db
def test_pdf_qr_code_scans_to_the_verification_url(issued):
    assert qr_payload(stored_bytes(issued)) == certificates.verification_url(issued)


@pytest.mark.django_db
def test_pdf_is_one_landscape_page_with_embedded_fonts(issued):
    data = stored_bytes(issued)
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(data)
        handle.flush()
        fonts = subprocess.run(["pdffonts", handle.name], capture_output=True, check=True).stdout.decode()
    rows = fonts.splitlines()[2:]
    assert rows and all(row.split()[-5] == "yes" for row in rows), fonts  # "emb" column
    reader = PdfReader(Path(issued.pdf.path))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (792, 612)  # letter, landscape


@pytest.mark.django_db
def test_a4_setting_gives_a4_landscape(issued, settings):
    settings.PODCASTCME_CERTIFICATE_PAGE_SIZE = "A4"
    from credits.pdf import certificate_pdf_bytes

    data = certificate_pdf_bytes(
        issued, certificates.verification_url(issued), certificates.issue_date(issued)
    )
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(data)
        handle.flush()
        box = PdfReader(handle.name).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (842, 595)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "given, family",
    [("Zoë", "Ñúñez-D'Arcy"), ("Seán", "O'Brien-Ødegård"), ("דנה", "לוי"), ("مريم", "الحسيني")],
)
def test_names_with_accents_apostrophes_and_rtl_scripts_print_correctly(
    given, family, learner, activity, evaluated, django_capture_on_commit_callbacks
):
    LearnerProfile.objects.filter(user=learner).update(given_name=given, family_name=family)
    certificate = claim_and_issue(learner, activity, django_capture_on_commit_callbacks)
    assert certificate.learner_name == f"{given} {family}"
    text = pdf_text(stored_bytes(certificate))
    assert given in text and family in text
    assert "&#x27;" not in text and "&amp;" not in text


@pytest.mark.django_db
def test_very_long_activity_title_wraps_on_one_page(learner, activity, django_capture_on_commit_callbacks):
    # 255 characters: the longest title an activity (and the certificate) can hold. Set before the
    # learner starts: the certificate prints the version the learner saw.
    words = "Perioperative point-of-care ultrasound for airway assessment in obstetric patients "
    activity = services.activity_update(activity=activity, actor=None, data={"title": (words * 5)[:255]})
    assert len(activity.title) == 255
    pass_and_evaluate(learner, activity)
    certificate = claim_and_issue(learner, activity, django_capture_on_commit_callbacks)
    data = stored_bytes(certificate)
    assert len(PdfReader(Path(certificate.pdf.path)).pages) == 1
    text = pdf_text(data)
    assert " ".join(activity.title.split()) in text
    assert certificates.verification_url(certificate) in text  # the footer is still on the page
    assert qr_payload(data) == certificates.verification_url(certificate)


@pytest.mark.django_db
def test_non_physician_gets_a_certificate_of_participation(
    learner, activity, evaluated, django_capture_on_commit_callbacks
):
    LearnerProfile.objects.filter(user=learner).update(degree=Degree.PA_C)
    certificate = claim_and_issue(learner, activity, django_capture_on_commit_callbacks)
    assert certificate.credit_type == CreditType.PARTICIPATION and certificate.degree == "PA-C"
    text = pdf_text(stored_bytes(certificate))
    assert "Certificate of Participation" in text
    assert "This activity was designated for AMA PRA Category 1 Credit™." in text
    assert "Hours of participation" in text and "PA-C" in text


# --- Frozen at issue -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_profile_and_activity_edits_after_issue_change_nothing_issued(issued, learner, activity, client):
    before_pdf = stored_bytes(issued)
    url = reverse("credits:verify_json", args=[certificates.code_display(issued.code)])
    before_json = client.get(url).json()
    LearnerProfile.objects.filter(user=learner).update(given_name="Augusta", degree=Degree.RN)
    activity.title = "A renamed activity"
    activity.save()
    activity.provider.name = "Renamed Society"
    activity.provider.save()
    client.force_login(learner)
    response = client.get(reverse("credits:certificate_pdf", args=[issued.pk]), follow=True)
    assert b"".join(response.streaming_content) == before_pdf
    assert client.get(url).json() == before_json
    assert before_json["learner_name"] == "Ada Lovelace"


# --- The learner's PDF view ----------------------------------------------------------------------


@pytest.mark.django_db
def test_learner_downloads_their_stored_pdf(issued, learner, client):
    client.force_login(learner)
    response = client.get(reverse("credits:certificate_pdf", args=[issued.pk]))
    assert response.status_code == 302 and response["Location"].startswith("/certificates/download/")
    response = client.get(response["Location"])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="{issued.number}.pdf"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == stored_bytes(issued)


@pytest.mark.django_db
def test_the_signed_link_works_without_a_session_and_only_while_valid(issued, learner, client, coordinator):
    from django.core import signing

    from credits.downloads import MAX_AGE_SECONDS, certificate_download_path

    client.force_login(learner)
    link = client.get(reverse("credits:certificate_pdf", args=[issued.pk]))["Location"]
    client.logout()
    assert client.get(link).status_code == 200  # a signed link needs no session (like a static file)
    token = link.split("/")[3]
    forged = link.replace(token, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    assert client.get(forged).status_code == 404
    assert client.get(link.replace(f"{issued.number}.pdf", "other.pdf")).status_code == 404
    # Expired: a link signed longer ago than it lives.
    with freeze_signing(MAX_AGE_SECONDS + 5):
        expired = certificate_download_path(issued)
    assert client.get(expired).status_code == 404
    # Not a token of ours at all (valid signature, other salt).
    other_salt = signing.dumps([issued.pk, issued.revision], salt="something-else")
    assert client.get(link.replace(token, other_salt)).status_code == 404
    # Revoked since the link was made: never served.
    certificates.certificate_revoke(certificate=issued, actor=coordinator, reason="Issued in error")
    assert client.get(link).status_code == 404


class freeze_signing:
    """Sign tokens as if ``seconds_ago`` seconds had passed since (signing reads time.time)."""

    def __init__(self, seconds_ago: int):
        self.seconds_ago = seconds_ago

    def __enter__(self):
        import time
        from unittest import mock

        real = time.time
        self.patch = mock.patch("django.core.signing.time.time", lambda: real() - self.seconds_ago)
        self.patch.start()

    def __exit__(self, *exc):
        self.patch.stop()


@pytest.mark.django_db
def test_another_learners_certificate_is_not_found(issued, make_user, client):
    client.force_login(make_user("nosy@example.org", profile=True))
    assert client.get(reverse("credits:certificate_pdf", args=[issued.pk])).status_code == 404
    assert client.get(reverse("credits:certificate_pdf", args=[issued.pk + 999])).status_code == 404
    assert client.get(reverse("credits:certificate_correction", args=[issued.pk])).status_code == 404


@pytest.mark.django_db
def test_anonymous_visitor_is_sent_to_log_in(issued, client):
    response = client.get(reverse("credits:certificate_pdf", args=[issued.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_my_learning_links_the_certificate(issued, learner, client):
    client.force_login(learner)
    page = client.get(reverse("credits:my_learning")).content.decode()
    assert reverse("credits:certificate_pdf", args=[issued.pk]) in page


# --- Re-issue ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_coordinator_reissue_makes_revision_two_with_the_same_code(
    issued, coordinator, client, django_capture_on_commit_callbacks
):
    old_pdf = stored_bytes(issued)
    old_name = issued.pdf.name
    _coordinator_client(client, coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("credits:coordinator_reissue", args=[issued.pk]),
            # The confirmed second step (issue 12, finding 11: tests/credits/test_coordinator_tools.py).
            {
                "reason": "Name misspelled",
                "learner_name": "Ada King Lovelace",
                "degree": "MD",
                "step": "confirm",
                "confirm": "on",
            },
        )
    assert response.status_code == 302
    certificate = Certificate.objects.get(pk=issued.pk)
    assert certificate.revision == 2 and certificate.code == issued.code
    assert certificate.learner_name == "Ada King Lovelace"
    kept = CertificateRevision.objects.get(certificate=certificate)
    assert kept.revision == 1 and kept.fields["learner_name"] == "Ada Lovelace"
    assert kept.reason == "Name misspelled" and kept.pdf.name == old_name
    with kept.pdf.open("rb") as handle:
        assert handle.read() == old_pdf  # the old revision's PDF is kept as it was
    event = AuditEvent.objects.get(action="certificate.reissued", object_id=str(issued.pk))
    assert event.actor == coordinator and event.data["reason"] == "Name misspelled"
    text = pdf_text(stored_bytes(certificate))
    assert "Ada King Lovelace" in text and "Revision 2" in text
    data = client.get(reverse("credits:verify_json", args=[certificate.code])).json()
    assert data["revision"] == 2 and data["learner_name"] == "Ada King Lovelace"
    assert "corrected certificate" in mail.outbox[-1].subject


@pytest.mark.django_db
def test_reissue_from_profile_takes_the_current_profile(
    issued, learner, coordinator, django_capture_on_commit_callbacks
):
    LearnerProfile.objects.filter(user=learner).update(middle_name="King", degree=Degree.RN)
    with django_capture_on_commit_callbacks(execute=True):
        certificate = certificates.certificate_reissue(
            certificate=issued, actor=coordinator, reason="Profile corrected", from_profile=True
        )
    assert certificate.learner_name == "Ada King Lovelace" and certificate.degree == "RN"
    assert certificate.credit_type == CreditType.PARTICIPATION
    assert "Certificate of Participation" in pdf_text(stored_bytes(certificate))


@pytest.mark.django_db
def test_reissue_without_reason_is_refused_and_writes_nothing(issued, coordinator, client):
    _coordinator_client(client, coordinator)
    response = client.post(
        reverse("credits:coordinator_reissue", args=[issued.pk]),
        {"reason": "  ", "learner_name": "Someone Else", "degree": "MD"},
    )
    assert response.status_code == 400
    assert "reason" in response.content.decode().lower()
    issued.refresh_from_db()
    assert issued.revision == 1 and issued.learner_name == "Ada Lovelace"
    assert not CertificateRevision.objects.exists()


@pytest.mark.django_db
def test_reissue_with_empty_name_is_refused(issued, coordinator):
    with pytest.raises(services.CreditError, match="name"):
        certificates.certificate_reissue(certificate=issued, actor=coordinator, reason="x", learner_name=" ")
    assert Certificate.objects.get(pk=issued.pk).revision == 1


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["learner", "host", "other_coordinator"])
def test_reissue_and_revoke_by_a_non_coordinator_are_refused(who, issued, learner, host, make_user, client):
    from credits.models import Provider, ProviderCoordinator

    if who == "learner":
        user = learner
    elif who == "host":
        user = host
    else:
        user = make_user("other-coord@example.org")
        ProviderCoordinator.objects.create(
            provider=Provider.objects.create(name="Other", slug="other"), user=user
        )
    mfa_login(client, user)
    for name, data in [
        ("coordinator_reissue", {"reason": "x", "learner_name": "Mallory", "degree": "MD"}),
        ("coordinator_revoke", {"reason": "x"}),
    ]:
        response = client.post(reverse(f"credits:{name}", args=[issued.pk]), data)
        assert response.status_code in (403, 404)
    assert client.get(reverse("credits:coordinator_certificate", args=[issued.pk])).status_code in (403, 404)
    with pytest.raises(services.CreditError):
        certificates.certificate_reissue(certificate=issued, actor=user, reason="x", learner_name="Mallory")
    with pytest.raises(services.CreditError):
        certificates.certificate_revoke(certificate=issued, actor=user, reason="x")
    issued.refresh_from_db()
    assert issued.revision == 1 and issued.status == Certificate.Status.ISSUED
    assert not AuditEvent.objects.filter(action__in=["certificate.reissued", "certificate.revoked"]).exists()


# --- Corrections requested by the learner ---------------------------------------------------------


@pytest.mark.django_db
def test_learner_correction_approved_by_coordinator_reissues(
    issued, learner, coordinator, client, django_capture_on_commit_callbacks
):
    client.force_login(learner)
    response = client.post(
        reverse("credits:certificate_correction", args=[issued.pk]),
        {"learner_name": "Ada Byron Lovelace", "degree": "MD", "message": "My full name, please"},
    )
    assert response.status_code == 302
    request = CorrectionRequest.objects.get()
    again = client.post(
        reverse("credits:certificate_correction", args=[issued.pk]),
        {"learner_name": "Ada B.", "degree": "MD"},
    )
    assert again.status_code == 400 and "already asked" in again.content.decode()
    _coordinator_client(client, coordinator)
    assert client.get(reverse("credits:coordinator_corrections")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("credits:coordinator_correction", args=[request.pk]), {"decision": "approve"}
        )
    assert response.status_code == 302
    certificate = Certificate.objects.get(pk=issued.pk)
    assert certificate.revision == 2 and certificate.learner_name == "Ada Byron Lovelace"
    request.refresh_from_db()
    assert request.status == CorrectionRequest.Status.APPROVED and request.decided_by == coordinator
    assert AuditEvent.objects.filter(action="certificate.correction_approved").exists()


@pytest.mark.django_db
def test_correction_identical_to_the_certificate_is_refused(issued, learner, client):
    client.force_login(learner)
    response = client.post(
        reverse("credits:certificate_correction", args=[issued.pk]),
        {"learner_name": "Ada Lovelace", "degree": "MD"},
    )
    assert response.status_code == 400 and "already shows" in response.content.decode()
    assert not CorrectionRequest.objects.exists()


@pytest.mark.django_db
def test_declining_a_correction_needs_a_note(issued, learner, coordinator):
    request = certificates.correction_request_create(
        certificate=issued, learner=learner, learner_name="Ada X", degree="MD"
    )
    with pytest.raises(services.CreditError, match="why"):
        certificates.correction_request_decide(correction=request, actor=coordinator, approve=False)
    decided = certificates.correction_request_decide(
        correction=request, actor=coordinator, approve=False, note="Matches your licence"
    )
    assert decided.status == CorrectionRequest.Status.REJECTED
    assert Certificate.objects.get(pk=issued.pk).revision == 1


# --- Revocation ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_revocation_blocks_the_pdf_and_shows_on_verification(
    issued, learner, coordinator, client, django_capture_on_commit_callbacks
):
    _coordinator_client(client, coordinator)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("credits:coordinator_revoke", args=[issued.pk]),
            {"reason": "Claim made in error", "step": "confirm", "confirm_word": "REVOKE"},
        )
    assert response.status_code == 302
    certificate = Certificate.objects.get(pk=issued.pk)
    assert certificate.status == Certificate.Status.REVOKED and certificate.revoked_at is not None
    event = AuditEvent.objects.get(action="certificate.revoked", object_id=str(issued.pk))
    assert event.actor == coordinator and event.data["reason"] == "Claim made in error"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["learner@example.org"]
    assert "Claim made in error" in mail.outbox[0].body
    client.force_login(learner)
    response = client.get(reverse("credits:certificate_pdf", args=[issued.pk]))
    assert response.status_code == 410
    body = response.content.decode()
    assert "revoked" in body and "Claim made in error" in body
    data = client.get(reverse("credits:verify_json", args=[certificate.code])).json()
    # Revoked and when, never the coordinator's internal reason (issue 12, finding 8).
    assert data["status"] == "revoked" and "revoked_reason" not in data
    assert "Claim made in error" not in str(data)
    assert data["revoked_at"] == certificate.revoked_at.isoformat()
    page = client.get(reverse("credits:verify", args=[certificates.code_display(certificate.code)]))
    assert "was revoked on" in page.content.decode()


@pytest.mark.django_db
def test_revoking_without_reason_or_twice_is_refused(issued, coordinator, client):
    _coordinator_client(client, coordinator)
    response = client.post(reverse("credits:coordinator_revoke", args=[issued.pk]), {"reason": ""})
    assert response.status_code == 400
    assert Certificate.objects.get(pk=issued.pk).status == Certificate.Status.ISSUED
    certificates.certificate_revoke(certificate=issued, actor=coordinator, reason="Duplicate")
    with pytest.raises(services.CreditError, match="already revoked"):
        certificates.certificate_revoke(certificate=issued, actor=coordinator, reason="Again")
    with pytest.raises(services.CreditError, match="revoked"):
        certificates.certificate_reissue(certificate=issued, actor=coordinator, reason="x", learner_name="Y")
    assert AuditEvent.objects.filter(action="certificate.revoked").count() == 1


@pytest.mark.django_db
def test_coordinator_page_shows_the_certificate_and_finds_it_by_number(issued, coordinator, client):
    _coordinator_client(client, coordinator)
    page = client.get(reverse("credits:coordinator_certificate", args=[issued.pk]))
    assert page.status_code == 200 and issued.number in page.content.decode()
    found = client.get(reverse("credits:coordinator_corrections"), {"q": issued.number})
    assert found.status_code == 302 and found["Location"].endswith(f"/coordinator/certificates/{issued.pk}/")
    by_code = client.get(reverse("credits:coordinator_corrections"), {"q": issued.code.lower()})
    assert by_code.status_code == 302


@pytest.mark.django_db
def test_a_revocation_reaches_download_links_within_the_recheck_window(
    issued, learner, client, coordinator, settings
):
    from credits import downloads

    settings.PODCASTCME_DOWNLOAD_RECHECK_SECONDS = 60
    client.force_login(learner)
    link = client.get(reverse("credits:certificate_pdf", args=[issued.pk]))["Location"]
    assert client.get(link).status_code == 200
    certificates.certificate_revoke(certificate=issued, actor=coordinator, reason="Issued in error")
    # The learner's page refuses at once; a link already handed out lasts until the window ends.
    assert client.get(reverse("credits:certificate_pdf", args=[issued.pk])).status_code == 410
    assert client.get(link).status_code == 200
    downloads._recent.clear()  # the window has passed
    assert client.get(link).status_code == 404
