"""Writing audit rows: the one way every service records a change."""

from collections.abc import Sequence
from typing import Any

from django.db import models

from .actions import is_well_formed
from .models import AuditEvent


def audit_record(
    *, actor: Any | None, action: str, obj: models.Model, data: dict[str, Any] | None = None
) -> AuditEvent:
    """Append an audit row for ``obj``; ``actor`` is None for the system.

    ``action`` is one of the constants an app declares in its ``audit_actions`` module; a malformed
    one (free text, an f-string filled with the wrong value) is refused before anything is written."""
    if not is_well_formed(action):
        raise ValueError(f"{action!r} is not an audit action like 'order.paid' (see audit/actions.py).")
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEvent.objects.create(
        actor=actor,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        data=data or {},
    )


def audit_record_many(
    events: Sequence[tuple[Any | None, str, models.Model, dict[str, Any] | None]],
) -> list[AuditEvent]:
    """audit_record() for several rows written together, in one INSERT: ``(actor, action, obj,
    data)`` each, with the same checks (a malformed action refuses them all before anything is
    written). For a service that changes several records in one step (a claim and its certificate)."""
    rows = []
    for actor, action, obj, data in events:
        if not is_well_formed(action):
            raise ValueError(f"{action!r} is not an audit action like 'order.paid' (see audit/actions.py).")
        if actor is not None and not getattr(actor, "is_authenticated", False):
            actor = None
        rows.append(
            AuditEvent(
                actor=actor,
                action=action,
                object_type=obj._meta.label_lower,
                object_id=str(obj.pk),
                data=data or {},
            )
        )
    return AuditEvent.objects.bulk_create(rows)
