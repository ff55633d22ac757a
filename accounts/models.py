"""The user (email is the login) and the learner profile a certificate and a board report need."""

import zoneinfo
from decimal import Decimal
from typing import ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .validators import validate_nabp_eprofile_id, validate_npi

TIME_ZONE_CHOICES = [(tz, tz) for tz in sorted(zoneinfo.available_timezones()) if "/" in tz] + [
    ("UTC", "UTC")
]


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("email address"), max_length=254, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff status"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        choices=TIME_ZONE_CHOICES,
        default="UTC",
        help_text=_("Dates and times on the site are shown in this time zone."),
    )

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    # Set on the request's user by the role checks (accounts.permissions.is_host and is_coordinator,
    # podcastcme.navigation), so one request asks the database once; absent until then.
    _is_host_cache: bool | None
    _is_coordinator_cache: bool | None

    class Meta:
        verbose_name = _("user")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self) -> str:
        profile = getattr(self, "profile", None)
        return profile.display_name if profile else self.email

    def get_short_name(self) -> str:
        return self.email


class Degree(models.TextChoices):
    MD = "MD", "MD"
    DO = "DO", "DO"
    # Primary medical degrees awarded outside the US that license their holder to practise medicine
    # as an MD or DO does (AMA: physicians with them receive AMA PRA Category 1 Credit). The value is
    # what the certificate prints, in the spelling the awarding schools use.
    MBBS = "MBBS", "MBBS"
    MBCHB = "MBChB", "MBChB"
    MB_BCH = "MB BCh", "MB BCh"
    MBBCH = "MBBCh", "MBBCh"
    MB_BCHIR = "MB BChir", "MB BChir"
    BM_BCH = "BM BCh", "BM BCh"
    BMBS = "BMBS", "BMBS"
    MB_BCH_BAO = "MB BCh BAO", "MB BCh BAO"
    OTHER_MEDICAL = "OtherMed", _("Other international medical degree equivalent to MD/DO")
    PA_C = "PA-C", "PA-C"
    NP = "NP", "NP"
    RN = "RN", "RN"
    CRNA = "CRNA", "CRNA"
    PHARMD = "PharmD", "PharmD"
    PHD = "PhD", "PhD"
    OTHER = "Other", _("Other")


# US physician degrees: AMA PRA Category 1 Credit with no further question.
US_PHYSICIAN_DEGREES = frozenset({Degree.MD, Degree.DO})
# International primary medical degrees: physician credit once the learner attests that theirs is a
# primary medical degree equivalent to an MD or DO (``LearnerProfile.degree_equivalence_attested_at``).
INTERNATIONAL_MEDICAL_DEGREES = frozenset(
    {
        Degree.MBBS,
        Degree.MBCHB,
        Degree.MB_BCH,
        Degree.MBBCH,
        Degree.MB_BCHIR,
        Degree.BM_BCH,
        Degree.BMBS,
        Degree.MB_BCH_BAO,
        Degree.OTHER_MEDICAL,
    }
)
PHYSICIAN_DEGREES = US_PHYSICIAN_DEGREES | INTERNATIONAL_MEDICAL_DEGREES
# Degrees whose printed name the learner types (``degree_other``).
NAMED_DEGREES = frozenset({Degree.OTHER, Degree.OTHER_MEDICAL})


def degree_needs_equivalence(degree: str) -> bool:
    """An international medical degree: physician credit needs the learner's attestation."""
    return degree in INTERNATIONAL_MEDICAL_DEGREES


def degree_is_physician(degree: str, *, equivalence_attested: bool) -> bool:
    """The one rule of who receives AMA PRA Category 1 Credit (everyone else: participation).

    MD and DO are physicians; an international primary medical degree (MBBS, MBChB, MB BCh, BMBS,
    ...) is when the learner has attested that it is equivalent to an MD or DO. ``degree`` is a
    ``Degree`` value; any other text (a credential typed under Other) is not a physician degree.
    """
    if degree in US_PHYSICIAN_DEGREES:
        return True
    return degree_needs_equivalence(degree) and equivalence_attested


class Profession(models.TextChoices):
    """The profession a degree belongs to: it decides which credit types a learner may claim
    (credits/credit_types.py) and is a licence's profession (``Licence``). Physicians:
    ``degree_is_physician``. (The labels are the licence form's, as in migration 0004_licences.)"""

    PHYSICIAN = "physician", _("Physician (MD, DO)")
    PA = "pa", _("Physician assistant")
    NURSE = "nurse", _("Nurse")
    PHARMACIST = "pharmacist", _("Pharmacist")
    OTHER = "other", _("Other")


_DEGREE_PROFESSIONS: dict[str, Profession] = {
    Degree.PA_C: Profession.PA,
    Degree.NP: Profession.NURSE,
    Degree.RN: Profession.NURSE,
    Degree.CRNA: Profession.NURSE,
    Degree.PHARMD: Profession.PHARMACIST,
}


def degree_profession(degree: str, *, equivalence_attested: bool) -> Profession:
    """The one rule from a degree to a profession (a physician exactly when ``degree_is_physician``)."""
    if degree_is_physician(degree, equivalence_attested=equivalence_attested):
        return Profession.PHYSICIAN
    return _DEGREE_PROFESSIONS.get(degree, Profession.OTHER)


NPI_TAKEN_MESSAGE = _(
    "This NPI is already on another account. An NPI identifies one clinician: check the number, "
    "or sign in to the account that has it."
)


class LearnerProfile(models.Model):
    """What a certificate and an ACCME PARS board report need to know about a learner."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    given_name = models.CharField(_("legal given name"), max_length=100, blank=True)
    middle_name = models.CharField(_("middle name"), max_length=100, blank=True)
    family_name = models.CharField(_("legal family name"), max_length=100, blank=True)
    suffix = models.CharField(_("suffix"), max_length=20, blank=True)
    degree = models.CharField(_("degree or credential"), max_length=10, choices=Degree.choices, blank=True)
    degree_other = models.CharField(_("other credential"), max_length=40, blank=True)
    # When the learner attested that their international degree is a primary medical degree
    # equivalent to an MD or DO; cleared when the degree changes (the new one needs its own).
    degree_equivalence_attested_at = models.DateTimeField(
        _("degree equivalence attested at"), null=True, blank=True
    )
    specialty = models.CharField(_("specialty"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=100, blank=True)
    state_province = models.CharField(_("state or province of licence"), max_length=100, blank=True)
    licence_number = models.CharField(_("licence number"), max_length=40, blank=True)
    # One account per NPI (an NPI identifies one clinician to the boards): see Meta.constraints.
    npi = models.CharField(_("NPI"), max_length=10, blank=True, validators=[validate_npi])
    abim_id = models.CharField(_("ABIM ID"), max_length=20, blank=True)
    aba_id = models.CharField(_("ABA ID"), max_length=20, blank=True)
    abp_id = models.CharField(_("ABP ID"), max_length=20, blank=True)
    abfm_id = models.CharField(_("ABFM ID"), max_length=20, blank=True)
    abem_id = models.CharField(_("ABEM ID"), max_length=20, blank=True)
    other_board_name = models.CharField(_("other board"), max_length=60, blank=True)
    other_board_id = models.CharField(_("other board ID"), max_length=20, blank=True)
    # NABP e-Profile ID: pharmacists' ACPE credit goes to CPE Monitor under it (with birth MMDD).
    nabp_eprofile_id = models.CharField(
        _("NABP e-Profile ID"), max_length=7, blank=True, validators=[validate_nabp_eprofile_id]
    )
    birth_month = models.PositiveSmallIntegerField(_("birth month"), null=True, blank=True)
    birth_day = models.PositiveSmallIntegerField(_("birth day"), null=True, blank=True)
    board_sharing_consent = models.BooleanField(
        _("I consent to share my completions with accrediting and certifying boards"),
        default=False,
    )
    board_sharing_consent_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("learner profile")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(birth_month__isnull=True, birth_day__isnull=True)
                | models.Q(birth_month__gte=1, birth_month__lte=12, birth_day__gte=1, birth_day__lte=31),
                name="profile_birth_month_day_range",
            ),
            models.CheckConstraint(
                condition=models.Q(board_sharing_consent=False)
                | models.Q(board_sharing_consent_at__isnull=False),
                name="profile_consent_has_timestamp",
            ),
            models.UniqueConstraint(
                fields=["npi"],
                condition=~models.Q(npi=""),
                name="profile_npi_unique",
                violation_error_code="unique",  # shown on the NPI field, not above the form
                violation_error_message=NPI_TAKEN_MESSAGE,
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def legal_name(self) -> str:
        parts = [self.given_name, self.middle_name, self.family_name]
        name = " ".join(p for p in parts if p)
        return f"{name}, {self.suffix}" if self.suffix and name else name

    @property
    def display_name(self) -> str:
        return self.legal_name or self.user.email

    @property
    def credential(self) -> str:
        if self.degree in NAMED_DEGREES and self.degree_other:
            return self.degree_other
        return self.degree

    @property
    def needs_degree_attestation(self) -> bool:
        """An international medical degree the learner has not yet attested as MD/DO-equivalent."""
        return degree_needs_equivalence(self.degree) and self.degree_equivalence_attested_at is None

    @property
    def is_physician(self) -> bool:
        """AMA PRA Category 1 Credit or a certificate of participation (``degree_is_physician``)."""
        return degree_is_physician(
            self.degree, equivalence_attested=self.degree_equivalence_attested_at is not None
        )

    @property
    def profession(self) -> Profession:
        """Which credit types this learner may claim (``degree_profession``)."""
        return degree_profession(
            self.degree, equivalence_attested=self.degree_equivalence_attested_at is not None
        )

    @property
    def profile_is_complete_for_credit(self) -> bool:
        return profile_is_complete_for_credit(self)

    @property
    def board_ids(self) -> dict[str, str]:
        ids = {
            "ABIM": self.abim_id,
            "ABA": self.aba_id,
            "ABP": self.abp_id,
            "ABFM": self.abfm_id,
            "ABEM": self.abem_id,
        }
        if self.other_board_name and self.other_board_id:
            ids[self.other_board_name] = self.other_board_id
        return {board: value for board, value in ids.items() if value}


def credit_missing(profile: "LearnerProfile | None") -> list[str]:
    """What a claim still needs from this profile, in words (empty: complete for credit): the legal
    name (given and family) and the degree printed on the certificate; an international medical
    degree also needs the learner's attestation that it is equivalent to an MD or DO (until then
    the credit type is not known, so no claim is taken)."""
    if profile is None:
        return [str(_("legal given name")), str(_("legal family name")), str(_("degree"))]
    missing = []
    if not profile.given_name.strip():
        missing.append(str(_("legal given name")))
    if not profile.family_name.strip():
        missing.append(str(_("legal family name")))
    if not profile.degree:
        missing.append(str(_("degree")))
    elif profile.needs_degree_attestation:
        missing.append(str(_("the attestation that your degree is equivalent to an MD or DO")))
    return missing


def profile_is_complete_for_credit(profile: "LearnerProfile | None") -> bool:
    """The one rule for what a claim needs from the profile: nothing in ``credit_missing``."""
    return not credit_missing(profile)


class OutgoingEmail(models.Model):
    """An account or certificate email on its way out: the outbox that accounts/mail.py drains.

    The message is rendered when the person acts and sent by a task, so a mail server that is down
    never fails their page; a failed send is retried with back-off. The row is deleted once the
    server has taken the message. Until then it holds the rendered text, which may carry a
    password-reset key: it is never logged and has no admin page.
    """

    kind = models.CharField(max_length=100)  # the template, e.g. "account/email/password_reset_key"
    to = models.JSONField(default=list)
    from_email = models.CharField(max_length=320)
    subject = models.CharField(max_length=998)
    body = models.TextField(blank=True)
    html_body = models.TextField(blank=True)
    # The message's extra headers as sent ({"List-Unsubscribe": "<https://...>"}); names and values are
    # strings, checked by Django's mail code when the message is built.
    headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    # A sender has taken the row until then (a crashed sender's row is taken again afterwards).
    sending_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)  # the error's kind, never the message
    gave_up_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["next_attempt_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} ({self.attempts} attempts)"


# --- Licences and certifications: the learner's own planning data for the transcript by licence ---

MAX_LICENCES = 20  # per learner: more is a typing accident, not a career
MAX_LICENCE_MANDATES = 6  # mandated topics per licence (boards mandate a handful at most)
MAX_CYCLE_YEARS = 10  # no board renews on a longer cycle (most: 1 to 3 years)
FIRST_CYCLE_YEAR, LAST_CYCLE_YEAR = 1950, 2100  # dates outside are typing accidents
MAX_REQUIRED_HOURS = Decimal("500")  # per cycle; the most demanding boards ask 150 hours in 3 years
MAX_MANDATE_HOURS = Decimal("100")

# Licence.profession uses ``Profession`` (defined above with the degrees; one class for both).


class Licence(models.Model):
    """A licence or certification the learner keeps, with its current renewal cycle and requirements.

    Entered by the learner from their board's rules; the transcript shows their progress in the cycle
    (``credits.licence_progress``). Planning data, not a credit record: the learner may delete it.
    """

    learner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="licences")
    profession = models.CharField(_("profession"), max_length=20, choices=Profession.choices)
    state = models.CharField(_("state or board"), max_length=100)
    number = models.CharField(_("licence or certification number"), max_length=40, blank=True)
    cycle_start = models.DateField(_("renewal cycle starts"))
    cycle_end = models.DateField(_("renewal cycle ends"))
    required_hours = models.DecimalField(_("hours required in the cycle"), max_digits=5, decimal_places=2)
    # Some nursing boards accept hours from a certificate of participation (an activity designated for
    # AMA PRA Category 1 Credit); the learner says whether theirs does. Nurses and "other" only.
    counts_participation = models.BooleanField(
        _("my board accepts hours from certificates of participation"), default=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["cycle_end", "state", "id"]
        verbose_name = _("licence")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(cycle_end__gt=models.F("cycle_start")),
                name="licence_cycle_order",
                violation_error_message=_("The cycle must end after it starts."),
            ),
            models.CheckConstraint(
                condition=models.Q(required_hours__gte=0, required_hours__lte=MAX_REQUIRED_HOURS),
                name="licence_required_hours_range",
                violation_error_message=_("Hours required must be between 0 and 500."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.state} {self.get_profession_display()} ({self.cycle_start} – {self.cycle_end})"

    def clean(self) -> None:
        super().clean()
        errors: dict[str, object] = {}
        if self.cycle_start and self.cycle_end:
            if not (FIRST_CYCLE_YEAR <= self.cycle_start.year and self.cycle_end.year <= LAST_CYCLE_YEAR):
                errors["cycle_start"] = _("Check the dates: a cycle runs between %(first)s and %(last)s.") % {
                    "first": FIRST_CYCLE_YEAR,
                    "last": LAST_CYCLE_YEAR,
                }
            elif self.cycle_end <= self.cycle_start:
                errors["cycle_end"] = _("The cycle must end after it starts.")
            else:
                # 29 February plus ten years is 28 February (day 28 exists in every month).
                day = min(self.cycle_start.day, 28) if self.cycle_start.month == 2 else self.cycle_start.day
                longest = self.cycle_start.replace(year=self.cycle_start.year + MAX_CYCLE_YEARS, day=day)
                if self.cycle_end > longest:
                    errors["cycle_end"] = _("A renewal cycle is at most %(years)s years long.") % {
                        "years": MAX_CYCLE_YEARS
                    }
        if self.required_hours is not None and not (0 <= self.required_hours <= MAX_REQUIRED_HOURS):
            errors["required_hours"] = _("Hours required must be between 0 and %(max)s.") % {
                "max": MAX_REQUIRED_HOURS
            }
        if self.counts_participation and self.profession not in PROFESSIONS_CHOOSING_PARTICIPATION:
            errors["counts_participation"] = _(
                "Only a nursing or other licence can choose to count certificates of participation."
            )
        if errors:
            raise ValidationError(errors)


# A PA licence counts participation always (NCCPA accepts activities designated for AMA PRA Category 1
# Credit); a physician or pharmacist licence never does; nurses and "other" say so per licence.
PROFESSIONS_CHOOSING_PARTICIPATION = frozenset({Profession.NURSE, Profession.OTHER})


class LicenceMandate(models.Model):
    """A topic the board mandates in the cycle, with the hours it requires ("Opioid prescribing: 2").

    ``topic`` is the name of one of credits' state-mandate topics (``credits.MandateTopic.name``), kept
    as text because accounts sits below credits; credits checks it when the learner saves
    (``credits.licences``) and matches it by name to the topics of the versions the learner took.
    """

    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="mandates")
    topic = models.CharField(_("mandated topic"), max_length=100)
    hours = models.DecimalField(_("hours required"), max_digits=5, decimal_places=2)

    class Meta:
        ordering = ["topic"]
        verbose_name = _("mandated topic")
        constraints = [
            models.UniqueConstraint(fields=["licence", "topic"], name="licence_mandate_unique_topic"),
            models.CheckConstraint(
                condition=models.Q(hours__gt=0, hours__lte=MAX_MANDATE_HOURS),
                name="licence_mandate_hours_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.topic}: {self.hours}"
