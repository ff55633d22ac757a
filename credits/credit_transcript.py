"""Reads for the learner's credit transcript: claimed and self-reported credits, filtered, with totals."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.urls import reverse

from accounts.models import User

from .models import CreditClaim, CreditType, ExternalCredit, ExternalCreditType, MandateTopic
from .provider_time import provider_date


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


@dataclass(frozen=True)
class TranscriptTotal:
    credit_type_label: str
    credits: Decimal
    self_reported: Decimal


@dataclass
class Transcript:
    rows: list[TranscriptRow] = field(default_factory=list)
    totals: list[TranscriptTotal] = field(default_factory=list)
    start: datetime.date | None = None
    end: datetime.date | None = None
    topic: MandateTopic | None = None


def _claim_rows(
    learner: User, start: datetime.date | None, end: datetime.date | None, topic: MandateTopic | None
) -> list[TranscriptRow]:
    claims = CreditClaim.objects.filter(learner=learner).select_related(
        "activity__provider", "completion", "certificate"
    )
    # claimed_at is the completion moment too (the claim service writes both at once). The exact day
    # depends on each provider's time zone: narrow in SQL with a day's margin either
    # side (no time zone is more than 14 hours from UTC), then decide per row below.
    if start is not None:
        since = datetime.datetime.combine(start - datetime.timedelta(days=1), datetime.time.min, datetime.UTC)
        claims = claims.filter(claimed_at__gte=since)
    if end is not None:
        until = datetime.datetime.combine(end + datetime.timedelta(days=2), datetime.time.min, datetime.UTC)
        claims = claims.filter(claimed_at__lt=until)
    if topic is not None:
        claims = claims.filter(activity__mandate_topics=topic)
    claims = claims.prefetch_related("activity__mandate_topics")
    labels = dict(CreditType.choices)
    site = settings.SITE_URL.rstrip("/")
    rows = []
    for claim in claims:
        completion = getattr(claim, "completion", None)
        moment = completion.completed_at if completion is not None else claim.claimed_at
        day = provider_date(moment, claim.activity.provider)  # as the provider reports it
        if (start is not None and day < start) or (end is not None and day > end):
            continue
        # Certificates are built by another part of issue 6: a claim may not have one (yet).
        certificate = getattr(claim, "certificate", None)
        issued = certificate if getattr(certificate, "status", None) == "issued" else None
        rows.append(
            TranscriptRow(
                date=day,
                title=claim.activity.title,
                provider=claim.activity.provider.name,
                credits=claim.credits,
                credit_type=claim.credit_type,
                credit_type_label=str(labels.get(claim.credit_type, claim.credit_type)),
                topics=[t.name for t in claim.activity.mandate_topics.all()],
                self_reported=False,
                certificate_url=reverse("credits:certificate_pdf", args=[issued.pk]) if issued else "",
                certificate_number=issued.number if issued else "",
                verification_url=site + reverse("credits:verify", args=[issued.code]) if issued else "",
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
    rows = _claim_rows(learner, start, end, topic) + _external_rows(learner, start, end, topic)
    rows.sort(key=lambda r: (r.date, r.title.lower()), reverse=True)
    return Transcript(rows=rows, totals=_totals(rows), start=start, end=end, topic=topic)


def learner_external_credits(*, learner: User):
    return ExternalCredit.objects.filter(learner=learner)


def learner_external_credit(*, learner: User, pk: int) -> ExternalCredit | None:
    """One of the learner's own self-reported credits; another learner's id finds nothing."""
    return ExternalCredit.objects.filter(learner=learner, pk=pk).prefetch_related("mandate_topics").first()
