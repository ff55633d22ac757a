"""Audit action names: each app declares the actions it writes in one class; this module checks them.

An app's ``audit_actions.py`` holds one subclass of :class:`AuditActions` whose upper-case
attributes are the action strings that app writes (``CLAIM_CREATED = "claim.created"``), and its
services pass those constants, never free text, to ``audit.services.audit_record``. Declaring the
class registers its actions here, so registration runs from the higher app down to this one and
``audit`` never imports the apps above it. The strings are stored in every audit row and matched by
reports and tests: renaming one is a data migration, not a refactoring.
"""

import re

from django.core.exceptions import ImproperlyConfigured

# "<record>.<what happened>", lower case: "order.paid", "certificate.render_failed".
ACTION_FORMAT = re.compile(r"[a-z][a-z_]*\.[a-z][a-z_]*")

_registry: dict[str, str] = {}  # action -> the constant that declares it ("credits.audit_actions.X.Y")


def is_well_formed(action: object) -> bool:
    return isinstance(action, str) and ACTION_FORMAT.fullmatch(action) is not None


def register_actions(actions: dict[str, str], *, owner: str) -> None:
    """Record ``{constant name: action}`` declared by ``owner``; all or nothing.

    Refuses a malformed action, and an action already declared by another constant (two
    constants for one string would let two apps claim the same rows)."""
    for name, action in actions.items():
        where = f"{owner}.{name}"
        if not is_well_formed(action):
            raise ImproperlyConfigured(f"{where} = {action!r} is not an audit action like 'order.paid'.")
        declared = _registry.get(action)
        if declared is not None and declared != where:
            raise ImproperlyConfigured(f"{where} = {action!r} is already declared by {declared}.")
    values = list(actions.values())
    doubled = {action for action in values if values.count(action) > 1}
    if doubled:
        raise ImproperlyConfigured(f"{owner} declares {sorted(doubled)} more than once.")
    for name, action in actions.items():
        _registry[action] = f"{owner}.{name}"


def registered_actions() -> dict[str, str]:
    """Every action declared by the ``audit_actions`` modules imported so far, with its constant."""
    return dict(_registry)


class AuditActions:
    """Base of an app's action class: each upper-case ``str`` attribute is one action, registered
    when the subclass is declared."""

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        register_actions(
            {name: value for name, value in vars(cls).items() if name.isupper() and not name.startswith("_")},
            owner=f"{cls.__module__}.{cls.__qualname__}",
        )
