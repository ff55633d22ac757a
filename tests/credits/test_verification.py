"""Public verification of a certificate: the HTML page, the JSON, unknown codes, the rate limit."""

import html
import re

import pytest
from django.urls import reverse

from credits import certificates, services
from credits.models import Certificate
from testkit.pdf import pdf_text, printed, stored_bytes

PRINTED_KEYS = [
    "certificate_number",
    "learner_name",
    "degree",
    "activity_title",
    "format",
    "credits",
    "credit_type",
    "provider",
    "designation_statement",
    "accreditation_statement",
]


def _urls(certificate):
    code = certificates.code_display(certificate.code)
    return reverse("credits:verify", args=[code]), reverse("credits:verify_json", args=[code])


@pytest.mark.django_db
def test_verification_page_and_json_show_the_printed_fields(issued, client):
    page_url, json_url = _urls(issued)
    page = client.get(page_url)
    assert page.status_code == 200
    # The visible text: the page italicises the credit mark (<em>), the JSON carries it plain.
    body = html.unescape(re.sub(r"<[^>]+>", "", page.content.decode()))
    data = client.get(json_url).json()
    text = pdf_text(stored_bytes(issued))
    assert data["status"] == "valid" and data["revision"] == 1
    assert data["completion_date"] == issued.completion_date.isoformat()
    assert data["issue_date"] == certificates.issue_date(issued).isoformat()
    assert data["verification_url"] == "http://testserver" + page_url
    for key in PRINTED_KEYS:
        value = str(data[key])
        assert value in body, key
        if key != "credit_type":  # the PDF prints the credit mark with the ™ outside the italics
            assert " ".join(value.split()) in text, key
    for day in (issued.completion_date, certificates.issue_date(issued)):
        assert printed(day) in body and printed(day) in text
    assert "Valid" in body


@pytest.mark.django_db
def test_verification_shows_nothing_else_personal(issued, client):
    page_url, json_url = _urls(issued)
    data = client.get(json_url).json()
    assert set(data) == {
        *PRINTED_KEYS,
        "code",
        "status",
        "revision",
        "completion_date",
        "issue_date",
        "verification_url",
        "other_credits",  # further credit types: tests/credits/test_certificate_credit_types.py
    }
    body = client.get(page_url).content.decode()
    for private in ["learner@example.org", "minutes", "score"]:
        assert private not in body and private not in str(data)


@pytest.mark.django_db
def test_code_may_be_typed_in_any_case_without_dashes(issued, client):
    response = client.get(reverse("credits:verify", args=[issued.code.lower()]))
    assert response.status_code == 200 and issued.number in response.content.decode()
    lookup = client.get(reverse("credits:verify_lookup"), {"code": issued.code.lower()})
    assert lookup.status_code == 302
    assert lookup["Location"] == reverse("credits:verify", args=[certificates.code_display(issued.code)])


@pytest.mark.django_db
def test_guessed_and_malformed_codes_are_not_found(issued, client):
    guessed = certificates.code_display(certificates.code_generate())  # well formed, never issued
    mistyped = issued.code[:-1] + ("A" if issued.code[-1] != "A" else "B")
    for code in [guessed, mistyped, "ABCD", "0000-0000", "x" * 64]:
        page = client.get(reverse("credits:verify", args=[code]))
        assert page.status_code == 404, code
        assert "No certificate has this code" in page.content.decode()
        data = client.get(reverse("credits:verify_json", args=[code]))
        assert data.status_code == 404 and "error" in data.json()
    assert client.get("/verify/%3Cscript%3E/").status_code == 404
    lookup = client.get(reverse("credits:verify_lookup"), {"code": "not a code"})
    assert lookup.status_code == 400 and "28 letters and digits" in lookup.content.decode()


@pytest.mark.django_db
def test_certificate_not_yet_rendered_is_not_verifiable(learner, activity, evaluated, client):
    claim = services.claim_credit(learner=learner, activity=activity, minutes=30, attested=True)
    certificate = certificates.certificate_issue_for_claim(claim_id=claim.pk)  # render task not run
    assert certificate.status == Certificate.Status.PENDING
    assert client.get(_urls(certificate)[1]).status_code == 404
    client.force_login(learner)
    response = client.get(reverse("credits:certificate_pdf", args=[certificate.pk]))
    assert response.status_code == 202 and "being prepared" in response.content.decode()


@pytest.mark.django_db
def test_lookups_are_rate_limited_per_address(issued, client):
    page_url, json_url = _urls(issued)
    guessed = reverse("credits:verify_json", args=[certificates.code_display(certificates.code_generate())])
    statuses = [client.get(guessed).status_code for _ in range(29)]
    assert set(statuses) == {404}
    assert client.get(page_url).status_code == 200  # the 30th lookup in this minute
    blocked = client.get(json_url)
    assert blocked.status_code == 429 and "Too many" in blocked.json()["error"]
    assert blocked["Retry-After"] == "60"
    page = client.get(page_url)
    assert page.status_code == 429 and "Wait a minute" in page.content.decode()
    other = client.get(json_url, REMOTE_ADDR="198.51.100.7")  # another address is not affected
    assert other.status_code == 200


@pytest.mark.django_db
def test_lookup_limit_follows_the_setting_at_request_time(issued, client, settings):
    # Read per request, not copied at import: override_settings (and a changed deployment) applies.
    settings.PODCASTCME_VERIFY_LOOKUPS_PER_MINUTE = 2
    page_url, json_url = _urls(issued)
    assert [client.get(json_url).status_code for _ in range(2)] == [200, 200]
    assert client.get(page_url).status_code == 429
