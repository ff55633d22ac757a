"""CE Broker roster export (issue 13 item 6): the .xls read back with xlrd and checked column by column
against tests/credits/fixtures/cebroker_columns.json (CE Broker's help articles), the learners not
exported and why, the numbers form, and every bad input (clear message, 4xx, nothing written)."""

import datetime
import json
from decimal import Decimal
from pathlib import Path

import pytest
import xlrd
from django.urls import reverse
from django.utils import timezone
from lxml import html

from accounts.models import Degree, Licence, Profession
from audit.models import AuditEvent
from credits import cebroker, services
from credits.models import Activity, Certificate, Provider
from testkit import factories
from testkit.mfa import mfa_login

pytestmark = pytest.mark.django_db

SPEC = json.loads((Path(__file__).parent / "fixtures" / "cebroker_columns.json").read_text())
COLUMNS = [c["column"] for c in SPEC["columns"]]
UAN = factories.UAN


@pytest.fixture
def interprofessional(episode, coordinator, provider):
    factories.jointly_accredit(provider)
    return factories.make_activity(
        provider=provider,
        episode=episode,
        coordinator=coordinator,
        other_credits=[
            {"kind": "ancc", "amount": "0.75"},
            {"kind": "acpe", "amount": "0.5", "uan": UAN, "acpe_activity_type": "K"},
            {"kind": "aapa", "amount": "0.75"},
        ],
    )


def _learner(email, degree, name, **profile_fields):
    user = factories.make_user(email, profile=True)
    profile = user.profile
    profile.degree = degree
    profile.given_name, profile.family_name = name
    for key, value in profile_fields.items():
        setattr(profile, key, value)
    profile.save()
    return user


def _licence(user, profession, state, number):
    today = timezone.localdate()
    return Licence.objects.create(
        learner=user,
        profession=profession,
        state=state,
        number=number,
        cycle_start=today - datetime.timedelta(days=300),
        cycle_end=today + datetime.timedelta(days=400),
        required_hours=Decimal("24"),
    )


def _claim(user, activity, capture, minutes=45):
    factories.pass_and_evaluate(user, activity)
    with capture(execute=True):
        claim = services.claim_credit(learner=user, activity=activity, minutes=minutes, attested=True)
    return Certificate.objects.get(claim=claim)


@pytest.fixture
def setup(interprofessional, django_capture_on_commit_callbacks):
    """nina (RN, FL licence, full ANCC), nick (RN, "Texas", partial ANCC), phil (PharmD, NY), pat
    (PA-C, "ca"), mo (MD, no licence), ola (RN, licence without a number), ida (RN, state "Ontario"),
    oz (MD, licence for "other" profession)."""
    capture = django_capture_on_commit_callbacks
    activity = interprofessional
    people = {
        "nina": _learner("nina@example.org", Degree.RN, ("Nina", "Nurse")),
        "nick": _learner("nick@example.org", Degree.RN, ("Nick", "Partial")),
        "phil": _learner(
            "phil@example.org", Degree.PHARMD, ("Phil", "Pharm"), nabp_eprofile_id="123456",
            birth_month=4, birth_day=1,
        ),
        "pat": _learner("pat@example.org", Degree.PA_C, ("Pat", "Assistant")),
        "mo": _learner("mo@example.org", Degree.MD, ("Mo", "Nolicence")),
        "ola": _learner("ola@example.org", Degree.RN, ("Ola", "Nonumber")),
        "ida": _learner("ida@example.org", Degree.RN, ("Ida", "Abroad")),
    }  # fmt: skip
    _licence(people["nina"], Profession.NURSE, "FL", "RN9876543")
    _licence(people["nick"], Profession.NURSE, "Texas", "TX-55")
    _licence(people["phil"], Profession.PHARMACIST, "New York", "RPH-1")
    _licence(people["pat"], Profession.PA, "ca", "PA777")
    _licence(people["ola"], Profession.NURSE, "FL", "")
    _licence(people["ida"], Profession.NURSE, "Ontario", "ON-1")
    certs = {
        key: _claim(user, activity, capture, minutes=30 if key == "nick" else 45)
        for key, user in people.items()
    }
    return activity, certs


def _numbers(activity, provider_number="12345", course="678901", subject=""):
    Provider.objects.filter(pk=activity.provider_id).update(cebroker_provider_number=provider_number)
    Activity.objects.filter(pk=activity.pk).update(
        cebroker_course_number=course, cebroker_subject_area=subject
    )


def _sheet(content: bytes):
    book = xlrd.open_workbook(file_contents=content)
    assert book.nsheets == 1
    return book, book.sheet_by_index(0)


def test_the_roster_read_back_column_by_column(client, coordinator, setup):
    activity, certs = setup
    _numbers(activity, subject="NUR-GEN")
    mfa_login(client, coordinator)
    response = client.get(reverse("credits:cebroker_roster", args=[activity.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.ms-excel"
    assert (
        response["Content-Disposition"].startswith('attachment; filename="cebroker-')
        and '.xls"' in (response["Content-Disposition"])
    )
    book, sheet = _sheet(response.content)
    rows = []
    for r in range(sheet.nrows):
        cells = sheet.row(r)
        assert len(cells) <= len(COLUMNS)
        row = dict(zip(COLUMNS, cells, strict=False))
        # F: an Excel date cell, shown m/d/yyyy.
        assert row["F"].ctype == xlrd.XL_CELL_DATE
        day = xlrd.xldate_as_datetime(row["F"].value, book.datemode).date()
        # A full-credit row leaves I and J empty (xlrd pads each row to the sheet's width).
        rows.append(
            {
                k: (day if k == "F" else c.value)
                for k, c in row.items()
                if not (k in ("I", "J") and c.ctype == xlrd.XL_CELL_EMPTY)
            }
        )
    completed = certs["nina"].completion_date
    # No header row (the articles show none); A-H for full credit, A-J for partial credit.
    assert rows == [
        {"A": "12345", "B": "678901", "C": "", "D": "", "E": "RN9876543", "F": completed, "G": "State=FL",
         "H": "Profession=RN"},
        {"A": "12345", "B": "678901", "C": "", "D": "", "E": "TX-55", "F": completed, "G": "State=TX",
         "H": "Profession=RN", "I": "NUR-GEN", "J": 0.5},
        {"A": "12345", "B": "678901", "C": "", "D": "", "E": "RPH-1", "F": completed, "G": "State=NY",
         "H": "Profession=RPH"},
        {"A": "12345", "B": "678901", "C": "", "D": "", "E": "PA777", "F": completed, "G": "State=CA",
         "H": "Profession=PA"},
    ]  # fmt: skip
    for row in rows:
        assert not str(row["A"]).startswith("50-") and not str(row["B"]).startswith("20-")


def test_learners_not_exported_are_listed_with_the_reason(client, coordinator, setup):
    activity, _certs = setup
    _numbers(activity)  # no subject area code: Nick's partial credit cannot go
    mfa_login(client, coordinator)
    page = client.get(reverse("credits:cebroker", args=[activity.pk]))
    assert page.status_code == 200
    tree = html.fromstring(page.content)
    skipped = {
        li.text_content().split(" · ")[0]: li.text_content()
        for li in tree.get_element_by_id("cebroker-skipped").iter("li")
    }
    assert set(skipped) == {"Mo Nolicence", "Ola Nonumber", "Ida Abroad", "Nick Partial"}
    assert "no licence recorded" in skipped["Mo Nolicence"]
    assert "licence number missing" in skipped["Ola Nonumber"]
    assert "“Ontario” is not a US state" in skipped["Ida Abroad"]
    assert (
        "partial credit (0.50 of 0.75) needs the course's CE Broker subject area code"
        in skipped["Nick Partial"]
    )
    professions = tree.get_element_by_id("cebroker-professions").text_content()
    assert "Nurse" in professions and "RN" in professions and "ANCC contact hours" in professions
    assert "3 rows to export." in page.content.decode()


def test_a_licence_for_a_credit_the_certificate_lacks_is_not_exported(setup):
    activity, certs = setup
    # Mo (MD) records a nursing licence: his certificate carries AMA credit, not ANCC hours.
    _licence(certs["mo"].claim.learner, Profession.NURSE, "FL", "RN1")
    result = cebroker.roster(activity)
    reason = next(s.reason for s in result.skipped if s.certificate.pk == certs["mo"].pk)
    assert "the certificate carries no ANCC contact hours" in reason
    # A physician's licence exports the AMA credit.
    _licence(certs["mo"].claim.learner, Profession.PHYSICIAN, "fl", "ME123")
    result = cebroker.roster(activity)
    row = next(r for r in result.rows if r.certificate.pk == certs["mo"].pk)
    assert row.cells[4:8] == ["ME123", certs["mo"].completion_date, "State=FL", "Profession=MD"]


def test_the_export_without_numbers_or_rows_is_refused(client, coordinator, setup, interprofessional):
    activity, _certs = setup
    mfa_login(client, coordinator)
    response = client.get(reverse("credits:cebroker_roster", args=[activity.pk]))
    assert response.status_code == 400
    error = html.fromstring(response.content).get_element_by_id("cebroker-error").text_content()
    assert "CE Broker provider tracking number first" in error
    assert "course tracking number first" in error
    # An activity nobody with a licence completed.
    _numbers(activity)
    Licence.objects.all().delete()
    response = client.get(reverse("credits:cebroker_roster", args=[activity.pk]))
    assert response.status_code == 400
    assert (
        "nothing to export"
        in html.fromstring(response.content).get_element_by_id("cebroker-error").text_content()
    )


def test_the_numbers_form_saves_with_an_audit_row(client, coordinator, setup):
    activity, _certs = setup
    mfa_login(client, coordinator)
    url = reverse("credits:cebroker", args=[activity.pk])
    response = client.post(
        url, {"provider_number": "12345", "course_number": "678901", "subject_area": "GEN"}
    )
    assert response.status_code == 302
    activity.refresh_from_db()
    assert (activity.provider.cebroker_provider_number, activity.cebroker_course_number) == (
        "12345",
        "678901",
    )
    event = AuditEvent.objects.get(action="cebroker.numbers_changed")
    assert event.data["changed"]["cebroker_course_number"] == ["", "678901"]
    assert event.data["changed"]["provider.cebroker_provider_number"] == ["", "12345"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"provider_number": "50-12345", "course_number": "1"}, 'without the "50-" in front'),
        ({"provider_number": "1", "course_number": "20-678901"}, 'without the "20-" in front'),
        ({"provider_number": "12a", "course_number": "1"}, "digits only"),
        ({"provider_number": "1", "course_number": "1", "subject_area": "no spaces!"}, "subject area code"),
    ],
)
def test_bad_numbers_are_refused(client, coordinator, setup, data, message):
    activity, _certs = setup
    mfa_login(client, coordinator)
    response = client.post(reverse("credits:cebroker", args=[activity.pk]), data)
    assert response.status_code == 400
    assert message in html.fromstring(response.content).get_element_by_id("cebroker-error").text_content()
    activity.refresh_from_db()
    assert activity.cebroker_course_number == "" and activity.provider.cebroker_provider_number == ""
    assert not AuditEvent.objects.filter(action="cebroker.numbers_changed").exists()


def test_another_providers_coordinator_and_a_learner_are_refused(client, setup):
    activity, _certs = setup
    _numbers(activity)
    other = factories.make_coordinator(factories.make_provider("Other", "other"), "other@example.org")
    mfa_login(client, other)
    assert client.get(reverse("credits:cebroker_roster", args=[activity.pk])).status_code == 404
    assert client.get(reverse("credits:cebroker", args=[activity.pk])).status_code == 404
    posted = client.post(
        reverse("credits:cebroker", args=[activity.pk]), {"provider_number": "9", "course_number": "9"}
    )
    assert posted.status_code == 404
    client.logout()
    client.force_login(factories.make_user("plain@example.org", profile=True))
    assert client.get(reverse("credits:cebroker_roster", args=[activity.pk])).status_code == 403
    activity.refresh_from_db()
    assert (
        activity.cebroker_course_number == "678901" and activity.provider.cebroker_provider_number == "12345"
    )


def test_the_activity_page_links_the_roster(client, coordinator, setup):
    activity, _certs = setup
    mfa_login(client, coordinator)
    page = client.get(reverse("credits:coordinator_activity", args=[activity.pk])).content.decode()
    assert reverse("credits:cebroker", args=[activity.pk]) in page


@pytest.mark.parametrize(
    ("raw", "code"),
    [("FL", "FL"), ("fl", "FL"), ("Florida", "FL"), (" new  york ", "NY"), ("Ontario", None), ("ABIM", None),
     ("", None)],
)  # fmt: skip
def test_state_codes(raw, code):
    assert cebroker.state_code(raw) == code


def test_a_period_limits_the_roster(client, coordinator, setup):
    activity, certs = setup
    _numbers(activity, subject="NUR-GEN")
    day = certs["nina"].completion_date
    Certificate.objects.filter(pk=certs["nina"].pk).update(completion_date=day - datetime.timedelta(days=40))
    mfa_login(client, coordinator)
    period = {"start": (day - datetime.timedelta(days=7)).isoformat(), "end": day.isoformat()}
    page = client.get(reverse("credits:cebroker", args=[activity.pk]), period)
    assert page.status_code == 200
    link = html.fromstring(page.content).xpath("//a[@download]/@href")[0]
    assert link.endswith(f"?start={period['start']}&end={period['end']}")
    response = client.get(reverse("credits:cebroker_roster", args=[activity.pk]), period)
    _book, sheet = _sheet(response.content)
    licences = [sheet.cell_value(r, COLUMNS.index("E")) for r in range(sheet.nrows)]
    assert licences == ["TX-55", "RPH-1", "PA777"]  # Nina completed 40 days ago


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ({"start": "2026-13-01", "end": "2026-12-31"}, "Enter a valid date"),
        ({"start": "2026-12-31", "end": "2026-01-01"}, "before its start"),
        ({"start": "2026-01-01"}, "This field is required"),
    ],
)
def test_a_bad_period_is_refused(client, coordinator, setup, period, message):
    activity, _certs = setup
    _numbers(activity)
    mfa_login(client, coordinator)
    for name in ("credits:cebroker_roster", "credits:cebroker"):
        response = client.get(reverse(name, args=[activity.pk]), period)
        assert response.status_code == 400
        assert message in html.fromstring(response.content).get_element_by_id("cebroker-error").text_content()
