"""Records that never contradict each other (issue 12, findings 1, 6 and 8).

One rule for credit: every total, transcript, report and export derives from the certificate's
current revision and status. Revoked credit leaves them all (a history may show it as revoked); a
correction (a new revision) reaches every one of them; the completion date is decided once, at
issue, in the provider's time zone, and every page and file shows that date.
"""

import csv
import datetime
import html
import io
import re
import zoneinfo
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from credits import certificates
from credits.errors import CreditError
from credits.models import Certificate, CertificateRevision
from testkit.factories import claim_and_issue, make_user, pass_and_evaluate
from testkit.mfa import mfa_login
from testkit.pdf import pdf_text, printed, stored_bytes

pytestmark = pytest.mark.django_db

NPI = "1234567893"


def _consent(user, **extra) -> None:
    profile = user.profile
    profile.board_sharing_consent = True
    profile.board_sharing_consent_at = timezone.now()
    profile.birth_month, profile.birth_day = 3, 7
    for name, value in extra.items():
        setattr(profile, name, value)
    profile.save()


def _my_learning_total(client) -> Decimal:
    """My learning's AMA PRA Category 1 total (its totals are per credit type)."""
    totals = client.get(reverse("credits:my_learning")).context["totals"]
    return sum((t.credits for t in totals if t.credit_type == "ama_pra_1"), Decimal(0))


def _learner_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _coordinator_client(coordinator) -> Client:
    client = Client()
    mfa_login(client, coordinator)
    return client


def _csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.getvalue()[:500]
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.getvalue().decode("utf-8-sig"))))  # streamed


def _today(provider) -> datetime.date:
    return timezone.localtime(timezone.now(), zoneinfo.ZoneInfo(provider.time_zone)).date()


@pytest.fixture
def two(learner, activity, evaluated, coordinator, django_capture_on_commit_callbacks):
    """Ada (the fixture learner, 30 minutes: 0.5 credit) and Grace (45 minutes: 0.75), both MDs who
    consented to board reporting, each with an issued certificate."""
    grace = make_user("grace@example.org", profile=True)
    grace.profile.given_name, grace.profile.family_name = "Grace", "Hopper"
    grace.profile.save()
    _consent(learner, npi=NPI)
    _consent(grace, abim_id="555")
    ada_certificate = claim_and_issue(learner, activity, django_capture_on_commit_callbacks, minutes=30)
    pass_and_evaluate(grace, activity)
    grace_certificate = claim_and_issue(grace, activity, django_capture_on_commit_callbacks, minutes=45)
    return {
        "activity": activity,
        "ada": learner,
        "grace": grace,
        "ada_certificate": ada_certificate,
        "grace_certificate": grace_certificate,
        "coordinator": coordinator,
    }


def _revoke_ada(two, capture) -> Certificate:
    with capture(execute=True):
        return certificates.certificate_revoke(
            certificate=two["ada_certificate"], actor=two["coordinator"], reason="Internal: claimed twice"
        )


def _pars_learner_rows(client, provider, activity) -> list[list[str]]:
    """The PARS learner file (Learner Template B, tab-delimited, no header) for the last three days.
    The retired board report's address leads to it (tests/credits/test_reports.py)."""
    if not activity.pars_activity_id:
        activity.pars_activity_id = "12345678"
        activity.save(update_fields=["pars_activity_id"])
    today = _today(provider)
    url = reverse("credits:pars_learners_txt", args=[provider.slug])
    response = client.get(url, {"start": today - datetime.timedelta(days=3), "end": today})
    assert response.status_code == 200
    return [line.split("\t") for line in response.content.decode().splitlines() if line]


def _activity_csv(client, activity) -> list[dict[str, str]]:
    return _csv(client.get(reverse("credits:activity_report_csv", args=[activity.pk])))


# --- Finding 1: revoked credit leaves every total, transcript, report and export --------------------


def test_revoked_credit_leaves_the_pars_learner_file(two, provider, django_capture_on_commit_callbacks):
    client = _coordinator_client(two["coordinator"])
    activity = two["activity"]
    assert {r[3] for r in _pars_learner_rows(client, provider, activity)} == {"Lovelace", "Hopper"}
    _revoke_ada(two, django_capture_on_commit_callbacks)

    assert [r[3] for r in _pars_learner_rows(client, provider, activity)] == ["Hopper"]


def test_revoked_credit_leaves_the_learners_transcript_page_csv_and_pdf(
    two, django_capture_on_commit_callbacks
):
    title = two["activity"].title
    client = _learner_client(two["ada"])
    before = client.get(reverse("credits:transcript"))
    assert [t.credits for t in before.context["transcript"].totals] == [Decimal("0.5")]
    _revoke_ada(two, django_capture_on_commit_callbacks)

    page = client.get(reverse("credits:transcript"))
    assert page.context["transcript"].totals == []
    assert page.context["transcript"].rows == []
    body = page.content.decode()
    # The history shows it, marked revoked and outside the totals.
    assert "Revoked" in body and html.escape(title) in body
    assert two["ada_certificate"].number in body

    rows = list(
        csv.reader(io.StringIO(client.get(reverse("credits:transcript_csv")).getvalue().decode("utf-8-sig")))
    )
    assert rows[1:] == []
    text = pdf_text(client.get(reverse("credits:transcript_pdf")).content)
    assert title not in text and "0.5" not in text
    assert "No credits in this period." in text


def test_revoked_credit_leaves_my_learning_total(two, django_capture_on_commit_callbacks):
    client = _learner_client(two["ada"])
    before = client.get(reverse("credits:my_learning"))
    assert [(t.credit_type, t.credits) for t in before.context["totals"]] == [("ama_pra_1", Decimal("0.5"))]
    assert '<td data-total="ama_pra_1">0.5</td>' in before.content.decode()
    _revoke_ada(two, django_capture_on_commit_callbacks)

    page = client.get(reverse("credits:my_learning"))
    assert page.context["totals"] == []
    body = page.content.decode()
    assert "Revoked" in body
    assert 'data-total="ama_pra_1"' not in body
    assert '<td data-total="none">0.0</td>' in body


def test_revoked_credit_leaves_the_activity_report_and_its_csv(two, django_capture_on_commit_callbacks):
    client = _coordinator_client(two["coordinator"])
    activity = two["activity"]
    _revoke_ada(two, django_capture_on_commit_callbacks)

    report = client.get(reverse("credits:activity_report", args=[activity.pk])).context["report"]
    assert report.claims == 1 and report.credits_total == Decimal("0.75")
    assert [(r["credit_type"], r["n"], r["total"]) for r in report.by_credit_type] == [
        ("ama_pra_1", 1, Decimal("0.75"))
    ]
    assert sum(n for _month, n in report.claims_by_month) == 1
    assert report.revoked == 1
    rows = _activity_csv(client, activity)
    assert [r["Email"] for r in rows] == ["grace@example.org"]


def test_a_certificate_whose_pdf_is_not_rendered_yet_still_counts(
    learner, activity, evaluated, coordinator, provider, django_capture_on_commit_callbacks
):
    """The claim is valid the moment it commits: only the PDF is late."""
    from credits import services

    _consent(learner, npi=NPI)
    with django_capture_on_commit_callbacks(execute=False):  # no render runs
        claim = services.claim_credit(learner=learner, activity=activity, minutes=45, attested=True)
    certificate = Certificate.objects.get(claim=claim)
    assert certificate.status == Certificate.Status.PENDING and not certificate.pdf
    learner_client = _learner_client(learner)
    assert _my_learning_total(learner_client) == Decimal("0.75")
    totals = learner_client.get(reverse("credits:transcript")).context["transcript"].totals
    assert [t.credits for t in totals] == [Decimal("0.75")]
    client = _coordinator_client(coordinator)
    assert [r[3] for r in _pars_learner_rows(client, provider, activity)] == ["Lovelace"]
    assert len(_activity_csv(client, activity)) == 1


# --- Finding 8: a correction reaches every derived record ------------------------------------------


def test_correcting_the_credits_reaches_every_page_and_export(
    two, provider, django_capture_on_commit_callbacks
):
    ada, certificate = two["ada"], two["ada_certificate"]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        corrected = certificates.certificate_reissue(
            certificate=certificate,
            actor=two["coordinator"],
            reason="Claimed 30, listened 15",
            credits="0.25",
        )
    assert corrected.revision == 2 and corrected.credits == Decimal("0.25")
    assert corrected.code == certificate.code
    kept = CertificateRevision.objects.get(certificate=certificate)
    assert kept.revision == 1 and kept.fields["credits"] == "0.5"
    event = AuditEvent.objects.get(action="certificate.reissued", object_id=str(certificate.pk))
    assert event.data["changed"]["credits"] == ["0.5", "0.25"]
    assert event.data["reason"] == "Claimed 30, listened 15"
    # The learner is emailed about the correction (through the outbox).
    assert any("corrected" in m.subject.lower() and m.to == [ada.email] for m in mail.outbox)

    coordinator = _coordinator_client(two["coordinator"])
    board = {r[3]: r[8] for r in _pars_learner_rows(coordinator, provider, two["activity"])}  # CME Credits
    assert board == {"Lovelace": "0.25", "Hopper": "0.75"}
    activity_rows = {r["Email"]: r["Credits"] for r in _activity_csv(coordinator, two["activity"])}
    assert activity_rows == {ada.email: "0.25", "grace@example.org": "0.75"}
    report = coordinator.get(reverse("credits:activity_report", args=[two["activity"].pk])).context["report"]
    assert report.credits_total == Decimal("1.00")

    client = _learner_client(ada)
    assert _my_learning_total(client) == Decimal("0.25")
    transcript_csv = list(
        csv.reader(io.StringIO(client.get(reverse("credits:transcript_csv")).getvalue().decode("utf-8-sig")))
    )
    assert [row[3] for row in transcript_csv[1:]] == ["0.25"]
    assert "0.25" in pdf_text(client.get(reverse("credits:transcript_pdf")).content)
    data = Client().get(reverse("credits:verify_json", args=[certificate.code])).json()
    assert data["credits"] == "0.25" and data["revision"] == 2
    assert "0.25" in pdf_text(stored_bytes(Certificate.objects.get(pk=certificate.pk)))


def test_correcting_the_completion_date_reaches_every_page_and_export(
    two, provider, django_capture_on_commit_callbacks
):
    ada, certificate = two["ada"], two["ada_certificate"]
    day = _today(provider) - datetime.timedelta(days=2)
    with django_capture_on_commit_callbacks(execute=True):
        certificates.certificate_reissue(
            certificate=certificate,
            actor=two["coordinator"],
            reason="Completed on paper",
            completion_date=day,
        )
    coordinator = _coordinator_client(two["coordinator"])
    board = {
        r[3]: r[7] for r in _pars_learner_rows(coordinator, provider, two["activity"])
    }  # Completion Date
    assert board["Lovelace"] == day.strftime("%m/%d/%Y")
    activity_rows = {r["Email"]: r for r in _activity_csv(coordinator, two["activity"])}
    assert (
        next(v for k, v in activity_rows[ada.email].items() if k.startswith("Completed on"))
        == day.isoformat()
    )
    client = _learner_client(ada)
    assert [r.date for r in client.get(reverse("credits:transcript")).context["transcript"].rows] == [day]
    assert printed(day) in client.get(reverse("credits:my_learning")).content.decode()
    data = Client().get(reverse("credits:verify_json", args=[certificate.code])).json()
    assert data["completion_date"] == day.isoformat()
    assert printed(day) in pdf_text(stored_bytes(Certificate.objects.get(pk=certificate.pk)))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"credits": "0.3"}, "quarter"),
        ({"credits": "0"}, "at least 0.25"),
        ({"credits": "0.00"}, "at least 0.25"),
        ({"credits": "-1"}, "at least 0.25"),
        ({"credits": "1.0"}, "designated maximum"),
        ({"credits": "lots"}, "number"),
        ({"completion_date": "future"}, "future"),
        ({"completion_date": "before_release"}, "release"),
        ({"credits": "0.25", "reason": "  "}, "reason"),
        ({"credits": "0.5"}, "already"),
    ],
)
def test_bad_corrections_are_refused_with_a_clear_message_and_write_nothing(two, provider, changes, message):
    certificate = two["ada_certificate"]
    changes = dict(changes)
    if changes.get("completion_date") == "future":
        changes["completion_date"] = _today(provider) + datetime.timedelta(days=1)
    elif changes.get("completion_date") == "before_release":
        changes["completion_date"] = two["activity"].release_date - datetime.timedelta(days=1)
    reason = changes.pop("reason", "Correction")
    events = AuditEvent.objects.count()
    with pytest.raises(CreditError, match=message):
        certificates.certificate_reissue(
            certificate=certificate, actor=two["coordinator"], reason=reason, **changes
        )
    certificate.refresh_from_db()
    assert certificate.revision == 1 and certificate.credits == Decimal("0.5")
    assert not CertificateRevision.objects.exists() and AuditEvent.objects.count() == events


def test_bad_corrections_through_the_page_are_a_400_with_the_message(two):
    client = _coordinator_client(two["coordinator"])
    certificate = two["ada_certificate"]
    url = reverse("credits:coordinator_reissue", args=[certificate.pk])
    base = {
        "learner_name": certificate.learner_name,
        "degree": certificate.degree,
        "completion_date": certificate.completion_date.isoformat(),
        "reason": "Correction",
        "confirm": "on",
        "step": "confirm",
    }
    for credits, message in [("0.3", "quarter"), ("0", "at least 0.25"), ("9", "designated maximum")]:
        response = client.post(url, {**base, "credits": credits})
        assert response.status_code == 400 and message in response.content.decode()
    future = (timezone.now() + datetime.timedelta(days=3)).date().isoformat()
    response = client.post(url, {**base, "credits": "0.5", "completion_date": future})
    assert response.status_code == 400 and "future" in response.content.decode()
    certificate.refresh_from_db()
    assert certificate.revision == 1 and not CertificateRevision.objects.exists()


def test_another_providers_coordinator_cannot_correct_or_see_the_certificate(two, make_user):
    from credits.models import Provider, ProviderCoordinator

    other = make_user("other-coord@example.org")
    ProviderCoordinator.objects.create(
        provider=Provider.objects.create(name="Other", slug="other"), user=other
    )
    client = _coordinator_client(other)
    certificate = two["ada_certificate"]
    data = {"credits": "0.25", "reason": "x", "confirm": "on", "step": "confirm"}
    assert client.post(reverse("credits:coordinator_reissue", args=[certificate.pk]), data).status_code == 404
    with pytest.raises(CreditError):
        certificates.certificate_reissue(certificate=certificate, actor=other, reason="x", credits="0.25")
    certificate.refresh_from_db()
    assert certificate.revision == 1


# --- The public verification page: revoked and when, not the internal reason ----------------------


def test_verification_of_a_revoked_certificate_has_the_date_not_the_reason(
    two, provider, django_capture_on_commit_callbacks
):
    certificate = _revoke_ada(two, django_capture_on_commit_callbacks)
    code = certificates.code_display(certificate.code)
    data = Client().get(reverse("credits:verify_json", args=[code])).json()
    assert data["status"] == "revoked"
    revoked_at = datetime.datetime.fromisoformat(data["revoked_at"])
    assert revoked_at == certificate.revoked_at
    assert (
        data["revoked_on"]
        == timezone.localtime(certificate.revoked_at, zoneinfo.ZoneInfo(provider.time_zone))
        .date()
        .isoformat()
    )
    assert "revoked_reason" not in data
    assert "claimed twice" not in str(data)
    body = html.unescape(Client().get(reverse("credits:verify", args=[code])).content.decode())
    assert "was revoked on" in body
    assert "claimed twice" not in body and "Reason" not in body


# --- Completion dates are decided once, in the provider's time zone -------------------------------


def test_every_page_and_export_shows_the_completion_date_decided_at_issue(
    learner, activity, evaluated, coordinator, provider, django_capture_on_commit_callbacks
):
    """A provider far from UTC: its date differs from UTC's today, and every record shows its date."""
    now = timezone.now()
    provider.time_zone = "Pacific/Kiritimati" if now.hour >= 10 else "Pacific/Pago_Pago"
    provider.save()
    local_day = timezone.localtime(now, zoneinfo.ZoneInfo(provider.time_zone)).date()
    assert local_day != now.date()
    _consent(learner, npi=NPI)
    certificate = claim_and_issue(learner, activity, django_capture_on_commit_callbacks, minutes=45)
    assert certificate.completion_date == local_day

    client = _learner_client(learner)
    my_learning = client.get(reverse("credits:my_learning")).content.decode()
    assert printed(local_day) in my_learning
    assert printed(now.date()) not in my_learning
    assert [r.date for r in client.get(reverse("credits:transcript")).context["transcript"].rows] == [
        local_day
    ]
    # The claim page shows the same date, and the moment of the claim with its time zone.
    claim_page = client.get(reverse("credits:claim", args=[activity.pk])).content.decode()
    # (The moment of the claim is written in the same date format, in the learner's zone: UTC's day.)
    assert f"Completed on</dt><dd>{printed(local_day)}</dd>" in claim_page
    assert f"Completed on</dt><dd>{printed(now.date())}</dd>" not in claim_page
    # Django's time format: "3:07 p.m.", "11 a.m." on the hour, "noon", "midnight".
    assert re.search(r"(\d{1,2}(:\d{2})?\s*[ap]\.m\.|\d{1,2}:\d{2}|noon|midnight)\s*UTC", claim_page)
    transcript_csv = list(
        csv.reader(io.StringIO(client.get(reverse("credits:transcript_csv")).getvalue().decode("utf-8-sig")))
    )
    assert transcript_csv[1][0] == local_day.isoformat()

    coordinator_client = _coordinator_client(coordinator)
    rows = _pars_learner_rows(coordinator_client, provider, activity)
    assert [r[7] for r in rows] == [local_day.strftime("%m/%d/%Y")]  # Completion Date
    activity_row = _activity_csv(coordinator_client, activity)[0]
    assert next(v for k, v in activity_row.items() if k.startswith("Completed on")) == local_day.isoformat()
    data = Client().get(reverse("credits:verify_json", args=[certificate.code])).json()
    assert data["completion_date"] == local_day.isoformat()
    assert printed(local_day) in pdf_text(stored_bytes(certificate))


# --- Claims from before certificates existed ---------------------------------------------------------


def test_a_claim_without_a_certificate_is_listed_and_issued_by_repair_certificates(
    learner, activity, passed, evaluated, provider, django_capture_on_commit_callbacks
):
    """Credit is the certificate's: a claim written before certificates existed counts nowhere until
    ``repair_certificates --execute`` issues its certificate (dated the day of the claim)."""
    from io import StringIO

    from django.core.management import call_command

    from credits.models import CreditClaim

    claimed_at = timezone.now() - datetime.timedelta(days=3)
    claim = CreditClaim.objects.create(
        learner=learner,
        activity=activity,
        version=passed.version,
        attempt=passed,
        evaluation=evaluated,
        minutes_reported=45,
        credits=Decimal("0.75"),
        credit_type="ama_pra_1",
        degree="MD",
        attested=True,
        claimed_at=claimed_at,
    )
    client = _learner_client(learner)
    assert _my_learning_total(client) == 0

    out = StringIO()
    call_command("repair_certificates", stdout=out)
    assert f"claim {claim.pk} [{provider.name}]: no certificate" in out.getvalue()
    assert "Dry run" in out.getvalue() and not Certificate.objects.exists()

    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("repair_certificates", "--execute", stdout=out)
    certificate = Certificate.objects.get(claim=claim)
    assert f"certificate {certificate.number} issued" in out.getvalue()
    assert (
        certificate.completion_date
        == timezone.localtime(claimed_at, zoneinfo.ZoneInfo(provider.time_zone)).date()
    )
    assert certificate.status == Certificate.Status.ISSUED and certificate.pdf
    assert _my_learning_total(client) == Decimal("0.75")
    out = StringIO()
    call_command("repair_certificates", stdout=out)
    assert "Nothing to repair" in out.getvalue()
