"""What each event's ``data`` holds: stable, documented fields (docs/webhooks.md), read once when the
event happens and frozen in the delivery, so every retry sends the same body.

A provider's endpoint receives its own learners' claims and certificates: the learner's id, email
and name as its coordinators already see them in completions and reports, so an LMS or a
society's membership system can match the learner to its own record."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings

from credits.certificates import verification_url
from credits.models import Certificate, CreditClaim
from episodes.models import Episode


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def _learner(claim: CreditClaim, name: str) -> dict[str, Any]:
    return {"id": claim.learner_id, "email": claim.learner.email, "name": name}


def _activity(claim: CreditClaim) -> dict[str, Any]:
    return {"id": claim.activity_id, "title": claim.activity.title}


def claim_data(claim: CreditClaim) -> dict[str, Any]:
    profile = getattr(claim.learner, "profile", None)
    name = (profile.legal_name if profile is not None else "") or ""
    return {
        "claim": {
            "id": claim.pk,
            "claimed_at": iso(claim.claimed_at),
            "credits": _amount(claim.credits),
            "credit_type": claim.credit_type,
            "credit_type_label": str(claim.get_credit_type_display()),
            "other_credits": [
                {"type": row.kind, "amount": _amount(row.amount)}
                for row in claim.other_credits.order_by("kind")
            ],
            "minutes_reported": claim.minutes_reported,
        },
        "activity": _activity(claim),
        "provider": {"slug": claim.activity.provider.slug, "name": claim.activity.provider.name},
        "learner": _learner(claim, name),
    }


def certificate_data(certificate: Certificate) -> dict[str, Any]:
    claim = certificate.claim
    return {
        "certificate": {
            "number": certificate.number,
            "status": certificate.status,
            "verification_url": verification_url(certificate),
            "issued_at": iso(certificate.issued_at),
            "completion_date": certificate.completion_date.isoformat(),
            "credits": _amount(certificate.credits),
            "credit_type": certificate.credit_type,
            "revoked_at": iso(certificate.revoked_at),
            "revoked_reason": certificate.revoked_reason,
        },
        "claim": {"id": claim.pk},
        "activity": _activity(claim),
        "provider": {"slug": claim.activity.provider.slug, "name": claim.activity.provider.name},
        "learner": _learner(claim, certificate.learner_name),
    }


def episode_data(episode: Episode) -> dict[str, Any]:
    return {
        "episode": {
            "id": episode.pk,
            "guid": episode.guid,
            "title": episode.title,
            "url": settings.SITE_URL + episode.get_absolute_url(),
            "audio_url": episode.audio_url,
            "duration_seconds": round(episode.audio_duration),
            "published_at": iso(episode.publish_at),
        },
        "show": {"slug": episode.show.slug, "title": episode.show.title},
    }
