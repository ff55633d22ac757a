"""The transcript and reports split by credit type (issue 13 item 5): a nurse with ANCC hours, a
physician with AMA credit, a pharmacist with ACPE hours and a PA with AAPA credit, from one jointly
accredited activity that also offers IPCE credit. Totals per type on the transcript (page, CSV, PDF
read back), My learning, licence progress and the coordinator's activity report; a revoked
certificate leaves every per-type total; a corrected certificate's further credit is what counts;
query counts stay constant as certificates grow."""

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Degree, LearnerProfile, Licence
from credits import certificates
from credits.models import Certificate, ExternalCredit
from testkit import factories
from testkit.mfa import mfa_login
from testkit.pdf import pdf_text

pytestmark = pytest.mark.django_db

UAN = factories.UAN
OFFERS = [
    {"kind": "ancc", "amount": Decimal("1.0")},
    {"kind": "acpe", "amount": Decimal("0.5"), "uan": UAN, "acpe_activity_type": "K"},
    {"kind": "aapa", "amount": Decimal("1.0")},
    {"kind": "ipce", "amount": Decimal("0.75")},
]


@pytest.fixture
def offering(provider, episode, coordinator):
    """AMA 0.75 (every activity), ANCC 1.0, ACPE 0.5, AAPA 1.0, IPCE 0.75; a jointly accredited provider."""
    factories.jointly_accredit(provider)
    return factories.make_activity(
        provider=provider, episode=episode, coordinator=coordinator, other_credits=OFFERS
    )


def _learner(make_user, key: str, degree: str, **profile):
    user = make_user(f"{key}@example.org")
    LearnerProfile.objects.create(
        user=user, given_name=key.title(), family_name="Tester", degree=degree, **profile
    )
    return user


def _claim(user, activity, capture, minutes: int) -> Certificate:
    factories.pass_and_evaluate(user, activity)
    return factories.claim_and_issue(user, activity, capture, minutes=minutes)


@pytest.fixture
def team(make_user, offering, django_capture_on_commit_callbacks):
    """Each learner's certificate: what a 60/30/45/45-minute claim awards by profession."""
    capture = django_capture_on_commit_callbacks
    nurse = _learner(make_user, "nurse", Degree.RN)
    physician = _learner(make_user, "physician", Degree.MD)
    pharmacist = _learner(
        make_user, "pharmacist", Degree.PHARMD, nabp_eprofile_id="1234567", birth_month=5, birth_day=6
    )
    pa = _learner(make_user, "pa", Degree.PA_C)
    return {
        "activity": offering,
        "nurse": (nurse, _claim(nurse, offering, capture, 60)),
        "physician": (physician, _claim(physician, offering, capture, 30)),
        "pharmacist": (pharmacist, _claim(pharmacist, offering, capture, 45)),
        "pa": (pa, _claim(pa, offering, capture, 45)),
    }


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _totals(user) -> dict[str, tuple[Decimal, Decimal]]:
    transcript = _client(user).get(reverse("credits:transcript")).context["transcript"]
    return {t.credit_type: (t.credits, t.self_reported) for t in transcript.totals}


def _page_totals(body: str, table_class: str = "credit-totals") -> dict[str, str]:
    table = body.split(f'class="{table_class}"')[1].split("</table>")[0]
    return {
        code: cells[0]
        for code, cells in (
            (m.group(1), re.findall(r"<td>(.*?)</td>", m.group(2)))
            for m in re.finditer(r'<tr data-credit-type="([^"]+)">(.*?)</tr>', table, re.S)
        )
    }


def _csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.getvalue().decode("utf-8-sig"))))


D = Decimal


# --- What each profession's certificate carries, and the transcript's totals per type ----------------


def test_each_professions_certificate_lines_and_transcript_totals(team):
    nurse, nurse_cert = team["nurse"]
    assert [(line["kind"], line["amount"]) for line in nurse_cert.other_credits] == [
        ("ancc", "1.00"),
        ("ipce", "0.75"),
    ]
    assert _totals(nurse) == {
        "ancc": (D("1.00"), D(0)),
        "participation": (D("0.75"), D(0)),
        "ipce": (D("0.75"), D(0)),
    }
    assert _totals(team["physician"][0]) == {"ama_pra_1": (D("0.50"), D(0)), "ipce": (D("0.50"), D(0))}
    assert _totals(team["pharmacist"][0]) == {
        "participation": (D("0.75"), D(0)),
        "ipce": (D("0.75"), D(0)),
        "acpe": (D("0.50"), D(0)),
    }
    assert _totals(team["pa"][0]) == {
        "participation": (D("0.75"), D(0)),
        "aapa_1": (D("0.75"), D(0)),
        "ipce": (D("0.75"), D(0)),
    }


def test_the_transcript_page_lists_one_row_per_type_and_adds_self_reported_credit_of_the_same_type(team):
    nurse, certificate = team["nurse"]
    ExternalCredit.objects.create(
        learner=nurse,
        title="Wound care day",
        provider_name="City Hospital",
        completed_on=timezone.localdate(),
        credits=D("2.00"),
        credit_type="ancc",
    )
    response = _client(nurse).get(reverse("credits:transcript"))
    body = response.content.decode()
    rows = response.context["transcript"].rows
    assert sorted((r.credit_type, r.credits, r.self_reported) for r in rows) == [
        ("ancc", D("1.00"), False),
        ("ancc", D("2.00"), True),
        ("ipce", D("0.75"), False),
        ("participation", D("0.75"), False),
    ]
    # The further lines are marked as the same certificate (one certificate number for all three).
    assert {r.certificate_number for r in rows if not r.self_reported} == {certificate.number}
    assert body.count("(same certificate)") == 2
    assert _page_totals(body) == {"ancc": "3.0", "participation": "0.75", "ipce": "0.75"}
    ancc = next(t for t in response.context["transcript"].totals if t.credit_type == "ancc")
    assert ancc.credit_type_label == "Nursing contact hours (ANCC)" and ancc.self_reported == D("2.00")


def test_the_csv_has_one_row_per_certificate_per_type_with_a_type_code(team):
    nurse, certificate = team["nurse"]
    rows = _csv(_client(nurse).get(reverse("credits:transcript_csv")))
    assert [(r["Credit type code"], r["Credits"], r["Credit type"]) for r in rows] == [
        ("participation", "0.75", "Certificate of participation"),
        ("ancc", "1.0", "Nursing contact hours (ANCC)"),
        ("ipce", "0.75", "IPCE credits"),
    ]
    assert {r["Certificate number"] for r in rows} == {certificate.number}
    # Importable: a pivot per type gives the page's totals.
    physician_rows = _csv(_client(team["physician"][0]).get(reverse("credits:transcript_csv")))
    assert {r["Credit type code"]: r["Credits"] for r in physician_rows} == {
        "ama_pra_1": "0.5",
        "ipce": "0.5",
    }


def test_the_pdf_read_back_lists_the_totals_per_type(team):
    pharmacist, _certificate = team["pharmacist"]
    text = pdf_text(_client(pharmacist).get(reverse("credits:transcript_pdf")).content)
    totals = text.split("Totals per credit type")[1]
    # Nothing self-reported: a dash, not "0.0" (issue 15, item 13).
    assert re.search(r"Pharmacy CE \(ACPE\) 0\.5 —", totals)
    assert re.search(r"Certificate of participation 0\.75 —", totals)
    assert re.search(r"IPCE credits 0\.75 —", totals)
    assert "(same certificate)" in text
    assert "Each credit type is totalled on its own" in text


def test_my_learning_totals_per_type(team):
    body = _client(team["nurse"][0]).get(reverse("credits:my_learning")).content.decode()
    assert '<td data-total="participation">0.75</td>' in body
    assert '<td data-total="ancc">1.0</td>' in body
    assert '<td data-total="ipce">0.75</td>' in body
    assert "1.0 · ANCC nursing contact hours" in body  # the certificate's own lines in its row


# --- Licences: each profession counts its own credit, once per certificate ---------------------------


def _licence(user, profession: str, **extra) -> Licence:
    today = timezone.localdate()
    fields = {
        "state": "OH",
        "cycle_start": today - datetime.timedelta(days=365),
        "cycle_end": today + datetime.timedelta(days=365),
        "required_hours": D("20"),
        **extra,
    }
    return Licence.objects.create(learner=user, profession=profession, **fields)


def _progress(user) -> dict[int, Decimal]:
    transcript = _client(user).get(reverse("credits:transcript")).context["transcript"]
    return {p.licence.pk: p.hours for p in transcript.licences}


def test_each_licence_counts_its_professions_credit_type(team):
    nurse, physician = team["nurse"][0], team["physician"][0]
    pharmacist, pa = team["pharmacist"][0], team["pa"][0]
    nursing = _licence(nurse, "nurse")
    nursing_with_participation = _licence(nurse, "nurse", state="NY", counts_participation=True)
    pharmacy = _licence(pharmacist, "pharmacist")
    pa_licence = _licence(pa, "pa")
    medical = _licence(physician, "physician")

    # ANCC only (not participation, not IPCE); with participation accepted the certificate still
    # counts once, with its larger amount (1.0 ANCC, not 1.0 + 0.75).
    assert _progress(nurse) == {nursing.pk: D("1.00"), nursing_with_participation.pk: D("1.00")}
    assert _progress(pharmacist) == {pharmacy.pk: D("0.50")}  # ACPE, not participation or IPCE
    assert _progress(pa) == {pa_licence.pk: D("0.75")}  # AAPA and participation: the same 45 minutes
    assert _progress(physician) == {medical.pk: D("0.50")}  # AMA; IPCE never counts toward a licence


# --- Revoked and corrected certificates -----------------------------------------------------------


def test_a_revoked_certificate_leaves_every_per_type_total(
    team, coordinator, django_capture_on_commit_callbacks
):
    nurse, certificate = team["nurse"]
    licence = _licence(nurse, "nurse", counts_participation=True)
    with django_capture_on_commit_callbacks(execute=True):
        certificates.certificate_revoke(certificate=certificate, actor=coordinator, reason="Claimed twice")

    client = _client(nurse)
    transcript = client.get(reverse("credits:transcript")).context["transcript"]
    assert transcript.totals == [] and transcript.rows == []
    assert [r.credit_type for r in transcript.revoked] == ["participation"]  # history: one line, no types
    assert {p.licence.pk: p.hours for p in transcript.licences} == {licence.pk: D(0)}
    assert _csv(client.get(reverse("credits:transcript_csv"))) == []
    my_learning = client.get(reverse("credits:my_learning")).content.decode()
    assert 'data-total="ancc"' not in my_learning and 'data-total="ipce"' not in my_learning
    text = pdf_text(client.get(reverse("credits:transcript_pdf")).content)
    assert "ANCC" not in text and "IPCE credits" not in text

    office = Client()
    mfa_login(office, coordinator)
    report = office.get(reverse("credits:activity_report", args=[team["activity"].pk])).context["report"]
    by_type = {r["credit_type"]: (r["n"], r["total"]) for r in report.by_credit_type}
    assert "ancc" not in by_type
    assert by_type["ipce"] == (3, D("2.00"))  # physician 0.5, pharmacist 0.75, PA 0.75
    assert {r["profession"]: r["n"] for r in report.by_profession} == {
        "physician": 1,
        "pharmacist": 1,
        "pa": 1,
    }
    assert report.revoked == 1


def test_a_corrected_certificates_further_credit_is_what_counts(
    team, coordinator, django_capture_on_commit_callbacks
):
    nurse, certificate = team["nurse"]
    licence = _licence(nurse, "nurse")
    with django_capture_on_commit_callbacks(execute=True):
        corrected = certificates.certificate_reissue(
            certificate=certificate, actor=coordinator, reason="Listened 15 minutes", credits="0.25"
        )
    assert [(line["kind"], line["amount"]) for line in corrected.other_credits] == [
        ("ancc", "0.25"),
        ("ipce", "0.25"),
    ]

    assert _totals(nurse) == {
        "participation": (D("0.25"), D(0)),
        "ancc": (D("0.25"), D(0)),
        "ipce": (D("0.25"), D(0)),
    }
    assert _progress(nurse) == {licence.pk: D("0.25")}
    rows = _csv(_client(nurse).get(reverse("credits:transcript_csv")))
    assert {r["Credit type code"]: r["Credits"] for r in rows} == {
        "participation": "0.25",
        "ancc": "0.25",
        "ipce": "0.25",
    }
    office = Client()
    mfa_login(office, coordinator)
    report = office.get(reverse("credits:activity_report", args=[team["activity"].pk])).context["report"]
    assert {r["credit_type"]: r["total"] for r in report.by_credit_type}["ancc"] == D("0.25")
    csv_rows = _csv(office.get(reverse("credits:activity_report_csv", args=[team["activity"].pk])))
    nurse_row = next(r for r in csv_rows if r["Email"] == nurse.email)
    assert nurse_row["Nursing contact hours (ANCC)"] == "0.25"


# --- The coordinator's activity report -------------------------------------------------------------


def test_the_activity_report_splits_claims_and_credits_by_type_and_profession(team, coordinator):
    office = Client()
    mfa_login(office, coordinator)
    activity = team["activity"]
    body = office.get(reverse("credits:activity_report", args=[activity.pk])).content.decode()
    types = body.split('id="credit-types"')[1].split("</table>")[0]
    rows = {
        code: re.findall(r"<td>(.*?)</td>", cells)
        for code, cells in re.findall(r'<tr data-credit-type="([^"]+)">(.*?)</tr>', types, re.S)
    }
    assert rows == {
        "ama_pra_1": ["1", "0.5"],
        "participation": ["3", "2.25"],
        "ancc": ["1", "1.0"],
        "acpe": ["1", "0.5"],
        "aapa_1": ["1", "0.75"],
        "ipce": ["4", "2.75"],
    }
    professions = body.split('id="professions"')[1].split("</table>")[0]
    found = dict(
        re.findall(r'data-profession="([^"]+)"><th scope="row">[^<]*</th><td>(\d+)</td>', professions)
    )
    assert found == {"physician": "1", "nurse": "1", "pharmacist": "1", "pa": "1"}

    csv_rows = {
        r["Email"]: r for r in _csv(office.get(reverse("credits:activity_report_csv", args=[activity.pk])))
    }
    further = ["Nursing contact hours (ANCC)", "Pharmacy CE (ACPE)", "AAPA Category 1 CME", "IPCE credits"]
    assert [csv_rows["nurse@example.org"][k] for k in ["Profession", *further]] == [
        "Nurse",
        "1.0",
        "",
        "",
        "0.75",
    ]
    assert [csv_rows["pharmacist@example.org"][k] for k in ["Profession", *further]] == [
        "Pharmacist",
        "",
        "0.5",
        "",
        "0.75",
    ]
    assert [csv_rows["pa@example.org"][k] for k in ["Profession", *further]] == [
        "Physician assistant",
        "",
        "",
        "0.75",
        "0.75",
    ]
    assert csv_rows["physician@example.org"]["Profession"].startswith("Physician")
    assert csv_rows["physician@example.org"]["Credit type"] == "AMA PRA Category 1 Credit™"


# --- Query counts stay constant as certificates with several types grow -------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries.captured_queries)


LINES = [
    {"kind": "ancc", "label": "ANCC nursing contact hours", "amount": "0.75", "statement": "Nurses: ..."},
    {"kind": "ipce", "label": "IPCE credits", "amount": "0.75", "statement": "This activity ..."},
]


def test_learner_query_counts_are_the_same_with_one_and_many_certificates(make_user, show, provider):
    one, many = _learner(make_user, "one", Degree.RN), _learner(make_user, "many", Degree.RN)
    for user, count in ((one, 1), (many, 40)):
        factories.add_claims(user, show=show, provider=provider, count=count, prefix=user.email[:4])
        Certificate.objects.filter(claim__learner=user).update(
            status=Certificate.Status.ISSUED, credit_type="participation", other_credits=LINES
        )
        _licence(user, "nurse")
    urls = [
        reverse("credits:transcript"),
        reverse("credits:transcript_csv"),
        reverse("credits:my_learning"),
    ]
    for url in urls:
        one_client, many_client = _client(one), _client(many)
        _queries(one_client, url), _queries(many_client, url)  # warm the session and caches alike
        assert _queries(one_client, url) == _queries(many_client, url), url
    totals = _client(many).get(reverse("credits:transcript")).context["transcript"].totals
    assert {t.credit_type: t.credits for t in totals} == {
        "participation": D("30"),
        "ancc": D("30"),
        "ipce": D("30"),
    }
    assert len(_csv(_client(many).get(reverse("credits:transcript_csv")))) == 3 * 40


def test_activity_report_query_counts_are_the_same_with_one_and_many_certificates(team, coordinator):
    office = Client()
    mfa_login(office, coordinator)
    activity = team["activity"]
    urls = [
        reverse("credits:activity_report", args=[activity.pk]),
        reverse("credits:activity_report_csv", args=[activity.pk]),
    ]
    # The report page reads a snapshot of its figures (credits/report_selectors.py): refreshed first,
    # as the coordinator's "Refresh the figures now" does, then the page itself is counted.
    office.post(urls[0])
    few = [_queries(office, url) for url in urls]
    factories.add_prior_claims(activity, 30, prefix="bulk")
    Certificate.objects.filter(claim__learner__email__startswith="bulk-").update(other_credits=LINES)
    office.post(urls[0])
    many = [_queries(office, url) for url in urls]
    assert few == many
    report = office.get(urls[0]).context["report"]
    assert {r["credit_type"]: r["n"] for r in report.by_credit_type}["ancc"] == 31
