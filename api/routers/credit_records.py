"""How a certificate is shown to its learner and to its activity's coordinators."""

from django.urls import reverse

from credits.credit_lines import certificate_lines, type_labels
from credits.downloads import certificate_download_path
from credits.models import Certificate

from .links import site


def credit_lines_out(certificate: Certificate, labels: dict[str, str]) -> list[dict]:
    revoked = certificate.status == Certificate.Status.REVOKED
    lines = certificate_lines(
        credit_type=certificate.credit_type,
        credits=certificate.credits,
        other_credits=[] if revoked else certificate.other_credits,
    )
    return [
        {"type": line.code, "label": labels.get(line.code, line.code), "credits": line.credits}
        for line in lines
    ]


def certificate_out(certificate: Certificate, labels: dict[str, str] | None = None) -> dict:
    issued = certificate.status == Certificate.Status.ISSUED
    return {
        "id": certificate.pk,
        "number": certificate.number,
        "status": certificate.status,
        "activity_id": certificate.claim.activity_id,
        "activity_title": certificate.activity_title,
        "provider": certificate.provider_name,
        "completion_date": certificate.completion_date,
        "credits": credit_lines_out(certificate, labels or type_labels()),
        "issued_at": certificate.issued_at,
        "revoked_at": certificate.revoked_at,
        "verification_url": site(reverse("credits:verify", args=[certificate.code])) if issued else None,
        # A signed link valid for 10 minutes (credits/downloads.py): the client needs no session.
        "pdf_download_url": site(certificate_download_path(certificate))
        if issued and certificate.pdf
        else None,
    }
