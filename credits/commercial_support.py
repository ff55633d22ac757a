"""Writes to an activity's commercial support (ACCME Standard 4): add or remove a supporter, audited
with old and new values; a published activity's version follows (credits.versions.activity_changed)."""

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max

from accounts.models import User
from audit.services import audit_record

from . import grants, versions
from .audit_actions import CreditAction
from .models import Activity, CommercialSupport


def support_snapshot(support: CommercialSupport) -> dict[str, Any]:
    """The row as the audit keeps it (JSON values)."""
    return {
        "supporter": support.supporter,
        "kind": support.kind,
        "amount": str(support.amount) if support.amount is not None else None,
        "in_kind_description": support.in_kind_description,
        "agreement_signed_on": support.agreement_signed_on.isoformat()
        if support.agreement_signed_on
        else None,
    }


@transaction.atomic
def commercial_support_add(
    *,
    activity: Activity,
    actor: User | None,
    supporter: str,
    kind: str,
    amount: Decimal | None = None,
    in_kind_description: str = "",
    agreement_signed_on: datetime.date | None = None,
) -> CommercialSupport:
    """Record a supporter: monetary with its amount, or in kind with what was given. On a published
    activity the publishing checks must still pass (e.g. the agreement signed before the release),
    or nothing is written."""
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    grants.require_changeable(activity)
    position = CommercialSupport.objects.filter(activity=activity).aggregate(n=Max("position"))["n"]
    support = CommercialSupport(
        activity=activity,
        supporter=supporter.strip(),
        kind=kind,
        # Only the field that fits the kind is kept: a stale amount never shows on in-kind support.
        amount=amount if kind == CommercialSupport.Kind.MONETARY else None,
        in_kind_description=in_kind_description.strip() if kind == CommercialSupport.Kind.IN_KIND else "",
        agreement_signed_on=agreement_signed_on,
        position=(position or 0) + 1,
    )
    support.full_clean()
    support.save()
    audit_record(
        actor=actor,
        action=CreditAction.COMMERCIAL_SUPPORT_ADDED,
        obj=activity,
        data={"old": None, "new": support_snapshot(support)},
    )
    versions.activity_changed(activity=activity, actor=actor, what="commercial support")
    return support


@transaction.atomic
def commercial_support_remove(*, activity: Activity, actor: User | None, support_id: int) -> None:
    """Remove a supporter recorded by mistake (what learners saw stays in the versions)."""
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    grants.require_changeable(activity)
    support = CommercialSupport.objects.get(pk=support_id, activity=activity)
    old = support_snapshot(support)
    support.delete()
    audit_record(
        actor=actor,
        action=CreditAction.COMMERCIAL_SUPPORT_REMOVED,
        obj=activity,
        data={"old": old, "new": None},
    )
    versions.activity_changed(activity=activity, actor=actor, what="commercial support")
