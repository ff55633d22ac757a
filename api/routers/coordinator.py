"""A coordinator's activities and their completions: only the activities of providers the token's
user coordinates (credits' own selectors decide); another provider's activity is 404. The token must
come from an account with two-factor set up when it was made (api/auth.py CoordinatorTokenAuth)."""

from django.http import HttpRequest, HttpResponse
from ninja import Path, Router

from credits.credit_lines import type_labels
from credits.models import Activity, Certificate

from .. import selectors
from ..auth import coordinator_token
from ..errors import NotFound
from ..pagination import PageQuery, paginate
from ..schemas import CompletionPage, CoordinatorActivityPage, ErrorOut
from .credit_records import credit_lines_out
from .links import api_url

router = Router(tags=["coordinator"], auth=coordinator_token)

AUTH_ERRORS = {401: ErrorOut, 403: ErrorOut, 429: ErrorOut}


def _activity_out(activity: Activity) -> dict:
    return {
        "id": activity.pk,
        "title": activity.title,
        "status": activity.status,
        "provider": {"slug": activity.provider.slug, "name": activity.provider.name},
        "release_date": activity.release_date,
        "expiry_date": activity.expiry_date,
        "credited_completions": getattr(activity, "n_claims", 0),
        "completions_url": api_url("coordinator_completions", activity.pk),
    }


def _completion_out(certificate: Certificate, labels: dict[str, str]) -> dict:
    return {
        "certificate_id": certificate.pk,
        "certificate_number": certificate.number,
        "status": certificate.status,
        "learner_name": certificate.learner_name,
        "learner_email": certificate.claim.learner.email,
        "degree": certificate.degree,
        "completion_date": certificate.completion_date,
        "claimed_at": certificate.claim.claimed_at,
        "credits": credit_lines_out(certificate, labels),
        "issued_at": certificate.issued_at,
        "revoked_at": certificate.revoked_at,
    }


@router.get(
    "/activities",
    response={200: CoordinatorActivityPage, 400: ErrorOut, **AUTH_ERRORS},
    url_name="coordinator_activities",
    summary="The activities of the providers I coordinate",
)
def list_activities(request: HttpRequest, response: HttpResponse, params: PageQuery):
    user = request.auth.user  # type: ignore[attr-defined]
    return paginate(
        request, response, selectors.coordinator_activity_list(user=user), params, out=_activity_out
    )


@router.get(
    "/activities/{activity_id}/completions",
    response={200: CompletionPage, 400: ErrorOut, 404: ErrorOut, **AUTH_ERRORS},
    url_name="coordinator_completions",
    summary="An activity's completions (certificates, revoked ones marked), newest first",
)
def list_completions(
    request: HttpRequest, response: HttpResponse, params: PageQuery, activity_id: int = Path(..., ge=1)
):
    user = request.auth.user  # type: ignore[attr-defined]
    completions = selectors.coordinator_completions(user=user, pk=activity_id)
    if completions is None:
        raise NotFound(f"You coordinate no activity with id {activity_id}.")
    labels = type_labels()
    return paginate(request, response, completions, params, out=lambda c: _completion_out(c, labels))
