"""The token owner's own records: claims, certificates, transcript (scope "read"); revoking the token
itself (scope "write"). Every query is filtered by the token's user: no id reaches another learner's."""

from django.http import HttpRequest, HttpResponse
from ninja import Path, Query, Router, Status

from credits.credit_lines import type_labels
from credits.credit_transcript import TranscriptRow, learner_transcript
from credits.models import CreditClaim

from .. import selectors
from ..auth import read_token, write_token
from ..errors import ApiError, NotFound
from ..pagination import PageQuery, paginate
from ..schemas import (
    CertificateOut,
    CertificatePage,
    ClaimPage,
    ErrorOut,
    MeOut,
    TranscriptPage,
    TranscriptParams,
)
from ..tokens import token_revoke
from .credit_records import certificate_out

router = Router(tags=["me"], auth=read_token)

AUTH_ERRORS = {401: ErrorOut, 403: ErrorOut, 429: ErrorOut}


def _claim_out(claim: CreditClaim) -> dict:
    certificate = getattr(claim, "certificate", None)
    return {
        "id": claim.pk,
        "activity_id": claim.activity_id,
        "activity_title": claim.activity.title,
        "provider": claim.activity.provider.name,
        "claimed_at": claim.claimed_at,
        "credits": claim.credits,
        "credit_type": claim.credit_type,
        "minutes_reported": claim.minutes_reported,
        "certificate": (
            {"id": certificate.pk, "number": certificate.number, "status": certificate.status}
            if certificate is not None
            else None
        ),
    }


@router.get("", response={200: MeOut, **AUTH_ERRORS}, url_name="me", summary="The token and its owner")
def get_me(request: HttpRequest):
    token = request.auth  # type: ignore[attr-defined]
    return {
        "email": token.user.email,
        "token_name": token.name,
        "token_prefix": token.prefix,
        "token_scope": token.scope,
        "token_expires_at": token.expires_at,
    }


@router.get(
    "/claims",
    response={200: ClaimPage, 400: ErrorOut, **AUTH_ERRORS},
    url_name="my_claims",
    summary="My claims",
)
def list_claims(request: HttpRequest, response: HttpResponse, params: PageQuery):
    user = request.auth.user  # type: ignore[attr-defined]
    return paginate(request, response, selectors.learner_claims(learner=user), params, out=_claim_out)


@router.get(
    "/certificates",
    response={200: CertificatePage, 400: ErrorOut, **AUTH_ERRORS},
    url_name="my_certificates",
    summary="My certificates",
)
def list_certificates(request: HttpRequest, response: HttpResponse, params: PageQuery):
    user = request.auth.user  # type: ignore[attr-defined]
    labels = type_labels()
    return paginate(
        request,
        response,
        selectors.learner_certificates(learner=user),
        params,
        out=lambda c: certificate_out(c, labels),
    )


@router.get(
    "/certificates/{certificate_id}",
    response={200: CertificateOut, 400: ErrorOut, 404: ErrorOut, **AUTH_ERRORS},
    url_name="my_certificate",
    summary="One of my certificates",
)
def get_certificate(request: HttpRequest, certificate_id: int = Path(..., ge=1)):
    user = request.auth.user  # type: ignore[attr-defined]
    certificate = selectors.learner_certificates(learner=user).filter(pk=certificate_id).first()
    if certificate is None:  # another learner's certificate is not found either
        raise NotFound(f"You have no certificate with id {certificate_id}.")
    return certificate_out(certificate)


def _transcript_row_out(row: TranscriptRow) -> dict:
    return {
        "date": row.date,
        "title": row.title,
        "provider": row.provider,
        "credits": row.credits,
        "credit_type": row.credit_type,
        "credit_type_label": row.credit_type_label,
        "self_reported": row.self_reported,
        "certificate_number": row.certificate_number,
        "verification_url": row.verification_url,
    }


@router.get(
    "/transcript",
    response={200: TranscriptPage, 400: ErrorOut, **AUTH_ERRORS},
    url_name="my_transcript",
    summary="My credit transcript (credits from this site and self-reported), a page of rows, with "
    "totals per credit type over the whole period",
)
def get_transcript(request: HttpRequest, response: HttpResponse, params: Query[TranscriptParams]):
    start, end = params.start, params.end
    if start and end and end < start:
        raise ApiError(f"end ({end}) is before start ({start}).")
    user = request.auth.user  # type: ignore[attr-defined]
    # credits' transcript reads the period's rows in a fixed number of queries (as plain tuples) and
    # totals them; the totals need every row, so the page is cut from the list in Python.
    transcript = learner_transcript(learner=user, start=start, end=end, with_licences=False)
    page = paginate(request, response, transcript.rows, params, out=_transcript_row_out)
    return {
        **page,
        "start": start,
        "end": end,
        "totals": [
            {
                "credit_type": t.credit_type,
                "credit_type_label": t.credit_type_label,
                "credits": t.credits,
                "self_reported": t.self_reported,
            }
            for t in transcript.totals
        ],
    }


@router.delete(
    "/token",
    auth=write_token,
    response={204: None, **AUTH_ERRORS},
    url_name="my_token_revoke",
    summary="Revoke the token making this call (scope: write)",
)
def revoke_token(request: HttpRequest):
    token = request.auth  # type: ignore[attr-defined]
    token_revoke(token=token, actor=token.user, via="api")
    return Status(204, None)
