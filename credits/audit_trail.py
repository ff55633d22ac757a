"""Reads for the read-only audit trail coordinators see: per activity, and per learner within a provider.

The trail is the AuditEvent rows of the records in question, oldest first, with who acted and the
old and new values each row carries. It never includes rows of another provider's records.
"""

import json
from dataclasses import dataclass
from typing import Any

from django.db.models import CharField, Model, Q, QuerySet
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from accounts.models import User
from audit.models import AuditEvent

from .models import Activity, Attempt, Certificate, ContentPerson, CreditClaim, Evaluation, Provider


def _rows_of(model: type[Model], records: QuerySet) -> Q:
    """Audit rows whose record is one of ``records`` (object ids are stored as text)."""
    ids = records.order_by().annotate(audit_id=Cast("pk", output_field=CharField())).values("audit_id")
    return Q(object_type=model._meta.label_lower, object_id__in=ids)


def _trail(condition: Q) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(condition).select_related("actor").order_by("created_at", "id")


def _activity_records(activity: Activity) -> Q:
    """The activity's own rows and those of its people, versions, attempts, evaluations, claims and
    certificates."""
    condition = Q(object_type=Activity._meta.label_lower, object_id=str(activity.pk))
    for model, lookup in (
        (ContentPerson, "activity"),  # people in control of content and their disclosures
        (Attempt, "activity"),
        (Evaluation, "activity"),
        (CreditClaim, "activity"),
        (Certificate, "claim__activity"),
    ):
        condition |= _rows_of(model, model.objects.filter(**{lookup: activity}))
    versions = getattr(activity, "versions", None)  # credits.ActivityVersion (issue 12)
    if versions is not None:
        condition |= _rows_of(versions.model, versions.all())
    return condition


def activity_trail(*, activity: Activity) -> QuerySet[AuditEvent]:
    """Everything recorded about the activity and its learners' records, in time order."""
    return _trail(_activity_records(activity))


def learner_trail(*, learner: User, provider: Provider) -> QuerySet[AuditEvent]:
    """What is recorded about one learner's records with ``provider`` (attempts, evaluations,
    claims, certificates and their corrections), in time order; nothing from other providers."""
    condition = Q(pk__in=[])
    for model, lookup in (
        (Attempt, "activity__provider"),
        (Evaluation, "activity__provider"),
        (CreditClaim, "activity__provider"),
        (Certificate, "claim__activity__provider"),
    ):
        learner_lookup = "claim__learner" if model is Certificate else "learner"
        condition |= _rows_of(model, model.objects.filter(**{lookup: provider, learner_lookup: learner}))
    return _trail(condition)


def learner_has_records(*, learner_id: int, provider: Provider) -> bool:
    """Whether the learner ever started an activity of ``provider`` (else they are not found here)."""
    return Attempt.objects.filter(learner_id=learner_id, activity__provider=provider).exists()


@dataclass(frozen=True)
class TrailDetail:
    field: str
    text: str
    old: str = ""
    new: str = ""

    @property
    def is_change(self) -> bool:
        return bool(self.old or self.new)


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _is_pair(value: Any) -> bool:
    return isinstance(value, list | tuple) and len(value) == 2 and not any(isinstance(v, dict) for v in value)


PAIRED_KEYS = {"from", "to", "old", "new"}


def event_details(event: AuditEvent) -> list[TrailDetail]:
    """The row's data as lines a person reads: a change as old → new, anything else as its value."""
    details: list[TrailDetail] = []
    data = event.data if isinstance(event.data, dict) else {"data": event.data}
    for key, value in data.items():
        if key in {"changed", "changes"} and isinstance(value, dict):
            for field, change in value.items():
                if _is_pair(change):
                    details.append(
                        TrailDetail(field=field, text="", old=_text(change[0]), new=_text(change[1]))
                    )
                else:
                    details.append(TrailDetail(field=field, text=_text(change)))
        elif key in PAIRED_KEYS:
            continue  # shown as one old → new line below
        else:
            details.append(TrailDetail(field=key, text=_text(value)))
    for old_key, new_key in (("from", "to"), ("old", "new")):
        if old_key in data or new_key in data:
            details.append(
                TrailDetail(
                    field=_("value"), text="", old=_text(data.get(old_key)), new=_text(data.get(new_key))
                )
            )
    return details
