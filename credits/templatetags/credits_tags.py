"""Template tags: the CME panel shown above an episode's player, and the filters learner pages use.

What a learner is shown comes from an activity VERSION (credits/versions.py): the one offered now,
or, for a learner already under way, the version their attempt started under. Never the editable
Activity row, which coordinators change.
"""

import re
from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from .. import versions
from ..models import Activity, ActivityVersion
from ..selectors import activity_for_episode, learner_status, version_for_learner
from ..statements import credit_mark_html, format_credits

register = template.Library()


def version_context(version: ActivityVersion) -> dict[str, Any]:
    """What learner pages print of a version: its content, statements and contact links."""
    content = version.content
    provider = content.get("provider") or {}
    return {
        "version": version,
        "v": content,
        "designation": credit_mark_html(content.get("designation_statement", "")),
        "accreditation": content.get("accreditation_statement", ""),
        "privacy_url": provider.get("privacy_policy_url") or reverse("privacy"),
        "contact_email": provider.get("contact_email", ""),
    }


@register.inclusion_tag("credits/_activity_panel.html", takes_context=True)
def activity_panel(context, episode):
    activity = activity_for_episode(episode)  # never a draft
    if activity is None or activity.current_version is None:
        return {"activity": None}
    request = context.get("request")
    user = getattr(request, "user", None)
    status = learner_status(learner=user, activity=activity) if user is not None else None
    version = status.version if status is not None else activity.current_version
    if version is None:
        return {"activity": None}
    step = status.next_step() if status is not None and user is not None and user.is_authenticated else None
    if activity.is_withdrawn and status is not None and not (status.passed_attempt or status.open_attempt):
        step = None  # withdrawn: no new start; a learner under way may still finish
    return {
        "activity": activity,
        "status": status,
        "step": step,
        "user": user,
        "request": request,
        "expired": version.expiry_date < timezone.localdate(),
        **version_context(version),
    }


@register.simple_tag(takes_context=True)
def version_shown(context, activity: Activity) -> ActivityVersion | None:
    """``{% version_shown activity as version %}``: the version the page's learner is shown."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None:
        return activity.current_version
    return version_for_learner(learner=user, activity=activity)


@register.simple_tag
def designation_check(activity: Activity) -> dict[str, Any]:
    """For coordinators (finding 6): the designation learners are offered against the time a learner
    needs (audio, post-test, evaluation), and the reason recorded when it is higher."""
    version = activity.current_version
    designated = version.designated_credits if version is not None else activity.designated_credits
    reason = (
        version.content.get("designation_reason", "") if version is not None else activity.designation_reason
    )
    minutes = versions.minutes_needed(activity)
    return {"credits": designated, "minutes": minutes, "exceeds": designated * 60 > minutes, "reason": reason}


@register.filter
def credits(value) -> str:
    return format_credits(value)


@register.filter
def credit_mark(text: str) -> SafeString:
    """A stored statement, escaped, with the credit mark in italics."""
    return credit_mark_html(text or "")


# A web address, or a bare DOI ("10.1056/NEJMoa...") which becomes a doi.org link.
_LINKABLE = re.compile(r"(https?://[^\s<>\"']+)|\b(10\.\d{4,9}/[^\s<>\"']+)")
_TRAILING = ".,;:)]"


@register.filter
def reference_html(text: str) -> SafeString:
    """One bibliography line, escaped, with its web addresses and DOIs made into links."""
    text = text or ""
    parts: list[str] = []
    position = 0
    for match in _LINKABLE.finditer(text):
        found = match.group(0)
        trimmed = found.rstrip(_TRAILING)
        parts.append(escape(text[position : match.start()]))
        url = trimmed if match.group(1) else f"https://doi.org/{trimmed}"
        parts.append(format_html('<a href="{}" rel="noopener noreferrer">{}</a>', url, trimmed))
        parts.append(escape(found[len(trimmed) :]))
        position = match.end()
    parts.append(escape(text[position:]))
    return mark_safe("".join(parts))  # noqa: S308 (every part above is escaped or format_html)
