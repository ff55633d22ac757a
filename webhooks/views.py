"""Pages where a provider's coordinators (/coordinator/...) and a show's hosts (/host/...) manage
their webhook endpoints: add one, see its secret once, change, rotate the secret, disable or enable,
and see recent deliveries. Both prefixes are behind two-factor login (MFA_REQUIRED_PATH_PREFIXES).

One set of views serves both kinds of owner: the URL conf names the kind (``OWNER_KINDS``), and the
kind says how the page's owner is fetched with its permission check and what its pages are called.
The events an owner may subscribe to are the services' rule (``services.events_for``)."""

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import AuthenticatedHttpRequest, coordinator_required, host_required, is_host_of
from credits.models import Provider
from episodes.models import Show

from . import selectors, services
from .forms import EndpointForm
from .models import WebhookEndpoint
from .tasks import max_attempts

Owner = Provider | Show


def _coordinated_provider(request: AuthenticatedHttpRequest, slug: str) -> Provider:
    return get_object_or_404(Provider, slug=slug, memberships__user=request.user)


def _hosted_show(request: AuthenticatedHttpRequest, slug: str) -> Show:
    show = get_object_or_404(Show, slug=slug)
    if not is_host_of(request.user, show):
        raise Http404
    return show


@dataclass(frozen=True)
class OwnerKind:
    """What differs between a provider's webhook pages and a show's."""

    name: str  # the URL names' prefix: "<name>_endpoints", "<name>_endpoint", "<name>_endpoint_action"
    pages: str  # where its pages are (urls.py mounts the same views under it)
    guard: Callable  # the role check every page of the kind is behind (login, then the role)
    # The URL's owner if the user is one of its coordinators or hosts; else 404.
    fetch: Callable[[AuthenticatedHttpRequest, str], Owner]
    label: Callable[[Any], str]  # the owner's name on the pages

    def url_names(self) -> dict[str, str]:
        return {
            "kind": self.name,
            "list": f"webhooks:{self.name}_endpoints",
            "detail": f"webhooks:{self.name}_endpoint",
            "action": f"webhooks:{self.name}_endpoint_action",
            "secret": f"webhooks:{self.name}_endpoint_secret",
        }


OWNER_KINDS = {
    kind.name: kind
    for kind in (
        OwnerKind(
            name="coordinator",
            pages="coordinator/providers/<slug:slug>/webhooks/",
            guard=coordinator_required,
            fetch=_coordinated_provider,
            label=lambda provider: provider.name,
        ),
        OwnerKind(
            name="host",
            pages="host/shows/<slug:slug>/webhooks/",
            guard=host_required,
            fetch=_hosted_show,
            label=lambda show: show.title,
        ),
    )
}


def owner_page(view):
    """The view behind its kind's role check, called with the kind and the page's owner (404 when
    the user is not one of the owner's coordinators or hosts). The URL conf passes ``kind``."""

    def resolved(request: AuthenticatedHttpRequest, *, kind: str, slug: str, **kwargs) -> HttpResponse:
        owner_kind = OWNER_KINDS[kind]
        return view(request, owner_kind, owner_kind.fetch(request, slug), **kwargs)

    guarded = {name: owner_kind.guard(resolved) for name, owner_kind in OWNER_KINDS.items()}

    @wraps(view)
    def wrapper(request, *, kind: str, slug: str, **kwargs) -> HttpResponse:
        return guarded[kind](request, kind=kind, slug=slug, **kwargs)

    return wrapper


def _context(kind: OwnerKind, owner: Owner, **extra) -> dict:
    return {"owner": owner, "owner_name": kind.label(owner), "names": kind.url_names(), **extra}


def _fields(form: EndpointForm) -> dict[str, Any]:
    return {field: form.cleaned_data[field] for field in ("url", "events", "description")}


def _initial(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {"url": endpoint.url, "description": endpoint.description, "events": endpoint.events}


def _apply_errors(form: EndpointForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


# The secret is shown once, by POST-redirect-GET: the POST that makes it (add, rotate) leaves a note
# in the session, and the GET of the secret page pops it. A refresh or a second GET finds no note and
# shows no secret; nothing re-posts. The note holds the secret's digest, never the secret: the page
# reads the secret from the endpoint and shows it only if it is still the one this POST made.
SECRET_NOTES = "webhooks_secret_once"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _secret_made(request, kind: OwnerKind, owner: Owner, endpoint: WebhookEndpoint, *, rotated: bool):
    notes = dict(request.session.get(SECRET_NOTES) or {})
    notes[str(endpoint.pk)] = {"digest": _digest(endpoint.secret), "rotated": rotated}
    request.session[SECRET_NOTES] = notes
    return redirect(kind.url_names()["secret"], owner.slug, endpoint.pk)


def _secret_note(request, endpoint: WebhookEndpoint) -> dict | None:
    """The note left for this endpoint by the POST that made its secret, taken (once)."""
    notes = dict(request.session.get(SECRET_NOTES) or {})
    note = notes.pop(str(endpoint.pk), None)
    if note is None:
        return None
    if notes:
        request.session[SECRET_NOTES] = notes
    else:
        del request.session[SECRET_NOTES]
    return note if isinstance(note, dict) else None


@owner_page
@require_http_methods(["GET", "POST"])
def endpoints(request: AuthenticatedHttpRequest, kind: OwnerKind, owner: Owner) -> HttpResponse:
    form = EndpointForm(request.POST or None, events=services.events_for(owner))
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = services.endpoint_create(owner=owner, actor=request.user, **_fields(form))
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            return _secret_made(request, kind, owner, endpoint, rotated=False)
    return render(
        request,
        "webhooks/endpoints.html",
        _context(kind, owner, endpoints=selectors.endpoints_of(owner), form=form),
        status=400 if request.method == "POST" else 200,
    )


@owner_page
@require_http_methods(["GET", "POST"])
def endpoint(request: AuthenticatedHttpRequest, kind: OwnerKind, owner: Owner, pk: int) -> HttpResponse:
    endpoint = selectors.endpoint_of_or_404(owner, pk)
    form = EndpointForm(request.POST or None, initial=_initial(endpoint), events=services.events_for(owner))
    if request.method == "POST" and form.is_valid():
        old_url = endpoint.url
        try:
            endpoint = services.endpoint_update(endpoint=endpoint, actor=request.user, **_fields(form))
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Endpoint saved."))
            pending = selectors.pending_count(endpoint) if endpoint.url != old_url else 0
            if pending:  # they go to the URL saved now (docs/webhooks.md, "Changing the URL")
                messages.info(
                    request,
                    ngettext(
                        "%(count)d delivery still pending goes to the new URL at its next attempt.",
                        "%(count)d deliveries still pending go to the new URL at their next attempt.",
                        pending,
                    )
                    % {"count": pending},
                )
            return redirect(kind.url_names()["detail"], owner.slug, endpoint.pk)
    return _endpoint_page(
        request, kind, owner, endpoint, form, status=400 if request.method == "POST" else 200
    )


def _endpoint_page(
    request: AuthenticatedHttpRequest,
    kind: OwnerKind,
    owner: Owner,
    endpoint: WebhookEndpoint,
    form: EndpointForm,
    *,
    status: int,
) -> HttpResponse:
    context = _context(
        kind,
        owner,
        endpoint=endpoint,
        deliveries=selectors.recent_deliveries(endpoint),
        pending=selectors.pending_count(endpoint),
        max_attempts=max_attempts(),
        form=form,
    )
    return render(request, "webhooks/endpoint.html", context, status=status)


@owner_page
@require_GET
def endpoint_secret(
    request: AuthenticatedHttpRequest, kind: OwnerKind, owner: Owner, pk: int
) -> HttpResponse:
    """The page after an add or a rotation: the new secret, the first time only."""
    endpoint = selectors.endpoint_of_or_404(owner, pk)
    note = _secret_note(request, endpoint)
    shown = note is not None and hmac.compare_digest(note.get("digest", ""), _digest(endpoint.secret))
    context = _context(
        kind,
        owner,
        endpoint=endpoint,
        secret=endpoint.secret if shown else "",
        rotated=bool(note and note.get("rotated")),
    )
    response = render(request, "webhooks/secret.html", context)
    add_never_cache_headers(response)  # the secret is in this page only; no cache keeps it
    return response


@owner_page
@require_POST
def endpoint_action(
    request: AuthenticatedHttpRequest, kind: OwnerKind, owner: Owner, pk: int, action: str
) -> HttpResponse:
    endpoint = selectors.endpoint_of_or_404(owner, pk)
    if action == "rotate":
        endpoint = services.endpoint_rotate_secret(endpoint=endpoint, actor=request.user)
        return _secret_made(request, kind, owner, endpoint, rotated=True)
    if action == "disable":
        services.endpoint_disable(endpoint=endpoint, actor=request.user)
        messages.success(request, _("Endpoint disabled: no more deliveries are sent to it."))
    elif action == "enable":
        try:
            services.endpoint_enable(endpoint=endpoint, actor=request.user)
        except ValidationError as error:  # its URL names a refused port: the page says which
            for message in error.messages:
                messages.error(request, message)
            form = EndpointForm(initial=_initial(endpoint), events=services.events_for(owner))
            return _endpoint_page(request, kind, owner, endpoint, form, status=400)
        messages.success(request, _("Endpoint enabled: deliveries still pending are sent again."))
    else:
        raise Http404
    return redirect(kind.url_names()["detail"], owner.slug, endpoint.pk)
