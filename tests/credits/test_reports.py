"""Provider reports: activity results with SVG charts and a claims CSV, split by credit type and profession;
the retired board report's addresses lead to the PARS learner export."""

import csv
import datetime
import io
import re
import zoneinfo
from decimal import Decimal
from statistics import mean

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from accounts.models import Degree, LearnerProfile
from credits import services
from credits.charts import category_bar_chart
from credits.models import Certificate, CreditClaim, Provider
from testkit.factories import add_prior_claims, correct_answers, wrong_answers
from testkit.mfa import mfa_login

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"
NPI = "1234567893"  # the CMS example NPI, with a valid check digit
OTHER_NPI = "1234567802"  # another valid one: an NPI belongs to one account (issue 12, finding 13)

# Evaluations the three learners who pass submit: (objectives_met, relevant_to_practice, free_of_bias).
LIKERT = {
    "ada": (5, 4, 5),
    "formula": (4, 4, 3),
    "nurse": (3, 5, 5),
}


def _profile(user, **fields) -> LearnerProfile:
    profile = user.profile
    for name, value in fields.items():
        setattr(profile, name, value)
    if fields.get("board_sharing_consent"):
        profile.board_sharing_consent_at = timezone.now()
    profile.save()
    return profile


def _attempt(user, activity, answers) -> None:
    attempt = services.attempt_start(learner=user, activity=activity)
    services.attempt_submit(attempt_id=attempt.pk, learner=user, answers=answers(attempt))


def _two_of_three(attempt) -> dict[str, str]:
    answers = correct_answers(attempt)
    answers.update(dict(list(wrong_answers(attempt).items())[:1]))
    return answers


def _evaluate_and_claim(user, activity, likert, *, minutes, change="", comments="") -> CreditClaim:
    objectives_met, relevant, bias = likert
    services.evaluation_submit(
        learner=user,
        activity=activity,
        data={
            "objectives_met": objectives_met,
            "relevant_to_practice": relevant,
            "free_of_bias": bias,
            "intends_change": bool(change),
            "change_description": change,
            "comments": comments,
        },
    )
    return services.claim_credit(learner=user, activity=activity, minutes=minutes, attested=True)


@pytest.fixture
def scenario(activity, learner, make_user):
    """Four learners: pass first time (MD), fail then pass (MD, name starting with "="), pass first time
    (RN: a certificate of participation), never pass (two failed attempts)."""
    formula = make_user("formula@example.org", profile=True)
    _profile(formula, given_name='=HYPERLINK("http://evil.example")', family_name="Smith")
    nurse = make_user("nurse@example.org", profile=True)
    _profile(nurse, given_name="Grace", family_name="Hopper", degree=Degree.RN)
    never = make_user("never@example.org", profile=True)

    _attempt(learner, activity, correct_answers)
    ada = _evaluate_and_claim(
        learner, activity, LIKERT["ada"], minutes=45, change="Use a supraglottic airway"
    )
    _attempt(formula, activity, _two_of_three)
    _attempt(formula, activity, correct_answers)
    formula_claim = _evaluate_and_claim(
        formula, activity, LIKERT["formula"], minutes=30, comments="Too short <script>alert(1)</script>"
    )
    _attempt(nurse, activity, correct_answers)
    nurse_claim = _evaluate_and_claim(nurse, activity, LIKERT["nurse"], minutes=50)
    _attempt(never, activity, wrong_answers)
    _attempt(never, activity, wrong_answers)
    return {
        "activity": activity,
        "ada": learner,
        "formula": formula,
        "nurse": nurse,
        "never": never,
        "claims": {"ada": ada, "formula": formula_claim, "nurse": nurse_claim},
    }


def _fact(body: str, name: str) -> str:
    match = re.search(rf'data-fact="{re.escape(name)}">(.*?)</', body, re.S)
    assert match, f"no {name} on the page"
    return match.group(1).strip()


def _svgs(body: str) -> list[etree._Element]:
    return [etree.fromstring(svg.encode()) for svg in re.findall(r"<svg\b.*?</svg>", body, re.S)]


def _csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.getvalue().decode("utf-8-sig"))))


# --- The activity report ---------------------------------------------------------------------------


def test_activity_report_numbers(coordinator_client, scenario):
    activity = scenario["activity"]
    response = coordinator_client.get(reverse("credits:activity_report", args=[activity.pk]))
    assert response.status_code == 200
    body = response.content.decode()

    assert _fact(body, "learners") == "4"
    assert _fact(body, "attempts") == "6"  # 1 + 2 + 1 + 2
    assert _fact(body, "passed") == "3"
    assert _fact(body, "not-passed") == "1"
    assert _fact(body, "first-pass-rate").startswith("50.0%")  # ada and the nurse, of four first attempts
    assert _fact(body, "pass-rate").startswith("75.0%")  # three of four learners

    # Score distribution: two 0% (never), one 67% (formula's first attempt), three 100%.
    table = body.split('id="score-table"')[1].split("</table>")[0]
    assert '<th scope="row">0–9</th><td>2</td>' in table
    assert '<th scope="row">60–69</th><td>1</td>' in table
    assert '<th scope="row">90–100</th><td>3</td>' in table

    for index, item in enumerate(("objectives_met", "relevant_to_practice", "free_of_bias")):
        expected = mean(values[index] for values in LIKERT.values())
        assert _fact(body, f"mean-{item}") == f"{expected:.2f}"
    assert "1 of 3 intend to change" in _fact(body, "intends-change")
    assert "Use a supraglottic airway" in body
    # Comments are shown as text, never as markup.
    assert "Too short &lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<script>alert(1)" not in body

    claims = scenario["claims"].values()
    assert _fact(body, "claims") == "3"
    assert Decimal(_fact(body, "credits-total")) == sum(c.credits for c in claims)
    types = body.split('id="credit-types"')[1].split("</table>")[0]
    physician = [c for c in claims if c.credit_type == "ama_pra_1"]
    assert len(physician) == 2
    ama_row = re.search(r'data-credit-type="ama_pra_1">(.*?)</tr>', types, re.S).group(1)
    assert f"<td>{len(physician)}</td>" in ama_row
    assert f"<td>{sum(c.credits for c in physician).normalize()}</td>" in ama_row
    assert 'data-credit-type="participation"' in types
    assert "Certificate of participation" in types


def test_activity_report_charts_are_well_formed_accessible_svg(coordinator_client, scenario):
    body = coordinator_client.get(
        reverse("credits:activity_report", args=[scenario["activity"].pk])
    ).content.decode()
    charts = _svgs(body)
    # Scores, three evaluation items, claims per month.
    assert len(charts) == 5
    ids = set()
    for svg in charts:
        assert svg.tag == f"{SVG}svg"
        assert svg.get("role") == "img"
        assert svg.get("aria-label")
        title = svg.find(f"{SVG}title")
        assert title is not None and title.text == svg.get("aria-label")
        assert svg.find(f"{SVG}desc").text
        assert svg.findall(f"{SVG}rect")
        ids.update(el.get("id") for el in svg.iter() if el.get("id"))
    assert len(ids) == 2 * len(charts)  # ids unique on the page
    scores = next(svg for svg in charts if "scores" in svg.get("aria-label"))
    bars = [rect.find(f"{SVG}title").text for rect in scores.findall(f"{SVG}rect")]
    assert "0–9: 2" in bars and "90–100: 3" in bars


def test_chart_text_is_escaped_and_still_parses():
    svg = category_bar_chart(
        [('<b>&amp; "x"</b>', 3), ("ok", 0)],
        title="A <script> & 'title'",
        x_label="<x>",
        y_label="y & z",
        chart_id="c1",
    )
    assert "<script>" not in svg and "<b>" not in svg
    root = etree.fromstring(str(svg).encode())
    assert root.find(f"{SVG}title").text == "A <script> & 'title'"
    assert root.get("aria-label") == "A <script> & 'title'"
    assert root.find(f"{SVG}rect").find(f"{SVG}title").text == '<b>&amp; "x"</b>: 3'


def test_claims_per_month_in_the_provider_time_zone(coordinator_client, scenario, provider):
    activity = scenario["activity"]
    # At 02:00 UTC it is still the previous evening in New York, the provider's time zone.
    zone = zoneinfo.ZoneInfo(provider.time_zone)
    early = datetime.datetime.combine(
        activity.release_date + datetime.timedelta(days=2), datetime.time(2), tzinfo=datetime.UTC
    )
    claim = scenario["claims"]["nurse"]
    # The completion date is decided once, at issue, in the provider's zone (issue 12): what the
    # claim service would have set for a claim at that moment.
    CreditClaim.objects.filter(pk=claim.pk).update(claimed_at=early)
    Certificate.objects.filter(claim=claim).update(completion_date=early.astimezone(zone).date())
    body = coordinator_client.get(reverse("credits:activity_report", args=[activity.pk])).content.decode()
    table = body.split('id="claims-per-month"')[1].split("</table>")[0]
    months = re.findall(r'<th scope="row">(.*?)</th><td>(\d+)</td>', table)
    first = early.astimezone(zone).date().replace(day=1)
    last = timezone.localtime(timezone.now(), zone).date().replace(day=1)
    assert len(months) == (last.year - first.year) * 12 + last.month - first.month + 1
    assert months[0][0] == first.strftime("%B %Y")
    assert sum(int(n) for _, n in months) == 3

    rows = _csv(coordinator_client.get(reverse("credits:activity_report_csv", args=[activity.pk])))
    nurse_row = next(r for r in rows if r["Email"] == "nurse@example.org")
    day_before = (early.date() - datetime.timedelta(days=1)).isoformat()
    assert nurse_row["Completed on (America/New_York)"] == day_before


def test_activity_report_csv_one_row_per_claim_with_formulas_neutralised(coordinator_client, scenario):
    rows = _csv(
        coordinator_client.get(reverse("credits:activity_report_csv", args=[scenario["activity"].pk]))
    )
    assert len(rows) == 3
    by_email = {row["Email"]: row for row in rows}
    assert set(by_email) == {"learner@example.org", "formula@example.org", "nurse@example.org"}

    formula = by_email["formula@example.org"]
    # A spreadsheet would run a cell starting with "=": the cell starts with a quote instead.
    assert formula["Learner legal name"] == '\'=HYPERLINK("http://evil.example") Smith'
    assert formula["Attempts used"] == "2"
    assert formula["Score (%)"] == "100"
    assert formula["Degree"] == "MD"
    assert Decimal(formula["Credits"]) == scenario["claims"]["formula"].credits

    ada = by_email["learner@example.org"]
    assert ada["Learner legal name"] == "Ada Lovelace"
    assert ada["Credit type"] == "AMA PRA Category 1 Credit™"
    assert ada["Attempts used"] == "1"
    nurse = by_email["nurse@example.org"]
    assert nurse["Degree"] == "RN" and nurse["Credit type"] == "Certificate of participation"
    for row in rows:
        assert not row["Learner legal name"].startswith(("=", "+", "-", "@"))


def test_activity_report_without_any_attempt(coordinator_client, activity):
    response = coordinator_client.get(reverse("credits:activity_report", args=[activity.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert _fact(body, "learners") == "0"
    assert _fact(body, "pass-rate") == "—"
    assert "No evaluations yet." in body and "No credit claimed yet." in body
    assert len(_svgs(body)) == 1  # the (empty) score distribution still parses
    rows = _csv(coordinator_client.get(reverse("credits:activity_report_csv", args=[activity.pk])))
    assert rows == []


def test_activity_page_links_to_its_report(coordinator_client, activity):
    body = coordinator_client.get(
        reverse("credits:coordinator_activity", args=[activity.pk])
    ).content.decode()
    assert reverse("credits:activity_report", args=[activity.pk]) in body


# --- The retired board report: its addresses lead to the PARS learner export ----------------------


def _board_urls(provider, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    suffix = f"?{query}" if query else ""
    return (
        f"{reverse('credits:board_report', args=[provider.slug])}{suffix}",
        f"{reverse('credits:board_report_csv', args=[provider.slug])}{suffix}",
    )


def _today(provider) -> datetime.date:
    return timezone.localtime(timezone.now(), zoneinfo.ZoneInfo(provider.time_zone)).date()


@pytest.fixture
def consents(scenario):
    """Ada consented with everything (ABIM, ABP and an NPI, and IDs at ABFM and ABEM, boards that are not
    PARS boards); the "=" learner consented but gave no birth date and no identifier; the nurse consented
    too (a nurse is never in a PARS file)."""
    _profile(
        scenario["ada"],
        board_sharing_consent=True,
        birth_month=3,
        birth_day=7,
        abim_id="123456789",
        abp_id="9876",
        abfm_id="ABFM-555",
        abem_id="ABEM-777",
        npi=NPI,
    )
    _profile(scenario["formula"], board_sharing_consent=True)
    _profile(scenario["nurse"], board_sharing_consent=True, birth_month=1, birth_day=2, npi=OTHER_NPI)
    return scenario


def test_the_old_board_report_page_leads_to_the_pars_learner_export(coordinator_client, consents, provider):
    target = reverse("credits:pars_learners", args=[provider.slug])
    for url in _board_urls(provider):
        response = coordinator_client.get(url)
        assert response.status_code == 301, url
        assert response["Location"] == target
    # The range carries over, and the page it leads to is the PARS pre-validation (physicians only).
    today = _today(provider).isoformat()
    for url in _board_urls(provider, start=today, end=today, part="incomplete"):
        response = coordinator_client.get(url)
        assert response.status_code == 301
        assert response["Location"] == f"{target}?start={today}&end={today}"
        page = coordinator_client.get(response["Location"])
        assert page.status_code == 200
        assert page["Content-Type"].startswith("text/html")  # the old CSV address never gives a file
        body = page.content.decode()
        assert "Lovelace" in body
        assert "Hopper" not in body  # the nurse: PARS takes physicians only


def test_a_bad_range_on_the_old_address_gets_the_pars_pages_clear_400(coordinator_client, consents, provider):
    for url in _board_urls(provider, start="2026-05-01", end="2026-04-01"):
        response = coordinator_client.get(url, follow=True)
        assert response.status_code == 400
        assert "The end of the range is before its start." in response.content.decode()
        assert "Lovelace" not in response.content.decode()


def test_no_pages_link_to_the_retired_board_report(coordinator_client, consents, provider):
    activity = consents["activity"]
    old = reverse("credits:board_report", args=[provider.slug])
    for url in (
        reverse("credits:coordinator_dashboard"),
        reverse("credits:activity_report", args=[activity.pk]),
    ):
        body = coordinator_client.get(url).content.decode()
        assert old not in body, url
    report = coordinator_client.get(reverse("credits:activity_report", args=[activity.pk])).content.decode()
    assert reverse("credits:pars_learners", args=[provider.slug]) in report


def test_no_non_pars_rows_are_exported(coordinator_client, consents, provider):
    """The only learner file for the boards is PARS Learner Template B: physicians only, PARS boards
    only (ABFM and ABEM IDs are never exported), and the same in a recorded batch."""
    from credits.moc import HEADER, NOT_PARS_BOARDS

    activity = consents["activity"]
    activity.pars_activity_id = "12345678"
    activity.save(update_fields=["pars_activity_id"])
    today = _today(provider).isoformat()
    assert not any(board in cell for board in NOT_PARS_BOARDS for cell in HEADER)
    response = coordinator_client.get(
        reverse("credits:pars_learners_txt", args=[provider.slug]),
        {"start": today, "end": today, "only_valid": "1"},
    )
    assert response.status_code == 200
    text = response.content.decode()
    rows = [line.split("\t") for line in text.splitlines() if line]
    assert [r[3] for r in rows] == ["Lovelace"]  # the "=" learner has problems, the nurse is no physician
    for value in ("Hopper", OTHER_NPI, "ABFM-555", "ABEM-777", "ABFM", "ABEM", "NCCPA"):
        assert value not in text
    created = coordinator_client.post(
        reverse("credits:pars_batch_create", args=[provider.slug]), {"start": today, "end": today}
    )
    batch_ids = [
        int(n)
        for n in re.findall(
            r"batches/(\d+)\.txt", coordinator_client.get(created["Location"]).content.decode()
        )
    ]
    assert batch_ids  # the batch was recorded and its file is offered
    for pk in batch_ids:
        batch = coordinator_client.get(
            reverse("credits:pars_batch_txt", args=[provider.slug, pk])
        ).content.decode()
        for value in ("Hopper", OTHER_NPI, "ABFM-555", "ABEM-777"):
            assert value not in batch


# --- Access ------------------------------------------------------------------------------------------


def _all_urls(activity, provider) -> list[str]:
    return [
        reverse("credits:activity_report", args=[activity.pk]),
        reverse("credits:activity_report_csv", args=[activity.pk]),
    ]


def test_learners_and_hosts_are_refused(client, consents, provider, host):
    for user in (consents["ada"], host):
        mfa_login(client, user)
        for url in _all_urls(consents["activity"], provider):
            response = client.get(url)
            assert response.status_code == 403, url
            assert b"Lovelace" not in response.content


def test_anonymous_visitors_are_sent_to_log_in(client, consents, provider):
    for url in _all_urls(consents["activity"], provider):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_another_providers_coordinator_gets_404(client, consents, provider, make_user):
    other = Provider.objects.create(name="Other Society", slug="other")
    stranger = make_user("stranger@example.org")
    other.memberships.create(user=stranger)
    mfa_login(client, stranger)
    for url in _all_urls(consents["activity"], provider):
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"Lovelace" not in response.content
    # The old board report address of a provider they do not coordinate is a 404 too; their own leads
    # to their PARS learner export.
    for url in _board_urls(provider):
        assert client.get(url).status_code == 404
    assert client.get(_board_urls(other)[0])["Location"] == reverse(
        "credits:pars_learners", args=[other.slug]
    )


# --- Query counts ------------------------------------------------------------------------------------


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries.captured_queries)


def _consent_bulk_learners(prefix: str) -> None:
    LearnerProfile.objects.filter(user__email__startswith=f"{prefix}-").update(
        board_sharing_consent=True,
        board_sharing_consent_at=timezone.now(),
        birth_month=1,
        birth_day=2,
        state_province="OH",  # a state licence is enough; an NPI belongs to one account only
        licence_number="L-1",
    )


def test_report_queries_do_not_grow_with_claims(coordinator_client, consents, provider):
    activity = consents["activity"]
    urls = _all_urls(activity, provider)
    add_prior_claims(activity, 2, prefix="few")
    _consent_bulk_learners("few")
    # The report page reads its figures' snapshot (credits/report_selectors.py): refreshed first, as
    # the coordinator's "Refresh the figures now" does, then the page itself is counted.
    coordinator_client.post(urls[0])
    few = [_queries(coordinator_client, url) for url in urls]

    add_prior_claims(activity, 60, prefix="many")
    _consent_bulk_learners("many")
    assert CreditClaim.objects.filter(activity=activity).count() == 65
    coordinator_client.post(urls[0])
    many = [_queries(coordinator_client, url) for url in urls]
    assert few == many, f"{few} queries with 5 claims, {many} with 65"
    assert _fact(coordinator_client.get(urls[0]).content.decode(), "claims") == "65"
    assert len(_csv(coordinator_client.get(urls[1]))) == 65


# --- At scale (issue 14 item 9): paginated pages, streamed CSV -------------------------------------


def test_comments_and_intended_changes_come_a_page_at_a_time(coordinator_client, activity):
    from credits.models import Evaluation

    add_prior_claims(activity, 60, prefix="talk")
    evaluations = Evaluation.objects.filter(activity=activity).order_by("id")
    for n, evaluation in enumerate(evaluations):
        evaluation.comments = f"Comment number {n:02d}"
        evaluation.intends_change = True
        evaluation.change_description = f"Change number {n:02d}"
        evaluation.save(update_fields=["comments", "intends_change", "change_description"])
    url = reverse("credits:activity_report", args=[activity.pk])

    first = coordinator_client.get(url).content.decode()
    comments = first.split('id="comments"')[1].split("</ul>")[0]
    assert comments.count("<li>") == 50
    assert "Comment number 59" in comments and "Comment number 09" not in comments  # newest first
    assert "Page 1 of 2" in first
    assert "comments_page=2#comments" in first and "changes_page=2#changes" in first

    second = coordinator_client.get(url, {"comments_page": 2, "changes_page": 1}).content.decode()
    comments = second.split('id="comments"')[1].split("</ul>")[0]
    changes = second.split('id="changes"')[1].split("</ul>")[0]
    assert comments.count("<li>") == 10 and "Comment number 00" in comments
    assert changes.count("<li>") == 50  # the other list stays on its own page
    assert "changes_page=1&amp;comments_page=1#comments" in second  # the pager keeps the other list's page

    # A page number out of range shows the last page; a word, the first (Django's get_page).
    assert coordinator_client.get(url, {"comments_page": "99"}).status_code == 200
    assert coordinator_client.get(url, {"comments_page": "x"}).status_code == 200


def test_the_report_page_costs_the_same_queries_with_comments_on_every_evaluation(
    coordinator_client, activity
):
    from credits.models import Evaluation

    url = reverse("credits:activity_report", args=[activity.pk])
    add_prior_claims(activity, 3, prefix="few")
    Evaluation.objects.filter(activity=activity).update(
        comments="Good", intends_change=True, change_description="X"
    )
    coordinator_client.post(url)  # a fresh snapshot of the figures (the page then only reads it)
    few = _queries(coordinator_client, url)
    add_prior_claims(activity, 120, prefix="many")
    Evaluation.objects.filter(activity=activity).update(
        comments="Good", intends_change=True, change_description="X"
    )
    coordinator_client.post(url)
    assert _queries(coordinator_client, url) == few


def test_the_activity_csv_is_streamed_with_the_same_bytes_as_a_whole_file(coordinator_client, scenario):
    activity = scenario["activity"]
    response = coordinator_client.get(reverse("credits:activity_report_csv", args=[activity.pk]))
    assert response.streaming  # written as it is read, never held whole in memory
    body = response.getvalue()
    assert body.startswith("\ufeff".encode())
    assert body.endswith(b"\r\n") and body.count(b"\r\n") == 1 + 3  # the header and three claims


def test_coordinator_certificate_list_is_paginated_with_constant_queries(coordinator_client, activity):
    url = reverse("credits:coordinator_certificates")
    add_prior_claims(activity, 5, prefix="few")
    few = _queries(coordinator_client, url)
    add_prior_claims(activity, 60, prefix="many")
    assert _queries(coordinator_client, url) == few

    first = coordinator_client.get(url)
    assert len(first.context["page"].certificates) == 25
    assert "Certificates of your providers, newest first." in first.content.decode()
    numbers = [c.number for c in first.context["page"].certificates]
    second = coordinator_client.get(url, {"before": first.context["page"].older_cursor})
    third = coordinator_client.get(url, {"before": second.context["page"].older_cursor})
    assert len(third.context["page"].certificates) == 15 and not third.context["page"].has_older
    assert not set(numbers) & {c.number for c in third.context["page"].certificates}
    # Newest first, as before: the page's rows keep the order of the ids.
    expected = list(
        Certificate.objects.filter(claim__activity=activity)
        .order_by("-issued_at", "-id")
        .values_list("number", flat=True)[:25]
    )
    assert numbers == expected
