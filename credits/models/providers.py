"""Accredited providers, their coordinators, and the shows that grant them (credits/grants.py)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import TIME_ZONE_CHOICES, User


class AccreditationType(models.TextChoices):
    DIRECT = "direct", _("Direct providership")
    JOINT = "joint", _("Joint providership")


class Provider(models.Model):
    """The ACCME-accredited organization responsible for the activities (e.g. a society)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name_takes_the = models.BooleanField(
        _('write "The" before the name'),
        default=True,
        help_text=_(
            'ACCME\'s statements read "The {Provider} is accredited ...": untick for a name that reads '
            'without it (e.g. "Mayo Clinic College of Medicine"). Used the same way in every statement.'
        ),
    )
    contact_email = models.EmailField(
        _("contact email"),
        blank=True,
        help_text=_("Where learners write about an activity or a certificate (shown before they start)."),
    )
    privacy_policy_url = models.URLField(
        _("privacy policy"),
        blank=True,
        help_text=_("Your own privacy policy; empty: the site's privacy page is shown."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        choices=TIME_ZONE_CHOICES,
        default="America/New_York",
        help_text=_("Completion dates on certificates and reports are given in this time zone."),
    )
    # The accreditations the provider holds besides ACCME's (credits/credit_types.py decides from
    # them which credit types its activities may offer). Joint Accreditation covers ACCME, ANCC and
    # ACPE, allows IPCE credit, and (with AAPA's authorisation) AAPA Category 1 CME.
    joint_accreditation = models.BooleanField(
        _("jointly accredited (Joint Accreditation for Interprofessional Continuing Education)"),
        default=False,
    )
    ancc_accredited = models.BooleanField(_("accredited by ANCC (nursing contact hours)"), default=False)
    acpe_accredited = models.BooleanField(_("accredited by ACPE (pharmacy CE)"), default=False)
    aapa_authorized = models.BooleanField(
        _("authorised by AAPA to award AAPA Category 1 CME credit"), default=False
    )
    acpe_provider_number = models.CharField(
        _("ACPE provider number"),
        max_length=9,
        blank=True,
        help_text=_(
            "The first part of every UAN: four digits (e.g. 0197), or JA and seven digits for a jointly "
            "accredited provider (e.g. JA0000123)."
        ),
    )
    # CE Broker (credits/cebroker.py): the provider tracking number CE Broker gave, without "50-".
    cebroker_provider_number = models.CharField(
        _("CE Broker provider tracking number"),
        max_length=12,
        blank=True,
        help_text=_('Digits only, without the "50-" CE Broker prints in front of it.'),
    )
    coordinators: models.ManyToManyField[User, "ProviderCoordinator"] = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="ProviderCoordinator",
        related_name="coordinated_providers",
        blank=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("provider")

    def __str__(self) -> str:
        return self.name


class ProviderCoordinator(models.Model):
    """A CME coordinator: manages the provider's activities and reports."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coordinator_memberships"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("coordinator membership")
        constraints = [
            models.UniqueConstraint(fields=["provider", "user"], name="coordinator_unique_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.provider}"


class GrantStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested by the provider")
    INVITED = "invited", _("Invited by the show's hosts")
    ACTIVE = "active", _("Active")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    REVOKED = "revoked", _("Revoked")


GRANT_OPEN_STATUSES = (GrantStatus.REQUESTED, GrantStatus.INVITED, GrantStatus.ACTIVE)
GRANT_PENDING_STATUSES = (GrantStatus.REQUESTED, GrantStatus.INVITED)
GRANT_CLOSED_STATUSES = (GrantStatus.DECLINED, GrantStatus.WITHDRAWN, GrantStatus.REVOKED)


class GrantQuerySet(models.QuerySet):
    def active(self) -> "GrantQuerySet":
        return self.filter(status=GrantStatus.ACTIVE)

    def delete(self):
        raise TypeError("Show grants are never deleted: revoke them.")


class ShowProviderGrant(models.Model):
    """A show's hosts allow a provider to make the show's episodes CME activities (credits/grants.py).

    Opened by either side (a host invites, or a coordinator requests), made active by the other side,
    ended by either. Rows are never deleted: the history is the record of who allowed whom, when.
    """

    show = models.ForeignKey("episodes.Show", on_delete=models.PROTECT, related_name="provider_grants")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="show_grants")
    status = models.CharField(_("status"), max_length=10, choices=GrantStatus.choices)
    message = models.CharField(_("message"), max_length=500, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    # Who declined, withdrew or revoked it, and when.
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = GrantQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("show grant")
        constraints = [
            models.UniqueConstraint(
                fields=["show", "provider"],
                condition=models.Q(status__in=["requested", "invited", "active"]),
                name="grant_one_open_per_show_provider",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="active") | models.Q(accepted_at__isnull=False),
                name="grant_active_was_accepted",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["requested", "invited", "active"])
                | models.Q(closed_at__isnull=False),
                name="grant_closed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.show} → {self.provider} ({self.status})"

    def delete(self, *args, **kwargs):
        raise TypeError("Show grants are never deleted: revoke them.")

    @property
    def is_active(self) -> bool:
        return self.status == GrantStatus.ACTIVE

    @property
    def is_pending(self) -> bool:
        return self.status in GRANT_PENDING_STATUSES
