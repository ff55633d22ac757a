"""Reads for the coordinator's activity page: the lifecycle status, the publishing checklist (each
problem with the page that fixes it) and the version history (from the versions and their audit rows).
"""

import json
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent

from . import credit_types
from .audit_actions import CreditAction
from .disclosures import people_publish_problems
from .models import Activity, ActivityVersion, Attempt, CommercialSupport, CreditClaim
from .versions import publish_problems

POST_TEST_PROBLEM = "Write the post-test (at least one question)."
CONTACT_PROBLEM = "Give the provider's contact email (learners see it before they start)."


@dataclass(frozen=True)
class ChecklistItem:
    problem: str
    fix_url: str
    fix_label: str


def lifecycle_status(activity: Activity) -> tuple[str, str]:
    """(key, label) of where the activity is: draft, published, withdrawn, or expired (published,
    but past the expiry date of the version learners are offered)."""
    version = activity.current_version
    expiry = version.expiry_date if version is not None else activity.expiry_date
    if activity.status == Activity.Status.PUBLISHED and timezone.localdate() > expiry:
        return "expired", _("Expired")
    return activity.status, str(activity.get_status_display())


def publish_checklist(activity: Activity) -> list[ChecklistItem]:
    """What stops publishing (``versions.publish_problems``), each with a link to the page fixing it."""
    problems = publish_problems(activity)
    people = set(people_publish_problems(activity))
    supporters = list(CommercialSupport.objects.filter(activity=activity).values_list("supporter", flat=True))
    pages = {
        "edit": (reverse("credits:coordinator_activity_edit", args=[activity.pk]), _("Edit details")),
        "people": (reverse("credits:coordinator_people", args=[activity.pk]), _("People and disclosures")),
        "quiz": (reverse("credits:coordinator_quiz", args=[activity.pk]), _("Post-test")),
        "support": (reverse("credits:coordinator_support", args=[activity.pk]), _("Commercial support")),
        "credit_types": (reverse("credits:coordinator_credit_types", args=[activity.pk]), _("Credit types")),
        "provider": (
            reverse("credits:coordinator_provider_settings", args=[activity.provider.slug]),
            _("Provider settings"),
        ),
    }
    items = []
    for problem in problems:
        if problem in people:
            page = "people"
        elif problem == _(POST_TEST_PROBLEM):
            page = "quiz"
        elif problem == _(CONTACT_PROBLEM):
            page = "provider"
        elif any(name and name in problem for name in supporters):
            page = "support"
        elif any(problem.startswith(str(kind.label)) for kind in credit_types.KINDS.values()):
            page = "credit_types"  # credit_types.offered_credit_problems: each starts with its type
        else:
            page = "edit"
        url, label = pages[page]
        items.append(ChecklistItem(problem=problem, fix_url=url, fix_label=label))
    return items


def learners_in_progress(activity: Activity) -> int:
    """Learners who started the post-test and have not claimed credit yet."""
    claimed = CreditClaim.objects.filter(activity=activity).values("learner_id")
    return (
        Attempt.objects.filter(activity=activity)
        .exclude(learner_id__in=claimed)
        .values("learner_id")
        .distinct()
        .count()
    )


@dataclass
class VersionEvent:
    when: Any
    who: str
    action: str
    what: str
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # (field, old, new)


@dataclass
class VersionRow:
    version: ActivityVersion
    is_current: bool
    learners: int
    events: list[VersionEvent] = field(default_factory=list)


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 400 else text[:399] + "…"


_ACTION_LABELS = {
    CreditAction.ACTIVITY_PUBLISHED: "Published",
    CreditAction.ACTIVITY_VERSION_CREATED: "New version (learners had started the previous one)",
    CreditAction.ACTIVITY_VERSION_REPLACED: "Changed before any learner started it",
    CreditAction.ACTIVITY_VERSION_CARRIED_OVER: "Carried over from before versions",
}


def version_history(activity: Activity) -> list[VersionRow]:
    """Each version, newest first: when, by whom, why, how many learners started it, and every
    audited change to it with the old and new values."""
    rows = {
        v.pk: VersionRow(version=v, is_current=v.pk == activity.current_version_id, learners=0)
        for v in ActivityVersion.objects.filter(activity=activity).select_related("created_by")
    }
    started = (
        Attempt.objects.filter(activity=activity)
        .order_by()
        .values("version_id")
        .annotate(n=Count("learner_id", distinct=True))
        .values_list("version_id", "n")
    )
    for version_id, count in started:
        if version_id in rows:
            rows[version_id].learners = count
    by_number = {row.version.number: row for row in rows.values()}
    events = AuditEvent.objects.filter(
        Q(object_type=Activity._meta.label_lower, object_id=str(activity.pk)),
        action__in=list(_ACTION_LABELS),
    ).select_related("actor")
    for event in events.order_by("created_at", "id"):
        row = by_number.get(event.data.get("version"))
        if row is None:
            continue
        changes = event.data.get("changes") or {}
        row.events.append(
            VersionEvent(
                when=event.created_at,
                who=event.actor.email if event.actor else _("the system"),
                action=_(_ACTION_LABELS[event.action]),
                what=str(event.data.get("what", "")),
                changes=[
                    (key, _shown(pair[0]), _shown(pair[1]))
                    for key, pair in changes.items()
                    if isinstance(pair, list | tuple) and len(pair) == 2
                ],
            )
        )
    return sorted(rows.values(), key=lambda row: row.version.number, reverse=True)
