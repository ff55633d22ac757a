"""Reads for the learner's credit transcript: claimed and self-reported credits, filtered, with totals.

Credit from this site is what ``selectors.credited_certificates`` returns: each certificate's current
revision (its completion date, title, credits and credit types as printed). Revoked certificates are
in no row and no total; the page lists them apart, marked revoked, as history (``Transcript.revoked``).

Split by credit type (issue 13): a certificate gives one row per credit type it carries (its main
line, AMA PRA Category 1 Credit™ or participation hours, then each further type it lists: ANCC, ACPE,
AAPA, IPCE; credits/credit_lines.py), and the totals are per credit type, self-reported credit of the
same type included. Different credit types are never added together.
"""

import dataclasses
import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse

from accounts.models import User

from .credit_lines import certificate_lines, order_key, type_labels
from .licence_progress import LicenceProgress, learner_licence_progress
from .models import Certificate, ExternalCredit, MandateTopic
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
    # A further credit type of the certificate in the row before (ANCC, ACPE, ...): same certificate.
    further: bool = False


@dataclass(frozen=True)
class TranscriptTotal:
    credit_type_label: str
    credits: Decimal
    self_reported: Decimal
    credit_type: str = ""


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


def _certificate_rows_of(certificate: Certificate, labels: dict[str, str], site: str) -> list[TranscriptRow]:
    """One row per credit type the certificate carries (a revoked one: its main line only, as history)."""
    # Not printed yet (or revoked): no link to a PDF and no verification address that would not answer.
    issued = certificate.status == Certificate.Status.ISSUED
    revoked = certificate.status == Certificate.Status.REVOKED
    lines = certificate_lines(
        credit_type=certificate.credit_type,
        credits=certificate.credits,
        other_credits=[] if revoked else certificate.other_credits,
    )
    main = TranscriptRow(
        date=certificate.completion_date,
        title=certificate.activity_title,
        provider=certificate.provider_name,
        credits=certificate.credits,
        credit_type=certificate.credit_type,
        credit_type_label=labels.get(certificate.credit_type, certificate.credit_type),
        topics=_version_topics(certificate),
        self_reported=False,
        certificate_url=reverse("credits:certificate_pdf", args=[certificate.pk]) if issued else "",
        certificate_number=certificate.number if certificate.status != Certificate.Status.PENDING else "",
        verification_url=site + reverse("credits:verify", args=[certificate.code]) if issued else "",
        revoked_on=provider_date(certificate.revoked_at, certificate.claim.activity.provider)
        if certificate.revoked_at
        else None,
    )
    return [
        dataclasses.replace(
            main,
            credits=line.credits,
            credit_type=line.code,
            credit_type_label=labels.get(line.code, line.code),
            further=not line.main,
        )
        for line in lines
    ]


def _certificate_rows(
    learner: User, start: datetime.date | None, end: datetime.date | None, topic: MandateTopic | None
) -> tuple[list[TranscriptRow], list[TranscriptRow]]:
    """(credited rows, revoked rows): two queries, however many certificates and credit types."""
    labels = type_labels()
    site = settings.SITE_URL.rstrip("/")
    revoked = _certificates(
        Certificate.objects.filter(status=Certificate.Status.REVOKED), learner, start, end, topic
    ).select_related("claim__activity__provider")

    def shown(certificate: Certificate) -> bool:
        return topic is None or topic.name in _version_topics(certificate)

    return (
        _credited_rows(
            _certificates(credited_certificates(), learner, start, end, topic), labels, site, topic
        ),
        [_certificate_rows_of(c, labels, site)[0] for c in revoked if shown(c)],
    )


# A learner with a thousand credits: the credited rows are read as plain tuples (no model instances,
# only the version's topics out of its JSON), and the two addresses are formatted, not reversed, per row.
_CREDITED_FIELDS = (
    "pk",
    "status",
    "completion_date",
    "activity_title",
    "provider_name",
    "credits",
    "credit_type",
    "other_credits",
    "number",
    "code",
    "version__content__mandate_topics",
)
_PLACEHOLDER = "8642097531"


def _credited_rows(
    certificates: QuerySet[Certificate], labels: dict[str, str], site: str, topic: MandateTopic | None
) -> list[TranscriptRow]:
    """The same rows as ``_certificate_rows_of`` gives for credited (not revoked) certificates."""
    pdf_url = reverse("credits:certificate_pdf", args=[int(_PLACEHOLDER)])
    verify_url = site + reverse("credits:verify", args=[_PLACEHOLDER])
    issued_state, pending_state = Certificate.Status.ISSUED, Certificate.Status.PENDING
    rows = []
    for (
        pk,
        status,
        date,
        title,
        provider,
        credits,
        credit_type,
        other,
        number,
        code,
        topics,
    ) in certificates.order_by().values_list(*_CREDITED_FIELDS):
        topics = list(topics or [])
        if topic is not None and topic.name not in topics:
            continue
        issued = status == issued_state
        for line in certificate_lines(credit_type=credit_type, credits=credits, other_credits=other):
            rows.append(
                TranscriptRow(
                    date=date,
                    title=title,
                    provider=provider,
                    credits=line.credits,
                    credit_type=line.code,
                    credit_type_label=labels.get(line.code, line.code),
                    topics=topics,
                    self_reported=False,
                    certificate_url=pdf_url.replace(_PLACEHOLDER, str(pk)) if issued else "",
                    certificate_number=number if status != pending_state else "",
                    verification_url=verify_url.replace(_PLACEHOLDER, code) if issued else "",
                    further=not line.main,
                )
            )
    return rows


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
    labels = type_labels()
    return [
        TranscriptRow(
            date=credit.completed_on,
            title=credit.title,
            provider=credit.provider_name,
            credits=credit.credits,
            credit_type=credit.credit_type,
            credit_type_label=labels.get(credit.credit_type, credit.credit_type),
            topics=[t.name for t in credit.mandate_topics.all()],
            self_reported=True,
            external_id=credit.pk,
            has_file=bool(credit.certificate_file),
        )
        for credit in credits.prefetch_related("mandate_topics")
    ]


def _totals(rows: list[TranscriptRow]) -> list[TranscriptTotal]:
    """Per credit type (by its code, so ANCC hours from here and from elsewhere add up); the largest
    first. Credit types are never added together: an hour can be both AMA and IPCE credit."""
    sums: dict[str, list[Decimal]] = {}
    labels: dict[str, str] = {}
    for row in rows:
        total = sums.setdefault(row.credit_type, [Decimal(0), Decimal(0)])
        labels.setdefault(row.credit_type, row.credit_type_label)
        total[0] += row.credits
        if row.self_reported:
            total[1] += row.credits
    return [
        TranscriptTotal(
            credit_type_label=labels[code], credits=both[0], self_reported=both[1], credit_type=code
        )
        for code, both in sorted(sums.items(), key=lambda item: (-item[1][0], order_key(item[0])))
    ]


def learner_credit_totals(*, learner: User) -> list[TranscriptTotal]:
    """My learning's totals: the learner's credit from this site per credit type, all dates (one query)."""
    labels = type_labels()
    rows = [
        TranscriptRow(
            date=c.completion_date,
            title="",
            provider="",
            credits=line.credits,
            credit_type=line.code,
            credit_type_label=labels.get(line.code, line.code),
            topics=[],
            self_reported=False,
        )
        for c in credited_certificates()
        .filter(claim__learner=learner)
        .only("completion_date", "credit_type", "credits", "other_credits")
        for line in certificate_lines(
            credit_type=c.credit_type, credits=c.credits, other_credits=c.other_credits
        )
    ]
    return _totals(rows)


def learner_transcript(
    *,
    learner: User,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    topic: MandateTopic | None = None,
    with_licences: bool = True,
) -> Transcript:
    """The learner's own credits, newest first; a fixed number of queries however many there are.
    ``with_licences`` False leaves out the licence progress (the files do not print it)."""
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
        licences=learner_licence_progress(learner=learner) if with_licences else [],
    )


def learner_external_credits(*, learner: User):
    return ExternalCredit.objects.filter(learner=learner)


def learner_external_credit(*, learner: User, pk: int) -> ExternalCredit | None:
    """One of the learner's own self-reported credits; another learner's id finds nothing."""
    return ExternalCredit.objects.filter(learner=learner, pk=pk).prefetch_related("mandate_topics").first()
