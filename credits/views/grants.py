"""Show grants: hosts choose which providers may make their episodes CME activities; coordinators ask."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.permissions import AuthenticatedHttpRequest, coordinator_required, host_required, is_host_of
from episodes.models import Show

from .. import grants
from ..forms_grants import GrantInviteForm, GrantRequestForm
from ..models import GrantStatus, Provider, ShowProviderGrant
from .access import coordinator_provider_or_404

# Each action: its service, and what the person is told afterwards.
ACTIONS = {
    "accept": (grants.grant_accept, gettext_lazy("Accepted.")),
    "decline": (grants.grant_decline, gettext_lazy("Declined.")),
    "withdraw": (grants.grant_withdraw, gettext_lazy("Withdrawn.")),
    "revoke": (grants.grant_revoke, gettext_lazy("Access ended.")),
}


def _hosted_show(request, slug: str) -> Show:
    # Another host's show does not exist for this host (as on the other host pages).
    show = get_object_or_404(Show, slug=slug)
    if not is_host_of(request.user, show):
        raise Http404
    return show


def _split(grant_list):
    return {
        "active": [g for g in grant_list if g.status == GrantStatus.ACTIVE],
        "requested": [g for g in grant_list if g.status == GrantStatus.REQUESTED],
        "invited": [g for g in grant_list if g.status == GrantStatus.INVITED],
        "history": [g for g in grant_list if g.closed_at is not None],
    }


# --- hosts ---------------------------------------------------------------------------------------------


def _host_page(request, show, *, form=None, error=None, status=200):
    context = {
        "show": show,
        "form": form or GrantInviteForm(providers=Provider.objects.order_by("name")),
        "error": error,
        "activities": grants.activities_on_show(show=show),
        **_split(list(grants.grants_for_show(show=show))),
    }
    return render(request, "credits/grants/host_providers.html", context, status=status)


@host_required
def host_show_providers(request: AuthenticatedHttpRequest, slug: str):
    return _host_page(request, _hosted_show(request, slug))


@host_required
@require_POST
def host_grant_invite(request: AuthenticatedHttpRequest, slug: str):
    show = _hosted_show(request, slug)
    form = GrantInviteForm(request.POST, providers=Provider.objects.order_by("name"))
    if not form.is_valid():
        return _host_page(request, show, form=form, status=400)
    try:
        grant = grants.grant_invite(
            show=show,
            provider=form.cleaned_data["provider"],
            actor=request.user,
            message=form.cleaned_data["message"],
        )
    except grants.GrantError as error:
        return _host_page(request, show, form=form, error=error.message, status=error.status)
    messages.success(
        request,
        _("%(provider)s is invited; its coordinators will see the invitation on their Shows page.")
        % {"provider": grant.provider.name},
    )
    return redirect("credits:host_show_providers", slug=show.slug)


@host_required
@require_POST
def host_grant_action(request: AuthenticatedHttpRequest, slug: str, pk: int, action: str):
    show = _hosted_show(request, slug)
    grant = get_object_or_404(ShowProviderGrant, pk=pk, show=show)
    service, done = ACTIONS[action]
    try:
        service(grant=grant, actor=request.user, side=grants.HOST)
    except grants.GrantError as error:
        if error.status == 403:
            raise PermissionDenied(error.message) from None
        return _host_page(request, show, error=error.message, status=error.status)
    messages.success(request, done)
    return redirect("credits:host_show_providers", slug=show.slug)


# --- coordinators --------------------------------------------------------------------------------------


def _coordinator_page(request, provider, *, form=None, error=None, status=200):
    context = {
        "provider": provider,
        "form": form or GrantRequestForm(),
        "error": error,
        "requestable": grants.requestable_shows(provider=provider),
        **_split(list(grants.grants_for_provider(provider=provider))),
    }
    return render(request, "credits/grants/coordinator_shows.html", context, status=status)


@coordinator_required
def coordinator_shows(request: AuthenticatedHttpRequest, slug: str):
    return _coordinator_page(request, coordinator_provider_or_404(request, slug))


@coordinator_required
@require_POST
def coordinator_grant_request(request: AuthenticatedHttpRequest, slug: str):
    provider = coordinator_provider_or_404(request, slug)
    form = GrantRequestForm(request.POST)
    if not form.is_valid():
        return _coordinator_page(request, provider, form=form, status=400)
    try:
        show = grants.show_for_request(form.cleaned_data["show"])
        grants.grant_request(
            show=show, provider=provider, actor=request.user, message=form.cleaned_data["message"]
        )
    except grants.GrantError as error:
        return _coordinator_page(request, provider, form=form, error=error.message, status=error.status)
    messages.success(
        request,
        _("Request sent; the hosts of %(show)s will see it on their show's page.") % {"show": show.title},
    )
    return redirect("credits:coordinator_shows", slug=provider.slug)


@coordinator_required
@require_POST
def coordinator_grant_action(request: AuthenticatedHttpRequest, slug: str, pk: int, action: str):
    provider = coordinator_provider_or_404(request, slug)
    grant = get_object_or_404(ShowProviderGrant, pk=pk, provider=provider)
    service, done = ACTIONS[action]
    try:
        service(grant=grant, actor=request.user, side=grants.PROVIDER)
    except grants.GrantError as error:
        if error.status == 403:
            raise PermissionDenied(error.message) from None
        return _coordinator_page(request, provider, error=error.message, status=error.status)
    messages.success(request, done)
    return redirect("credits:coordinator_shows", slug=provider.slug)
