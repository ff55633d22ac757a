"""The public REST API, /api/v1/ (django-ninja): the instance, its errors as JSON, its docs page.

Routers per resource are in api/routers/; the URLs (with ETags) in api/urls_rest.py; decisions in
docs/api.md.
"""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.openapi.docs import Swagger

from .errors import ApiError, Unauthenticated
from .ratelimit import ApiRateLimit
from .routers import activities, coordinator, episodes, me, shows, topics
from .routers.links import api_url, site
from .schemas import IndexOut

DESCRIPTION = """\
Shows, public episodes, CME activities and topics, for anyone; a learner's claims, certificates and
transcript, and a coordinator's completions, with a personal access token
(`Authorization: Bearer pcme_...`, created at /account/api-tokens/). Lists are paginated with
`?page=` and `?limit=` (at most 100); every answer carries a strong ETag; errors are JSON
`{"error": code, "message": text}`. See docs/api.md.
"""


class LocalSwagger(Swagger):
    """Swagger UI from our own static files (ninja ships them; it is in INSTALLED_APPS for that), so
    the page needs nothing from a CDN and runs under the site's Content-Security-Policy."""

    def get_openapi_url(self, api: NinjaAPI, path_params: dict[str, Any]) -> str:
        return reverse("api:api-v1:openapi-json")


api = NinjaAPI(
    title="podcastcme API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api:api-v1",
    docs=LocalSwagger(settings={"tryItOutEnabled": False, "persistAuthorization": False}),
    docs_url="/docs",
    openapi_url="/openapi.json",
    throttle=[ApiRateLimit()],
)


def _error(request: HttpRequest, status: int, code: str, message: str, **extra: Any) -> HttpResponse:
    return api.create_response(request, {"error": code, "message": message, **extra}, status=status)


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    response = _error(request, exc.status, exc.code, exc.message)
    if isinstance(exc, Unauthenticated):
        response["WWW-Authenticate"] = 'Bearer realm="podcastcme"'
    return response


@api.exception_handler(ValidationError)
def _bad_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    details = [
        {"where": ".".join(str(part) for part in error.get("loc", ())), "problem": str(error.get("msg", ""))}
        for error in exc.errors
    ]
    message = "; ".join(f"{d['where'].split('.', 1)[-1]}: {d['problem']}" for d in details) or "Bad input."
    return _error(request, 400, "bad_request", message, details=details)


@api.exception_handler(Throttled)
def _throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    return _error(
        request, 429, "rate_limited", "Too many requests: wait for the number of seconds in Retry-After."
    )


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _api_error(request, Unauthenticated("This endpoint needs a personal access token."))


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, "error", str(exc))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "not_found", str(exc) or "Not found.")


@api.get("", response={200: IndexOut}, url_name="index", summary="What this API offers, with links")
def index(request: HttpRequest):
    """The API's root: a client starts here (instead of ninja's HTML placeholder page). Public, so no
    token; the collections needing one are listed apart."""
    return {
        "name": api.title,
        "version": api.version,
        "openapi_url": api_url("openapi-json"),
        "docs_url": api_url("openapi-view"),
        "tokens_url": site(reverse("api:tokens")),
        "collections": {name: api_url(name) for name in ("shows", "episodes", "activities", "topics")},
        "token_collections": {
            name: api_url(name)
            for name in ("me", "my_claims", "my_certificates", "my_transcript", "coordinator_activities")
        },
    }


api.add_router("/shows", shows.router)
api.add_router("/episodes", episodes.router)
api.add_router("/activities", activities.router)
api.add_router("/topics", topics.router)
api.add_router("/me", me.router)
api.add_router("/coordinator", coordinator.router)
