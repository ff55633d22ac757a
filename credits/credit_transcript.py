"""Reads for the learner's credit transcript: claimed and self-reported credits, filtered, with totals.

Credit from this site is what ``selectors.credited_certificates`` returns: each certificate's current
revision (its completion date, title, credits and credit type as printed). Revoked certificates are
in no row and no total; the page lists them apart, marked revoked, as history (``Transcript.revoked``).
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse

from accounts.models import User

from .licence_progress import LicenceProgress, learner_licence_progress
from .models import Certificate, CreditType, ExternalCredit, ExternalCreditType, MandateTopic
from .provider_time import provider_date
from .selectors import credited_certificates


@dataclass(frozen=True)
class TranscriptRow:
    """One line of the transcript, whatever its source."""

    date: datetime.date
    title: str
    provider: str
    credits: Decimal
    credit_type: str
    credit_type_label: str
    topics: list[str]
    self_reported: bool
    certificate_url: str = ""
    certificate_number: str = ""
    verification_url: str = ""
    external_id: int | None = None
    has_file: bool = False
    revoked_on: datetime.date | None = None  # the day of revocation in the provider's time zone


@dataclass(frozen=True)
class TranscriptTotal:
    credit_type_label: str
    credits: Decimal
    self_reported: Decimal


@dataclass
class Transcript:
    rows: list[TranscriptRow] = field(default_factory=list)
    totals: list[TranscriptTotal] = field(default_factory=list)
    # Revoked certificates in the period: history for the page only, never in rows, totals or files.
    revoked: list[TranscriptRow] = field(default_factory=list)
    start: datetime.date | None = None
    end: datetime.date | None = None
    topic: MandateTopic | None = None
    # Progress in each of the learner's licence cycles (credits/licence_progress.py): whole cycles,
    # whatever the filters above select.
    licences: list[LicenceProgress] = field(default_factory=list)


def _certificates(
    queryset: QuerySet[Certificate],
    learner: User,
    start: datetime.date | None,
    end: datetime.date | None,
    topic: MandateTopic | None,
) -> QuerySet[Certificate]:
    certificates = queryset.filter(claim__learner=learner)
    # The completion date was decided at issue in the provider's time zone (or corrected since).
    if start is not None:
        certificates = certificates.filter(completion_date__gte=start)
    if end is not None:
        certificates = certificates.filter(completion_date__lte=end)
    # State-mandate topics are those of the version the learner took (credits/versions.py): a topic a
    # coordinator adds later does not make earlier credit count toward a licensing mandate. The
    # version's topics are JSON, filtered per row in _certificate_rows (a learner has few rows).
    return certificates.select_related("version")


def _version_topics(certificate: Certificate) -> list[str]:
    return list(certificate.version.content.get("mandate_topics") or [])


def _certificate_row(certificate: Certificate, labels: dict[str, str], site: str) -> TranscriptRow:
    # Not printed yet (or revoked): no link to a PDF and no verification address that would not answer.
    issued = certificate.status == Certificate.Status.ISSUED
    return TranscriptRow(
        date=certificate.completion_date,
        title=certificate.activity_title,
        provider=certificate.provider_name,
        credits=certificate.credits,
        credit_type=certificate.credit_type,
        credit_type_label=str(labels.get(certificate.credit_type, certificate.credit_type)),
        topics=_version_topics(certificate),
        self_reported=False,
        certificate_url=reverse("credits:certificate_pdf", args=[certificate.pk]) if issued else "",
        certificate_number=certificate.number if certificate.status != Certificate.Status.PENDING else "",
        verification_url=site + reverse("credits:verify", args=[certificate.code]) if issued else "",
        revoked_on=provider_date(certificate.revoked_at, certificate.claim.activity.provider)
        if certificate.revoked_at
        else None,
    )


def _certificate_rows(
    learner: User, start: datetime.date | None, end: datetime.date | None, topic: MandateTopic | None
) -> tuple[list[TranscriptRow], list[TranscriptRow]]:
    """(credited rows, revoked rows): two queries and a prefetch, however many certificates."""
    labels = {str(k): str(v) for k, v in CreditType.choices}
    site = settings.SITE_URL.rstrip("/")
    credited = _certificates(credited_certificates(), learner, start, end, topic).select_related("claim")
    revoked = _certificates(
        Certificate.objects.filter(status=Certificate.Status.REVOKED), learner, start, end, topic
    ).select_related("claim__activity__provider")

    def shown(certificate: Certificate) -> bool:
        return topic is None or topic.name in _version_topics(certificate)

    return (
        [_certificate_row(c, labels, site) for c in credited if shown(c)],
        [_certificate_row(c, labels, site) for c in revoked if shown(c)],
    )


def _external_rows(
    learner: User, start: datetime.date | None, end: datetime.date | None, topic: MandateTopic | None
) -> list[TranscriptRow]:
    credits = learner_external_credits(learner=learner)
    if start is not None:
        credits = credits.filter(completed_on__gte=start)
    if end is not None:
        credits = credits.filter(completed_on__lte=end)
    if topic is not None:
        credits = credits.filter(mandate_topics=topic)
    labels = dict(ExternalCreditType.choices)
    return [
        TranscriptRow(
            date=credit.completed_on,
            title=credit.title,
            provider=credit.provider_name,
            credits=credit.credits,
            credit_type=credit.credit_type,
            credit_type_label=str(labels.get(credit.credit_type, credit.credit_type)),
            topics=[t.name for t in credit.mandate_topics.all()],
            self_reported=True,
            external_id=credit.pk,
            has_file=bool(credit.certificate_file),
        )
        for credit in credits.prefetch_related("mandate_topics")
    ]


def _totals(rows: list[TranscriptRow]) -> list[TranscriptTotal]:
    """Per credit type (by its name, so AMA PRA Category 1 from here and elsewhere add up)."""
    sums: dict[str, list[Decimal]] = {}
    for row in rows:
        total = sums.setdefault(row.credit_type_label, [Decimal(0), Decimal(0)])
        total[0] += row.credits
        if row.self_reported:
            total[1] += row.credits
    return [
        TranscriptTotal(credit_type_label=label, credits=both[0], self_reported=both[1])
        for label, both in sorted(sums.items(), key=lambda item: (-item[1][0], item[0]))
    ]


def learner_transcript(
    *,
    learner: User,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    topic: MandateTopic | None = None,
) -> Transcript:
    """The learner's own credits, newest first; a fixed number of queries however many there are."""
    credited, revoked = _certificate_rows(learner, start, end, topic)
    rows = credited + _external_rows(learner, start, end, topic)
    rows.sort(key=lambda r: (r.date, r.title.lower()), reverse=True)
    revoked.sort(key=lambda r: (r.date, r.title.lower()), reverse=True)
    return Transcript(
        rows=rows,
        totals=_totals(rows),
        revoked=revoked,
        start=start,
        end=end,
        topic=topic,
        licences=learner_licence_progress(learner=learner),
    )


def learner_external_credits(*, learner: User):
    return ExternalCredit.objects.filter(learner=learner)


def learner_external_credit(*, learner: User, pk: int) -> ExternalCredit | None:
    """One of the learner's own self-reported credits; another learner's id finds nothing."""
    return ExternalCredit.objects.filter(learner=learner, pk=pk).prefetch_related("mandate_topics").first()
