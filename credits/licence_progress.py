"""Reads for the transcript by licence: the learner's progress in each licence's renewal cycle.

Decisions (written on the licences page too):
- Hours: 1 credit = 1 hour. AMA PRA Category 1 Credit™, AAPA Category 1 CME, ANCC contact hours and
  ACPE CE (entered in contact hours, not CEUs) count their number as hours; a certificate of
  participation counts the hours of participation it states.
- What counts toward a licence depends only on its profession (``COUNTED_CREDIT_TYPES``): a nursing
  licence counts ANCC contact hours, a pharmacy licence ACPE hours, a PA licence AAPA Category 1 CME
  (and AMA credit and participation hours, which NCCPA accepts), a physician licence AMA PRA
  Category 1 Credit™; nursing and "other" licences add certificates of participation when the learner
  says their board accepts them.
- A certificate counts every credit type it carries (its main line and each further type it lists,
  credits/credit_lines.py), but one activity is one stretch of time: when several of its types count
  toward the same licence (a PA's AAPA credit and participation hours), the certificate counts once,
  with its largest counted amount, never the sum.
- IPCE credit never counts toward a licence: it recognises learning as a healthcare team and comes
  alongside the profession's own credit for the same time (a nurse's IPCE credit beside ANCC hours),
  so counting it would count that time twice; no state board in our rules takes IPCE credit in
  place of its profession's credit.
- Counted: credited certificates from this site (``selectors.credited_certificates``: a revoked one
  never counts) completed inside the cycle (first and last day included), and the learner's
  self-reported credits completed inside it.
- A mandated topic counts the counted credit whose activity carries it: for a certificate, the topics
  of the version the learner took (credits/versions.py), for a self-reported credit the topics the
  learner tagged. Topics are matched by name (``accounts.LicenceMandate.topic``).
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from accounts.licences import learner_licences
from accounts.models import Licence, Profession, User

from .credit_lines import certificate_lines
from .models import Certificate, ExternalCredit, ExternalCreditType
from .selectors import credited_certificates

PARTICIPATION = "participation"

# Credit type codes (certificates' CreditType and self-reported ExternalCreditType share them).
COUNTED_CREDIT_TYPES: dict[str, frozenset[str]] = {
    Profession.PHYSICIAN: frozenset({"ama_pra_1"}),
    # NCCPA accepts AMA PRA Category 1 Credit, and activities designated for it (a PA's participation
    # certificate from this site), as well as AAPA Category 1 CME.
    Profession.PA: frozenset({"aapa_1", "ama_pra_1", PARTICIPATION}),
    Profession.NURSE: frozenset({"ancc"}),
    Profession.PHARMACIST: frozenset({"acpe"}),
    Profession.OTHER: frozenset({"ama_pra_1", "aapa_1", "ancc", "acpe"}),
}


def counted_credit_types(licence: Licence) -> frozenset[str]:
    """The credit types that count toward ``licence`` (its profession, and the participation choice)."""
    types = COUNTED_CREDIT_TYPES.get(licence.profession, frozenset())
    if licence.counts_participation:
        types = types | {PARTICIPATION}
    return types


def counted_credit_labels(licence: Licence) -> list[str]:
    labels = dict(ExternalCreditType.choices)
    return [str(labels.get(code, code)) for code in sorted(counted_credit_types(licence))]


def hours_text(value: Decimal) -> str:
    """32.00 -> '32', 1.50 -> '1.5'."""
    text = f"{Decimal(value).quantize(Decimal('0.01')):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class TopicProgress:
    topic: str
    hours: Decimal
    required: Decimal

    @property
    def done(self) -> bool:
        return self.hours >= self.required

    @property
    def line(self) -> str:
        if self.done:
            return _("%(topic)s %(hours)s of %(required)s done") % self._numbers()
        return _("%(topic)s %(hours)s of %(required)s hours") % self._numbers()

    def _numbers(self) -> dict[str, str]:
        return {"topic": self.topic, "hours": hours_text(self.hours), "required": hours_text(self.required)}


@dataclass(frozen=True)
class LicenceProgress:
    licence: Licence
    hours: Decimal
    counted_labels: list[str]
    topics: list[TopicProgress] = field(default_factory=list)

    @property
    def required(self) -> Decimal:
        return self.licence.required_hours

    @property
    def done(self) -> bool:
        return self.hours >= self.required and all(t.done for t in self.topics)

    @property
    def line(self) -> str:
        """'32 of 50 hours; Opioid prescribing 2 of 2 done' (the page and the PDF print this)."""
        parts = [
            _("%(hours)s of %(required)s hours")
            % {"hours": hours_text(self.hours), "required": hours_text(self.required)}
        ]
        parts += [t.line for t in self.topics]
        return "; ".join(parts)


@dataclass(frozen=True)
class _Credit:
    """One certificate or one self-reported credit: its amount per credit type (code -> hours)."""

    date: datetime.date
    amounts: dict[str, Decimal]
    topics: frozenset[str]

    def counted(self, types: frozenset[str]) -> Decimal:
        """The hours it gives a licence counting ``types``: its largest counted amount (same time)."""
        return max((amount for code, amount in self.amounts.items() if code in types), default=Decimal(0))


def _credits_between(learner: User, start: datetime.date, end: datetime.date) -> list[_Credit]:
    """Credited certificates and self-reported credits from ``start`` to ``end``: three queries."""
    certificates = (
        credited_certificates()
        .filter(claim__learner=learner, completion_date__gte=start, completion_date__lte=end)
        .select_related("version")
        .only("completion_date", "credits", "credit_type", "other_credits", "version__content")
    )
    external = ExternalCredit.objects.filter(
        learner=learner, completed_on__gte=start, completed_on__lte=end
    ).prefetch_related("mandate_topics")
    return [_certificate_credit(c) for c in certificates] + [
        _Credit(c.completed_on, {c.credit_type: c.credits}, frozenset(t.name for t in c.mandate_topics.all()))
        for c in external
    ]


def _certificate_credit(certificate: Certificate) -> _Credit:
    topics = frozenset(certificate.version.content.get("mandate_topics") or [])
    lines = certificate_lines(
        credit_type=certificate.credit_type,
        credits=certificate.credits,
        other_credits=certificate.other_credits,
    )
    amounts: dict[str, Decimal] = {}
    for line in lines:
        amounts[line.code] = max(amounts.get(line.code, Decimal(0)), line.credits)
    return _Credit(certificate.completion_date, amounts, topics)


def _progress(licence: Licence, credits: list[_Credit]) -> LicenceProgress:
    types = counted_credit_types(licence)
    inside = [
        (c, c.counted(types))
        for c in credits
        if licence.cycle_start <= c.date <= licence.cycle_end and c.counted(types) > 0
    ]
    topics = [
        TopicProgress(
            topic=m.topic,
            hours=sum((hours for c, hours in inside if m.topic in c.topics), Decimal(0)),
            required=m.hours,
        )
        for m in licence.mandates.all()
    ]
    return LicenceProgress(
        licence=licence,
        hours=sum((hours for _c, hours in inside), Decimal(0)),
        counted_labels=counted_credit_labels(licence),
        topics=topics,
    )


def learner_licence_progress(*, learner: User) -> list[LicenceProgress]:
    """Each of the learner's licences with its progress in its cycle: five queries however many
    licences and credits (licences, their topics, certificates, self-reported credits, their topics)."""
    licences = list(learner_licences(learner=learner))
    if not licences:
        return []
    start = min(licence.cycle_start for licence in licences)
    end = max(licence.cycle_end for licence in licences)
    credits = _credits_between(learner, start, end)
    return [_progress(licence, credits) for licence in licences]
