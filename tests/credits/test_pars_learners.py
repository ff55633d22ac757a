"""The learner completion export in ACCME's PARS "Learner Template B" format (issue 13, item 3),
read back and checked column by column against the documented column list kept in
tests/credits/fixtures/pars_learner_columns.json (with its source), and its pre-validation."""

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from lxml import html

from accounts.models import Degree
from credits import certificates, moc, services
from credits.certificates import certificate_revoke
from credits.models import Activity, Certificate, ParsLearnerBatch, ParsLearnerReport
from testkit import factories
from testkit.mfa import mfa_login

pytestmark = pytest.mark.django_db

SPEC = json.loads((Path(__file__).parent / "fixtures" / "pars_learner_columns.json").read_text())
COLUMNS = [c["name"] for c in SPEC["columns"]]
PARS_ID = "20261129"


def _learner(email, *, degree=Degree.MD, consent=False, birth=(7, 14), **fields):
    user = factories.make_user(email, profile=True)
    profile = user.profile
    profile.degree = degree
    profile.birth_month, profile.birth_day = birth
    if consent:
        profile.board_sharing_consent, profile.board_sharing_consent_at = True, timezone.now()
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.save()
    return user


def _claim(user, activity, capture, minutes=45, **optins):
    factories.pass_and_evaluate(user, activity)
    with capture(execute=True):
        claim = services.claim_credit(
            learner=user, activity=activity, minutes=minutes, attested=True, moc_optins=optins
        )
    return Certificate.objects.get(claim=claim)


@pytest.fixture
def setup(activity, coordinator, django_capture_on_commit_callbacks):
    """ABIM- and ABP-registered activity with a PARS id; four completions:
    ada (MD, ABIM + ABP opt-in), bob (MD, profile consent, no MOC), nora (RN, consent: not a row),
    rev (MD, ABIM opt-in, then revoked: not a row)."""
    moc.moc_register(
        activity=activity, actor=coordinator, rows=[("ABIM", "MK", "0.75"), ("ABP", "LLSA", "0.75")]
    )
    Activity.objects.filter(pk=activity.pk).update(pars_activity_id=PARS_ID)
    activity.refresh_from_db()
    capture = django_capture_on_commit_callbacks
    ada = _learner(
        "ada@example.org", abim_id="123456", npi="1234567893", given_name="Ada", family_name="King"
    )
    bob = _learner("bob@example.org", consent=True, given_name="Bob", family_name="Stone", birth=(2, 29))
    nora = _learner("nora@example.org", degree=Degree.RN, consent=True)
    rev = _learner("rev@example.org", given_name="Rev", family_name="Oked")
    certs = {
        "ada": _claim(ada, activity, capture, ABIM="123456", ABP="7654321"),
        "bob": _claim(bob, activity, capture, minutes=30),
        "nora": _claim(nora, activity, capture),
        "rev": _claim(rev, activity, capture, ABIM="654321"),
    }
    certificate_revoke(certificate=certs["rev"], actor=coordinator, reason="Did not take part")
    return activity, certs


def _range(certs) -> dict[str, str]:
    day = certs["ada"].completion_date.isoformat()
    return {"start": day, "end": day}


def _rows(body: str) -> list[list[str]]:
    assert body.endswith("\r\n")
    return [line.split("\t") for line in body[:-2].split("\r\n")]


def _text(response) -> str:
    return " ".join(html.fromstring(response.content).text_content().split())


def test_the_header_is_the_documented_column_list():
    assert moc.HEADER == COLUMNS
    assert moc.BOARDS == SPEC["boards"]
    assert moc.CREDIT_TYPES == SPEC["credit_types"]
    assert set(moc.NOT_PARS_BOARDS) == set(SPEC["not_pars_boards"])
    assert moc.FULL_CREDIT_ONLY == set(SPEC["full_credit_only_boards"])


def test_the_export_read_back_column_by_column(client, coordinator, setup):
    activity, certs = setup
    mfa_login(client, coordinator)
    response = client.get(reverse("credits:pars_learners_txt", args=["sot"]), _range(certs))
    assert response.status_code == 200, _text(response)
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"].endswith('.txt"')
    rows = _rows(response.content.decode())
    # ada and bob only: nora is not a physician, rev's credit was revoked; no header row.
    assert len(rows) == 2
    for row in rows:
        assert len(row) == len(COLUMNS)
    ada, bob = (dict(zip(COLUMNS, row, strict=True)) for row in rows)
    date = certs["ada"].completion_date.strftime("%m/%d/%Y")
    assert ada == {
        **dict.fromkeys(COLUMNS, ""),
        "Action": "Add",
        "PARS Activity ID": PARS_ID,
        "Learner First Name": "Ada",
        "Learner Last Name": "King",
        "Learner DOB Month": "07",
        "Learner DOB Day": "14",
        "Learner NPI": "1234567893",
        "Completion Date": date,
        "CME Credits": "0.75",
        "ABIM Board ID": "123456",
        "ABIM MOC Points": "0.75",
        "ABIM Credit Type": "MK",
        "ABP Board ID": "7654321",
        "ABP MOC Points": "0.75",
        "ABP Credit Type": "LLSA",
        "Learner Permission": "Y",
    }
    assert bob == {
        **dict.fromkeys(COLUMNS, ""),
        "Action": "Add",
        "PARS Activity ID": PARS_ID,
        "Learner First Name": "Bob",
        "Learner Last Name": "Stone",
        "Learner DOB Month": "02",
        "Learner DOB Day": "29",
        "Completion Date": date,
        "CME Credits": "0.5",
        "Learner Permission": "Y",
    }
    # Each documented rule holds in every row.
    for row in (ada, bob):
        for column in SPEC["columns"]:
            if column.get("required"):
                assert row[column["name"]], column["name"]
        assert row["Action"] in ("Add", "Delete")
        assert re.fullmatch(r"\d+", row["PARS Activity ID"])
        assert re.fullmatch(r"(0[1-9]|1[0-2])", row["Learner DOB Month"])
        assert re.fullmatch(r"(0[1-9]|[12]\d|3[01])", row["Learner DOB Day"])
        assert re.fullmatch(r"\d\d/\d\d/\d{4}", row["Completion Date"])
        assert Decimal(row["CME Credits"]) <= activity.current_version.designated_credits
        for board in SPEC["boards"]:
            if row[f"{board} MOC Points"]:
                assert row[f"{board} Credit Type"] in SPEC["credit_types"][board]
                assert board in {r["board"] for r in moc.version_registrations(activity.current_version)}
        assert row["Learner NPI"] == "" or re.fullmatch(r"\d{10}", row["Learner NPI"])


def test_revoked_credit_is_not_exported(setup):
    activity, certs = setup
    rows = moc.learner_rows(
        provider=activity.provider, start=certs["ada"].completion_date, end=certs["ada"].completion_date
    )
    assert certs["rev"].pk not in {r.certificate.pk for r in rows}
    assert certs["nora"].pk not in {r.certificate.pk for r in rows}
    assert {r.certificate.pk for r in rows} == {certs["ada"].pk, certs["bob"].pk}


def test_a_missing_pars_activity_id_refuses_the_export_with_the_list(client, coordinator, setup):
    activity, certs = setup
    Activity.objects.filter(pk=activity.pk).update(pars_activity_id="")
    mfa_login(client, coordinator)
    page = client.get(reverse("credits:pars_learners", args=["sot"]), _range(certs))
    assert page.status_code == 200
    text = _text(page)
    assert "2 rows with problems." in text
    assert "Ada King" in text and "the activity has no PARS activity ID" in text
    refused = client.get(reverse("credits:pars_learners_txt", args=["sot"]), _range(certs))
    assert refused.status_code == 400
    assert "the activity has no PARS activity ID" in _text(refused)
    assert refused["Content-Type"].startswith("text/html")


def test_the_valid_rows_only_leave_out_the_learners_with_problems(client, coordinator, setup):
    activity, certs = setup
    profile = certs["bob"].claim.learner.profile
    profile.birth_month = profile.birth_day = None
    profile.save()
    mfa_login(client, coordinator)
    text = _text(client.get(reverse("credits:pars_learners", args=["sot"]), _range(certs)))
    assert "1 row ready." in text and "Bob Stone" in text and "birth month and day missing" in text
    assert client.get(reverse("credits:pars_learners_txt", args=["sot"]), _range(certs)).status_code == 400
    response = client.get(
        reverse("credits:pars_learners_txt", args=["sot"]), {**_range(certs), "only_valid": "1"}
    )
    assert response.status_code == 200
    rows = _rows(response.content.decode())
    assert [r[COLUMNS.index("Learner First Name")] for r in rows] == ["Ada"]


def test_a_bad_range_is_refused(client, coordinator, setup):
    mfa_login(client, coordinator)
    response = client.get(
        reverse("credits:pars_learners_txt", args=["sot"]), {"start": "2026-02-01", "end": "x"}
    )
    assert response.status_code == 400


def test_another_providers_coordinator_gets_nothing(client, setup):
    _activity, certs = setup
    other = factories.make_coordinator(factories.make_provider("Other", "other"), "other@example.org")
    mfa_login(client, other)
    assert client.get(reverse("credits:pars_learners_txt", args=["sot"]), _range(certs)).status_code == 404
    assert client.get(reverse("credits:pars_learners", args=["sot"]), _range(certs)).status_code == 404
    # Their own provider's export has none of these rows.
    response = client.get(reverse("credits:pars_learners_txt", args=["other"]), _range(certs))
    assert response.status_code == 200 and response.content == b""


def test_a_learner_cannot_open_the_export(client, setup):
    _activity, certs = setup
    client.force_login(certs["ada"].claim.learner)
    response = client.get(reverse("credits:pars_learners_txt", args=["sot"]), _range(certs))
    assert response.status_code in (302, 403, 404)


# --- Reporting state: the batch cycle (issue 13, item 4) ------------------------------------------


def _batch(client, certs):
    response = client.post(reverse("credits:pars_batch_create", args=["sot"]), _range(certs))
    assert response.status_code == 302, _text(response)
    batch = ParsLearnerBatch.objects.latest("pk")
    body = client.get(reverse("credits:pars_batch_txt", args=["sot", batch.pk])).content.decode()
    return batch, _rows(body) if body else []


def test_the_batch_cycle_report_revoke_correct_report_again(client, coordinator, setup):
    activity, certs = setup
    mfa_login(client, coordinator)
    first_batch, first = _batch(client, certs)
    names = COLUMNS.index("Learner First Name")
    credits_col = COLUMNS.index("CME Credits")
    assert [(r[0], r[names]) for r in first] == [("Add", "Ada"), ("Add", "Bob")]
    text = _text(client.get(reverse("credits:pars_learners", args=["sot"]), _range(certs)))
    assert "The next batch holds 0 rows" in text
    assert (
        "MOC completions of this year must reach the boards by December 31, "
        f"{certs['ada'].completion_date.year}" in text
    )
    # Nothing new: a second batch is refused with a message and nothing written.
    refused = client.post(reverse("credits:pars_batch_create", args=["sot"]), _range(certs))
    assert refused.status_code == 400 and "Nothing new to report" in _text(refused)
    assert ParsLearnerBatch.objects.count() == 1

    # Revoke Ada's credit; correct Bob's credits (0.5 -> 0.75).
    certificate_revoke(certificate=certs["ada"], actor=coordinator, reason="Did not take part")
    certificates.certificate_reissue(
        certificate=certs["bob"], actor=coordinator, reason="Time misreported", credits=Decimal("0.75")
    )
    page = _text(client.get(reverse("credits:pars_learners", args=["sot"]), _range(certs)))
    assert "The next batch holds 3 rows" in page
    state = html.fromstring(client.get(reverse("credits:pars_learners", args=["sot"]), _range(certs)).content)
    cells = [td.text_content() for td in state.get_element_by_id("pars-states").iter("td")]
    assert cells == [activity.current_version.title, "0", "0", "2"]  # reported, pending, needs correction

    _second_batch, second = _batch(client, certs)
    assert [(r[0], r[names], r[credits_col]) for r in second] == [
        ("Delete", "Ada", "0.75"),
        ("Delete", "Bob", "0.5"),
        ("Add", "Bob", "0.75"),
    ]
    for row in second:
        assert len(row) == len(COLUMNS)
    # The deletes repeat the rows as sent, except the action.
    assert second[0][1:] == first[0][1:] and second[1][1:] == first[1][1:]
    cells = [
        td.text_content()
        for td in html.fromstring(
            client.get(reverse("credits:pars_learners", args=["sot"]), _range(certs)).content
        )
        .get_element_by_id("pars-states")
        .iter("td")
    ]
    assert cells == [activity.current_version.title, "1", "0", "0"]
    assert ParsLearnerReport.objects.filter(batch=first_batch).count() == 2


def test_a_batch_of_another_provider_is_not_found(client, coordinator, setup):
    _activity, certs = setup
    mfa_login(client, coordinator)
    batch, _rows_sent = _batch(client, certs)
    other = factories.make_coordinator(factories.make_provider("Other", "other"), "other@example.org")
    client.logout()
    mfa_login(client, other)
    assert client.get(reverse("credits:pars_batch_txt", args=["other", batch.pk])).status_code == 404
    assert client.get(reverse("credits:pars_batch_txt", args=["sot", batch.pk])).status_code == 404
    assert client.post(reverse("credits:pars_batch_create", args=["sot"]), _range(certs)).status_code == 404
