"""The ``duration`` filter: audio lengths as people read them ("45 s", "20 min", "1 h 5 min")."""

import math

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duration(seconds: float | int | str | None) -> str:
    """Seconds as "45 s", "20 min", "20 min 30 s" or "1 h 5 min" (past an hour, to the minute)."""
    try:
        value = float(seconds)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    if not math.isfinite(value) or value < 0:
        return ""
    total = round(value)
    if total < 60:
        return _("%(s)d s") % {"s": total}
    if total >= 3600:
        hours, minutes = divmod((total + 30) // 60, 60)
        if not minutes:
            return _("%(h)d h") % {"h": hours}
        return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
    minutes, secs = divmod(total, 60)
    if not secs:
        return _("%(m)d min") % {"m": minutes}
    return _("%(m)d min %(s)d s") % {"m": minutes, "s": secs}
