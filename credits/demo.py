"""The demo CME activity `seed_demo` creates: one Airway Rounds episode with quiz and disclosures.

The demo provider is jointly accredited, so the activity offers AMA PRA Category 1 Credit™, ANCC
nursing contact hours and ACPE pharmacy CE (with its UAN) in version 1, is registered for ABA and
ABIM MOC, and carries Joint Accreditation's statement; a nurse and a pharmacist have claimed it.
"""

import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils import timezone

from accounts.models import Licence, Profession, User
from audit.models import AuditEvent
from episodes.models import Episode, Show

from . import (
    cebroker,
    certificates,
    clinicians,
    credit_type_services,
    disclosure_services,
    grants,
    licences,
    moc,
    pars,
    services,
    versions,
)
from .disclosures import speakers
from .models import (
    GRANT_OPEN_STATUSES,
    AcpeActivityType,
    Activity,
    ActivityCredit,
    ActivityVersion,
    Attempt,
    Certificate,
    ClaimedCredit,
    ClinicianVerification,
    CompletionRecord,
    ContentPerson,
    CreditClaim,
    CreditKind,
    DisclosureForm,
    DisclosureRequest,
    Evaluation,
    GrantStatus,
    ListeningProgress,
    MandateTopic,
    MocOptIn,
    MocRegistration,
    Option,
    Provider,
    ProviderPerson,
    RelevanceDecision,
    ShowProviderGrant,
    SpeakerMatch,
)
from .provider_time import provider_zone

DEMO_ACTIVITY_EPISODE = "pocus-for-the-airway"
# Joint Accreditation covers ACCME, ANCC and ACPE; a jointly accredited provider's ACPE number is
# JA and seven digits, and starts the UAN of each of its pharmacy activities.
DEMO_ACPE_PROVIDER_NUMBER = "JA0000123"
# CE Broker's tracking numbers (digits only, without the "50-" and "20-" CE Broker prints).
DEMO_CEBROKER_PROVIDER_NUMBER = "12345"
DEMO_CEBROKER_COURSE_NUMBER = "654321"

QUIZ = {
    "questions": [
        {
            "text": "When is the best time to mark the cricothyroid membrane with ultrasound?",
            "rationale": "Marking it before induction makes a front-of-neck rescue faster if it is "
            "ever needed; palpation alone is unreliable, especially in obesity.",
            "references": ["10.1093/bja/aev371", "https://www.das.uk.com/guidelines"],
            "options": [
                {"text": "Before induction, as part of the airway plan", "correct": True},
                {"text": "Only after a failed intubation"},
                {"text": "During the first laryngoscopy attempt"},
                {"text": "It cannot be found with ultrasound"},
            ],
        },
        {
            "text": "On transverse airway ultrasound after intubation, what confirms tracheal placement?",
            "rationale": "A single air-mucosa interface (one 'trachea') means the tube is in the "
            "trachea; a second interface beside it (the 'double trachea' sign) means oesophageal intubation.",
            "references": ["10.1016/j.resuscitation.2013.03.008"],
            "options": [
                {"text": "A single trachea, with no second air-mucosa interface", "correct": True},
                {"text": "A 'double trachea' sign"},
                {"text": "Lung sliding on one side only"},
            ],
        },
        {
            "text": "Gastric ultrasound before induction is most useful to…",
            "rationale": "It estimates gastric content and volume, informing the aspiration risk "
            "and whether a rapid-sequence induction is needed.",
            "references": ["10.1097/ALN.0000000000002089"],
            "options": [
                {"text": "Estimate gastric content and the aspiration risk", "correct": True},
                {"text": "Measure the thyromental distance"},
                {"text": "Choose the tracheal tube size"},
                {"text": "Predict difficult mask ventilation"},
            ],
        },
    ]
}


def seed_demo_grant(*, show: Show, provider: Provider, coordinator: User) -> ShowProviderGrant:
    """The demo show's host invites the demo provider and its coordinator accepts (idempotent), the
    way a real show and provider agree; the audit trail shows both steps."""
    grant = ShowProviderGrant.objects.filter(
        show=show, provider=provider, status__in=GRANT_OPEN_STATUSES
    ).first()
    if grant is None:
        grant = grants.grant_invite(
            show=show,
            provider=provider,
            actor=_first_host(show),
            message="Welcome: accredit our airway episodes.",
        )
    if grant.status == GrantStatus.INVITED:
        grant = grants.grant_accept(grant=grant, actor=coordinator, side=grants.PROVIDER)
    elif grant.status == GrantStatus.REQUESTED:
        grant = grants.grant_accept(grant=grant, actor=_first_host(show), side=grants.HOST)
    return grant


def _first_host(show: Show) -> User:
    host = User.objects.filter(host_memberships__show=show).order_by("pk").first()
    if host is None:
        raise ValueError(f"The demo show {show.slug!r} has no host to agree to the grant.")
    return host


def seed_demo_accreditations(*, provider: Provider, coordinator: User) -> Provider:
    """The demo provider is jointly accredited, with its ACPE provider number (idempotent).

    Declared by its coordinator through the accreditations page's service, as a real provider does
    (audited; a published activity of an older demo gets Joint Accreditation's statement in a new
    version)."""
    if provider.joint_accreditation and provider.acpe_provider_number == DEMO_ACPE_PROVIDER_NUMBER:
        return provider
    result = credit_type_services.accreditations_save(
        provider=provider,
        actor=coordinator,
        joint_accreditation=True,
        ancc_accredited=provider.ancc_accredited,
        acpe_accredited=provider.acpe_accredited,
        aapa_authorized=provider.aapa_authorized,
        acpe_provider_number=DEMO_ACPE_PROVIDER_NUMBER,
    )
    return result.provider


def demo_uan(activity: Activity) -> str:
    """The demo activity's UAN: the provider's ACPE number, no joint provider (0000), the release year,
    sequence 001, home study (H) on patient safety (topic 05), for pharmacists (P)."""
    year = (activity.release_date or timezone.localdate()).year % 100
    return f"{activity.provider.acpe_provider_number}-0000-{year:02d}-001-H05-P"


def seed_demo_credit_types(*, activity: Activity, coordinator: User) -> None:
    """ANCC nursing contact hours and knowledge-based ACPE pharmacy CE, each designated for the same
    amount as the AMA credit (the same 15 minutes), through the activity credit types page's service
    (audited). A type the activity already offers is left as it is (a coordinator's choice stands).

    On the draft before it is published, version 1 carries them; on an older demo's published
    activity the service freezes them in a new version (``versions.activity_changed``)."""
    offered = set(activity.other_credits.values_list("kind", flat=True))
    amount = activity.designated_credits
    if CreditKind.ANCC not in offered:
        credit_type_services.credit_type_add(
            activity=activity, actor=coordinator, kind=CreditKind.ANCC, amount=amount
        )
    if CreditKind.ACPE not in offered:
        credit_type_services.credit_type_add(
            activity=activity,
            actor=coordinator,
            kind=CreditKind.ACPE,
            amount=amount,
            uan=demo_uan(activity),
            acpe_activity_type=AcpeActivityType.KNOWLEDGE,
        )


def seed_demo_cebroker_numbers(*, activity: Activity, coordinator: User) -> None:
    """CE Broker's provider and course tracking numbers, so the nurse's completion can go on the
    roster (idempotent; numbers a coordinator entered are kept)."""
    if activity.provider.cebroker_provider_number or activity.cebroker_course_number:
        return
    cebroker.numbers_set(
        activity=activity,
        actor=coordinator,
        provider_number=DEMO_CEBROKER_PROVIDER_NUMBER,
        course_number=DEMO_CEBROKER_COURSE_NUMBER,
        subject_area="",
    )


def seed_demo_activity(*, provider: Provider, coordinator: User) -> Activity | None:
    """Make the demo POCUS episode an activity (idempotent). None when the episode is missing."""
    episode = Episode.objects.filter(show__slug="airway-rounds", slug=DEMO_ACTIVITY_EPISODE).first()
    if episode is None:
        return None
    existing = Activity.objects.filter(episode=episode).select_related("provider").first()
    if existing is not None:
        # An older demo's activity offered AMA credit only: ANCC and ACPE come in a new version.
        if existing.status == Activity.Status.PUBLISHED and grants.activity_is_changeable(existing):
            seed_demo_credit_types(activity=existing, coordinator=coordinator)
        seed_demo_cebroker_numbers(activity=existing, coordinator=coordinator)
        existing.refresh_from_db()
        return existing
    mark = demo_audit_last_id()
    seed_demo_grant(show=episode.show, provider=provider, coordinator=coordinator)
    today = timezone.localdate()
    activity = services.activity_create(
        provider=provider,
        episode=episode,
        actor=coordinator,
        data={
            "title": "Point-of-care ultrasound for the airway",
            "objectives": (
                "Locate and mark the cricothyroid membrane with ultrasound before induction\n"
                "Confirm tracheal intubation with transverse airway ultrasound\n"
                "Use gastric ultrasound to estimate the aspiration risk"
            ),
            "target_audience": (
                "Anesthesiologists, emergency physicians, CRNAs, perioperative nurses and pharmacists, "
                "and anesthesia residents"
            ),
            "designated_credits": Decimal("0.25"),
            # The demo's audio is a short synthetic sample standing in for a 15-minute episode.
            "designation_reason": "Demo data: the audio is a short sample of a 15-minute episode.",
            # Released with its episode, before the demo's claims (about 100 days ago, followups/demo.py).
            "release_date": today - datetime.timedelta(days=120),
            "expiry_date": today - datetime.timedelta(days=120) + datetime.timedelta(days=3 * 365),
            "references": (
                "Kristensen MS, et al. Ultrasonography for clinical decision-making and intervention in "
                "airway management. Br J Anaesth. 2016;117 Suppl 1:i39-i48. https://doi.org/10.1093/bja/aew176\n"
                "Perlas A, et al. Validation of a mathematical model for ultrasound assessment of gastric "
                "volume. Br J Anaesth. 2013;111(1):82-91. https://doi.org/10.1093/bja/aet079"
            ),
            "passing_score": 75,
            "max_attempts": 0,
        },
        mandate_topics=list(MandateTopic.objects.filter(slug="patient-safety")),
    )
    seed_demo_disclosures(activity=activity, coordinator=coordinator)
    services.quiz_replace(activity=activity, actor=coordinator, data=QUIZ)
    # Registered for ABA and ABIM MOC (frozen in version 1); physicians opt in on the claim page.
    moc.moc_register(
        activity=activity, actor=coordinator, rows=[("ABA", "LL", "0.25"), ("ABIM", "MK", "0.25")]
    )
    # Nurses and pharmacists may claim their own credit (frozen in version 1 with the statements).
    seed_demo_credit_types(activity=activity, coordinator=coordinator)
    versions.activity_publish(activity=activity, actor=coordinator)
    # Reporting data for PARS (not part of what learners are shown, so not in a version).
    pars.pars_update(
        activity=activity,
        actor=coordinator,
        data={
            "pars_activity_id": "202612345",
            "pars_description": "",
            "pars_cme_finder": True,
            "pars_outcome_measures": ["learner_knowledge"],
        },
    )
    seed_demo_cebroker_numbers(activity=activity, coordinator=coordinator)
    # Set up and published before its release and before the demo's claims (about 100 days ago):
    # an auditor sees disclosures collected and mitigated, then the activity published, then claims.
    backdate_demo_activity_setup(
        activity=activity,
        published_at=timezone.now() - datetime.timedelta(days=DEMO_ACTIVITY_PUBLISHED_DAYS_AGO),
        after_id=mark,
    )
    activity.refresh_from_db()
    return activity


# The people in control of the demo activity's content: the episode's three speakers, its planner
# and its reviewer. Each completes the disclosure form through the emailed link, as a real person does.
DEMO_PEOPLE: list[dict[str, Any]] = [
    {"name": "Fatima Faculty", "credentials": "MD, PhD", "role": "faculty", "email": "fatima@example.org",
     "relationships": [{"company": "SonoCorp Imaging", "nature": "advisory", "ongoing": True}]},
    {"name": "Hank Host", "credentials": "MD", "role": "faculty", "email": "hank.faculty@example.org"},
    {"name": "Grace Guest", "credentials": "MBBS, FRCA", "role": "faculty", "email": "grace@example.org"},
    {"name": "Cora Coordinator", "credentials": "MEd", "role": "planner",
     "email": "cora.planner@example.org"},
    {"name": "Luis Ortega", "credentials": "DO", "role": "reviewer", "email": "luis@example.org"},
]  # fmt: skip


def seed_demo_disclosures(*, activity: Activity, coordinator: User) -> None:
    """The demo activity's people with collected disclosures (ACCME Standard 3), through the services:
    each is emailed the form and answers it; the one relevant relationship is mitigated by an
    independent peer review; the episode's speakers are matched to them."""
    added = {}
    for entry in DEMO_PEOPLE:
        person = disclosure_services.person_create(
            provider=activity.provider,
            actor=coordinator,
            name=entry["name"],
            credentials=entry["credentials"],
            email=entry["email"],
        )
        added[entry["name"]] = disclosure_services.activity_add_person(
            activity=activity, actor=coordinator, person=person, role=entry["role"]
        )
        _collect_disclosure(person=person, entry=entry, activity=activity, coordinator=coordinator)
    faculty = added["Fatima Faculty"]
    for relationship in faculty.person.disclosure_forms.get().relationships.all():
        disclosure_services.relationship_decide(
            content_person=faculty,
            relationship=relationship,
            actor=coordinator,
            relevant=True,
            reason="She teaches ultrasound techniques; SonoCorp makes ultrasound machines.",
            mitigation=RelevanceDecision.Mitigation.PEER_REVIEW,
            mitigation_note=(
                "Luis Ortega, DO (no relevant relationships) reviewed the content for balance and evidence."
            ),
        )
    _settle_speakers(activity=activity, added=added, coordinator=coordinator)


def _collect_disclosure(
    *, person: ProviderPerson, entry: dict[str, Any], activity: Activity, coordinator: User
) -> None:
    """The person is emailed the disclosure form and answers it, as a real person does."""
    _request, token = disclosure_services.disclosure_request_send(
        person=person, actor=coordinator, activity=activity
    )
    relationships = entry.get("relationships", [])
    disclosure_services.disclosure_form_submit(
        token=token,
        data={
            "relationships": relationships,
            "no_relationships": not relationships,
            "owner_or_employee": False,
            "attests_complete": True,
            "promises_to_report_changes": True,
            "signed_name": entry["name"],
        },
    )


def _settle_speakers(*, activity: Activity, added: dict[str, ContentPerson], coordinator: User) -> None:
    """Match each speaker of the episode to the person in control of content of the same name."""
    for speaker in speakers(activity):
        if speaker.name in added:
            disclosure_services.speaker_settle(
                activity=activity,
                actor=coordinator,
                speaker_name=speaker.name,
                content_person=added[speaker.name],
            )


DEMO_SECOND_ACTIVITY_EPISODE = "the-obstetric-airway"
# Its people: the episode's two speakers, and the first activity's planner and reviewer. All of them
# are people the provider already holds a current disclosure from (the first activity collected it).
DEMO_SECOND_PEOPLE = ("Hank Host", "Grace Guest", "Cora Coordinator", "Luis Ortega")

SECOND_QUIZ = {
    "questions": [
        {
            "text": "How should a pregnant patient be positioned for a general anaesthetic?",
            "rationale": "Ramped, with the ear level with the sternal notch and left uterine "
            "displacement: laryngoscopy is easier and pre-oxygenation more effective.",
            "references": ["10.1111/anae.13260"],
            "options": [
                {"text": "Ramped, with left uterine displacement", "correct": True},
                {"text": "Flat and supine"},
                {"text": "Head down (Trendelenburg)"},
            ],
        },
        {
            "text": "Why does a pregnant patient desaturate faster when apnoeic?",
            "rationale": "The functional residual capacity falls and oxygen consumption rises.",
            "references": ["10.1111/anae.13260"],
            "options": [
                {"text": "A smaller functional residual capacity and a higher oxygen use", "correct": True},
                {"text": "A larger functional residual capacity"},
                {"text": "A lower oxygen use"},
            ],
        },
        {
            "text": "Which rescue device should be ready before induction?",
            "rationale": "A second-generation supraglottic airway restores oxygenation after a failed "
            "intubation and allows a decision to wake or to proceed.",
            "references": ["10.1111/anae.13260"],
            "options": [
                {"text": "A second-generation supraglottic airway", "correct": True},
                {"text": "A nasopharyngeal airway only"},
                {"text": "None: the surgery must start at once"},
            ],
        },
    ]
}


def seed_demo_second_activity(*, provider: Provider, coordinator: User) -> Activity | None:
    """A second CME activity, on the obstetric airway episode, that no demo learner has claimed: the
    one to try the learner's path on (AMA credit only; idempotent). None when the episode or the first
    activity's people are missing."""
    episode = Episode.objects.filter(show__slug="airway-rounds", slug=DEMO_SECOND_ACTIVITY_EPISODE).first()
    if episode is None:
        return None
    existing = Activity.objects.filter(episode=episode).first()
    if existing is not None:
        return existing
    people = {
        p.name: p for p in ProviderPerson.objects.filter(provider=provider, name__in=DEMO_SECOND_PEOPLE)
    }
    if set(people) != set(DEMO_SECOND_PEOPLE):
        return None
    seed_demo_grant(show=episode.show, provider=provider, coordinator=coordinator)
    today = timezone.localdate()
    activity = services.activity_create(
        provider=provider,
        episode=episode,
        actor=coordinator,
        data={
            "title": "The obstetric airway: general anaesthesia for caesarean section",
            "objectives": (
                "Position and pre-oxygenate a pregnant patient for a general anaesthetic\n"
                "Explain why pregnant patients desaturate faster during apnoea\n"
                "Prepare a rescue plan with a second-generation supraglottic airway"
            ),
            "target_audience": "Anesthesiologists, obstetric anaesthesia fellows and residents, and CRNAs",
            "designated_credits": Decimal("0.25"),
            "designation_reason": "Demo data: the audio is a short sample of a 15-minute episode.",
            "release_date": today - datetime.timedelta(days=7),
            "expiry_date": today - datetime.timedelta(days=7) + datetime.timedelta(days=3 * 365),
            "references": (
                "Mushambi MC, et al. Obstetric Anaesthetists' Association and Difficult Airway Society "
                "guidelines for the management of difficult and failed tracheal intubation in obstetrics. "
                "Anaesthesia. 2015;70(11):1286-1306. https://doi.org/10.1111/anae.13260"
            ),
            "passing_score": 75,
            "max_attempts": 0,
        },
        mandate_topics=[],
    )
    roles = {entry["name"]: entry["role"] for entry in DEMO_PEOPLE}
    added = {
        name: disclosure_services.activity_add_person(
            activity=activity, actor=coordinator, person=people[name], role=roles[name]
        )
        for name in DEMO_SECOND_PEOPLE
    }
    _settle_speakers(activity=activity, added=added, coordinator=coordinator)
    services.quiz_replace(activity=activity, actor=coordinator, data=SECOND_QUIZ)
    versions.activity_publish(activity=activity, actor=coordinator)
    activity.refresh_from_db()
    return activity


DEMO_EVALUATION = {
    "objectives_met": 5,
    "relevant_to_practice": 5,
    "free_of_bias": 5,
    "intends_change": True,
    "change_description": "Mark the cricothyroid membrane with ultrasound before induction.",
    "comments": "",
}


def seed_demo_certificate(*, learner: User, activity: Activity) -> None:
    """The demo learner passes, evaluates and claims the demo activity (idempotent).

    Everything goes through the services, so the certificate is issued the way a real claim's is:
    when the surrounding transaction commits, and rendered by the task backend.
    """
    demo_claim(learner=learner, activity=activity)


def demo_claim(*, learner: User, activity: Activity, evaluation: dict | None = None) -> CreditClaim:
    """Pass the post-test, evaluate (``evaluation``: the form's data, DEMO_EVALUATION by default) and
    claim through the services; the learner's claim if there is one already (idempotent). Demo data
    for other apps too (followups' cohort of learners)."""
    claim = CreditClaim.objects.filter(learner=learner, activity=activity).first()
    if claim is not None:
        return claim
    if not Attempt.objects.filter(learner=learner, activity=activity, passed=True).exists():
        attempt = services.attempt_start(learner=learner, activity=activity)
        right = dict(
            Option.objects.filter(question__activity=activity, is_correct=True).values_list(
                "question_id", "pk"
            )
        )
        # The form sends each option's token for this attempt, never its id.
        answers = {
            str(q["id"]): next(o["token"] for o in q["options"] if o["id"] == right[q["id"]])
            for q in attempt.questions
        }
        services.attempt_submit(attempt_id=attempt.pk, learner=learner, answers=answers)
    if not Evaluation.objects.filter(learner=learner, activity=activity).exists():
        services.evaluation_submit(learner=learner, activity=activity, data=evaluation or DEMO_EVALUATION)
    return services.claim_credit(
        learner=learner,
        activity=activity,
        minutes=15,
        attested=True,
        listening_evidence={"demo": "seeded by seed_demo"},
    )


def seed_demo_nurse_licence(*, learner: User) -> Licence:
    """The demo nurse's Florida RN licence (idempotent): the number and state the CE Broker roster
    needs, and a two-year cycle of 24 hours with 2 hours of patient safety (Florida's medical errors
    prevention course), which the demo activity counts towards."""
    existing = Licence.objects.filter(learner=learner, profession=Profession.NURSE).first()
    if existing is not None:
        return existing
    today = timezone.localdate()
    return licences.licence_save(
        learner=learner,
        data={
            "profession": Profession.NURSE,
            "state": "Florida",
            "number": "RN9876543",
            "cycle_start": datetime.date(today.year - 1, 5, 1),
            "cycle_end": datetime.date(today.year + 1, 4, 30),
            "required_hours": Decimal("24"),
            "counts_participation": False,
        },
        mandates=[("Patient safety", Decimal("2"))],
    )


# The demo faculty member verified as a licensed clinician (credits/clinicians.py): her badge shows on
# the demo CME episode, where the activity matched her as a speaker. 1234567893 is CMS's worked
# example of the NPI check digit, not a real clinician's NPI.
DEMO_CLINICIAN = {"name": "Fatima Faculty", "licence_state": "MA", "licence_number": "MD-245871",
                  "npi": "1234567893"}  # fmt: skip


def seed_demo_clinician(*, provider: Provider, coordinator: User) -> ClinicianVerification | None:
    """Verify the demo faculty member (idempotent: nothing when a verification is valid). Her licence
    runs two years from the day the demo is seeded. None when the person is missing."""
    person = ProviderPerson.objects.filter(provider=provider, name=DEMO_CLINICIAN["name"]).first()
    if person is None:
        return None
    current = ClinicianVerification.objects.filter(person=person).valid().first()
    if current is not None:
        return current
    return clinicians.clinician_verify(
        person=person,
        actor=coordinator,
        licence_state=DEMO_CLINICIAN["licence_state"],
        licence_number=DEMO_CLINICIAN["licence_number"],
        npi=DEMO_CLINICIAN["npi"],
        licence_expires_on=timezone.localdate() + datetime.timedelta(days=730),
        evidence_note="Demo data: the state board lookup and the NPPES record are not real.",
    )


def demo_audit_redate(*, after_id: int, at: datetime.datetime) -> int:
    """Date the audit rows written since row ``after_id`` at ``at`` (demo only: the demo replays
    past days in one transaction, and its audit rows must say when each step happened). Audit rows
    are append-only everywhere else; this goes around the guard on purpose and refuses outside a
    demo site. Returns the rows re-dated."""
    _demo_only()
    rows = AuditEvent._base_manager.filter(pk__gt=after_id)
    return models.QuerySet.update(rows, created_at=at)


def demo_audit_last_id() -> int:
    """The id of the newest audit row (0 when none): the mark for demo_audit_redate."""
    return AuditEvent._base_manager.order_by("-pk").values_list("pk", flat=True).first() or 0


def _demo_only() -> None:
    if not settings.PODCASTCME_DEMO_ALLOWED:
        raise ImproperlyConfigured(
            "Demo records are moved in time only on a demo site (PODCASTCME_DEMO_ALLOWED)."
        )


def backdate_demo_claim(*, claim: CreditClaim, at: datetime.datetime) -> bool:
    """Move a just-made demo claim and its own records back to ``at`` (demo only): the post-test
    attempt, the evaluation, the claim, its completion record, further credits and MOC opt-ins, its
    certificate (issue time and completion date; the number is taken again in the series of the
    moved year when the move crosses a year, so the number's year matches the date printed), the
    learner's listening progress of the episode, and the audit rows about these records. The
    learner's steps keep their order: the attempt a few minutes before the evaluation, the claim
    after both.

    Idempotent and one way: nothing happens when the claim is already at or before ``at`` (a second
    seed_demo moves nothing twice). Refused outside a demo site. Returns whether it moved anything.
    """
    _demo_only()
    claim = CreditClaim.objects.select_related("activity__provider").get(pk=claim.pk)
    if claim.claimed_at <= at:
        return False
    shift = claim.claimed_at - at
    attempt_at = at - datetime.timedelta(minutes=6)
    evaluation_at = at - datetime.timedelta(minutes=3)
    Attempt.objects.filter(pk=claim.attempt_id).update(started_at=attempt_at - datetime.timedelta(minutes=4),
                                                        submitted_at=attempt_at)  # fmt: skip
    Evaluation.objects.filter(pk=claim.evaluation_id).update(submitted_at=evaluation_at)
    CreditClaim.objects.filter(pk=claim.pk).update(claimed_at=at)
    CompletionRecord.objects.filter(claim=claim).update(completed_at=at)
    ClaimedCredit.objects.filter(claim=claim).update(created_at=at)
    MocOptIn.objects.filter(claim=claim).update(consented_at=at)
    ListeningProgress.objects.filter(
        user_id=claim.learner_id, episode_id=claim.activity.episode_id, first_played_at__gt=at
    ).update(
        first_played_at=at - datetime.timedelta(minutes=20), updated_at=at - datetime.timedelta(minutes=8)
    )
    provider = claim.activity.provider
    zone = provider_zone(provider)
    audited: list[tuple[str, str, datetime.datetime]] = [
        ("credits.attempt", str(claim.attempt_id), attempt_at),
        ("credits.evaluation", str(claim.evaluation_id), evaluation_at),
        ("credits.creditclaim", str(claim.pk), at),
    ]
    for certificate in Certificate.objects.filter(claim=claim):
        changes: dict[str, Any] = {
            "issued_at": at,
            "completion_date": timezone.localtime(at, zone).date(),
            "render_next_try_at": certificate.render_next_try_at and certificate.render_next_try_at - shift,
        }
        if timezone.localtime(certificate.issued_at, zone).year != timezone.localtime(at, zone).year:
            changes["number"] = certificates.next_certificate_number(provider=provider, at=at)
        Certificate.objects.filter(pk=certificate.pk).update(**changes)
        audited.append(("credits.certificate", str(certificate.pk), at))
    for object_type, object_id, when in audited:
        rows = AuditEvent._base_manager.filter(
            object_type=object_type, object_id=object_id, created_at__gt=when
        )
        models.QuerySet.update(rows, created_at=when)
    return True


# The demo activity's setup, in the order a CME office follows: the show's grant, the activity drafted,
# its people asked for disclosures and their forms collected, the one relevant relationship mitigated
# and the speakers matched, the post-test, MOC and credit types, then publication; its episode is
# published and the activity released 120 days ago, the claims made about 100 days ago.
DEMO_ACTIVITY_PUBLISHED_DAYS_AGO = 125
# How long before publication each audited step of the setup happened, by audit action.
_SETUP_STEP_BEFORE_PUBLICATION: dict[str, datetime.timedelta] = {
    "grant.invited": datetime.timedelta(days=10),
    "grant.accepted": datetime.timedelta(days=9),
    "activity.created": datetime.timedelta(days=8),
    "disclosure.person_created": datetime.timedelta(days=8),
    "activity.person_added": datetime.timedelta(days=8),
    "disclosure.requested": datetime.timedelta(days=8),
    "disclosure.collected": datetime.timedelta(days=6),
    "disclosure.relevance_decided": datetime.timedelta(days=4),
    "activity.speaker_matched": datetime.timedelta(days=4),
    "quiz.replaced": datetime.timedelta(days=2),
    "moc.registration_changed": datetime.timedelta(days=2),
    "activity.credit_types_changed": datetime.timedelta(days=2),
    "activity.published": datetime.timedelta(0),
}


def backdate_demo_activity_setup(
    *, activity: Activity, published_at: datetime.datetime, after_id: int
) -> bool:
    """Move a just-made demo activity's setup back so that it is published at ``published_at``
    (demo only): the show's grant, the activity's creation and publication, its versions, its people,
    their disclosure requests and forms (the date collected too), the relevance decisions and their
    mitigation, the speaker matches, MOC registrations and credit types, and the audit rows about
    these written since audit row ``after_id``. Each step is dated by _SETUP_STEP_BEFORE_PUBLICATION
    (a step not listed, such as the PARS and CE Broker data, a few minutes after publication), the
    audit rows of one step a second apart in the order they were written.

    Idempotent and one way: nothing happens when the activity was already created at or before
    ``published_at`` (a second seed_demo moves nothing). Refused outside a demo site. Returns whether
    it moved anything.
    """
    _demo_only()
    activity = Activity.objects.select_related("provider", "episode").get(pk=activity.pk)
    if activity.created_at <= published_at:
        return False
    step = _SETUP_STEP_BEFORE_PUBLICATION
    zone = provider_zone(activity.provider)
    grant_at = published_at - step["grant.accepted"]
    created_at = published_at - step["activity.created"]
    collected_at = published_at - step["disclosure.collected"]
    decided_at = published_at - step["disclosure.relevance_decided"]
    prepared_at = published_at - step["quiz.replaced"]
    grant_ids = [
        str(pk)
        for pk in ShowProviderGrant.objects.filter(
            show_id=activity.episode.show_id, provider=activity.provider
        ).values_list("pk", flat=True)
    ]
    ShowProviderGrant.objects.filter(pk__in=grant_ids, requested_at__gt=grant_at).update(
        requested_at=published_at - step["grant.invited"], accepted_at=grant_at
    )
    Activity.objects.filter(pk=activity.pk).update(
        created_at=created_at, updated_at=published_at, published_at=published_at
    )
    ActivityVersion.objects.filter(activity=activity).update(created_at=published_at)
    ActivityCredit.objects.filter(activity=activity).update(created_at=prepared_at)
    MocRegistration.objects.filter(activity=activity).update(created_at=prepared_at)
    people = ContentPerson.objects.filter(activity=activity)
    people.update(added_at=created_at)
    person_ids = list(people.values_list("person_id", flat=True))
    ProviderPerson.objects.filter(pk__in=person_ids, created_at__gt=created_at).update(created_at=created_at)
    requests = DisclosureRequest.objects.filter(activity=activity, created_at__gt=created_at)
    for request in requests:
        DisclosureRequest.objects.filter(pk=request.pk).update(
            created_at=created_at,
            expires_at=created_at + (request.expires_at - request.created_at),
            used_at=request.used_at and collected_at,
        )
    DisclosureForm.objects.filter(person_id__in=person_ids, submitted_at__gt=collected_at).update(
        submitted_at=collected_at, collected_on=timezone.localtime(collected_at, zone).date()
    )
    decisions = RelevanceDecision.objects.filter(content_person__activity=activity)
    decisions.update(decided_at=decided_at)
    decisions.filter(mitigated_at__isnull=False).update(mitigated_at=decided_at)
    SpeakerMatch.objects.filter(activity=activity).update(decided_at=decided_at)
    rows = AuditEvent._base_manager.filter(pk__gt=after_id).filter(
        models.Q(object_type="credits.activity", object_id=str(activity.pk))
        | models.Q(object_type="credits.providerperson", object_id__in=[str(pk) for pk in person_ids])
        | models.Q(object_type="credits.showprovidergrant", object_id__in=grant_ids)
    )
    in_step: dict[datetime.timedelta, int] = {}
    for row in rows.order_by("pk").only("pk", "action"):
        before = step.get(row.action, -datetime.timedelta(minutes=10))
        in_step[before] = in_step.get(before, -1) + 1
        when = published_at - before + datetime.timedelta(seconds=in_step[before])
        models.QuerySet.update(AuditEvent._base_manager.filter(pk=row.pk), created_at=when)
    return True
