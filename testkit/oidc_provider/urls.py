"""The provider's URLs: django-oauth-toolkit under /o/ (the issuer is http://127.0.0.1:<port>/o), a
login page, and /_control/ for the tests to register clients and users and to make it misbehave."""

import json
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.contrib.auth.views import LoginView
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider import views as dot_views
from oauth2_provider.models import get_application_model

from . import state

_discovery = dot_views.ConnectDiscoveryInfoView.as_view()
_authorize = dot_views.AuthorizationView.as_view()


def discovery(request):
    response = _discovery(request)
    if state.overrides["discovery_issuer"]:
        document = json.loads(response.content)
        document["issuer"] = state.overrides["discovery_issuer"]
        return JsonResponse(document)
    return response


def authorize(request):
    """The real authorization endpoint, unless the test asked for a refusal: then the user said no."""
    if state.overrides["deny"] and request.GET.get("redirect_uri"):
        query = {
            "error": "access_denied",
            "error_description": "The user refused.",
            "state": request.GET.get("state", ""),
        }
        return HttpResponseRedirect(f"{request.GET['redirect_uri']}?{urlencode(query)}")
    return _authorize(request)


@csrf_exempt
def control_client(request):
    """{"client_id", "client_secret", "redirect_uris": [..]}: create or replace a confidential client."""
    data = json.loads(request.body)
    Application = get_application_model()
    Application.objects.filter(client_id=data["client_id"]).delete()
    Application.objects.create(
        name=data["client_id"],
        client_id=data["client_id"],
        client_secret=data["client_secret"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(data["redirect_uris"]),
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )
    return JsonResponse({"ok": True})


@csrf_exempt
def control_user(request):
    """{"username", "password", "email", "email_verified", "name"}: create or update a user; the
    email claims are released as given (``email_verified: null`` leaves the claim out)."""
    data = json.loads(request.body)
    User = get_user_model()
    user, _ = User.objects.get_or_create(username=data["username"])
    user.email = data.get("email") or ""
    user.set_password(data["password"])
    user.save()
    with state.lock:
        state.claims[data["username"]] = {
            "email": data.get("email"),
            "email_verified": data.get("email_verified", True),
            "name": data.get("name"),
        }
    return JsonResponse({"ok": True})


@csrf_exempt
def control_overrides(request):
    """{"discovery_issuer": .., "token_issuer": .., "deny": ..}; {} puts everything back."""
    data = json.loads(request.body)
    with state.lock:
        if not data:
            state.reset()
        state.overrides.update({k: v for k, v in data.items() if k in state.overrides})
    return JsonResponse(state.overrides)


def ping(request):
    return HttpResponse("ok")


urlpatterns = [
    re_path(r"^o/\.well-known/openid-configuration/?$", discovery),
    path("o/authorize/", authorize),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("login/", LoginView.as_view(), name="login"),
    path("_control/client", control_client),
    path("_control/user", control_user),
    path("_control/overrides", control_overrides),
    path("_control/ping", ping),
]
