"""Pages where a provider's coordinators (/coordinator/...) and a show's hosts (/host/...) manage
their webhook endpoints: add one, see its secret once, change, rotate the secret, disable or enable,
and see recent deliveries. Both prefixes are behind two-factor login (MFA_REQUIRED_PATH_PREFIXES)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.permissions import AuthenticatedHttpRequest, coordinator_required, host_required, is_host_of
from credits.models import Provider
from episodes.models import Show

from . import selectors, services
from .forms import EndpointForm
from .models import WebhookEndpoint
from .tasks import max_attempts


def _coordinator_provider(request, slug: str) -> Provider:
    return get_object_or_404(Provider, slug=slug, memberships__user=request.user)


def _hosted_show(request, slug: str) -> Show:
    show = get_object_or_404(Show, slug=slug)
    if not is_host_of(request.user, show):
        raise Http404
    return show


def _names(owner: Provider | Show) -> dict[str, str]:
    kind = "coordinator" if isinstance(owner, Provider) else "host"
    return {"list": f"webhooks:{kind}_endpoints", "detail": f"webhooks:{kind}_endpoint", "kind": kind}


def _owner_name(owner: Provider | Show) -> str:
    return owner.name if isinstance(owner, Provider) else owner.title


def _apply_errors(form: EndpointForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _secret_page(request, owner, endpoint: WebhookEndpoint, *, rotated: bool) -> HttpResponse:
    response = render(
        request,
        "webhooks/secret.html",
        {
            "owner": owner,
            "owner_name": _owner_name(owner),
            "names": _names(owner),
            "endpoint": endpoint,
            "rotated": rotated,
        },
    )
    add_never_cache_headers(response)  # the secret is in this page only; no cache keeps it
    return response


def _endpoints(request: AuthenticatedHttpRequest, owner: Provider | Show) -> HttpResponse:
    form = EndpointForm(request.POST or None, events=services.events_for(owner))
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = services.endpoint_create(
                owner=owner,
                actor=request.user,
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            return _secret_page(request, owner, endpoint, rotated=False)
    return render(
        request,
        "webhooks/endpoints.html",
        {
            "owner": owner,
            "owner_name": _owner_name(owner),
            "names": _names(owner),
            "endpoints": selectors.endpoints_of(owner),
            "form": form,
        },
        status=400 if request.method == "POST" else 200,
    )


def _endpoint(request: AuthenticatedHttpRequest, owner: Provider | Show, pk: int) -> HttpResponse:
    endpoint = selectors.endpoint_of_or_404(owner, pk)
    initial = {"url": endpoint.url, "description": endpoint.description, "events": endpoint.events}
    form = EndpointForm(request.POST or None, initial=initial, events=services.events_for(owner))
    if request.method == "POST" and form.is_valid():
        try:
            services.endpoint_update(
                endpoint=endpoint,
                actor=request.user,
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Endpoint saved."))
            return redirect(_names(owner)["detail"], owner.slug, endpoint.pk)
    return render(
        request,
        "webhooks/endpoint.html",
        {
            "owner": owner,
            "owner_name": _owner_name(owner),
            "names": _names(owner),
            "endpoint": endpoint,
            "deliveries": selectors.recent_deliveries(endpoint),
            "max_attempts": max_attempts(),
            "form": form,
        },
        status=400 if request.method == "POST" else 200,
    )


def _action(request: AuthenticatedHttpRequest, owner: Provider | Show, pk: int, action: str) -> HttpResponse:
    endpoint = selectors.endpoint_of_or_404(owner, pk)
    if action == "rotate":
        endpoint = services.endpoint_rotate_secret(endpoint=endpoint, actor=request.user)
        return _secret_page(request, owner, endpoint, rotated=True)
    if action == "disable":
        services.endpoint_disable(endpoint=endpoint, actor=request.user)
        messages.success(request, _("Endpoint disabled: no more deliveries are sent to it."))
    elif action == "enable":
        services.endpoint_enable(endpoint=endpoint, actor=request.user)
        messages.success(request, _("Endpoint enabled: deliveries still pending are sent again."))
    else:
        raise Http404
    return redirect(_names(owner)["detail"], owner.slug, endpoint.pk)


# --- Coordinators: a provider's endpoints (claims and certificates) ------------------------------


@coordinator_required
@require_http_methods(["GET", "POST"])
def coordinator_endpoints(request: AuthenticatedHttpRequest, slug: str):
    return _endpoints(request, _coordinator_provider(request, slug))


@coordinator_required
@require_http_methods(["GET", "POST"])
def coordinator_endpoint(request: AuthenticatedHttpRequest, slug: str, pk: int):
    return _endpoint(request, _coordinator_provider(request, slug), pk)


@coordinator_required
@require_POST
def coordinator_endpoint_action(request: AuthenticatedHttpRequest, slug: str, pk: int, action: str):
    return _action(request, _coordinator_provider(request, slug), pk, action)


# --- Hosts: a show's endpoints (episodes) ----------------------------------------------------------


@host_required
@require_http_methods(["GET", "POST"])
def host_endpoints(request: AuthenticatedHttpRequest, slug: str):
    return _endpoints(request, _hosted_show(request, slug))


@host_required
@require_http_methods(["GET", "POST"])
def host_endpoint(request: AuthenticatedHttpRequest, slug: str, pk: int):
    return _endpoint(request, _hosted_show(request, slug), pk)


@host_required
@require_POST
def host_endpoint_action(request: AuthenticatedHttpRequest, slug: str, pk: int, action: str):
    return _action(request, _hosted_show(request, slug), pk, action)
