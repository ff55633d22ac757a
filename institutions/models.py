"""Institutional access (issue 18, item 7): a hospital, practice group or society buys seats (a group
licence) covering one provider's activities; its clinicians join by invitation, by a verified address
at one of its email domains, or by signing in through its identity provider (OpenID Connect); its
admins see seat use and, for members who consented, their completions.

A membership is never deleted: removing a member ends it (``ended_at``), which frees the seat and
keeps the history. When an admin removed them (``removed_at``), the member cannot come back by their
email domain or single sign-on until an admin invites them again (``readmitted_at``). Every change
writes an audit row (institutions/services.py).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from credits.models import Provider


class Institution(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="institutions",
        help_text=_("The provider whose activities the seats cover."),
    )  # fmt: skip
    # Lower-case domains ("example-hospital.org"); a learner with a verified address at one may join.
    email_domains = models.JSONField(_("email domains"), default=list, blank=True)
    # The institution's identity provider: an allauth SocialApp (provider "openid_connect",
    # provider_id = "inst-<slug>"), set by institutions/sso.py; none = no single sign-on.
    sso_app = models.OneToOneField(
        "socialaccount.SocialApp",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="institution",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("institution")

    def __str__(self) -> str:
        return self.name


class SeatLicence(models.Model):
    """A block of seats bought for a period. Seats available now = the sum over current licences."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="licences")
    seats = models.PositiveIntegerField(_("seats"))
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField()
    # The billing order that paid for it (billing.Order.reference), blank when granted by staff.
    order_reference = models.CharField(max_length=36, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True, help_text=_("Set when refunded or ended early."))

    class Meta:
        ordering = ["-valid_from"]
        verbose_name = _("seat licence")
        constraints = [
            models.CheckConstraint(condition=Q(seats__gte=1), name="seat_licence_at_least_one"),
            models.CheckConstraint(
                condition=Q(valid_until__gt=models.F("valid_from")), name="seat_licence_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.institution}: {self.seats} seats"


class JoinedVia(models.TextChoices):
    INVITATION = "invitation", _("Invitation")
    DOMAIN = "domain", _("Verified email domain")
    SSO = "sso", _("Single sign-on")


class Membership(models.Model):
    """A learner's seat. ``shares_completions`` is the learner's consent for the institution's
    admins to see their completions (asked at joining, changeable any time)."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships")
    joined_via = models.CharField(max_length=12, choices=JoinedVia.choices)
    joined_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    shares_completions = models.BooleanField(_("share my completions with the institution"), default=False)
    consent_changed_at = models.DateTimeField(null=True, blank=True)
    # Set when the institution's admin ended the membership (not the learner leaving, not an account
    # deletion): a bar on joining again by domain or SSO, lifted (readmitted_at) by a new invitation.
    removed_at = models.DateTimeField(null=True, blank=True)
    readmitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["institution", "joined_at"]
        verbose_name = _("membership")
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "user"],
                condition=Q(ended_at__isnull=True),
                name="membership_one_current",
            ),
            models.CheckConstraint(
                condition=Q(joined_via__in=[v.value for v in JoinedVia]), name="membership_joined_via_valid"
            ),
            models.CheckConstraint(
                condition=Q(removed_at__isnull=True) | Q(ended_at__isnull=False),
                name="membership_removed_is_ended",
            ),
            models.CheckConstraint(
                condition=Q(readmitted_at__isnull=True) | Q(removed_at__isnull=False),
                name="membership_readmitted_was_removed",
            ),
            # Readmitted only after the removal (NULL >= anything passes a CHECK: the constraint above
            # covers a readmission without a removal).
            models.CheckConstraint(
                condition=Q(readmitted_at__isnull=True) | Q(readmitted_at__gte=F("removed_at")),
                name="membership_readmitted_after_removal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.institution}"


class InstitutionAdmin(models.Model):
    """Who manages the institution (invites, removes members, sees seat use). Not a seat."""

    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="admins")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("institution admin")
        constraints = [models.UniqueConstraint(fields=["institution", "user"], name="institution_admin_once")]

    def __str__(self) -> str:
        return f"{self.user} admin of {self.institution}"


class Invitation(models.Model):
    """An invitation by email; the link carries a token whose hash is stored. Used once."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="invitations")
    email = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")

    def __str__(self) -> str:
        return f"{self.email} → {self.institution}"
