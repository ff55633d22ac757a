"""Writing audit rows: the one way every service records a change."""

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
