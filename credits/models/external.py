"""Credit a learner earned elsewhere and reports themselves."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .activities import MandateTopic


class ExternalCreditType(models.TextChoices):
    AMA_PRA_1 = "ama_pra_1", _("AMA PRA Category 1 Credit™")
    AMA_PRA_2 = "ama_pra_2", _("AMA PRA Category 2 Credit™")
    AAFP = "aafp", _("AAFP Prescribed credit")
    AOA_1A = "aoa_1a", _("AOA Category 1-A")
    AAPA_1 = "aapa_1", _("AAPA Category 1 CME")
    ANCC = "ancc", _("Nursing contact hours (ANCC)")
    ACPE = "acpe", _("Pharmacy CE (ACPE)")
    MOC = "moc", _("MOC points")
    PARTICIPATION = "participation", _("Certificate of participation")
    OTHER = "other", _("Other")


def _external_certificate_path(instance, filename: str) -> str:
    import uuid

    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"external-credits/{instance.learner_id}/{uuid.uuid4().hex}.{ext}"


class ExternalCredit(models.Model):
    """Credit the learner earned elsewhere and reports themselves, so one transcript covers it all."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="external_credits"
    )
    title = models.CharField(_("activity title"), max_length=255)
    provider_name = models.CharField(_("provider"), max_length=200)
    completed_on = models.DateField(_("completion date"))
    credits = models.DecimalField(_("credits or hours"), max_digits=5, decimal_places=2)
    credit_type = models.CharField(_("credit type"), max_length=20, choices=ExternalCreditType.choices)
    mandate_topics = models.ManyToManyField(MandateTopic, blank=True, related_name="+")
    certificate_file = models.FileField(
        _("certificate (PDF or image)"), upload_to=_external_certificate_path, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-completed_on", "-id"]
        verbose_name = _("self-reported credit")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(credits__gt=0, credits__lte=Decimal("500")),
                name="external_credit_positive",
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.credits})"
