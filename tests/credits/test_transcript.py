"""The learner's transcript: page, filters, totals, CSV and PDF downloads, query counts, privacy."""

import csv
import datetime
import io
import subprocess
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from credits.models import Certificate, CreditClaim, ExternalCredit, MandateTopic
from testkit.factories import add_claims

UTC = datetime.UTC


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _external(learner, topics=(), **extra) -> ExternalCredit:
    data = {
        "title": "Grand rounds: sepsis",
        "provider_name": "City Hospital",
        "completed_on": datetime.date(2024, 5, 10),
        "credits": Decimal("1.50"),
        "credit_type": "ama_pra_1",
    }
    data.update(extra)
    credit = ExternalCredit.objects.create(learner=learner, **data)
    credit.mandate_topics.set(topics)
    return credit


def _certificate(claim: CreditClaim, status: str = "issued") -> Certificate:
    """The claim's certificate (``add_claims`` writes it, as the claim service does), in ``status``."""
    Certificate.objects.filter(claim=claim).update(status=status)
    return Certificate.objects.get(claim=claim)


def _csv_rows(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    return list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))


@pytest.mark.django_db
def test_page_lists_claimed_and_self_reported_credits_with_totals(learner, show, provider):
    topic = MandateTopic.objects.get(slug="opioid-prescribing")
    claims = add_claims(learner, show=show, provider=provider, count=2, topics=[topic])
    _certificate(claims[0])
    _external(learner, title="Implicit bias workshop", credits=Decimal("2.00"))
    _external(learner, title="Nursing update", credit_type="ancc", credits=Decimal("3.25"))

    response = _client(learner).get(reverse("credits:transcript"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "t activity 0" in html and "t activity 1" in html
    assert "Implicit bias workshop" in html and "Nursing update" in html
    assert html.count("self-reported</span>") == 2
    assert "Opioid prescribing" in html
    assert "Society of Testing" in html and "City Hospital" in html
    # One issued certificate: exactly one link to its PDF.
    assert html.count(reverse("credits:certificate_pdf", args=[claims[0].certificate.pk])) == 1
    totals = response.context["transcript"].totals
    by_type = {t.credit_type_label: (t.credits, t.self_reported) for t in totals}
    assert by_type["AMA PRA Category 1 Credit™"] == (Decimal("3.50"), Decimal("2.00"))  # 0.75 + 0.75 + 2
    assert by_type["Nursing contact hours (ANCC)"] == (Decimal("3.25"), Decimal("3.25"))


@pytest.mark.django_db
def test_pending_or_revoked_certificates_are_not_linked(learner, show, provider):
    claims = add_claims(learner, show=show, provider=provider, count=2)
    pending = _certificate(claims[0], status="pending")
    revoked = _certificate(claims[1], status="issued")
    Certificate.objects.filter(pk=revoked.pk).update(status="revoked", revoked_at=timezone.now())

    html = _client(learner).get(reverse("credits:transcript")).content.decode()

    assert reverse("credits:certificate_pdf", args=[pending.pk]) not in html
    assert reverse("credits:certificate_pdf", args=[revoked.pk]) not in html
    assert "Certificate (PDF)" not in html


@pytest.mark.django_db
def test_completion_date_is_the_providers_local_date_and_filters_use_it(learner, show, provider):
    provider.time_zone = "America/Los_Angeles"
    provider.save()
    # 03:00 UTC on 2 March is still 1 March in California.
    add_claims(
        learner,
        show=show,
        provider=provider,
        count=1,
        completed_at=datetime.datetime(2024, 3, 2, 3, 0, tzinfo=UTC),
    )
    client = _client(learner)

    page = client.get(reverse("credits:transcript"), {"start": "2024-03-01", "end": "2024-03-01"})
    assert [r.date for r in page.context["transcript"].rows] == [datetime.date(2024, 3, 1)]
    assert "2024-03-01" in page.content.decode()

    later = client.get(reverse("credits:transcript"), {"start": "2024-03-02"})
    assert later.context["transcript"].rows == []
    assert "No credits in this period." in later.content.decode()


@pytest.mark.django_db
def test_date_range_and_topic_filter_both_sources_and_totals(learner, show, provider):
    opioids = MandateTopic.objects.get(slug="opioid-prescribing")
    add_claims(
        learner,
        show=show,
        provider=provider,
        count=1,
        prefix="old",
        completed_at=datetime.datetime(2021, 6, 1, 15, tzinfo=UTC),
    )
    add_claims(
        learner,
        show=show,
        provider=provider,
        count=1,
        prefix="new",
        topics=[opioids],
        completed_at=datetime.datetime(2024, 6, 1, 15, tzinfo=UTC),
    )
    _external(learner, title="In period, opioids", completed_on=datetime.date(2024, 2, 1), topics=[opioids])
    _external(learner, title="In period, no topic", completed_on=datetime.date(2024, 2, 2))
    _external(learner, title="Before period", completed_on=datetime.date(2022, 12, 31), topics=[opioids])
    client = _client(learner)

    period = client.get(reverse("credits:transcript"), {"start": "2023-01-01", "end": "2024-12-31"})
    titles = [r.title for r in period.context["transcript"].rows]
    assert titles == ["new activity 0", "In period, no topic", "In period, opioids"]
    assert [t.credits for t in period.context["transcript"].totals] == [Decimal("3.75")]

    topic = client.get(
        reverse("credits:transcript"),
        {"start": "2023-01-01", "end": "2024-12-31", "topic": "opioid-prescribing"},
    )
    assert [r.title for r in topic.context["transcript"].rows] == ["new activity 0", "In period, opioids"]
    assert [t.credits for t in topic.context["transcript"].totals] == [Decimal("2.25")]
    # The downloads keep the filters.
    assert "topic=opioid-prescribing" in topic.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2024-13-45"}, "Enter the start date as YYYY-MM-DD."),
        ({"end": "yesterday"}, "Enter the end date as YYYY-MM-DD."),
        ({"start": "2024-06-01", "end": "2024-01-01"}, "The start date is after the end date."),
        ({"topic": "no-such-topic"}, "Choose a topic from the list."),
    ],
)
@pytest.mark.parametrize("url", ["credits:transcript", "credits:transcript_csv", "credits:transcript_pdf"])
def test_bad_filters_are_a_clear_400(learner, params, message, url):
    _external(learner)

    response = _client(learner).get(reverse(url), params)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_csv_has_every_row_escapes_quotes_and_defuses_formulas(learner, show, provider):
    claims = add_claims(
        learner,
        show=show,
        provider=provider,
        count=1,
        completed_at=datetime.datetime(2024, 4, 2, 15, tzinfo=UTC),
    )
    _certificate(claims[0])
    _external(
        learner,
        title='=HYPERLINK("http://evil.example","click")',
        provider_name='@SUM(A1:A9), "Quoted" & Co',
        completed_on=datetime.date(2024, 4, 1),
    )
    _external(
        learner, title="-2+3 in title", provider_name="+Plus Clinic", completed_on=datetime.date(2024, 3, 1)
    )

    response = _client(learner).get(reverse("credits:transcript_csv"))
    assert response.streaming  # written as it is sent (issue 14 item 9)
    body = response.getvalue()
    assert body.startswith("\ufeff".encode()) and body.endswith(b"\r\n")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))

    assert rows[0][:5] == ["Completion date", "Activity", "Provider", "Credits", "Credit type"]
    assert len(rows) == 4
    claimed, injected, minus = rows[1], rows[2], rows[3]
    assert claimed[:5] == [
        "2024-04-02",
        "t activity 0",
        "Society of Testing",
        "0.75",
        "AMA PRA Category 1 Credit™",
    ]
    assert claimed[6] == "podcastcme"
    assert claimed[7] == claims[0].certificate.number
    assert claimed[8].endswith(reverse("credits:verify", args=[claims[0].certificate.code]))
    assert injected[1] == '\'=HYPERLINK("http://evil.example","click")'
    assert injected[2] == '\'@SUM(A1:A9), "Quoted" & Co'
    assert injected[6] == "Self-reported"
    assert minus[1] == "'-2+3 in title" and minus[2] == "'+Plus Clinic"
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


@pytest.mark.django_db
def test_csv_keeps_the_filters(learner):
    _external(learner, title="Inside", completed_on=datetime.date(2024, 2, 1))
    _external(learner, title="Outside", completed_on=datetime.date(2023, 2, 1))

    response = _client(learner).get(
        reverse("credits:transcript_csv"), {"start": "2024-01-01", "end": "2024-12-31"}
    )

    assert [r[1] for r in _csv_rows(response)[1:]] == ["Inside"]
    assert "2024-01-01_to_2024-12-31" in response["Content-Disposition"]


def _pdf_text(content: bytes, tmp_path) -> tuple[str, str]:
    path = tmp_path / "transcript.pdf"
    path.write_bytes(content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    )
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True)
    return text.stdout, info.stdout


@pytest.mark.django_db
def test_pdf_has_name_period_rows_totals_and_date(learner, show, provider, tmp_path, settings):
    settings.PODCASTCME_CERTIFICATE_PAGE_SIZE = "A4"
    profile = learner.profile
    profile.given_name, profile.family_name = "Zoë", "O'Brien-Núñez"
    profile.save()
    add_claims(
        learner,
        show=show,
        provider=provider,
        count=1,
        completed_at=datetime.datetime(2024, 4, 2, 15, tzinfo=UTC),
    )
    _external(learner, title="Pain management update", completed_on=datetime.date(2024, 5, 1))

    response = _client(learner).get(
        reverse("credits:transcript_pdf"), {"start": "2024-01-01", "end": "2024-12-31"}
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text, info = _pdf_text(response.content, tmp_path)
    assert "Zoë O'Brien-Núñez, MD" in text
    assert "January 1, 2024 – December 31, 2024" in text
    assert "t activity 0" in text and "Pain management update" in text
    assert "self-reported" in text
    assert "2.25" in text  # 0.75 + 1.5 AMA PRA Category 1
    today = timezone.localdate()
    assert f"Generated {today:%B} {today.day}, {today.year}" in text
    assert "x 841.89 pts (A4)" in info  # portrait: width first


@pytest.mark.django_db
def test_pdf_on_letter_wraps_long_titles(learner, tmp_path, settings):
    settings.PODCASTCME_CERTIFICATE_PAGE_SIZE = "letter"
    long_title = " ".join(["Perioperative"] * 18)
    _external(learner, title=long_title)

    response = _client(learner).get(reverse("credits:transcript_pdf"))

    text, info = _pdf_text(response.content, tmp_path)
    assert "612 x 792" in info
    assert text.count("Perioperative") == 18  # every word printed, over several lines


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries.captured_queries)


@pytest.mark.django_db
def test_page_and_csv_query_counts_do_not_grow_with_credits(make_user, show, provider):
    topic = MandateTopic.objects.get(slug="opioid-prescribing")
    few, many = make_user("few@example.org", profile=True), make_user("many@example.org", profile=True)
    for user, count in ((few, 10), (many, 500)):
        claims = add_claims(
            user, show=show, provider=provider, count=count, prefix=user.email[:4], topics=[topic]
        )
        for claim in claims[: count // 5]:
            _certificate(claim)
        ExternalCredit.objects.bulk_create(
            ExternalCredit(
                learner=user,
                title=f"Ext {n}",
                provider_name="Elsewhere",
                completed_on=datetime.date(2024, 1, 1),
                credits=Decimal("1"),
                credit_type="ancc",
            )
            for n in range(count // 5)
        )
    for url in (reverse("credits:transcript"), reverse("credits:transcript_csv")):
        few_client, many_client = _client(few), _client(many)
        _queries(few_client, url), _queries(many_client, url)  # warm the session and caches alike
        assert _queries(few_client, url) == _queries(many_client, url)
    rows = _csv_rows(_client(many).get(reverse("credits:transcript_csv")))
    assert len(rows) == 1 + 500 + 100


@pytest.mark.django_db
def test_only_the_learners_own_credits(make_user, learner, show, provider):
    other = make_user("other@example.org", profile=True)
    add_claims(other, show=show, provider=provider, count=1, prefix="theirs")
    _external(other, title="Their workshop")
    _external(learner, title="My workshop")

    client = _client(learner)
    page = client.get(reverse("credits:transcript")).content.decode()
    csv_text = client.get(reverse("credits:transcript_csv")).getvalue().decode("utf-8-sig")

    for text in (page, csv_text):
        assert "My workshop" in text
        assert "Their workshop" not in text and "theirs activity" not in text


@pytest.mark.django_db
def test_transcript_needs_login(db):
    for name in ("credits:transcript", "credits:transcript_csv", "credits:transcript_pdf"):
        response = Client().get(reverse(name))
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_my_learning_links_to_the_transcript(learner):
    html = _client(learner).get(reverse("credits:my_learning")).content.decode()
    assert reverse("credits:transcript") in html
