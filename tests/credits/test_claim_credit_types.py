"""A nurse, pharmacist or PA claims their own credit type (issue 13 item 5, learner side): the claim
service awards what the profession may claim, capped at each type's designation; the claim page offers
one ticked box per type with the amount, says which types are for other professions, what a
pharmacist must add to the profile first, and refuses a tampered form with nothing written; the
profile takes the NABP e-Profile ID."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Degree, LearnerProfile
from audit.models import AuditEvent
from credits import services
from credits.errors import CreditError
from credits.models import Certificate, ClaimedCredit, CreditClaim, CreditType
from testkit import factories

pytestmark = pytest.mark.django_db

UAN = factories.UAN
EVERY_TYPE = [
    {"kind": "ancc", "amount": Decimal("1.0")},  # above AMA's 0.75: each type has its own designation
    {"kind": "acpe", "amount": Decimal("0.5"), "uan": UAN, "acpe_activity_type": "K"},
    {"kind": "aapa", "amount": Decimal("0.75")},
    {"kind": "ipce", "amount": Decimal("0.75")},
]


@pytest.fixture
def joint_provider(provider):
    factories.jointly_accredit(provider)
    return provider


@pytest.fixture
def offering(joint_provider, episode, coordinator):
    """AMA 0.75 plus ANCC 1.0, ACPE 0.5, AAPA 0.75 and IPCE 0.75, frozen in version 1."""
    return factories.make_activity(
        provider=joint_provider, episode=episode, coordinator=coordinator, other_credits=EVERY_TYPE
    )


def _ready(make_user, activity, degree: str, email: str | None = None, **profile):
    """A learner of ``degree`` who passed the post-test and evaluated the activity."""
    user = make_user(email or f"{degree.lower().replace('-', '')}@example.org")
    LearnerProfile.objects.create(
        user=user, given_name="Grace", family_name="Hopper", degree=degree, **profile
    )
    factories.pass_and_evaluate(user, activity)
    return user


def _pharmacist(make_user, activity, **profile):
    return _ready(
        make_user, activity, Degree.PHARMD, nabp_eprofile_id="1234567", birth_month=2, birth_day=29, **profile
    )


def _claimed(learner) -> dict[str, Decimal]:
    return {c.kind: c.amount for c in ClaimedCredit.objects.filter(claim__learner=learner)}


def _claim(learner, activity, minutes=45, **kwargs) -> CreditClaim:
    return services.claim_credit(learner=learner, activity=activity, minutes=minutes, attested=True, **kwargs)


def _nothing_written():
    assert not CreditClaim.objects.exists()
    assert not ClaimedCredit.objects.exists()
    assert not Certificate.objects.exists()
    assert not AuditEvent.objects.filter(action="claim.created").exists()


# --- The service ----------------------------------------------------------------------------------


def test_nurse_receives_ancc_and_ipce_with_participation(make_user, offering):
    nurse = _ready(make_user, offering, Degree.RN)
    claim = _claim(nurse, offering)
    assert claim.credit_type == CreditType.PARTICIPATION and claim.credits == Decimal("0.75")
    assert _claimed(nurse) == {"ancc": Decimal("0.75"), "ipce": Decimal("0.75")}
    lines = Certificate.objects.get(claim=claim).other_credits
    assert [(line["kind"], line["amount"]) for line in lines] == [("ancc", "0.75"), ("ipce", "0.75")]
    assert lines[0]["label"] == "ANCC nursing contact hours" and "Nurses:" in lines[0]["statement"]


def test_pharmacist_with_nabp_id_receives_acpe(make_user, offering):
    pharmacist = _pharmacist(make_user, offering)
    _claim(pharmacist, offering)
    assert _claimed(pharmacist) == {"acpe": Decimal("0.5"), "ipce": Decimal("0.75")}  # ACPE capped at 0.5


def test_pa_receives_aapa(make_user, offering):
    pa = _ready(make_user, offering, Degree.PA_C)
    _claim(pa, offering)
    assert _claimed(pa) == {"aapa": Decimal("0.75"), "ipce": Decimal("0.75")}


def test_physician_receives_ama_and_ipce(learner, offering):
    factories.pass_and_evaluate(learner, offering)
    claim = _claim(learner, offering)
    assert claim.credit_type == CreditType.AMA_PRA_1
    assert _claimed(learner) == {"ipce": Decimal("0.75")}


def test_every_type_is_capped_at_its_own_designation(make_user, offering):
    nurse = _ready(make_user, offering, Degree.RN)
    claim = _claim(nurse, offering, minutes=90)
    assert claim.credits == Decimal("0.75")  # AMA's designation
    assert _claimed(nurse) == {"ancc": Decimal("1.00"), "ipce": Decimal("0.75")}


def test_a_short_time_is_rounded_the_same_way_for_every_type(make_user, offering):
    nurse = _ready(make_user, offering, Degree.RN)
    claim = _claim(nurse, offering, minutes=20)  # 20 minutes: 0.25 (nearest quarter hour)
    assert claim.credits == Decimal("0.25")
    assert _claimed(nurse) == {"ancc": Decimal("0.25"), "ipce": Decimal("0.25")}


def test_unticked_types_are_not_awarded(make_user, offering):
    nurse = _ready(make_user, offering, Degree.RN)
    _claim(nurse, offering, credit_kinds=["ancc"])
    assert _claimed(nurse) == {"ancc": Decimal("0.75")}
    physician = _ready(make_user, offering, Degree.MD, email="md@example.org")
    _claim(physician, offering, credit_kinds=[])
    assert _claimed(physician) == {}


def test_activity_offering_only_ama_awards_no_further_type(make_user, activity):
    nurse = _ready(make_user, activity, Degree.RN)
    claim = _claim(nurse, activity)
    assert _claimed(nurse) == {} and Certificate.objects.get(claim=claim).other_credits == []


@pytest.mark.parametrize(
    ("degree", "kinds", "code", "words"),
    [
        (Degree.RN, ["acpe"], "credit_type", "cannot be awarded to a nurse"),
        (Degree.PHARMD, ["ancc"], "credit_type", "cannot be awarded to a pharmacist"),
        (Degree.MD, ["aapa"], "credit_type", "AAPA Category 1 CME credits cannot be awarded"),
        (Degree.RN, ["ancc", "moc"], "credit_type", "does not offer"),
        (Degree.RN, ["<script>"], "credit_type", "does not offer"),
    ],
)
def test_a_type_not_offered_or_not_allowed_is_refused_and_nothing_written(
    make_user, offering, degree, kinds, code, words
):
    learner = _ready(make_user, offering, degree, nabp_eprofile_id="123456", birth_month=1, birth_day=2)
    with pytest.raises(CreditError) as refused:
        _claim(learner, offering, credit_kinds=kinds)
    assert refused.value.code == code and words in refused.value.message
    _nothing_written()


def test_a_type_the_activity_does_not_offer_is_refused(make_user, joint_provider, episode, coordinator):
    only_ancc = factories.make_activity(
        provider=joint_provider, episode=episode, coordinator=coordinator, other_credits=[EVERY_TYPE[0]]
    )
    pa = _ready(make_user, only_ancc, Degree.PA_C)
    with pytest.raises(CreditError, match="does not offer AAPA Category 1 CME credits"):
        _claim(pa, only_ancc, credit_kinds=["aapa"])
    _nothing_written()


@pytest.mark.parametrize(
    "profile",
    [{}, {"birth_month": 2, "birth_day": 29}, {"nabp_eprofile_id": "1234567"}],
    ids=["nothing", "no NABP id", "no birth month and day"],
)
def test_pharmacist_without_nabp_id_or_birth_day_is_refused_acpe(make_user, offering, profile):
    pharmacist = _ready(make_user, offering, Degree.PHARMD, **profile)
    with pytest.raises(CreditError) as refused:
        _claim(pharmacist, offering)  # every type the profession may claim: ACPE included
    assert refused.value.code == "profile" and "NABP e-Profile ID" in refused.value.message
    _nothing_written()
    _claim(pharmacist, offering, credit_kinds=["ipce"])  # or untick ACPE
    assert _claimed(pharmacist) == {"ipce": Decimal("0.75")}


# --- The claim page -----------------------------------------------------------------------------


def _page(client, activity):
    return client.get(reverse("credits:claim", args=[activity.pk]))


def _post(client, activity, **data):
    return client.post(
        reverse("credits:claim", args=[activity.pk]), {"minutes": "45", "attest": "on", **data}, follow=True
    )


def test_claim_page_offers_the_nurse_her_types_ticked_with_amounts(client, make_user, offering):
    client.force_login(_ready(make_user, offering, Degree.RN))
    page = _page(client, offering).content.decode()
    assert 'name="credit_kinds" value="ancc"' in page and 'name="credit_kinds" value="ipce"' in page
    assert page.count('name="credit_kinds"') == 2
    assert page.count("checked") >= 2  # ticked by default
    # 45 minutes (the estimate) is 0.75 hours: each amount as the learner will receive it.
    assert "0.75 ANCC nursing contact hours" in page and "0.75 IPCE credits" in page
    assert "You will receive a certificate listing the credit for your profession you tick below" in page
    assert "ACPE pharmacy CE contact hours are for pharmacists; your profile says RN." in page
    assert "AAPA Category 1 CME credits are for physician assistants; your profile says RN." in page


def test_claim_page_amounts_follow_the_minutes_entered(client, make_user, offering):
    client.force_login(_ready(make_user, offering, Degree.RN))
    response = _post(client, offering, minutes="90", attest="")  # not attested: the page comes back
    assert response.status_code == 400
    page = response.content.decode()
    assert "1.0 ANCC nursing contact hours" in page and "0.75 IPCE credits" in page  # capped each
    assert 'value="90"' in page


def test_nurse_claims_only_the_types_she_ticks(client, make_user, offering):
    nurse = _ready(make_user, offering, Degree.RN)
    client.force_login(nurse)
    response = _post(client, offering, credit_kinds=["ancc"])
    assert response.status_code == 200 and "Your credit is claimed" in response.content.decode()
    assert _claimed(nurse) == {"ancc": Decimal("0.75")}


def test_unticking_every_type_claims_participation_alone(client, make_user, offering):
    nurse = _ready(make_user, offering, Degree.RN)
    client.force_login(nurse)
    assert _post(client, offering).status_code == 200  # no box sent: every box unticked
    assert CreditClaim.objects.filter(learner=nurse).exists() and _claimed(nurse) == {}


@pytest.mark.parametrize("tampered", ["acpe", "aapa", "bogus"])
def test_a_tampered_credit_type_is_refused_with_the_services_message(client, make_user, offering, tampered):
    client.force_login(_ready(make_user, offering, Degree.RN))
    response = _post(client, offering, minutes="40", credit_kinds=["ancc", tampered])
    assert response.status_code == 400
    page = response.content.decode()
    assert "cannot be awarded to a nurse" in page or "does not offer" in page
    assert 'value="40"' in page  # the learner's input is kept
    _nothing_written()


def test_pharmacist_without_nabp_id_sees_what_is_missing_before_submitting(client, make_user, offering):
    pharmacist = _ready(make_user, offering, Degree.PHARMD, birth_month=3, birth_day=4)
    client.force_login(pharmacist)
    page = _page(client, offering).content.decode()
    assert "add your NABP e-Profile ID to your profile, or untick ACPE credit" in page
    assert "birth month" not in page.split('id="credit-profile-missing"')[1].split("</div>")[0]
    assert f'href="{reverse("accounts:profile")}?next=' in page  # the profile page returns here
    assert "0.5 ACPE pharmacy CE contact hours" in page
    # Sending it anyway: the service's message, the input kept, nothing written.
    response = _post(client, offering, minutes="44", credit_kinds=["acpe", "ipce"])
    assert response.status_code == 400
    page = response.content.decode()
    assert "Pharmacy CE is reported to CPE Monitor" in page and 'value="44"' in page
    assert 'value="acpe" id="id_credit_kinds_0" checked' in page or "checked" in page
    _nothing_written()
    # Unticking ACPE claims the rest.
    assert _post(client, offering, credit_kinds=["ipce"]).status_code == 200
    assert _claimed(pharmacist) == {"ipce": Decimal("0.75")}


def test_pharmacist_missing_both_is_told_both(client, make_user, offering):
    client.force_login(_ready(make_user, offering, Degree.PHARMD))
    page = _page(client, offering).content.decode()
    assert "add your NABP e-Profile ID and your birth month and day to your profile" in page


def test_pharmacist_with_everything_claims_acpe_through_the_page(client, make_user, offering):
    pharmacist = _pharmacist(make_user, offering)
    client.force_login(pharmacist)
    page = _page(client, offering).content.decode()
    assert "credit-profile-missing" not in page
    assert _post(client, offering, credit_kinds=["acpe", "ipce"]).status_code == 200
    assert _claimed(pharmacist) == {"acpe": Decimal("0.5"), "ipce": Decimal("0.75")}


def test_claim_page_without_further_types_is_unchanged(client, make_user, activity):
    client.force_login(_ready(make_user, activity, Degree.RN))
    page = _page(client, activity).content.decode()
    assert "credit_kinds" not in page and "Credit for your profession" not in page


# --- The profile: NABP e-Profile ID ----------------------------------------------------------------


PROFILE = {
    "given_name": "Grace",
    "family_name": "Hopper",
    "degree": Degree.PHARMD,
    "country": "US",
    "time_zone": "America/New_York",
}


def test_pharmacist_enters_the_nabp_id_in_the_profile(client, make_user):
    pharmacist = make_user("rx@example.org")
    LearnerProfile.objects.create(
        user=pharmacist, given_name="Grace", family_name="Hopper", degree=Degree.PHARMD
    )
    client.force_login(pharmacist)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "NABP e-Profile ID" in page and 'type="hidden" name="nabp_eprofile_id"' not in page
    response = client.post(reverse("accounts:profile"), {**PROFILE, "nabp_eprofile_id": " 123456 "})
    assert response.status_code == 302
    assert LearnerProfile.objects.get(user=pharmacist).nabp_eprofile_id == "123456"


def test_the_nabp_id_is_hidden_from_a_nurse_but_kept(client, make_user):
    nurse = make_user("rn@example.org")
    LearnerProfile.objects.create(
        user=nurse, given_name="Grace", family_name="Hopper", degree=Degree.RN, nabp_eprofile_id=""
    )
    client.force_login(nurse)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert 'type="hidden" name="nabp_eprofile_id"' in page and "NABP e-Profile ID</label>" not in page
    # Always accepted (e.g. a pharmacist whose degree is saved in the same form).
    response = client.post(reverse("accounts:profile"), {**PROFILE, "nabp_eprofile_id": "7654321"})
    assert response.status_code == 302
    assert LearnerProfile.objects.get(user=nurse).nabp_eprofile_id == "7654321"


@pytest.mark.parametrize("bad", ["12345", "12345a", "abcdef", "12345678", "123 456"])
def test_a_malformed_nabp_id_is_refused_with_the_validators_message(client, make_user, bad):
    pharmacist = make_user("rx@example.org")
    LearnerProfile.objects.create(
        user=pharmacist,
        given_name="Grace",
        family_name="Hopper",
        degree=Degree.PHARMD,
        nabp_eprofile_id="123456",
    )
    client.force_login(pharmacist)
    response = client.post(reverse("accounts:profile"), {**PROFILE, "nabp_eprofile_id": bad})
    assert response.status_code == 400
    page = response.content.decode()
    assert "An NABP e-Profile ID is 6 or 7 digits" in page
    assert LearnerProfile.objects.get(user=pharmacist).nabp_eprofile_id == "123456"  # nothing saved
