"""The learner's licences and certifications: reads and audited writes of their own records.

Topic names are checked against credits' state-mandate topics by ``credits.licences`` before these run
(accounts sits below credits); here they are plain names.
"""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from audit.services import audit_record

from .audit_actions import AccountAction
from .locks import lock_learner
from .models import MAX_LICENCE_MANDATES, MAX_LICENCES, MAX_MANDATE_HOURS, Licence, LicenceMandate, User

LICENCE_FIELDS = (
    "profession",
    "state",
    "number",
    "cycle_start",
    "cycle_end",
    "required_hours",
    "counts_participation",
)

Mandates = Sequence[tuple[str, Decimal]]


def learner_licences(*, learner: User) -> QuerySet[Licence]:
    """The learner's licences with their mandated topics (two queries however many)."""
    return Licence.objects.filter(learner=learner).prefetch_related("mandates")


def learner_licence(*, learner: User, pk: int) -> Licence | None:
    """One of the learner's own licences; another learner's id finds nothing."""
    return learner_licences(learner=learner).filter(pk=pk).first()


def _check_mandates(mandates: Mandates) -> list[tuple[str, Decimal]]:
    if len(mandates) > MAX_LICENCE_MANDATES:
        raise ValidationError(
            _("A licence has at most %(n)s mandated topics.") % {"n": MAX_LICENCE_MANDATES}, code="mandates"
        )
    seen: set[str] = set()
    clean: list[tuple[str, Decimal]] = []
    for topic, hours in mandates:
        topic = topic.strip()
        if not topic:
            raise ValidationError(_("A mandated topic needs its name."), code="mandates")
        if topic in seen:
            raise ValidationError(_("“%(t)s” is listed twice.") % {"t": topic}, code="mandates")
        if hours is None or not (0 < hours <= MAX_MANDATE_HOURS):
            raise ValidationError(
                _("The hours for “%(t)s” must be more than 0 and at most %(max)s.")
                % {"t": topic, "max": MAX_MANDATE_HOURS},
                code="mandates",
            )
        seen.add(topic)
        clean.append((topic, hours))
    return clean


def _amount(value: Decimal) -> str:
    return f"{Decimal(value).quantize(Decimal('0.01')):f}"


def _snapshot(licence: Licence, mandates: Sequence[tuple[str, Decimal]]) -> dict[str, Any]:
    return {
        "profession": licence.profession,
        "state": licence.state,
        "number": licence.number,
        "cycle_start": licence.cycle_start.isoformat(),
        "cycle_end": licence.cycle_end.isoformat(),
        "required_hours": _amount(licence.required_hours),
        "counts_participation": licence.counts_participation,
        "mandates": {topic: _amount(hours) for topic, hours in mandates},
    }


def _apply(licence: Licence, data: dict[str, Any], mandates: Mandates) -> list[tuple[str, Decimal]]:
    for name in LICENCE_FIELDS:
        if name in data:
            setattr(licence, name, data[name])
    licence.full_clean()
    return _check_mandates(mandates)


def _write_mandates(licence: Licence, mandates: Sequence[tuple[str, Decimal]]) -> None:
    licence.mandates.all().delete()
    LicenceMandate.objects.bulk_create(LicenceMandate(licence=licence, topic=t, hours=h) for t, h in mandates)


@transaction.atomic
def licence_create(*, learner: User, data: dict[str, Any], mandates: Mandates = ()) -> Licence:
    """Record a licence; ValidationError (nothing written) on bad dates, hours, topics or too many."""
    lock_learner(learner.pk)  # two tabs saving at once cannot pass the limit together
    if Licence.objects.filter(learner=learner).count() >= MAX_LICENCES:
        raise ValidationError(
            _("You can keep at most %(n)s licences; delete one you no longer hold.") % {"n": MAX_LICENCES},
            code="too_many",
        )
    licence = Licence(learner=learner)
    clean = _apply(licence, data, mandates)
    licence.save()
    _write_mandates(licence, clean)
    audit_record(
        actor=learner, action=AccountAction.LICENCE_CREATED, obj=licence, data=_snapshot(licence, clean)
    )
    return licence


@transaction.atomic
def licence_update(
    *, learner: User, licence: Licence, data: dict[str, Any], mandates: Mandates = ()
) -> Licence:
    lock_learner(learner.pk)
    licence = Licence.objects.select_for_update().filter(pk=licence.pk, learner=learner).first()  # type: ignore[assignment]
    if licence is None:
        raise ValidationError(_("This licence does not exist."), code="not_found")
    before = _snapshot(licence, [(m.topic, m.hours) for m in licence.mandates.all()])
    clean = _apply(licence, data, mandates)
    licence.save()
    _write_mandates(licence, clean)
    audit_record(
        actor=learner,
        action=AccountAction.LICENCE_UPDATED,
        obj=licence,
        data={"old": before, "new": _snapshot(licence, clean)},
    )
    return licence


@transaction.atomic
def licence_delete(*, learner: User, licence: Licence) -> None:
    """Delete the learner's own licence record (planning data, not a credit record), audited."""
    lock_learner(learner.pk)
    licence = Licence.objects.select_for_update().filter(pk=licence.pk, learner=learner).first()  # type: ignore[assignment]
    if licence is None:
        raise ValidationError(_("This licence does not exist."), code="not_found")
    before = _snapshot(licence, [(m.topic, m.hours) for m in licence.mandates.all()])
    audit_record(actor=learner, action=AccountAction.LICENCE_DELETED, obj=licence, data={"old": before})
    licence.delete()
