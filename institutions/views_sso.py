"""Single sign-on pages (docs/sso.md): find your institution, "Sign in with <institution>", the
OpenID Connect login and callback (allauth's, with institutions/sso_adapter.py's checks), joining
after sign-in, and the institution's set-up page."""

from http import HTTPStatus
from urllib.parse import urlencode

import requests
from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.authentication import get_authentication_records
from allauth.account.decorators import reauthentication_required
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.base import AuthProcess
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.adapters import local_next
from accounts.permissions import AuthenticatedHttpRequest

from . import selectors, services, sso
from .errors import InstitutionError
from .forms_sso import SSOFindForm, SSOSettingsForm
from .models import Institution, JoinedVia
from .sso_adapter import InstitutionOIDCAdapter, SocialAccountAdapter, error_page, idp_unreachable_page

MAX_FOUND = 20


def _sso_institution(slug: str) -> Institution:
    return get_object_or_404(Institution.objects.select_related("sso_app"), slug=slug, sso_app__isnull=False)


def _institution_for_provider_id(provider_id: str) -> Institution:
    institution = (
        Institution.objects.select_related("sso_app")
        .filter(sso_app__provider=sso.PROVIDER, sso_app__provider_id=provider_id)
        .first()
    )
    if institution is None:
        raise Http404
    return institution


@require_GET
def sso_find(request: HttpRequest) -> HttpResponse:
    """Find your institution by its name or your work address's domain (only those with SSO)."""
    form = SSOFindForm(request.GET or None)
    found: list[Institution] = []
    searched = False
    if form.is_valid() and form.cleaned_data["q"].strip():
        searched = True
        found = list(sso.institutions_with_sso_matching(form.cleaned_data["q"])[:MAX_FOUND])
    return render(
        request,
        "institutions/sso_find.html",
        {"form": form, "found": found, "searched": searched, "next_url": local_next(request)},
    )


@require_GET
def sso_sign_in(request: HttpRequest, slug: str) -> HttpResponse:
    institution = _sso_institution(slug)
    login_url = reverse("openid_connect_login", kwargs={"provider_id": sso.sso_provider_id(institution)})
    response = render(
        request,
        "institutions/sso_sign_in.html",
        {"institution": institution, "login_url": login_url, "next_url": local_next(request)},
    )
    response._csp_update = {"form-action": sso.sign_in_form_targets(institution)}  # type: ignore[attr-defined]
    return response


@require_http_methods(["GET", "POST"])
def oidc_login(request: HttpRequest, provider_id: str) -> HttpResponse:
    """Start the sign-in at the institution's IdP (POST only: a link cannot sign anyone in by surprise).

    Serves allauth's own URL (podcastcme/urls.py includes ours first) so that there is one way in,
    with the checks of InstitutionOIDCProvider, and always the plain login process."""
    institution = _institution_for_provider_id(provider_id)
    if request.method != "POST":
        return redirect("institutions:sso_sign_in", slug=institution.slug)
    done = reverse("institutions:sso_done", kwargs={"slug": institution.slug})
    destination = local_next(request)
    if destination:
        done = f"{done}?{urlencode({'next': destination})}"
    adapter = SocialAccountAdapter(request)
    try:
        provider = adapter.get_provider(request, provider_id)
        return provider.redirect(request, AuthProcess.LOGIN, next_url=done)
    except SocialApp.DoesNotExist:
        raise Http404 from None
    except (OAuth2Error, requests.RequestException) as error:
        return _idp_unusable(request, institution, error, _("Try again later."))


@require_GET
def oidc_callback(request: HttpRequest, provider_id: str) -> HttpResponse:
    """Where the IdP sends the browser back (the redirect URI to register): allauth checks the state,
    exchanges the code with the PKCE verifier and signs in; our adapters check the rest."""
    institution = _institution_for_provider_id(provider_id)
    view = OAuth2CallbackView.adapter_view(InstitutionOIDCAdapter(request, provider_id))
    try:
        return view(request)
    except SocialApp.DoesNotExist:
        raise Http404 from None
    except (OAuth2Error, requests.RequestException) as error:
        # allauth builds its token client (discovery) outside its own error handling.
        return _idp_unusable(request, institution, error, _("You are not signed in."))


def _idp_unusable(
    request: HttpRequest, institution: Institution, error: Exception, then: str
) -> HttpResponse:
    """The IdP could not be used: an OAuth2Error carries our own words (a discovery document that
    did not answer, an issuer that calls itself another); a network failure is worded as the
    adapter words it, its text kept for the log."""
    if not isinstance(error, OAuth2Error):
        return idp_unreachable_page(request, institution, error)
    return error_page(
        request,
        institution,
        _("%(name)s's sign-in service could not be used right now: %(reason)s %(then)s")
        % {"name": institution.name, "reason": str(error), "then": then},
        HTTPStatus.BAD_GATEWAY,
    )


def signed_in_by_sso(request: HttpRequest, institution: Institution) -> bool:
    """This session's login came through the institution's IdP (allauth's authentication records)."""
    provider_id = sso.sso_provider_id(institution)
    return any(
        record.get("method") == "socialaccount" and record.get("provider") == provider_id
        for record in get_authentication_records(request, request.user)
    )


@login_required
@require_GET
def sso_done(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """After a sign-in through the institution's IdP: take a seat (or say why not), then go on."""
    institution = _sso_institution(slug)
    destination = local_next(request) or get_account_adapter(request).get_login_redirect_url(request)
    if not signed_in_by_sso(request, institution):
        return redirect("institutions:sso_sign_in", slug=institution.slug)
    try:
        services.membership_join(institution=institution, user=request.user, via=JoinedVia.SSO)
    except InstitutionError as error:
        if error.code == "no_seat":
            messages.warning(
                request,
                _("You are signed in, but you have no seat at %(name)s yet: %(reason)s")
                % {"name": institution.name, "reason": error.message},
            )
        elif error.code != "already_member":
            messages.error(request, error.message)
    else:
        messages.success(
            request, _("You are signed in as a member of %(name)s.") % {"name": institution.name}
        )
    return redirect(destination)


def _may_configure(request: HttpRequest, institution: Institution) -> bool:
    user = request.user
    return user.is_authenticated and (
        user.is_staff or selectors.is_institution_admin(institution=institution, user=user)
    )


@login_required
@require_http_methods(["GET", "POST"])
@reauthentication_required(allow_get=True)
def sso_settings(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """The institution's single sign-on set-up: issuer, client ID, secret (never shown back)."""
    institution = get_object_or_404(Institution.objects.select_related("sso_app"), slug=slug)
    if not _may_configure(request, institution):
        raise PermissionDenied
    app = institution.sso_app
    has_secret = bool(app and app.secret)
    initial = {"issuer": app.settings.get("server_url", ""), "client_id": app.client_id} if app else {}
    form = SSOSettingsForm(initial=initial, has_secret=has_secret)
    status = HTTPStatus.OK
    if request.method == "POST" and request.POST.get("action") == "remove":
        if request.POST.get("confirm") != "yes":
            messages.error(request, _("Tick the box to confirm that single sign-on goes off."))
            return redirect("institutions:sso_settings", slug=institution.slug)
        try:
            sso.sso_remove(institution=institution, actor=request.user)
        except InstitutionError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Single sign-on is off for %(name)s.") % {"name": institution.name})
        return redirect("institutions:sso_settings", slug=institution.slug)
    if request.method == "POST":
        form = SSOSettingsForm(request.POST, has_secret=has_secret)
        if form.is_valid():
            try:
                sso.sso_configure(
                    institution=institution,
                    issuer=form.cleaned_data["issuer"],
                    client_id=form.cleaned_data["client_id"],
                    client_secret=form.cleaned_data["client_secret"],
                    actor=request.user,
                )
            except InstitutionError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request, _("Single sign-on is set up for %(name)s.") % {"name": institution.name}
                )
                return redirect("institutions:sso_settings", slug=institution.slug)
        status = HTTPStatus.BAD_REQUEST
    return render(
        request,
        "institutions/sso_settings.html",
        {
            "institution": institution,
            "form": form,
            "app": app,
            "callback_url": sso.sso_callback_url(institution),
            "sign_in_url": reverse("institutions:sso_sign_in", kwargs={"slug": institution.slug}),
        },
        status=status,
    )
