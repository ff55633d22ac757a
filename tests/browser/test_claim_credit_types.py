"""In a real browser: a nurse claims ANCC nursing contact hours on the claim page (unticking IPCE) and
downloads the certificate that lists them with their statement (issue 13 item 5)."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client

from accounts.models import Degree, LearnerProfile
from credits.models import Certificate, ClaimedCredit
from testkit import factories
from testkit.pdf import pdf_text


@pytest.fixture
def nurse(make_user):
    user = make_user("nurse@example.org")
    LearnerProfile.objects.create(
        user=user, given_name="Florence", family_name="Nightingale", degree=Degree.RN
    )
    return user


@pytest.fixture
def offering(show, provider, coordinator, nurse):
    """AMA 0.75 with ANCC 0.75 and IPCE 0.5 (a jointly accredited provider); the nurse passed and
    evaluated it."""
    provider.joint_accreditation = True
    provider.save()
    factories.grant_show(show, provider)
    episode = factories.make_episode(show)
    activity = factories.make_activity(
        provider=provider,
        episode=episode,
        coordinator=coordinator,
        title="Difficult airway for the whole team",
        other_credits=[
            {"kind": "ancc", "amount": Decimal("0.75")},
            {"kind": "ipce", "amount": Decimal("0.5")},
        ],
    )
    factories.pass_and_evaluate(nurse, activity)
    return activity


def test_nurse_claims_ancc_and_downloads_the_certificate(page, live_server, nurse, offering):
    client = Client()
    client.force_login(nurse)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page.goto(f"/activities/{offering.pk}/claim/")
    group = page.get_by_role("group", name="Credit for your profession")
    ancc = group.get_by_label("0.75 ANCC nursing contact hours")
    ipce = group.get_by_label("0.5 IPCE credits")
    assert ancc.is_checked() and ipce.is_checked()  # ticked by default
    ipce.uncheck()
    page.get_by_label("Minutes spent").fill("45")
    page.get_by_text("By claiming you attest").wait_for()  # the button sends the attestation
    page.get_by_role("button", name="Claim credit").click()
    page.get_by_role("heading", name="Credit claimed").wait_for()
    page.get_by_text("0.75 ANCC nursing contact hours").wait_for()
    assert {c.kind: c.amount for c in ClaimedCredit.objects.filter(claim__learner=nurse)} == {
        "ancc": Decimal("0.75")
    }

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download certificate (PDF)").click()
    certificate = Certificate.objects.get(claim__learner=nurse)
    assert download_info.value.suggested_filename == f"{certificate.number}.pdf"
    text = pdf_text(Path(download_info.value.path()).read_bytes())
    assert "Certificate of Completion" in text and "Florence Nightingale, RN" in text
    assert "This activity was designated for AMA PRA Category 1 Credit™." in text
    assert "0.75 ANCC nursing contact hours" in text
    assert "Nurses: The Society of Testing designates this activity for a maximum of 0.75 ANCC" in text
    assert "IPCE credits" not in text  # unticked
