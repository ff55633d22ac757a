"""The public REST API at /api/v1/ (api/rest.py), every answer through the ETag wrapper; unknown
/api/v<n>/ paths answer JSON 404; the token page in the account area (api/views.py)."""

from django.http import HttpRequest, HttpResponsePermanentRedirect, JsonResponse
from django.urls import URLPattern, URLResolver, path, re_path
from django.views.decorators.csrf import csrf_exempt

from . import views
from .etags import with_etag
from .rest import api


def _with_etags(patterns: list) -> list:
    wrapped: list = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            pattern.url_patterns[:] = _with_etags(pattern.url_patterns)
            wrapped.append(pattern)
        elif isinstance(pattern, URLPattern):
            wrapped.append(
                URLPattern(pattern.pattern, with_etag(pattern.callback), pattern.default_args, pattern.name)
            )
    return wrapped


@csrf_exempt
def unknown_endpoint(
    request: HttpRequest, version: str, rest: str = ""
) -> JsonResponse | HttpResponsePermanentRedirect:
    if version == "v1" and not rest and request.method in ("GET", "HEAD"):
        return HttpResponsePermanentRedirect("/api/v1/")  # the index, without its slash
    return JsonResponse(
        {"error": "not_found", "message": f"No API endpoint at {request.path}: see /api/v1/docs."}, status=404
    )


_patterns, _app_name, _namespace = api.urls

urlpatterns = [
    path("api/v1/", (_with_etags(_patterns), _app_name, _namespace)),
    # Only versioned paths: the rest of /api/ stays free for other apps. (Every part of the regex is
    # a named group, so tests/core/test_hostile_inputs.py's walker can fill it.)
    re_path(r"^api/(?P<version>v[0-9]+)(?P<rest>(?:/.*)?)$", unknown_endpoint, name="unknown_endpoint"),
    path("account/api-tokens/", views.token_list, name="tokens"),
    path("account/api-tokens/<int:pk>/revoke/", views.token_revoke_view, name="token_revoke"),
]
