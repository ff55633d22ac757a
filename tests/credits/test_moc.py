"""MOC through PARS (issue 13, item 2): an activity's board registrations, frozen in its version, and
the learner's opt-in at claim time with its checks (physician, board id format, birth month/day,
ABP full credit only) and the consent stored with the claim."""

from decimal import Decimal

import pytest
from django.urls import reverse
from lxml import html

from accounts.models import Degree
from audit.models import AuditEvent
from credits import moc, versions
from credits.audit_actions import CreditAction
from credits.models import CreditClaim, MocOptIn, MocRegistration
from testkit import factories
from testkit.mfa import mfa_login

pytestmark = pytest.mark.django_db

ABIM_ID = "123456"


@pytest.fixture
def registered(activity, coordinator):
    """Registered for ABIM (Medical Knowledge, 0.75) and ABP (LLSA, 0.75) before anyone starts."""
    moc.moc_register(
        activity=activity, actor=coordinator, rows=[("ABIM", "MK", "0.75"), ("ABP", "LLSA", "0.75")]
    )
    activity.refresh_from_db()
    return activity


@pytest.fixture
def physician(learner):
    profile = learner.profile
    profile.birth_month, profile.birth_day = 7, 14
    profile.abim_id = ABIM_ID
    profile.save()
    return learner


@pytest.fixture
def ready(physician, registered):
    factories.pass_and_evaluate(physician, registered)
    return physician


def _claim_page(client, activity, **data):
    post = {"minutes": "45", "attest": "on", **data}
    response = client.post(reverse("credits:claim", args=[activity.pk]), post)
    if response.status_code == 302 and response["Location"].startswith("/verify/"):
        return client.get(response["Location"])  # claimed: the certificate's verification page
    return response


def _text(response) -> str:
    return " ".join(html.fromstring(response.content).text_content().split())


# --- Registration -------------------------------------------------------------------------------


def test_registration_is_frozen_in_the_version_and_shown_on_the_claim_page(client, ready, registered):
    version = registered.current_version
    assert version.content["moc"] == [
        {"board": "ABIM", "credit_type": "MK", "points": "0.75"},
        {"board": "ABP", "credit_type": "LLSA", "points": "0.75"},
    ]
    client.force_login(ready)
    text = _text(client.get(reverse("credits:claim", args=[registered.pk])))
    assert "Report my completion to ABIM for MOC" in text
    assert "Report my completion to ABP for MOC" in text
    assert "ABP accepts full credit only." in text


def test_an_edit_after_learners_started_makes_a_new_version(ready, registered, coordinator):
    before = registered.current_version
    moc.moc_register(activity=registered, actor=coordinator, rows=[("ABIM", "PS", "0.5")])
    registered.refresh_from_db()
    assert registered.current_version.number == before.number + 1
    assert registered.current_version.content["moc"] == [
        {"board": "ABIM", "credit_type": "PS", "points": "0.50"}
    ]
    before.refresh_from_db()
    assert [r["board"] for r in before.content["moc"]] == ["ABIM", "ABP"]  # the learner keeps theirs
    row = AuditEvent.objects.filter(action=CreditAction.MOC_REGISTRATION_CHANGED).latest("pk")
    assert [r["board"] for r in row.data["old"]] == ["ABIM", "ABP"]
    assert row.data["new"] == [{"board": "ABIM", "credit_type": "PS", "points": "0.50"}]


def test_the_coordinator_page_saves_a_registration(client, coordinator, activity):
    mfa_login(client, coordinator)
    url = reverse("credits:coordinator_moc", args=[activity.pk])
    assert "American Board of Internal Medicine (ABIM)" in _text(client.get(url))
    response = client.post(url, {"boards": ["ABA"], "ABA_credit_type": "LL", "ABA_points": "0.75"})
    assert response.status_code == 302
    assert list(
        MocRegistration.objects.filter(activity=activity).values_list("board", "credit_type", "points")
    ) == [("ABA", "LL", Decimal("0.75"))]
    activity.refresh_from_db()
    assert activity.current_version.content["moc"] == [
        {"board": "ABA", "credit_type": "LL", "points": "0.75"}
    ]


@pytest.mark.parametrize("board", ["ABFM", "ABEM", "NCCPA"])
def test_a_board_that_is_not_a_pars_board_is_refused(client, coordinator, activity, board):
    mfa_login(client, coordinator)
    url = reverse("credits:coordinator_moc", args=[activity.pk])
    response = client.post(url, {"boards": [board], f"{board}_credit_type": "MK", f"{board}_points": "1"})
    assert response.status_code == 400
    assert f"{board} does not take MOC data through PARS" in _text(response)
    assert not MocRegistration.objects.exists()
    assert not AuditEvent.objects.filter(action=CreditAction.MOC_REGISTRATION_CHANGED).exists()


@pytest.mark.parametrize(
    ("credit_type", "points", "message"),
    [
        ("XX", "1", "ABIM: choose an MOC credit type"),
        ("MK", "0", "MOC points must be a positive number"),
        ("MK", "abc", "MOC points must be a positive number"),
        ("MK", "1.005", "MOC points must be a positive number"),
    ],
)
def test_a_bad_credit_type_or_points_is_refused(client, coordinator, activity, credit_type, points, message):
    mfa_login(client, coordinator)
    url = reverse("credits:coordinator_moc", args=[activity.pk])
    response = client.post(url, {"boards": ["ABIM"], "ABIM_credit_type": credit_type, "ABIM_points": points})
    assert response.status_code == 400
    assert message in _text(response)
    assert not MocRegistration.objects.exists()


def test_another_providers_coordinator_cannot_see_the_page(client, activity):
    other = factories.make_coordinator(factories.make_provider("Other", "other"), "other@example.org")
    mfa_login(client, other)
    url = reverse("credits:coordinator_moc", args=[activity.pk])
    assert client.get(url).status_code == 404
    assert (
        client.post(url, {"boards": ["ABIM"], "ABIM_credit_type": "MK", "ABIM_points": "1"}).status_code
        == 404
    )
    assert not MocRegistration.objects.exists()


# --- The learner's opt-in at claim time -----------------------------------------------------------


def test_opting_in_stores_the_consent_with_the_claim_and_its_audit_row(client, ready, registered):
    client.force_login(ready)
    response = _claim_page(client, registered, moc_ABIM="on", moc_ABIM_id=ABIM_ID)
    assert response.status_code == 200, _text(response)
    claim = CreditClaim.objects.get(learner=ready)
    optin = MocOptIn.objects.get(claim=claim)
    assert (optin.board, optin.board_id, optin.birth_month, optin.birth_day) == ("ABIM", ABIM_ID, 7, 14)
    assert (optin.credit_type, optin.points) == ("MK", Decimal("0.75"))
    audit = AuditEvent.objects.get(action=CreditAction.CLAIM_CREATED)
    assert [(c["board"], c["board_id"]) for c in audit.data["moc"]] == [("ABIM", ABIM_ID)]
    with pytest.raises(TypeError):
        optin.delete()


def test_the_board_id_is_prefilled_from_the_profile(client, ready, registered):
    client.force_login(ready)
    root = html.fromstring(client.get(reverse("credits:claim", args=[registered.pk])).content)
    assert root.get_element_by_id("id_moc_ABIM_id").value == ABIM_ID


@pytest.mark.parametrize(
    ("board_id", "message"),
    [
        ("12345", "Your ABIM ID must be exactly 6 digits."),
        ("1234567", "Your ABIM ID must be exactly 6 digits."),
        ("12a456", "Your ABIM ID must be exactly 6 digits."),
        ("", "Your ABIM ID must be exactly 6 digits."),
    ],
)
def test_a_malformed_abim_id_is_refused(client, ready, registered, board_id, message):
    client.force_login(ready)
    response = _claim_page(client, registered, moc_ABIM="on", moc_ABIM_id=board_id)
    assert response.status_code == 400
    assert message in _text(response)
    assert not CreditClaim.objects.exists() and not MocOptIn.objects.exists()


def test_a_malformed_abp_id_is_refused(client, ready, registered):
    client.force_login(ready)
    response = _claim_page(client, registered, moc_ABP="on", moc_ABP_id="AB-12")
    assert response.status_code == 400
    assert "Your ABP ID must be digits only, at most 10." in _text(response)
    assert not CreditClaim.objects.exists()


def test_a_non_physician_opting_in_is_refused(client, ready, registered):
    profile = ready.profile
    profile.degree = Degree.RN
    profile.save()
    client.force_login(ready)
    response = _claim_page(client, registered, moc_ABIM="on", moc_ABIM_id=ABIM_ID)
    assert response.status_code == 400
    assert "Only physicians can have completions reported to a certifying board for MOC" in _text(response)
    assert not CreditClaim.objects.exists() and not MocOptIn.objects.exists()


def test_opting_in_without_a_birth_month_and_day_is_refused(client, ready, registered):
    profile = ready.profile
    profile.birth_month = profile.birth_day = None
    profile.save()
    client.force_login(ready)
    response = _claim_page(client, registered, moc_ABIM="on", moc_ABIM_id=ABIM_ID)
    assert response.status_code == 400
    assert "Add your birth month and day to your profile" in _text(response)
    assert not CreditClaim.objects.exists()


def test_partial_credit_with_abp_is_refused_and_full_credit_is_reported(client, ready, registered):
    client.force_login(ready)
    response = _claim_page(client, registered, minutes="30", moc_ABP="on", moc_ABP_id="654321")
    assert response.status_code == 400
    assert "ABP accepts full credit only: to report to ABP, claim the full 0.75 credit(s)" in _text(response)
    assert not CreditClaim.objects.exists() and not MocOptIn.objects.exists()
    response = _claim_page(client, registered, minutes="45", moc_ABP="on", moc_ABP_id="654321")
    assert response.status_code == 200
    assert MocOptIn.objects.get().board == "ABP"


def test_partial_credit_reports_proportional_abim_points(client, ready, registered):
    client.force_login(ready)
    assert (
        _claim_page(client, registered, minutes="30", moc_ABIM="on", moc_ABIM_id=ABIM_ID).status_code == 200
    )
    assert MocOptIn.objects.get().points == Decimal("0.50")  # 0.5 of 0.75 credits: 0.5 of 0.75 points


def test_not_opting_in_claims_as_before(client, ready, registered):
    client.force_login(ready)
    assert _claim_page(client, registered).status_code == 200
    assert CreditClaim.objects.filter(learner=ready).exists() and not MocOptIn.objects.exists()


def test_the_service_refuses_a_board_the_version_is_not_registered_with(ready, registered):
    from credits.services import CreditError, claim_credit

    for board, message in [
        ("ABFM", "ABFM does not take MOC data through PARS"),
        ("ABS", "This activity is not registered for ABS MOC."),
    ]:
        with pytest.raises(CreditError, match=message):
            claim_credit(
                learner=ready, activity=registered, minutes=45, attested=True, moc_optins={board: "1"}
            )
    assert not CreditClaim.objects.exists()


def test_a_version_without_registration_offers_no_opt_in(client, learner, activity):
    factories.pass_and_evaluate(learner, activity)
    assert "moc" not in activity.current_version.content
    assert versions.version_content(activity).get("moc") is None
    client.force_login(learner)
    assert "for MOC" not in _text(client.get(reverse("credits:claim", args=[activity.pk])))


def test_a_paid_claim_keeps_its_moc_opt_in_on_the_order_until_the_payment_makes_the_claim(
    client, ready, registered, fee
):
    """The payment side (consent stored by the webhook, refusals before checkout) is tested in
    tests/billing/test_claim_choices.py."""
    from billing.models import Order

    client.force_login(ready)
    response = _claim_page(client, registered, moc_ABIM="on", moc_ABIM_id=ABIM_ID)
    assert response.status_code == 302
    assert Order.objects.get().claim_moc_optins == {"ABIM": ABIM_ID}
    assert not CreditClaim.objects.exists() and not MocOptIn.objects.exists()
