"""ACCME PARS activity reporting (issue 13, item 1): the activity's PARS fields, the pre-validation
page and the tab-delimited activity upload file, read back and checked field by field against the
documented column list (tests/credits/fixtures/pars_activity_columns.json, with its sources)."""

import datetime
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Degree, LearnerProfile
from audit.models import AuditEvent
from credits import commercial_support, pars, versions
from credits.audit_actions import CreditAction
from credits.certificates import certificate_revoke
from credits.models import Activity, ActivityVersion, Provider
from credits.provider_time import provider_date
from testkit.factories import (
    add_prior_claims,
    claim_and_issue,
    grant_show,
    make_activity,
    make_coordinator,
    make_episode,
    make_show,
    make_user,
    pass_and_evaluate,
)
from testkit.mfa import mfa_login

SPEC = json.loads((Path(__file__).parent / "fixtures" / "pars_activity_columns.json").read_text())
YEAR = timezone.localdate().year


def _txt_url(provider: Provider, year: int = YEAR) -> str:
    return reverse("credits:coordinator_pars_activities_txt", args=[provider.slug]) + f"?year={year}"


def _page_url(provider: Provider, year: int = YEAR) -> str:
    return reverse("credits:coordinator_pars_activities", args=[provider.slug]) + f"?year={year}"


def _ready(activity: Activity, pars_id: str = "201912345", **extra) -> Activity:
    data = {
        "pars_activity_id": pars_id,
        "pars_outcome_measures": ["learner_knowledge", "learner_competence"],
        "pars_cme_finder": False,
        "pars_description": "",
        **extra,
    }
    return pars.pars_update(activity=activity, actor=None, data=data)


def _records(response) -> list[list[str]]:
    body: bytes = response.content
    text = body.decode(SPEC["rules"]["encoding"]["value"])
    ending = SPEC["rules"]["line_ending"]["value"]
    assert text.endswith(ending)
    lines = text[: -len(ending)].split(ending)
    assert all("\n" not in line and "\r" not in line for line in lines)
    return [line.split(SPEC["rules"]["delimiter"]["value"]) for line in lines]


def _check_record(fields: list[str]) -> dict[str, str]:
    """Every field against the fixture: count, order, format, required values; returns them by name."""
    base, supporter = SPEC["columns"], SPEC["supporter_columns"]
    assert len(fields) >= SPEC["rules"]["min_fields_per_record"]["value"]
    assert (len(fields) - len(base)) % len(supporter) == 0
    named: dict[str, str] = {}
    for column, value in zip(base, fields, strict=False):
        assert re.fullmatch(column["pattern"], value), (column["field"], column["name"], value)
        if column["required"]:
            assert value != "", column["name"]
        assert value == value.strip(), column["name"]  # no padding: an empty field is empty
        named[column["name"]] = value
    for start in range(len(base), len(fields), len(supporter)):
        block = fields[start : start + len(supporter)]
        for column, value in zip(supporter, block, strict=True):
            assert re.fullmatch(column["pattern"], value), (column["name"], value)
    assert any(named[c["name"]] == "Y" for c in base if c["name"].startswith("Outcome Measured"))
    return named


# --- The fixture and the code agree ----------------------------------------------------------------


def test_the_documented_column_list_is_the_one_exported():
    assert SPEC["source"]["document_number"] == pars.SPEC_VERSION
    assert [c["name"] for c in SPEC["columns"]] == pars.COLUMNS
    assert [c["field"] for c in SPEC["columns"]] == list(range(1, 36))
    assert [c["name"] for c in SPEC["supporter_columns"]] == pars.SUPPORTER_COLUMNS
    assert [c["field"] for c in SPEC["supporter_columns"]] == SPEC["rules"]["supporter_fields"]["value"][
        :1
    ] + list(range(37, 44))
    assert SPEC["rules"]["header_row"]["value"] is False


# --- The export, read back ------------------------------------------------------------------------


def test_export_reads_back_column_by_column(coordinator_client, activity, provider, learner, evaluated):
    _ready(activity)
    response = coordinator_client.get(_txt_url(provider))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="pars-activities-sot-{YEAR}.txt"'
    records = _records(response)
    assert len(records) == 1  # no header row: the only line is the activity
    named = _check_record(records[0])
    version = ActivityVersion.objects.get(pk=activity.current_version_id)
    assert named["Provider Activity ID"] == f"PCME-{activity.pk}-{YEAR}"
    assert named["PARS Activity ID"] == "201912345"
    assert named["Activity Title"] == version.content["title"]
    assert named["Activity Type"] == "IEM"
    release = max(activity.release_date, datetime.date(YEAR, 1, 1))
    assert named["Start Date"] == release.strftime("%m/%d/%Y")
    assert named["End Date"] == min(activity.expiry_date, datetime.date(YEAR, 12, 31)).strftime("%m/%d/%Y")
    assert named["Providership"] == "Direct"
    assert named["Joint Provider Name"] == ""
    assert named["AMA PRA Category 1 Credits Designated"] == "0.75"
    assert named["CME Finder"] == "N"
    assert named["Activity URL"] == ""
    assert named["Activity Description"] == "Recognise a failed airway; Plan a CICO rescue"
    assert [named[c] for c in pars.COLUMNS[16:21]] == ["Y", "Y", "N", "N", "N"]
    assert named["Physician Learners"] == "0"  # evaluated, not claimed yet: not a learner with credit
    assert named["Other Learners"] == "0"
    assert named["Commercial Support Received"] == "N"
    assert named["Number of Commercial Supporters"] == "0"
    assert records[0][35:] == [""] * 8  # the supporter fields are there, empty


def test_counts_come_from_credited_certificates_of_the_year(
    coordinator_client, activity, provider, learner, evaluated, django_capture_on_commit_callbacks
):
    _ready(activity)
    claim_and_issue(learner, activity, django_capture_on_commit_callbacks)  # MD: AMA PRA Category 1
    nurse = make_user("nurse@example.org", profile=True)
    LearnerProfile.objects.filter(user=nurse).update(degree=Degree.RN)
    pass_and_evaluate(nurse, activity)
    claim_and_issue(nurse, activity, django_capture_on_commit_callbacks)  # certificate of participation
    revoked_md = make_user("revoked@example.org", profile=True)
    pass_and_evaluate(revoked_md, activity)
    revoked = claim_and_issue(revoked_md, activity, django_capture_on_commit_callbacks)
    certificate_revoke(certificate=revoked, actor=None, reason="Claimed by mistake")

    named = _check_record(_records(coordinator_client.get(_txt_url(provider)))[0])
    assert named["Physician Learners"] == "1"  # the revoked physician is not counted
    assert named["Other Learners"] == "1"


def test_an_activity_spanning_two_years_is_one_record_per_year_with_that_years_learners(
    coordinator_client, provider, coordinator, show, show_grant, learner, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    release = datetime.date(YEAR - 1, 6, 1)
    activity = make_activity(
        provider=provider,
        episode=make_episode(show, slug="two-years"),
        coordinator=coordinator,
        release_date=release,
        expiry_date=release + datetime.timedelta(days=2 * 365),
    )
    _ready(activity)
    pass_and_evaluate(learner, activity)
    claim_and_issue(learner, activity, django_capture_on_commit_callbacks)  # completed this year

    last = _check_record(_records(coordinator_client.get(_txt_url(provider, YEAR - 1)))[0])
    this = _check_record(_records(coordinator_client.get(_txt_url(provider, YEAR)))[0])
    assert last["Provider Activity ID"] == f"PCME-{activity.pk}-{YEAR - 1}"
    assert this["Provider Activity ID"] == f"PCME-{activity.pk}-{YEAR}"
    assert (last["Start Date"], last["End Date"]) == (f"06/01/{YEAR - 1}", f"12/31/{YEAR - 1}")
    assert this["Start Date"] == f"01/01/{YEAR}"
    assert this["End Date"] == min(activity.expiry_date, datetime.date(YEAR, 12, 31)).strftime("%m/%d/%Y")
    assert (last["Physician Learners"], this["Physician Learners"]) == ("0", "1")
    assert today.year == YEAR


def test_joint_provider_and_commercial_support_come_from_the_version(
    coordinator_client, provider, coordinator, show_grant, show
):
    episode = make_episode(show, slug="joint-one")
    activity = make_activity(
        provider=provider,
        episode=episode,
        coordinator=coordinator,
        providership="joint",
        joint_provider_name="Airway\tClub\nof Ohio",
    )
    release = activity.release_date
    commercial_support.commercial_support_add(
        activity=activity,
        actor=coordinator,
        supporter="MedDevice Inc.",
        kind="monetary",
        amount=Decimal("1500"),
        agreement_signed_on=release - datetime.timedelta(days=1),
    )
    commercial_support.commercial_support_add(
        activity=activity,
        actor=coordinator,
        supporter="Scopes Ltd",
        kind="in_kind",
        in_kind_description="Two video laryngoscopes",
        agreement_signed_on=release - datetime.timedelta(days=1),
    )
    _ready(activity, pars_cme_finder=True, pars_description="A podcast on the failed airway.")
    fields = _records(coordinator_client.get(_txt_url(provider)))[0]
    named = _check_record(fields)
    assert len(fields) == 35 + 2 * 8  # fields 36-43 once per supporter
    assert named["Providership"] == "Joint"
    assert named["Joint Provider Name"] == "Airway Club of Ohio"  # no tab or line break in a field
    assert named["CME Finder"] == "Y"
    assert named["Activity URL"].startswith("http") and episode.slug in named["Activity URL"]
    assert named["Activity Description"] == "A podcast on the failed airway."
    assert named["Commercial Support Received"] == "Y"
    assert named["Number of Commercial Supporters"] == "2"
    assert named["Total Monetary Commercial Support"] == "1500.00"
    assert fields[35:40] == ["MedDevice Inc.", "Y", "1500.00", "N", ""]
    assert fields[43:48] == ["Scopes Ltd", "N", "", "Y", "Two video laryngoscopes"]


def test_drafts_and_other_years_are_not_reported(coordinator_client, provider, coordinator, show, show_grant):
    make_activity(
        provider=provider,
        episode=make_episode(show, slug="draft-one"),
        coordinator=coordinator,
        publish=False,
    )
    response = coordinator_client.get(_page_url(provider))
    assert response.status_code == 200
    assert f"No activity of yours was active in {YEAR}.".encode() in response.content
    # An empty year has nothing to upload: refused, no file.
    empty = coordinator_client.get(_txt_url(provider))
    assert empty.status_code == 400
    assert "Content-Disposition" not in empty


# --- Bad input ------------------------------------------------------------------------------------


def test_export_with_no_pars_activity_id_is_refused_with_the_list(coordinator_client, activity, provider):
    pars.pars_update(
        activity=activity, actor=None, data={"pars_activity_id": "", "pars_outcome_measures": []}
    )
    page = coordinator_client.get(_page_url(provider))
    assert page.status_code == 200
    assert f"PARS takes the data of {YEAR} until 31 March {YEAR + 1}.".encode() in page.content
    assert b"No PARS activity ID" in page.content
    assert b"No PARS outcome measure" in page.content
    response = coordinator_client.get(_txt_url(provider))
    assert response.status_code == 400
    assert "Content-Disposition" not in response
    assert response["Content-Type"].startswith("text/html")
    assert b"Not exported" in response.content
    assert b"No PARS activity ID: register the activity in PARS" in response.content
    assert b"No PARS outcome measure" in response.content
    # With the ID but still no outcome measure: still refused, and says only what is left.
    pars.pars_update(
        activity=activity, actor=None, data={"pars_activity_id": "201912345", "pars_outcome_measures": []}
    )
    again = coordinator_client.get(_txt_url(provider))
    assert again.status_code == 400
    assert b"No PARS activity ID" not in again.content
    assert b"No PARS outcome measure" in again.content


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"pars_activity_id": "PARS-12"}, "pars_activity_id", b"digits only"),
        ({"pars_activity_id": "123"}, "pars_activity_id", b"digits only"),
        ({"pars_outcome_measures": ["learner_happiness"]}, "pars_outcome_measures", b"Select a valid choice"),
    ],
)
def test_bad_pars_fields_are_refused_and_nothing_is_written(
    coordinator_client, activity, data, field, message
):
    url = reverse("credits:coordinator_pars_activity", args=[activity.pk])
    before = AuditEvent.objects.count()
    response = coordinator_client.post(url, {"pars_outcome_measures": ["learner_knowledge"], **data})
    assert response.status_code == 400
    assert message in response.content
    assert b"Nothing was saved" in response.content
    activity.refresh_from_db()
    assert activity.pars_activity_id == ""
    assert activity.pars_outcome_measures == []
    assert AuditEvent.objects.count() == before


def test_a_pars_id_used_by_another_activity_is_refused(
    coordinator_client, activity, provider, coordinator, show
):
    other = make_activity(
        provider=provider, episode=make_episode(show, slug="other-one"), coordinator=coordinator
    )
    _ready(other, pars_id="201912345")
    url = reverse("credits:coordinator_pars_activity", args=[activity.pk])
    response = coordinator_client.post(url, {"pars_activity_id": "201912345"})
    assert response.status_code == 400
    assert b"Another of your activities already has PARS activity ID 201912345" in response.content
    activity.refresh_from_db()
    assert activity.pars_activity_id == ""


def test_bad_reporting_year_is_refused(coordinator_client, provider):
    for year in ["twenty", "2015", str(YEAR + 1)]:
        response = coordinator_client.get(_txt_url(provider).replace(f"year={YEAR}", f"year={year}"))
        assert response.status_code == 400, year
        assert "Content-Disposition" not in response


# --- The form: saved and audited ------------------------------------------------------------------


def test_coordinator_saves_pars_fields_audited_without_a_new_version(
    coordinator_client, activity, learner, passed
):
    """Entering the PARS ID after learners started changes nothing they were offered: no version."""
    versions_before = ActivityVersion.objects.filter(activity=activity).count()
    url = reverse("credits:coordinator_pars_activity", args=[activity.pk])
    assert coordinator_client.get(url).status_code == 200
    response = coordinator_client.post(
        url,
        {
            "pars_activity_id": " 201912345 ",
            "pars_cme_finder": "on",
            "pars_outcome_measures": ["patient_health", "learner_knowledge"],
        },
    )
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.pars_activity_id == "201912345"
    assert activity.pars_cme_finder is True
    assert activity.pars_outcome_measures == ["learner_knowledge", "patient_health"]
    assert ActivityVersion.objects.filter(activity=activity).count() == versions_before
    entry = AuditEvent.objects.filter(action=CreditAction.ACTIVITY_PARS_UPDATED).get()
    assert entry.data["changed"]["pars_activity_id"] == ["", "201912345"]
    assert entry.data["changed"]["pars_outcome_measures"] == [[], ["learner_knowledge", "patient_health"]]
    # The activity page links to it.
    page = coordinator_client.get(reverse("credits:coordinator_activity", args=[activity.pk]))
    assert url.encode() in page.content


# --- Access ---------------------------------------------------------------------------------------


def test_another_providers_coordinator_gets_404(client, activity, provider):
    _ready(activity)
    other = Provider.objects.create(name="Other Society", slug="other")
    stranger = make_coordinator(other, "stranger@example.org")
    mfa_login(client, stranger)
    for url in [
        _txt_url(provider),
        _page_url(provider),
        reverse("credits:coordinator_pars_activity", args=[activity.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"201912345" not in response.content
    assert (
        client.post(
            reverse("credits:coordinator_pars_activity", args=[activity.pk]), {"pars_activity_id": "55555"}
        ).status_code
        == 404
    )
    activity.refresh_from_db()
    assert activity.pars_activity_id == "201912345"
    # Their own (empty) page works.
    assert client.get(_page_url(other)).status_code == 200


def test_a_learner_gets_no_pars_page(client, learner, activity, provider):
    mfa_login(client, learner)
    assert client.get(_txt_url(provider)).status_code == 403


# --- Query count ----------------------------------------------------------------------------------


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries.captured_queries)


def test_queries_do_not_grow_with_activities_or_learners(coordinator_client, provider, coordinator):
    def add(n: int) -> None:
        show = make_show(title=f"Show {n}", slug=f"show-{n}")
        grant_show(show, provider)
        activity = make_activity(
            provider=provider, episode=make_episode(show, slug=f"ep-{n}"), coordinator=coordinator
        )
        _ready(activity, pars_id=str(201900000 + n))
        add_prior_claims(activity, 2 + n, prefix=f"p{n}")

    add(1)
    few = [_queries(coordinator_client, u) for u in (_txt_url(provider), _page_url(provider))]
    for n in range(2, 6):
        add(n)
    many = [_queries(coordinator_client, u) for u in (_txt_url(provider), _page_url(provider))]
    assert many == few
    records = _records(coordinator_client.get(_txt_url(provider)))
    assert len(records) == 5
    assert sorted(int(_check_record(r)["Physician Learners"]) for r in records) == [3, 4, 5, 6, 7]


def test_a_withdrawn_activity_ends_on_its_withdrawal_day(coordinator_client, activity, provider, coordinator):
    _ready(activity)
    versions.activity_withdraw(activity=activity, actor=coordinator, reason="Guideline changed")
    named = _check_record(_records(coordinator_client.get(_txt_url(provider)))[0])
    assert named["End Date"] == provider_date(timezone.now(), provider).strftime("%m/%d/%Y")
