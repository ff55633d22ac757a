"""The demo `make run` seeds (issue 13, "Done when"): a jointly accredited provider whose demo activity
offers AMA, ANCC and ACPE credit and is registered for ABA and ABIM MOC, a nurse and a pharmacist who
have claimed it, and `demo_info` saying where the PARS, CPE Monitor and CE Broker files are."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import LearnerProfile, Licence, Profession, User
from audit.models import AuditEvent
from credits import cebroker, cpe_monitor, credit_types, versions
from credits.audit_actions import CreditAction
from credits.models import (
    Activity,
    ActivityCredit,
    ActivityVersion,
    Certificate,
    ClaimedCredit,
    CreditClaim,
    Provider,
)
from testkit.mfa import mfa_login

pytestmark = pytest.mark.django_db

DEMO_EPISODE = "pocus-for-the-airway"


def _counts() -> tuple[int, ...]:
    return (
        User.objects.count(),
        Provider.objects.count(),
        ActivityCredit.objects.count(),
        ActivityVersion.objects.count(),
        CreditClaim.objects.count(),
        ClaimedCredit.objects.count(),
        Certificate.objects.count(),
        Licence.objects.count(),
    )


def test_the_demo_provider_is_jointly_accredited_and_its_activity_offers_ama_ancc_and_acpe_with_moc():
    call_command("seed_demo")
    activity = Activity.objects.select_related("provider", "current_version").get(episode__slug=DEMO_EPISODE)
    provider = activity.provider
    assert provider.joint_accreditation and provider.acpe_provider_number == "JA0000123"
    assert set(credit_types.provider_kinds(provider)) >= {"ancc", "acpe"}

    # Version 1, the one learners were first shown, carries every credit type with its statement.
    version = activity.current_version
    assert version.number == 1
    content = version.content
    offers = {offer["kind"]: offer for offer in content["credits"]}
    assert sorted(offers) == ["acpe", "ancc"]
    assert Decimal(activity.designated_credits) == Decimal("0.25")
    assert {kind: Decimal(offer["amount"]) for kind, offer in offers.items()} == {
        "ancc": Decimal("0.25"),
        "acpe": Decimal("0.25"),
    }
    year = activity.release_date.year % 100
    assert offers["acpe"]["uan"] == f"JA0000123-0000-{year:02d}-001-H05-P"
    assert credit_types.uan_problem(offers["acpe"]["uan"], provider) is None
    assert offers["acpe"]["acpe_activity_type"] == "K"
    assert offers["acpe"]["statement"].startswith("Pharmacists: This knowledge-based activity")
    assert offers["ancc"]["statement"].startswith("Nurses: ")
    assert [(m["board"], m["points"]) for m in content["moc"]] == [("ABA", "0.25"), ("ABIM", "0.25")]
    # Joint Accreditation's statement replaces ACCME's.
    statement = content["accreditation_statement"]
    assert statement.startswith("In support of improving patient care, the American Society of Podcast")
    assert "is jointly accredited by the Accreditation Council for Continuing Medical Education" in statement
    assert "to provide continuing medical education for physicians" not in statement
    assert versions.publish_problems(activity) == []

    # The nurse and the pharmacist have claimed their own credit; the physician AMA credit only.
    nurse = LearnerProfile.objects.get(user__email="nurse@example.com")
    pharmacist = LearnerProfile.objects.get(user__email="pharmacist@example.com")
    physician = LearnerProfile.objects.get(user__email="learner@example.com")
    assert (nurse.profession, pharmacist.profession) == (Profession.NURSE, Profession.PHARMACIST)
    assert pharmacist.nabp_eprofile_id and pharmacist.birth_month and pharmacist.birth_day

    def claimed(profile):
        return list(
            ClaimedCredit.objects.filter(claim__learner=profile.user, claim__activity=activity).values_list(
                "kind", "amount"
            )
        )

    assert claimed(nurse) == [("ancc", Decimal("0.25"))]
    assert claimed(pharmacist) == [("acpe", Decimal("0.25"))]
    assert claimed(physician) == []
    certificate = Certificate.objects.get(claim__learner=pharmacist.user)
    assert [(line["kind"], line["amount"]) for line in certificate.other_credits] == [("acpe", "0.25")]
    assert "UAN" in certificate.other_credits[0]["statement"]
    # CE Broker needs the nurse's licence number and state.
    licence = Licence.objects.get(learner=nurse.user)
    assert (licence.profession, licence.state, licence.number) == (Profession.NURSE, "Florida", "RN9876543")
    assert licence.cycle_start <= timezone.localdate() <= licence.cycle_end
    # Set up the way a coordinator would: the accreditations and credit types pages' services, audited.
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        CreditAction.PROVIDER_ACCREDITATIONS_CHANGED,
        CreditAction.ACTIVITY_CREDIT_TYPES_CHANGED,
    } <= actions

    # The exports have something to show: the pharmacist for CPE Monitor, the nurse for CE Broker.
    cpe_rows = cpe_monitor.rows(provider)
    assert [(row.certificate.claim.learner.email, row.problems) for row in cpe_rows] == [
        ("pharmacist@example.com", [])
    ]
    assert "123456" in cpe_rows[0].cells.values()
    result = cebroker.roster(activity)
    assert [row.licence.number for row in result.rows] == ["RN9876543"]
    assert cebroker.export_problems(activity, result) == []
    client = Client()
    mfa_login(client, User.objects.get(email="coordinator@example.com"))
    page = client.get(reverse("credits:cpe_monitor", args=[provider.slug]))
    assert page.status_code == 200
    assert "The next file holds 1 new completion." in page.content.decode()
    roster = client.get(reverse("credits:cebroker_roster", args=[activity.pk]))
    assert roster.status_code == 200 and roster["Content-Type"] == "application/vnd.ms-excel"

    # Loading the demo again changes nothing and fails on nothing.
    counts = _counts()
    call_command("seed_demo")
    assert _counts() == counts
    activity.refresh_from_db()
    assert activity.current_version.number == 1


def test_demo_info_prints_the_export_pages_and_the_nurse_and_pharmacist_logins():
    call_command("seed_demo")
    activity = Activity.objects.select_related("provider").get(episode__slug=DEMO_EPISODE)
    slug = activity.provider.slug
    out = io.StringIO()
    call_command("demo_info", stdout=out)
    text = out.getvalue()
    site = "http://testserver"
    lines = {line.split("  ")[1].strip(): line for line in text.splitlines() if line.startswith("  ")}

    def printed(label: str, path: str) -> None:
        assert label in lines, (label, text)
        assert lines[label].split()[-1] == site + path

    printed("PARS activity file", f"/coordinator/providers/{slug}/pars/")
    printed("PARS learner file", f"/coordinator/providers/{slug}/pars-learners/")
    printed("CPE Monitor export", f"/coordinator/providers/{slug}/cpe-monitor/")
    printed("CE Broker roster", f"/coordinator/activities/{activity.pk}/cebroker/")
    # The logins of every demo role, with what each is there to show.
    assert "password for all: listen-learn-2026" in text
    for role, email, note in [
        ("nurse", "nurse@example.com", "ANCC contact hours, CE Broker"),
        ("pharmacist", "pharmacist@example.com", "ACPE credit, CPE Monitor"),
        ("learner", "learner@example.com", "ABA and ABIM MOC"),
        ("coordinator", "coordinator@example.com", "two-factor required"),
    ]:
        line = next(line for line in text.splitlines() if line.split()[:2] == [role, email])
        assert note in line
    # Each login can sign in with the printed password.
    for email in ("nurse@example.com", "pharmacist@example.com"):
        assert User.objects.get(email=email).check_password("listen-learn-2026")


def test_an_older_demo_is_brought_up_to_date_in_a_new_version():
    """A database seeded before issue 13: the provider was ACCME-accredited only and the activity offered
    AMA credit alone, with learners already under way. Seeding again makes the provider jointly
    accredited (audited) and adds ANCC and ACPE credit in a new version; earlier versions stay as they
    were."""
    call_command("seed_demo")
    activity = Activity.objects.get(episode__slug=DEMO_EPISODE)
    coordinator = User.objects.get(email="coordinator@example.com")
    # The older demo's state: no further credit types, no Joint Accreditation, in the current version.
    ActivityCredit.objects.filter(activity=activity).delete()
    Provider.objects.filter(pk=activity.provider_id).update(
        joint_accreditation=False, acpe_provider_number=""
    )
    older = versions.activity_changed(activity=activity, actor=coordinator, what="older demo")
    assert older is not None and "credits" not in older.content
    assert "jointly accredited" not in older.content["accreditation_statement"]
    started = {v.pk: v.content for v in ActivityVersion.objects.filter(activity=activity) if v.number == 1}

    call_command("seed_demo")

    activity.refresh_from_db()
    provider = activity.provider
    assert provider.joint_accreditation and provider.acpe_provider_number == "JA0000123"
    entry = AuditEvent.objects.filter(action=CreditAction.PROVIDER_ACCREDITATIONS_CHANGED).latest("pk")
    assert entry.data["old"]["joint_accreditation"] is False
    assert entry.data["new"]["joint_accreditation"] is True
    current = activity.current_version
    assert current.number >= older.number  # replaced while nobody has started it, else a new one
    assert sorted(offer["kind"] for offer in current.content["credits"]) == ["acpe", "ancc"]
    assert current.content["accreditation_statement"].startswith("In support of improving patient care")
    entry = AuditEvent.objects.filter(action=CreditAction.ACTIVITY_CREDIT_TYPES_CHANGED).latest("pk")
    assert [offer["kind"] for offer in entry.data["new"]] == ["acpe", "ancc"]
    # What learners under way were offered (version 1, claimed) stays as it was.
    assert {pk: ActivityVersion.objects.get(pk=pk).content for pk in started} == started
    # A third run finds everything in place.
    counts = _counts()
    call_command("seed_demo")
    assert _counts() == counts
