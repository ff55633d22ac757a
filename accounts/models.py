"""The user (email is the login) and the learner profile a certificate and a board report need."""

import zoneinfo
from typing import ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .validators import validate_npi

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
    MBBS = "MBBS", "MBBS"
    PA_C = "PA-C", "PA-C"
    NP = "NP", "NP"
    RN = "RN", "RN"
    CRNA = "CRNA", "CRNA"
    PHARMD = "PharmD", "PharmD"
    PHD = "PhD", "PhD"
    OTHER = "Other", _("Other")


PHYSICIAN_DEGREES = frozenset({Degree.MD, Degree.DO, Degree.MBBS})


class LearnerProfile(models.Model):
    """What a certificate and an ACCME PARS board report need to know about a learner."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    given_name = models.CharField(_("legal given name"), max_length=100, blank=True)
    middle_name = models.CharField(_("middle name"), max_length=100, blank=True)
    family_name = models.CharField(_("legal family name"), max_length=100, blank=True)
    suffix = models.CharField(_("suffix"), max_length=20, blank=True)
    degree = models.CharField(_("degree or credential"), max_length=10, choices=Degree.choices, blank=True)
    degree_other = models.CharField(_("other credential"), max_length=40, blank=True)
    specialty = models.CharField(_("specialty"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=100, blank=True)
    state_province = models.CharField(_("state or province of licence"), max_length=100, blank=True)
    licence_number = models.CharField(_("licence number"), max_length=40, blank=True)
    npi = models.CharField(_("NPI"), max_length=10, blank=True, validators=[validate_npi])
    abim_id = models.CharField(_("ABIM ID"), max_length=20, blank=True)
    aba_id = models.CharField(_("ABA ID"), max_length=20, blank=True)
    abp_id = models.CharField(_("ABP ID"), max_length=20, blank=True)
    abfm_id = models.CharField(_("ABFM ID"), max_length=20, blank=True)
    abem_id = models.CharField(_("ABEM ID"), max_length=20, blank=True)
    other_board_name = models.CharField(_("other board"), max_length=60, blank=True)
    other_board_id = models.CharField(_("other board ID"), max_length=20, blank=True)
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
        if self.degree == Degree.OTHER and self.degree_other:
            return self.degree_other
        return self.degree

    @property
    def is_physician(self) -> bool:
        """MD, DO and MBBS earn AMA PRA Category 1 Credit; others a certificate of participation."""
        return self.degree in PHYSICIAN_DEGREES

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


def profile_is_complete_for_credit(profile: "LearnerProfile | None") -> bool:
    """A claim needs the legal name (given and family) and the degree printed on the certificate."""
    if profile is None:
        return False
    return bool(profile.given_name.strip() and profile.family_name.strip() and profile.degree)


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
