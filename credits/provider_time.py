"""The provider's time zone: completion and issue dates on certificates, transcripts and reports use it.

A certificate must not depend on who looks at it (README, "Time zones"), so every printed or reported
date is the day in the provider's zone. A zone name the database no longer knows (the field offers a
fixed list, but a row may predate a tzdata change) counts as UTC rather than failing a certificate.
"""

import datetime
import zoneinfo

from django.utils import timezone

from .models import Provider

UTC = zoneinfo.ZoneInfo("UTC")


def provider_zone(provider: Provider) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(provider.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return UTC


def provider_date(moment: datetime.datetime, provider: Provider) -> datetime.date:
    """The calendar day of ``moment`` where the provider is."""
    return timezone.localtime(moment, provider_zone(provider)).date()
