"""Verified clinicians (issue 17): a provider's coordinator records that a known person
(``ProviderPerson``) is a licensed clinician, from the evidence entered: the licence's state, number
and expiry, and the person's NPI (its check digit validated, credits/clinicians.py).

One current verification per person (the database holds it): verifying again (a renewed licence)
marks the previous one ``replaced_at``; revoking records who, when and why. Nothing is deleted. A
verification counts until ``valid_until`` (the end of the licence's expiry day where the provider
is): after it the badge is gone without any write.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..us_states import STATES
from .disclosures import ProviderPerson

NPI_LENGTH = 10
LICENCE_NUMBER_MAX_CHARS = 32
REVOCATION_REASON_MAX_CHARS = 500


def licence_state_choices() -> list[tuple[str, str]]:
    """The US states and territories a licence may be from."""
    return sorted(STATES.items(), key=lambda item: item[1])


class ClinicianVerificationQuerySet(models.QuerySet):
    def current(self) -> "ClinicianVerificationQuerySet":
        """Neither revoked nor replaced by a newer verification (it may have expired)."""
        return self.filter(revoked_at__isnull=True, replaced_at__isnull=True)

    def valid(self, now=None) -> "ClinicianVerificationQuerySet":
        """Current and not expired at ``now``: what shows the badge."""
        return self.current().filter(valid_until__gt=now or timezone.now())


class ClinicianVerification(models.Model):
    """A known person verified as a licensed clinician by their provider's coordinator."""

    class State(models.TextChoices):
        VERIFIED = "verified", _("Verified")
        EXPIRED = "expired", _("Expired")
        REVOKED = "revoked", _("Revoked")
        REPLACED = "replaced", _("Replaced by a newer verification")

    person = models.ForeignKey(
        ProviderPerson, on_delete=models.PROTECT, related_name="clinician_verifications"
    )
    licence_state = models.CharField(_("licence state"), max_length=2, choices=licence_state_choices)
    licence_number = models.CharField(_("licence number"), max_length=LICENCE_NUMBER_MAX_CHARS)
    licence_expires_on = models.DateField(_("licence expires on"))
    npi = models.CharField(_("NPI"), max_length=NPI_LENGTH)
    evidence_note = models.TextField(_("how the evidence was checked"), blank=True)
    verified_at = models.DateTimeField(_("verified at"), default=timezone.now)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The end of the licence's expiry day in the provider's time zone (credits/clinicians.py).
    valid_until = models.DateTimeField(_("valid until"))
    replaced_at = models.DateTimeField(_("replaced at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revocation_reason = models.TextField(_("reason for revoking"), blank=True)

    objects = ClinicianVerificationQuerySet.as_manager()

    class Meta:
        ordering = ["-verified_at", "-id"]
        verbose_name = _("clinician verification")
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(revoked_at__isnull=True, replaced_at__isnull=True),
                name="clinician_verification_one_current",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__gt=models.F("verified_at")),
                name="clinician_verification_valid_after_verified",
            ),
            models.CheckConstraint(
                condition=Q(npi__regex=r"^[0-9]{10}$"), name="clinician_verification_npi_10_digits"
            ),
            models.CheckConstraint(
                condition=(
                    Q(revoked_at__isnull=True, revoked_by__isnull=True, revocation_reason="")
                    | (Q(revoked_at__isnull=False, revoked_by__isnull=False) & ~Q(revocation_reason=""))
                ),
                name="clinician_verification_revoked_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.licence_state}, {self.verified_at:%Y-%m-%d})"

    def delete(self, *args, **kwargs):
        raise TypeError("Clinician verifications are never deleted: revoke them.")

    def state(self, now=None) -> str:
        if self.revoked_at is not None:
            return self.State.REVOKED
        if self.replaced_at is not None:
            return self.State.REPLACED
        if self.valid_until <= (now or timezone.now()):
            return self.State.EXPIRED
        return self.State.VERIFIED

    def is_valid(self, now=None) -> bool:
        return self.state(now) == self.State.VERIFIED

    @property
    def masked_licence_number(self) -> str:
        """The licence number as the public page shows it: at most its last 3 characters, and at
        least 4 always hidden (a number of 4 characters or fewer is hidden whole)."""
        number = self.licence_number
        shown = min(3, max(0, len(number) - 4))
        return "•" * (len(number) - shown) + (number[-shown:] if shown else "")
