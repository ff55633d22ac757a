"""Reads for coordinators: find a certificate of their providers by learner, number or code; the
correction requests waiting for them."""

from django.db.models import Q, QuerySet

from accounts.models import User

from .certificates import code_normalize
from .models import Certificate, CorrectionRequest

MAX_QUERY_LENGTH = 100


def coordinator_certificates(*, user: User) -> QuerySet[Certificate]:
    """Every certificate of the providers ``user`` coordinates (never another provider's)."""
    return Certificate.objects.filter(claim__activity__provider__memberships__user=user)


def certificate_search(*, user: User, query: str) -> QuerySet[Certificate]:
    """The coordinator's certificates matching ``query``, newest first.

    A query matches the verification code (any case, with or without dashes or spaces), the
    certificate number or part of it, the learner's email or part of it, or the learner's name:
    every word of the query in the printed name or the profile's legal name. An empty query lists
    them all (the page paginates).
    """
    certificates = coordinator_certificates(user=user).select_related("claim__learner", "claim__activity")
    text = " ".join((query or "").split())[:MAX_QUERY_LENGTH]
    if text:
        name = Q()
        for word in text.split(" "):
            name &= (
                Q(learner_name__icontains=word)
                | Q(claim__learner__profile__given_name__icontains=word)
                | Q(claim__learner__profile__family_name__icontains=word)
            )
        match = name | Q(number__icontains=text) | Q(claim__learner__email__icontains=text)
        code = code_normalize(text)
        if code is not None:
            match |= Q(code=code)
        certificates = certificates.filter(match)
    return certificates.order_by("-issued_at", "-id")


def pending_corrections(*, user: User) -> QuerySet[CorrectionRequest]:
    """Correction requests of the coordinator's providers still waiting for a decision."""
    return CorrectionRequest.objects.filter(
        status=CorrectionRequest.Status.PENDING,
        certificate__claim__activity__provider__memberships__user=user,
    )


def pending_corrections_to_list(*, user: User, limit: int = 10) -> list[CorrectionRequest]:
    """The oldest waiting requests first (they have waited longest), with their certificates."""
    return list(
        pending_corrections(user=user).select_related("certificate").order_by("requested_at", "pk")[:limit]
    )


def learner_corrections(*, learner: User) -> dict[int, CorrectionRequest]:
    """Each of the learner's certificates -> their latest correction request (one query)."""
    latest: dict[int, CorrectionRequest] = {}
    requests = CorrectionRequest.objects.filter(requested_by=learner).order_by("requested_at", "pk")
    for request in requests:
        latest[request.certificate_id] = request
    return latest
