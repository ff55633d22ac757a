"""People in control of an activity's content and their financial relationships (ACCME Standard 3)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .activities import Activity


class ContentPerson(models.Model):
    """Someone in control of content, with their financial-relationship disclosure (ACCME Standard 3)."""

    class Role(models.TextChoices):
        FACULTY = "faculty", _("Faculty")
        PLANNER = "planner", _("Planner")
        REVIEWER = "reviewer", _("Reviewer")

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="people")
    name = models.CharField(_("name"), max_length=128)
    credentials = models.CharField(_("credentials"), max_length=64, blank=True)
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.FACULTY)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("person in control of content")

    def __str__(self) -> str:
        return f"{self.name}, {self.credentials}" if self.credentials else self.name


class Disclosure(models.Model):
    """One relevant financial relationship with an ineligible company in the prior 24 months."""

    class Nature(models.TextChoices):
        CONSULTANT = "consultant", _("Consultant")
        SPEAKER = "speaker", _("Speakers' bureau")
        ADVISORY = "advisory", _("Advisory board")
        RESEARCH = "research", _("Research grant (to institution or self)")
        STOCK = "stock", _("Stock or ownership interest")
        EMPLOYEE = "employee", _("Employee")
        ROYALTIES = "royalties", _("Royalties or patent")
        OTHER = "other", _("Other")

    person = models.ForeignKey(ContentPerson, on_delete=models.CASCADE, related_name="disclosures")
    company = models.CharField(_("ineligible company"), max_length=200)
    nature = models.CharField(_("nature of relationship"), max_length=20, choices=Nature.choices)
    mitigated = models.BooleanField(_("mitigated"), default=False)

    class Meta:
        ordering = ["company", "id"]
        verbose_name = _("disclosure")

    def __str__(self) -> str:
        return f"{self.company} ({self.get_nature_display()})"
