"""What the API answers and accepts (Pydantic, through django-ninja); the OpenAPI schema comes from these."""

import datetime
from decimal import Decimal

from ninja import Schema
from pydantic import Field

from .pagination import PageParams


class ErrorOut(Schema):
    error: str  # a stable code: bad_request, not_found, unauthenticated, insufficient_scope, rate_limited...
    message: str  # for the developer reading it
    details: list[dict] | None = None


class IndexOut(Schema):
    name: str
    version: str
    openapi_url: str  # the OpenAPI 3.1 schema (JSON)
    docs_url: str  # the interactive docs (Swagger UI)
    tokens_url: str  # where a user makes a personal access token (a page of the site)
    collections: dict[str, str]  # public lists: name -> absolute URL
    token_collections: dict[str, str]  # lists needing "Authorization: Bearer pcme_..."


class PageLinks(Schema):
    page: int
    limit: int
    next: str | None  # absolute URL of the next page, or null on the last one
    previous: str | None


class ShowOut(Schema):
    slug: str
    title: str
    description: str
    author: str
    language: str
    category: str
    explicit: bool
    show_type: str
    complete: bool
    public_episode_count: int
    url: str
    feed_url: str
    api_url: str


class ShowPage(PageLinks):
    results: list[ShowOut]


class TopicOut(Schema):
    slug: str
    name: str
    public_episode_count: int
    url: str
    api_url: str


class TopicPage(PageLinks):
    results: list[TopicOut]


class EpisodeOut(Schema):
    id: int
    show: str  # the show's slug
    show_title: str
    title: str
    slug: str
    season: int | None
    number: int | None
    episode_type: str
    explicit: bool
    published_at: datetime.datetime
    duration_seconds: float
    audio_url: str
    audio_mime: str
    audio_size: int
    topics: list[str]  # topic slugs
    url: str
    api_url: str
    activity_id: int | None  # its CME activity, when one is offered to learners


class EpisodePage(PageLinks):
    results: list[EpisodeOut]


class CreditOfferOut(Schema):
    type: str  # ama-pra-1, ancc, acpe, aapa-1, ipce (the cme:credit namespace's codes)
    label: str
    amount: Decimal
    accreditor: str  # ACCME, ANCC, ACPE, AAPA, JA


class ProviderOut(Schema):
    slug: str
    name: str


class ActivityOut(Schema):
    id: int
    title: str
    status: str  # published or withdrawn
    episode_id: int
    show: str
    provider: ProviderOut
    credits: list[CreditOfferOut]
    release_date: datetime.date
    expiry_date: datetime.date
    claimable: bool  # released, not expired, not withdrawn: a learner can claim today
    estimated_minutes: int
    target_audience: str
    objectives: list[str]
    claim_url: str
    episode_url: str
    api_url: str


class ActivityPage(PageLinks):
    results: list[ActivityOut]


class MeOut(Schema):
    email: str
    token_name: str
    token_prefix: str
    token_scope: str
    token_expires_at: datetime.datetime | None


class CertificateBrief(Schema):
    id: int
    number: str
    status: str


class ClaimOut(Schema):
    id: int
    activity_id: int
    activity_title: str
    provider: str
    claimed_at: datetime.datetime
    credits: Decimal
    credit_type: str
    minutes_reported: int
    certificate: CertificateBrief | None


class ClaimPage(PageLinks):
    results: list[ClaimOut]


class CreditLineOut(Schema):
    type: str
    label: str
    credits: Decimal


class CertificateOut(Schema):
    id: int
    number: str
    status: str  # pending (being prepared), issued, revoked
    activity_id: int
    activity_title: str
    provider: str
    completion_date: datetime.date
    credits: list[CreditLineOut]
    issued_at: datetime.datetime
    revoked_at: datetime.datetime | None
    verification_url: str | None  # public page anyone can check; null until issued, and once revoked
    pdf_download_url: str | None  # signed link, valid for 10 minutes, no login needed; null unless issued


class CertificatePage(PageLinks):
    results: list[CertificateOut]


class TranscriptRowOut(Schema):
    date: datetime.date
    title: str
    provider: str
    credits: Decimal
    credit_type: str
    credit_type_label: str
    self_reported: bool
    certificate_number: str
    verification_url: str


class TranscriptTotalOut(Schema):
    credit_type: str
    credit_type_label: str
    credits: Decimal
    self_reported: Decimal


class TranscriptParams(PageParams):
    start: datetime.date | None = Field(None, description="From this date (YYYY-MM-DD), inclusive.")
    end: datetime.date | None = Field(None, description="To this date (YYYY-MM-DD), inclusive.")


class TranscriptPage(PageLinks):
    """A page of the rows, newest first; the totals are those of every row in start..end, whatever
    the page."""

    start: datetime.date | None
    end: datetime.date | None
    results: list[TranscriptRowOut]
    totals: list[TranscriptTotalOut]


class CoordinatorActivityOut(Schema):
    id: int
    title: str
    status: str
    provider: ProviderOut
    release_date: datetime.date
    expiry_date: datetime.date
    credited_completions: int
    completions_url: str


class CoordinatorActivityPage(PageLinks):
    results: list[CoordinatorActivityOut]


class CompletionOut(Schema):
    certificate_id: int
    certificate_number: str
    status: str
    learner_name: str
    learner_email: str
    degree: str
    completion_date: datetime.date
    claimed_at: datetime.datetime
    credits: list[CreditLineOut]
    issued_at: datetime.datetime
    revoked_at: datetime.datetime | None


class CompletionPage(PageLinks):
    results: list[CompletionOut]
