"""Site pages that belong to no single app: the privacy policy."""

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_GET

from credits.models import Provider


@require_GET
def privacy(request):
    """What podcastcme keeps for CME credit, for how long, who sees it, and whom to ask."""
    return render(
        request,
        "podcastcme/privacy.html",
        {
            "retention_years": settings.PODCASTCME_RECORD_RETENTION_YEARS,
            "contact_email": settings.PODCASTCME_PRIVACY_CONTACT_EMAIL,
            "providers": Provider.objects.exclude(contact_email="").order_by("name"),
        },
    )
