"""Create (or bring up to date) the demo provider, users and content. Development only.

It spans every app (accounts, shows, activities, certificates), so it lives in the top-level package."""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.demo import (
    DEMO_ADMIN,
    DEMO_COORDINATOR,
    DEMO_HOST,
    DEMO_INSTITUTION_ADMIN,
    DEMO_LEARNER,
    DEMO_NURSE,
    DEMO_PASSWORD,
    DEMO_PHARMACIST,
    DEMO_TOTP_SECRET,
)
from accounts.models import Degree, LearnerProfile, User
from api.demo import seed_demo_token
from credits.demo import (
    seed_demo_accreditations,
    seed_demo_activity,
    seed_demo_certificate,
    seed_demo_clinician,
    seed_demo_nurse_licence,
    seed_demo_second_activity,
)
from credits.models import Provider, ProviderCoordinator
from discussion.demo import seed_demo_discussion
from episodes.demo import DemoError, seed_demo_show
from episodes.demo_analytics import seed_demo_downloads
from episodes.personal_feeds import personal_feed_get_or_create
from followups.demo import seed_demo_follow_ups
from institutions.demo import seed_demo_institution


def _user(email: str, *, staff: bool = False) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email, password=DEMO_PASSWORD, is_staff=staff, is_superuser=staff
        )
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def _totp(user: User) -> None:
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, DEMO_TOTP_SECRET)
        RecoveryCodes.activate(user)


class Command(BaseCommand):
    help = "Create the demo provider, users, show and content (idempotent; refused in production)."

    def handle(self, *args, **options):
        if not settings.PODCASTCME_DEMO_ALLOWED:
            raise CommandError(
                "seed_demo creates accounts with known passwords and is refused in production."
            )
        try:
            with transaction.atomic():
                self.seed()
        except DemoError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS("Demo data is in place."))

    def seed(self) -> None:
        provider, _ = Provider.objects.get_or_create(
            slug="acme-anesthesia",
            defaults={
                "name": "American Society of Podcast Anesthesiology",
                "contact_email": "cme@podcast-anesthesiology.example.org",
                "time_zone": "America/Chicago",
            },
        )
        learner = _user(DEMO_LEARNER)
        LearnerProfile.objects.update_or_create(
            user=learner,
            defaults={
                "given_name": "Amara",
                "middle_name": "J.",
                "family_name": "Okafor",
                "degree": Degree.MD,
                "specialty": "Anesthesiology",
                "country": "United States",
                "state_province": "Illinois",
                "npi": "1234567893",
            },
        )
        host = _user(DEMO_HOST)
        LearnerProfile.objects.get_or_create(
            user=host, defaults={"given_name": "Hank", "family_name": "Host", "degree": Degree.MD}
        )
        coordinator = _user(DEMO_COORDINATOR)
        LearnerProfile.objects.get_or_create(
            user=coordinator,
            defaults={
                "given_name": "Cora",
                "family_name": "Coordinator",
                "degree": Degree.OTHER,
                "degree_other": "MEd",
            },
        )
        admin = _user(DEMO_ADMIN, staff=True)
        for staff_user in (host, coordinator, admin):
            _totp(staff_user)
        # A nurse (ANCC contact hours; a Florida licence for the CE Broker roster) and a pharmacist
        # (ACPE credit, reported to CPE Monitor with the NABP e-Profile ID and birth month and day).
        nurse = _user(DEMO_NURSE)
        LearnerProfile.objects.update_or_create(
            user=nurse,
            defaults={
                "given_name": "Nadia",
                "family_name": "Reyes",
                "degree": Degree.RN,
                "specialty": "Perioperative nursing",
                "country": "United States",
                "state_province": "Florida",
            },
        )
        seed_demo_nurse_licence(learner=nurse)
        pharmacist = _user(DEMO_PHARMACIST)
        LearnerProfile.objects.update_or_create(
            user=pharmacist,
            defaults={
                "given_name": "Peter",
                "family_name": "Lindqvist",
                "degree": Degree.PHARMD,
                "specialty": "Perioperative pharmacy",
                "country": "United States",
                "state_province": "Ohio",
                "nabp_eprofile_id": "123456",
                "birth_month": 3,
                "birth_day": 14,
            },
        )
        ProviderCoordinator.objects.get_or_create(provider=provider, user=coordinator)
        # Jointly accredited (AMA, ANCC and ACPE credit), declared by its coordinator.
        provider = seed_demo_accreditations(provider=provider, coordinator=coordinator)
        # The show with artwork and spoken episodes (espeak-ng + ffmpeg); its host is the demo host.
        show = seed_demo_show(host=host)
        # A week of plausible downloads (several apps, some bots, repeat requests) through the real
        # counting rules, and the demo learner's personal feed of the show.
        seed_demo_downloads(show=show)
        personal_feed_get_or_create(user=learner, show=show)
        # One episode is an accredited CME activity with a three-question post-test.
        activity = seed_demo_activity(provider=provider, coordinator=coordinator)
        # The demo learner has claimed it, and so have the nurse (ANCC contact hours) and the
        # pharmacist (ACPE credit, so the CPE Monitor export has a row): the certificates are issued
        # when this transaction commits.
        if activity is not None:
            for claimant in (learner, nurse, pharmacist):
                seed_demo_certificate(learner=claimant, activity=activity)
        # Peer review under it: comments citing a DOI and a PMID, a Mastodon reply, a pin, a hide, a fix.
        seed_demo_discussion(
            episode=activity.episode if activity else None, host=host, members=[learner, nurse, pharmacist]
        )
        # A second activity (the obstetric airway episode) that nobody has claimed: the one a visitor
        # logs in as the demo learner to claim (listen, post-test, evaluation, claim, certificate).
        seed_demo_second_activity(provider=provider, coordinator=coordinator)
        # The demo faculty member is a verified clinician: her badge shows on the demo CME episode.
        seed_demo_clinician(provider=provider, coordinator=coordinator)
        # Issue 18: the first activity's follow-ups (7, 30, 90 days; practice change) answered by a
        # cohort, so its outcomes report has figures; a hospital with seats whose members joined by
        # their verified address (the learner shares completions); the learner's read-only API token.
        if activity is not None:
            seed_demo_follow_ups(activity=activity, learners=[learner, nurse, pharmacist])
        hospital_admin = _user(DEMO_INSTITUTION_ADMIN)
        _totp(hospital_admin)
        seed_demo_institution(provider=provider, admin_user=hospital_admin, member_users=[learner, nurse])
        seed_demo_token(user=learner)
