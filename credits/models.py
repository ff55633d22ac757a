"""The accredited provider and its coordinators; activities, claims and certificates come later."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import TIME_ZONE_CHOICES


class AccreditationType(models.TextChoices):
    DIRECT = "direct", _("Direct providership")
    JOINT = "joint", _("Joint providership")


class Provider(models.Model):
    """The ACCME-accredited organization responsible for the activities (e.g. a society)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    accreditation_type = models.CharField(
        _("accreditation statement"),
        max_length=10,
        choices=AccreditationType.choices,
        default=AccreditationType.DIRECT,
    )
    joint_provider_name = models.CharField(
        _("joint provider"),
        max_length=200,
        blank=True,
        help_text=_("The non-accredited organization, for joint providership only."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        choices=TIME_ZONE_CHOICES,
        default="America/New_York",
        help_text=_("Completion dates on certificates and reports are given in this time zone."),
    )
    coordinators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="ProviderCoordinator",
        related_name="coordinated_providers",
        blank=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("provider")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(accreditation_type="direct") | ~models.Q(joint_provider_name=""),
                name="provider_joint_needs_partner",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.accreditation_type == AccreditationType.JOINT and not self.joint_provider_name.strip():
            raise ValidationError(
                {"joint_provider_name": _("Joint providership needs the joint provider's name.")}
            )


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
