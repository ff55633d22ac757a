"""Credit for every profession (issue 13 item 5), the core rules in credits/credit_types.py: who may
claim which type, what a claim awards, what a version freezes, and the statements' wording."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Degree, LearnerProfile, Profession, degree_profession
from accounts.validators import validate_nabp_eprofile_id
from credits import credit_types, services, versions
from credits.errors import CreditError
from credits.models import ActivityCredit, Certificate, ClaimedCredit, CompletionRecord, CreditClaim
from testkit import factories

pytestmark = pytest.mark.django_db

UAN = factories.UAN


@pytest.fixture
def jointly_accredited(provider):
    factories.jointly_accredit(provider)
    return provider


@pytest.fixture
def interprofessional(jointly_accredited, episode, coordinator):
    """AMA 0.75 plus ANCC 0.75, ACPE 0.5 (knowledge-based), AAPA 0.75 and IPCE 0.75, in version 1."""
    activity = factories.make_activity(
        provider=jointly_accredited, episode=episode, coordinator=coordinator, publish=False
    )
    for kind, amount in [("ancc", "0.75"), ("acpe", "0.5"), ("aapa", "0.75"), ("ipce", "0.75")]:
        ActivityCredit.objects.create(
            activity=activity,
            kind=kind,
            amount=Decimal(amount),
            uan=UAN if kind == "acpe" else "",
            acpe_activity_type="K" if kind == "acpe" else "",
        )
    versions.activity_publish(activity=activity, actor=coordinator)
    activity.refresh_from_db()
    return activity


def _learner(make_user, email: str, degree: str, **profile) -> LearnerProfile:
    user = make_user(email)
    return LearnerProfile.objects.create(
        user=user, given_name="Grace", family_name="Hopper", degree=degree, **profile
    )


def _ready(make_user, activity, email: str, degree: str, **profile):
    learner = _learner(make_user, email, degree, **profile).user
    factories.pass_and_evaluate(learner, activity)
    return learner


# --- Professions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("degree", "attested", "profession"),
    [
        (Degree.MD, False, Profession.PHYSICIAN),
        (Degree.DO, False, Profession.PHYSICIAN),
        (Degree.MBBS, True, Profession.PHYSICIAN),
        (Degree.MBBS, False, Profession.OTHER),  # not yet attested as MD-equivalent
        (Degree.RN, False, Profession.NURSE),
        (Degree.NP, False, Profession.NURSE),
        (Degree.CRNA, False, Profession.NURSE),
        (Degree.PHARMD, False, Profession.PHARMACIST),
        (Degree.PA_C, False, Profession.PA),
        (Degree.PHD, False, Profession.OTHER),
        (Degree.OTHER, False, Profession.OTHER),
    ],
)
def test_degree_decides_the_profession(degree, attested, profession):
    assert degree_profession(degree, equivalence_attested=attested) == profession


@pytest.mark.parametrize("value", ["12345", "12345678", "12a456", "ABCDEF", " 123456"])
def test_nabp_eprofile_id_has_six_or_seven_digits(value):
    with pytest.raises(ValidationError, match="6 or 7 digits"):
        validate_nabp_eprofile_id(value)


@pytest.mark.parametrize("value", ["", "123456", "1234567"])
def test_nabp_eprofile_id_accepted(value):
    validate_nabp_eprofile_id(value)


# --- What a provider may offer -----------------------------------------------------------------------


def test_accreditations_decide_the_types(provider):
    assert credit_types.provider_kinds(provider) == []
    provider.ancc_accredited = True
    assert credit_types.provider_kinds(provider) == ["ancc"]
    provider.aapa_authorized = True
    assert credit_types.provider_kinds(provider) == ["ancc", "aapa"]
    provider.joint_accreditation = True  # covers ANCC, ACPE and AAPA, and is the only way to IPCE
    assert credit_types.provider_kinds(provider) == ["ancc", "acpe", "aapa", "ipce"]


def test_publishing_a_type_the_provider_is_not_accredited_for_is_refused(provider, episode, coordinator):
    activity = factories.make_activity(
        provider=provider, episode=episode, coordinator=coordinator, publish=False
    )
    ActivityCredit.objects.create(activity=activity, kind="ancc", amount=Decimal("0.75"))
    problems = versions.publish_problems(activity)
    assert any("ANCC nursing contact hours needs ANCC accreditation" in p for p in problems)
    with pytest.raises(ValidationError, match="needs ANCC accreditation"):
        versions.activity_publish(activity=activity, actor=coordinator)
    activity.refresh_from_db()
    assert activity.current_version is None


def test_an_amount_above_the_time_needed_needs_the_recorded_reason(jointly_accredited, episode, coordinator):
    activity = factories.make_activity(
        provider=jointly_accredited,
        episode=episode,
        coordinator=coordinator,
        publish=False,
        designation_reason="",
    )
    activity.designated_credits = Decimal("0.25")
    activity.save()
    ActivityCredit.objects.create(activity=activity, kind="ancc", amount=Decimal("2.0"))
    problems = versions.publish_problems(activity)
    assert any(p.startswith("ANCC nursing contact hours: 2.0 hours is more than") for p in problems)


@pytest.mark.parametrize(
    ("uan", "message"),
    [
        ("0197-0000-26-001-H01-P", "provider's ACPE number is JA0000123"),
        ("JA0000123-0000-26-001-L01-P", "format letter must be H"),
        ("JA0000123-0000-26-001-H01-T", "must end in P"),
        ("JA0000123-0000-26-001-H09-P", "A UAN is written like"),
        ("JA000012-0000-26-001-H01-P", "A UAN is written like"),
        ("", "A UAN is written like"),
    ],
)
def test_uan_problems(jointly_accredited, uan, message):
    assert message in (credit_types.uan_problem(uan, jointly_accredited) or "")


def test_a_ja_uan_needs_joint_accreditation(provider):
    provider.acpe_accredited = True
    assert "jointly accredited" in credit_types.uan_problem("JA0000123-0000-26-001-H01-P", provider)
    assert credit_types.uan_problem("0197-0000-26-001-H05-P", provider) is None


@pytest.mark.parametrize("raw", ["0", "0.3", "-1", "abc", "1000", "NaN", "Infinity", ""])
def test_bad_amounts_are_refused(raw):
    with pytest.raises(CreditError, match="multiple of 0.25|number of hours"):
        credit_types.parse_amount(raw)


# --- Frozen in the version ---------------------------------------------------------------------------


def test_the_version_freezes_each_type_with_its_statement(interprofessional):
    content = interprofessional.current_version.content
    kinds = {offer["kind"]: offer for offer in content["credits"]}
    assert set(kinds) == {"ancc", "acpe", "aapa", "ipce"}
    assert kinds["acpe"]["uan"] == UAN
    assert kinds["ancc"]["statement"] == (
        "Nurses: The Society of Testing designates this activity for a maximum of 0.75 ANCC contact "
        "hours. Nurses should claim only the credit commensurate with the extent of their participation "
        "in the activity."
    )
    assert (
        "This knowledge-based activity is designated for 0.5 contact hours (0.05 CEU)"
        in kinds["acpe"]["statement"]
    )
    assert UAN in kinds["acpe"]["statement"]
    assert kinds["ipce"]["statement"].endswith(
        "0.75 Interprofessional Continuing Education (IPCE) credits for learning and change."
    )
    assert content["accreditation_statement"] == (
        "In support of improving patient care, the Society of Testing is jointly accredited by the "
        "Accreditation Council for Continuing Medical Education (ACCME), the Accreditation Council for "
        "Pharmacy Education (ACPE), and the American Nurses Credentialing Center (ANCC), to provide "
        "continuing education for the healthcare team."
    )


def test_an_activity_without_further_types_has_no_credits_key(activity):
    """Versions frozen before credit types existed read the same as an activity offering AMA only."""
    assert "credits" not in activity.current_version.content


def test_non_joint_statements_name_each_accreditation(provider):
    provider.ancc_accredited = provider.acpe_accredited = True
    ancc = credit_types.statement(kind="ancc", provider=provider, amount=Decimal("1"))
    assert ancc.startswith(
        "The Society of Testing is accredited as a provider of nursing continuing professional"
    )
    assert ancc.endswith("This activity provides 1.0 nursing contact hour.")
    acpe = credit_types.statement(
        kind="acpe", provider=provider, amount=Decimal("1.5"), uan="0197-0000-26-001-H01-P", acpe_type="A"
    )
    assert acpe.startswith(
        "The Society of Testing is accredited by the Accreditation Council for Pharmacy Education"
    )
    assert "This application-based activity is designated for 1.5 contact hours (0.15 CEU)" in acpe
    aapa = credit_types.statement(kind="aapa", provider=provider, amount=Decimal("0.5"))
    assert aapa.startswith("This activity has been reviewed by the AAPA Review Panel")


# --- What a claim awards -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("degree", "profile", "awarded", "main"),
    [
        (Degree.RN, {}, {"ancc": "0.75", "ipce": "0.75"}, "participation"),
        (Degree.PHARMD, {"nabp_eprofile_id": "1234567", "birth_month": 2, "birth_day": 29},
         {"acpe": "0.50", "ipce": "0.75"}, "participation"),
        (Degree.PA_C, {}, {"aapa": "0.75", "ipce": "0.75"}, "participation"),
        (Degree.MD, {}, {"ipce": "0.75"}, "ama_pra_1"),
    ],
)  # fmt: skip
def test_each_profession_receives_its_own_types(
    make_user, interprofessional, django_capture_on_commit_callbacks, degree, profile, awarded, main
):
    learner = _ready(make_user, interprofessional, "clinician@example.org", degree, **profile)
    certificate = factories.claim_and_issue(
        learner, interprofessional, django_capture_on_commit_callbacks, minutes=45
    )
    claim = certificate.claim
    assert claim.credit_type == main
    assert {c.kind: str(c.amount) for c in ClaimedCredit.objects.filter(claim=claim)} == awarded
    assert {line["kind"]: line["amount"] for line in certificate.other_credits} == awarded
    statements = {line["kind"]: line["statement"] for line in certificate.other_credits}
    offers = {
        offer["kind"]: offer["statement"] for offer in interprofessional.current_version.content["credits"]
    }
    assert statements == {kind: offers[kind] for kind in awarded}


def test_each_type_is_capped_at_its_own_designation(
    make_user, interprofessional, django_capture_on_commit_callbacks
):
    learner = _ready(
        make_user, interprofessional, "pharmacist@example.org", Degree.PHARMD,
        nabp_eprofile_id="123456", birth_month=1, birth_day=5,
    )  # fmt: skip
    certificate = factories.claim_and_issue(
        learner, interprofessional, django_capture_on_commit_callbacks, minutes=60
    )
    assert certificate.credits == Decimal("0.75")  # participation: the AMA designation
    assert {line["kind"]: line["amount"] for line in certificate.other_credits} == {
        "acpe": "0.50",
        "ipce": "0.75",
    }


def test_the_learner_may_leave_a_type_out(make_user, interprofessional):
    learner = _ready(make_user, interprofessional, "nurse@example.org", Degree.RN)
    claim = services.claim_credit(
        learner=learner, activity=interprofessional, minutes=30, attested=True, credit_kinds=["ancc"]
    )
    assert [(c.kind, c.amount) for c in ClaimedCredit.objects.filter(claim=claim)] == [
        ("ancc", Decimal("0.50"))
    ]


def _nothing_written(learner):
    assert not CreditClaim.objects.filter(learner=learner).exists()
    assert not CompletionRecord.objects.filter(learner=learner).exists()
    assert not ClaimedCredit.objects.exists()
    assert not Certificate.objects.exists()


@pytest.mark.parametrize(
    ("degree", "kinds", "message"),
    [
        (Degree.RN, ["acpe"], "ACPE pharmacy CE contact hours cannot be awarded to a nurse"),
        (Degree.MD, ["ancc"], "ANCC nursing contact hours cannot be awarded to a physician"),
        (Degree.PHARMD, ["aapa"], "AAPA Category 1 CME credits cannot be awarded to a pharmacist"),
        (Degree.RN, ["moc"], "This activity does not offer moc"),
    ],
)
def test_a_type_the_profession_cannot_receive_is_refused(
    make_user, interprofessional, degree, kinds, message
):
    learner = _ready(make_user, interprofessional, "someone@example.org", degree)
    with pytest.raises(CreditError, match=message) as error:
        services.claim_credit(
            learner=learner, activity=interprofessional, minutes=45, attested=True, credit_kinds=kinds
        )
    assert error.value.code == "credit_type"
    _nothing_written(learner)


def test_a_type_the_version_does_not_offer_is_refused(make_user, activity):
    learner = _ready(make_user, activity, "nurse@example.org", Degree.RN)
    with pytest.raises(CreditError, match="does not offer ANCC nursing contact hours"):
        services.claim_credit(
            learner=learner, activity=activity, minutes=45, attested=True, credit_kinds=["ancc"]
        )
    _nothing_written(learner)


def test_a_pharmacist_needs_the_nabp_id_and_birth_day_for_acpe(make_user, interprofessional):
    learner = _ready(
        make_user, interprofessional, "pharmacist@example.org", Degree.PHARMD, nabp_eprofile_id="123456"
    )
    with pytest.raises(CreditError, match="add your NABP e-Profile ID and your birth month") as error:
        services.claim_credit(learner=learner, activity=interprofessional, minutes=45, attested=True)
    assert error.value.code == "profile"
    _nothing_written(learner)
    # Without ACPE the same pharmacist may claim IPCE and participation.
    claim = services.claim_credit(
        learner=learner, activity=interprofessional, minutes=45, attested=True, credit_kinds=["ipce"]
    )
    assert [c.kind for c in ClaimedCredit.objects.filter(claim=claim)] == ["ipce"]


def test_claimed_credit_is_never_deleted(make_user, interprofessional):
    learner = _ready(make_user, interprofessional, "nurse@example.org", Degree.RN)
    services.claim_credit(learner=learner, activity=interprofessional, minutes=45, attested=True)
    with pytest.raises(TypeError):
        ClaimedCredit.objects.first().delete()
    with pytest.raises(TypeError):
        ClaimedCredit.objects.all().delete()
