"""ACPE credit to CPE Monitor (issue 13 item 5): the batch file read back and checked field by field
against tests/credits/fixtures/cpe_monitor_fields.json (with its sources), the batch cycle (report,
revoke one, correct one, report again), pre-validation, the 60-day deadline, and every bad input."""

import datetime
import json
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

import pytest
from django.urls import reverse
from lxml import html

from accounts.models import Degree
from audit.models import AuditEvent
from credits import certificates, cpe_monitor, services
from credits.certificates import certificate_revoke
from credits.models import ActivityVersion, Certificate, CpeMonitorBatch, CpeMonitorReport
from testkit import factories
from testkit.mfa import mfa_login

pytestmark = pytest.mark.django_db

SPEC = json.loads((Path(__file__).parent / "fixtures" / "cpe_monitor_fields.json").read_text())
FIELDS = [f["name"] for f in SPEC["fields"]]
UAN = factories.UAN


def _pharmacist(email, *, epid="1234567", birth=(3, 9), name=("Phoebe", "Rx")):
    user = factories.make_user(email, profile=True)
    profile = user.profile
    profile.degree = Degree.PHARMD
    profile.nabp_eprofile_id = epid
    profile.birth_month, profile.birth_day = birth
    profile.given_name, profile.family_name = name
    profile.save()
    return user


def _claim(user, activity, capture, minutes=45):
    factories.pass_and_evaluate(user, activity)
    with capture(execute=True):
        claim = services.claim_credit(learner=user, activity=activity, minutes=minutes, attested=True)
    return Certificate.objects.get(claim=claim)


@pytest.fixture
def setup(acpe_activity, django_capture_on_commit_callbacks):
    """Three pharmacists with ACPE credit (ann, ben, cat) and a physician (no ACPE: never a row)."""
    capture = django_capture_on_commit_callbacks
    ann = _pharmacist("ann@example.org", epid="123456", name=("Ann", "A"))
    ben = _pharmacist("ben@example.org", epid="7654321", birth=(12, 31), name=("Ben", "B"))
    cat = _pharmacist("cat@example.org", epid="1112223", name=("Cat", "C"))
    certs = {
        "ann": _claim(ann, acpe_activity, capture),
        "ben": _claim(ben, acpe_activity, capture, minutes=30),
        "cat": _claim(cat, acpe_activity, capture),
    }
    doc = factories.make_user("doc@example.org", profile=True)
    _claim(doc, acpe_activity, capture)
    return acpe_activity, certs


def _records(body: bytes) -> tuple[ElementTree.Element, list[dict[str, str]]]:
    root = ElementTree.fromstring(body)
    records = []
    for record in root.findall(SPEC["file"]["record_path"]):
        assert [child.tag for child in record] == FIELDS  # every field, in the documented order
        records.append({child.tag: child.text or "" for child in record})
    return root, records


def _page(client, slug="sot"):
    return client.get(reverse("credits:cpe_monitor", args=[slug]))


def _send(client):
    response = client.post(reverse("credits:cpe_monitor_batch_create", args=["sot"]))
    assert response.status_code == 302, response.content.decode()[:2000]
    batch = CpeMonitorBatch.objects.filter(kind="file").latest("pk")
    download = client.get(reverse("credits:cpe_monitor_batch_xml", args=["sot", batch.pk]))
    assert download.status_code == 200
    assert download["Content-Type"].startswith("application/xml")
    assert download["Content-Disposition"].endswith(f'_{batch.pk}.xml"')
    return batch, *_records(download.content)


def _states(client) -> list[list[str]]:
    tree = html.fromstring(_page(client).content)
    return [
        [td.text_content().strip() for td in tr.iter("td")]
        for tr in tree.get_element_by_id("cpe-states").iter("tr")
        if tr.find("td") is not None
    ]


def _check_again(client):
    """Press "Check again now": the page reads a snapshot (credits/cpe_snapshot.py), checked again at once
    after an audited change but after a minute, or on this button, after a change without one."""
    response = client.post(reverse("credits:cpe_monitor", args=["sot"]))
    assert response.status_code == 302


def test_the_file_read_back_field_by_field(client, coordinator, setup):
    activity, certs = setup
    mfa_login(client, coordinator)
    _batch, root, records = _send(client)
    assert root.tag == SPEC["file"]["root"]
    assert [child.tag for child in root][:2] == SPEC["file"]["header_elements"]
    assert root.findtext("ProviderID") == "JA0000123"
    day = certs["ann"].completion_date.strftime("%m/%d/%Y")
    assert records == [
        {"UAN": UAN, "ePID": "123456", "DOB": "0309", "ParticipationDate": day, "ParticipantType": "P",
         "ContactHours": "0.5"},
        {"UAN": UAN, "ePID": "7654321", "DOB": "1231", "ParticipationDate": day, "ParticipantType": "P",
         "ContactHours": "0.5"},
        {"UAN": UAN, "ePID": "1112223", "DOB": "0309", "ParticipationDate": day, "ParticipantType": "P",
         "ContactHours": "0.5"},
    ]  # fmt: skip
    audit = AuditEvent.objects.filter(action="cpe_monitor.batch_created").get()
    assert audit.data["adds"] == [certs["ann"].pk, certs["ben"].pk, certs["cat"].pk]


def test_the_batch_cycle_report_revoke_correct_report_again(
    client, coordinator, setup, acpe_activity, django_capture_on_commit_callbacks
):
    activity, certs = setup
    mfa_login(client, coordinator)
    first_batch, _root, first = _send(client)
    assert len(first) == 3
    assert _states(client)[0][1:4] == ["3", "0", "0"]  # reported, pending, needs correction
    # Nothing new: refused with a message, nothing written.
    refused = client.post(reverse("credits:cpe_monitor_batch_create", args=["sot"]))
    assert refused.status_code == 400 and "Nothing new to send" in refused.content.decode()
    assert CpeMonitorBatch.objects.count() == 1

    # Revoke Ann's credit, correct Ben's completion date, and a new pharmacist completes.
    certificate_revoke(certificate=certs["ann"], actor=coordinator, reason="Did not take part")
    earlier = certs["ben"].completion_date - datetime.timedelta(days=2)
    certificates.certificate_reissue(
        certificate=certs["ben"], actor=coordinator, reason="Date misreported", completion_date=earlier
    )
    dan_user = _pharmacist("dan@example.org", epid="5556667", name=("Dan", "D"))
    dan = _claim(dan_user, acpe_activity, django_capture_on_commit_callbacks)
    page = _page(client).content.decode()
    assert "The next file holds 1 new completion." in page
    corrections = html.fromstring(page).get_element_by_id("cpe-corrections").text_content()
    assert "remove this completion (credit revoked)" in corrections
    assert (
        f"Participation date {first[1]['ParticipationDate']} → {earlier.strftime('%m/%d/%Y')}" in corrections
    )
    assert _states(client)[0][1:4] == ["1", "1", "2"]

    # The second file holds exactly the new completion: CPE Monitor files have no delete or change row.
    _second_batch, _root, second = _send(client)
    assert [r["ePID"] for r in second] == ["5556667"]
    assert Certificate.objects.get(pk=dan.pk)
    assert CpeMonitorReport.objects.filter(batch=first_batch).count() == 3
    # The coordinator corrects both by hand in CPE Monitor and records it.
    response = client.post(
        reverse("credits:cpe_monitor_corrections", args=["sot"]),
        {"certificates": [certs["ann"].pk, certs["ben"].pk]},
    )
    assert response.status_code == 302
    manual = CpeMonitorBatch.objects.get(kind="manual")
    assert {(r.certificate_id, r.action) for r in manual.reports.all()} == {
        (certs["ann"].pk, "removed"),
        (certs["ben"].pk, "corrected"),
    }
    assert _states(client)[0][1:4] == ["3", "0", "0"]
    text = _page(client).content.decode()
    assert "Nothing to correct." in text and "The next file holds 0 new completions." in text
    # A manual record has no file.
    assert client.get(reverse("credits:cpe_monitor_batch_xml", args=["sot", manual.pk])).status_code == 404


def test_pre_validation_lists_learners_and_holds_them_back(client, coordinator, acpe_activity,
                                                           django_capture_on_commit_callbacks):  # fmt: skip
    capture = django_capture_on_commit_callbacks
    good = _claim(_pharmacist("good@example.org", name=("Good", "G")), acpe_activity, capture)
    bad = _pharmacist("bad@example.org", name=("Bad", "Epid"))
    cert_bad = _claim(bad, acpe_activity, capture)
    # The profile changed after the claim (the claim checked it): malformed id, no birth day.
    bad.profile.__class__.objects.filter(pk=bad.profile.pk).update(nabp_eprofile_id="12ab", birth_day=None)
    mfa_login(client, coordinator)
    page = _page(client)
    problems = html.fromstring(page.content).get_element_by_id("cpe-problems").text_content()
    assert "Bad Epid" in problems
    assert "the NABP e-Profile ID must be 6 or 7 digits" in problems
    assert "birth month and day missing" in problems
    assert "Good G" not in problems
    _batch, _root, records = _send(client)
    assert [r["ePID"] for r in records] == ["1234567"]
    assert not CpeMonitorReport.objects.filter(certificate=cert_bad).exists()
    assert good.pk in set(CpeMonitorReport.objects.values_list("certificate_id", flat=True))
    assert _states(client)[0][1:3] == ["1", "1"]  # the held-back row stays pending


def test_the_deadline_is_shown_and_highlighted(client, coordinator, setup):
    _activity, certs = setup
    mfa_login(client, coordinator)
    completed = certs["ann"].completion_date
    due = completed + datetime.timedelta(days=60)
    row = _states(client)[0]
    assert row[4] == due.strftime("%B %-d, %Y")  # the product's one date format
    # 50 days later the deadline is near; 61 days later it has passed.
    Certificate.objects.filter(pk__in=[c.pk for c in certs.values()]).update(
        completion_date=completed - datetime.timedelta(days=50)
    )
    _check_again(client)  # a bulk edit writes no audit row: the page's snapshot waits for this
    tree = html.fromstring(_page(client).content)
    row = tree.get_element_by_id("cpe-states").find(".//tbody/tr")
    assert row.get("data-urgency") == "near" and "due soon" in row.text_content()
    Certificate.objects.filter(pk__in=[c.pk for c in certs.values()]).update(
        completion_date=completed - datetime.timedelta(days=61)
    )
    _check_again(client)  # a bulk edit writes no audit row: the page's snapshot waits for this
    tree = html.fromstring(_page(client).content)
    row = tree.get_element_by_id("cpe-states").find(".//tbody/tr")
    assert row.get("data-urgency") == "past" and "past, ACPE no longer accepts it" in row.text_content()
    assert cpe_monitor.deadline(completed) == due


def test_an_activity_without_uan_refuses_the_export(client, coordinator, setup):
    activity, certs = setup
    version = ActivityVersion.objects.get(pk=certs["ann"].version_id)
    content = dict(version.content)
    content["credits"] = [dict(offer, uan="") for offer in content["credits"]]
    ActivityVersion.objects.filter(pk=version.pk).update(content=content)
    mfa_login(client, coordinator)
    response = client.post(reverse("credits:cpe_monitor_batch_create", args=["sot"]))
    assert response.status_code == 400
    error = html.fromstring(response.content).get_element_by_id("cpe-error").text_content()
    assert "The CPE Monitor file cannot be made" in error and "has no UAN" in error
    assert not CpeMonitorBatch.objects.exists()
    assert not AuditEvent.objects.filter(action="cpe_monitor.batch_created").exists()


def test_another_providers_coordinator_and_a_learner_are_refused(client, coordinator, setup):
    _activity, _certs = setup
    mfa_login(client, coordinator)
    batch, _root, _records_sent = _send(client)
    client.logout()
    other = factories.make_coordinator(factories.make_provider("Other", "other"), "other@example.org")
    mfa_login(client, other)
    assert _page(client).status_code == 404
    assert client.post(reverse("credits:cpe_monitor_batch_create", args=["sot"])).status_code == 404
    assert client.get(reverse("credits:cpe_monitor_batch_xml", args=["sot", batch.pk])).status_code == 404
    assert client.get(reverse("credits:cpe_monitor_batch_xml", args=["other", batch.pk])).status_code == 404
    assert (
        client.post(
            reverse("credits:cpe_monitor_corrections", args=["sot"]), {"certificates": [1]}
        ).status_code
        == 404
    )
    client.logout()
    learner = factories.make_user("plain@example.org", profile=True)
    client.force_login(learner)
    assert _page(client).status_code == 403
    assert client.post(reverse("credits:cpe_monitor_batch_create", args=["sot"])).status_code == 403
    assert CpeMonitorBatch.objects.count() == 1


def test_a_correction_that_is_not_needed_is_refused(client, coordinator, setup):
    _activity, certs = setup
    mfa_login(client, coordinator)
    _send(client)
    url = reverse("credits:cpe_monitor_corrections", args=["sot"])
    for data in ({}, {"certificates": ["x"]}, {"certificates": [certs["ann"].pk]}):
        response = client.post(url, data)
        assert response.status_code == 400
        error = html.fromstring(response.content).get_element_by_id("cpe-error").text_content()
        assert "Tick the corrections" in error or "need no correction" in error
    assert not CpeMonitorBatch.objects.filter(kind="manual").exists()


def test_the_coordinator_pages_link_the_exports(client, coordinator, setup):
    activity, _certs = setup
    mfa_login(client, coordinator)
    dashboard = client.get(reverse("credits:coordinator_dashboard")).content.decode()
    assert reverse("credits:cpe_monitor", args=["sot"]) in dashboard
    assert reverse("credits:cebroker", args=[activity.pk]) in _page(client).content.decode()


def test_hours_follow_the_current_revision(setup):
    _activity, certs = setup
    row = next(
        r
        for r in cpe_monitor.rows(certs["ann"].claim.activity.provider)
        if r.certificate.pk == certs["ben"].pk
    )
    assert row.cells["ContactHours"] == "0.5"  # 30 minutes: 0.5, the ACPE designation
    assert Decimal(certs["ben"].other_credits[0]["amount"]) == Decimal("0.5")


def test_a_profile_edit_after_sending(client, coordinator, setup):
    """A malformed edit does not become a correction (the record sent stays); a new valid NABP
    e-Profile ID does, to be changed by hand."""
    _activity, certs = setup
    mfa_login(client, coordinator)
    _send(client)
    profile = certs["ann"].claim.learner.profile
    type(profile).objects.filter(pk=profile.pk).update(nabp_eprofile_id="12")
    _check_again(client)
    assert "Nothing to correct." in _page(client).content.decode()
    assert _states(client)[0][1:4] == ["3", "0", "0"]
    type(profile).objects.filter(pk=profile.pk).update(nabp_eprofile_id="6543210")
    _check_again(client)
    corrections = html.fromstring(_page(client).content).get_element_by_id("cpe-corrections").text_content()
    assert "NABP e-Profile ID 123456 → 6543210" in corrections


def test_a_provider_without_acpe_completions(client, coordinator, provider):
    mfa_login(client, coordinator)
    page = _page(client)
    assert page.status_code == 200 and "No credited ACPE completions yet." in page.content.decode()
    response = client.post(reverse("credits:cpe_monitor_batch_create", args=["sot"]))
    assert response.status_code == 400
    assert (
        "Nothing new to send"
        in html.fromstring(response.content).get_element_by_id("cpe-error").text_content()
    )
    assert not CpeMonitorBatch.objects.exists()
