"""Writes to providers and their coordinators: the Django admin is the only page that makes them
(the site's operator sets up an accredited provider and names its coordinators), so its saves come
here and each writes an audit row with the old and new values."""

from typing import Any

from django.db import transaction

from accounts.models import User
from audit.services import audit_record

from .audit_actions import CreditAction
from .models import Provider, ProviderCoordinator


def provider_snapshot(provider: Provider) -> dict[str, Any]:
    """The provider's own fields as the audit row records them (JSON values)."""
    values: dict[str, Any] = {}
    for field in Provider._meta.concrete_fields:
        if field.primary_key:
            continue
        value = getattr(provider, field.attname)
        values[field.name] = value if value is None or isinstance(value, str | int | bool) else str(value)
    return values


@transaction.atomic
def provider_save(*, actor: User, provider: Provider, old: dict[str, Any] | None) -> Provider:
    """Create (``old`` None) or update a provider, with the changed fields' old and new values audited.

    Statements already shown to learners are frozen in the activity versions and certificates, so an
    edit here changes what comes next, never an earlier record."""
    provider.full_clean()
    provider.save()
    new = provider_snapshot(provider)
    if old is None:
        audit_record(actor=actor, action=CreditAction.PROVIDER_CREATED, obj=provider, data={"new": new})
        return provider
    changed = {name: [old.get(name), value] for name, value in new.items() if old.get(name) != value}
    if changed:
        audit_record(
            actor=actor, action=CreditAction.PROVIDER_UPDATED, obj=provider, data={"changed": changed}
        )
    return provider


@transaction.atomic
def coordinator_add(*, actor: User, membership: ProviderCoordinator) -> ProviderCoordinator:
    """Make a user a coordinator of a provider (their pages, reports and certificates), audited."""
    membership.full_clean()
    membership.save()
    audit_record(
        actor=actor,
        action=CreditAction.COORDINATOR_ADDED,
        obj=membership.provider,
        data={"user_id": membership.user_id, "email": membership.user.email},
    )
    return membership


@transaction.atomic
def coordinator_remove(*, actor: User, membership: ProviderCoordinator) -> None:
    """End a user's coordinator role at a provider, audited."""
    provider, user = membership.provider, membership.user
    membership.delete()
    audit_record(
        actor=actor,
        action=CreditAction.COORDINATOR_REMOVED,
        obj=provider,
        data={"user_id": user.pk, "email": user.email},
    )
