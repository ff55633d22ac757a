"""Shows and their hosts; episodes, audio and feeds are added by the publishing work."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Show(models.Model):
    title = models.CharField(_("title"), max_length=255)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    hosts = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="ShowHost", related_name="hosted_shows", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("show")

    def __str__(self) -> str:
        return self.title


class ShowHost(models.Model):
    show = models.ForeignKey(Show, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="host_memberships"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("host membership")
        constraints = [models.UniqueConstraint(fields=["show", "user"], name="host_unique_membership")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.show}"
