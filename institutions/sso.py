"""Configuring an institution's identity provider for single sign-on (OpenID Connect, docs/sso.md).

The configuration is an allauth SocialApp (provider "openid_connect", provider_id "inst-<slug>",
the client id and secret the IdP gave us, settings {"server_url": <issuer>}), linked from
Institution.sso_app. ``sso_configure`` checks the issuer before saving: its discovery document
(<issuer>/.well-known/openid-configuration) must answer, name itself with exactly the issuer
entered (OpenID Connect Discovery 1.0, section 4.3), and point at https endpoints on public
addresses. The fetch happens before the transaction; the write is one audited transaction.

The fetch is the site's one pinned request (episodes/pinned_http.py): the name is resolved once,
every address checked, and the connection made to the checked address with TLS naming the host,
so a name that answers a public address to the check and a private one a moment later (DNS
rebinding) never leads the fetch into our network.

The same checks run again at every sign-in (institutions/sso_adapter.py), through
``discovery_document``: a provider that moved or was replaced is refused, not followed.
"""

import ipaddress
import json
from typing import Any
from urllib.parse import urlsplit

from allauth.socialaccount.models import SocialApp
from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record
from episodes import pinned_http

from .audit_actions import InstitutionAction
from .errors import InstitutionError
from .models import Institution

PROVIDER = "openid_connect"
WELL_KNOWN = "/.well-known/openid-configuration"
# The endpoints a sign-in uses; each must be https on a public address (loopback only in tests).
ENDPOINTS = ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri")
MAX_DOCUMENT_BYTES = 256 * 1024


def institutions_with_sso_matching(query: str) -> QuerySet[Institution]:
    """Institutions with single sign-on whose name contains ``query``, or one of whose email domains
    is the domain of ``query`` (an address or a bare domain)."""
    query = query.strip().lower()
    domain = query.rpartition("@")[2]
    matches = [
        institution.pk
        for institution in Institution.objects.filter(sso_app__isnull=False).only("pk", "email_domains")
        if domain in {str(d).lower() for d in institution.email_domains or []}
    ]
    return (
        Institution.objects.filter(sso_app__isnull=False)
        .filter(Q(name__icontains=query) | Q(pk__in=matches))
        .order_by("name")
    )


def sso_provider_id(institution: Institution) -> str:
    return f"inst-{institution.slug}"


def sso_callback_path(institution: Institution) -> str:
    """The redirect URI the institution registers at its IdP (served by institutions/urls_sso.py)."""
    return reverse("openid_connect_callback", kwargs={"provider_id": sso_provider_id(institution)})


def sso_callback_url(institution: Institution) -> str:
    return settings.SITE_URL + sso_callback_path(institution)


def sso_nonce(state_id: str) -> str:
    """The OpenID Connect nonce of the sign-in whose state is ``state_id``: derived, not stored, so the
    ID token is bound to the state allauth keeps in the session (and to this site's SECRET_KEY)."""
    return salted_hmac("institutions.sso.nonce", state_id, algorithm="sha256").hexdigest()


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def sign_in_form_targets(institution: Institution) -> list[str]:
    """The origins the "Sign in with" form may lead to: its POST answers with a redirect to the
    IdP, which Chromium checks against the page's CSP form-action."""
    app = institution.sso_app
    if app is None:
        return []
    origins = [origin_of(app.settings.get("server_url", "")), app.settings.get("authorization_origin", "")]
    return sorted({o for o in origins if o.startswith(("https://", "http://"))})


def discovery_url(issuer: str) -> str:
    # Discovery 1.0, 4.1: a terminating "/" of the issuer is removed before appending the path.
    return issuer.rstrip("/") + WELL_KNOWN


def _refused(what: str, error: pinned_http.AddressRefused) -> InstitutionError:
    """An institution's admin is outside the operator's network: the address a host name resolved
    to (our internal DNS) is not shown back, only its kind; an address written in the URL is."""
    kind = pinned_http.kind_label(error.kind)
    if _is_address(error.host):
        message = _("%(what)s points at %(address)s, %(kind)s, not the public internet.") % {
            "what": what,
            "address": error.address,
            "kind": kind,
        }
    else:
        message = _("%(what)s names a host that resolves to %(kind)s, not the public internet.") % {
            "what": what,
            "kind": kind,
        }
    return InstitutionError(message, code="sso_issuer_invalid")


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True


def _check_url(url: str, *, what: str) -> None:
    """Refuse a URL that is not https on a public address (http on loopback when tests allow it).

    The rule is the site's one (``episodes.pinned_http``: loopback, private, link-local, addresses
    hidden in IPv6 forms ... refused; plain loopback only under PODCASTCME_SSO_ALLOW_LOOPBACK)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    allow_loopback = settings.PODCASTCME_SSO_ALLOW_LOOPBACK
    if parts.scheme not in ("https", "http") or not host or parts.username or parts.password:
        raise InstitutionError(
            _("%(what)s must be an https:// address.") % {"what": what}, code="sso_issuer_invalid"
        )
    try:
        vetted = pinned_http.vetted_addresses(
            url, allow_loopback=allow_loopback, timeout=float(settings.SOCIALACCOUNT_REQUESTS_TIMEOUT)
        )
    except pinned_http.AddressRefused as error:
        raise _refused(what, error) from None
    except pinned_http.PinnedHTTPError:
        raise InstitutionError(
            _("%(what)s: the host %(host)s is unknown.") % {"what": what, "host": host},
            code="sso_issuer_unreachable",
        ) from None
    if parts.scheme != "https" and not (
        allow_loopback and all(ipaddress.ip_address(sockaddr[0]).is_loopback for _family, sockaddr in vetted)
    ):
        raise InstitutionError(
            _("%(what)s must be an https:// address.") % {"what": what}, code="sso_issuer_invalid"
        )


def _fetch_discovery(url: str) -> Any:
    """The discovery document's JSON: one pinned request (resolved once, every address checked, the
    connection made to the checked address, TLS naming the host), no redirect followed, at most
    MAX_DOCUMENT_BYTES, within the requests timeout per step and twice it in all."""
    timeout = float(settings.SOCIALACCOUNT_REQUESTS_TIMEOUT)
    try:
        answer = pinned_http.request(
            "GET",
            url,
            headers={"Accept": "application/json", "User-Agent": "podcastcme-sso/1"},
            timeout=timeout,
            deadline=timeout * 2,
            limit=MAX_DOCUMENT_BYTES,
            allow_loopback=settings.PODCASTCME_SSO_ALLOW_LOOPBACK,
        )
    except pinned_http.AddressRefused as error:
        # The name answered a public address a moment ago and another one now (DNS rebinding).
        raise _refused(_("The issuer URL"), error) from None
    except pinned_http.PinnedHTTPError as error:
        reason = {
            pinned_http.TooLarge: "too large",
            pinned_http.DeadlineExceeded: "timed out",
            pinned_http.UnknownHost: "unknown host",
        }.get(type(error))
        if isinstance(error, pinned_http.ConnectionFailed):
            reason = "timed out" if error.timed_out else type(error.error).__name__
        raise _unreachable(url, reason or type(error).__name__) from None
    if not 200 <= answer.status < 300:
        raise _unreachable(url, f"HTTP {answer.status}")
    try:
        return json.loads(answer.body)
    except ValueError:  # also UnicodeDecodeError
        raise _unreachable(url, "not JSON") from None


def _unreachable(url: str, reason: str) -> InstitutionError:
    return InstitutionError(
        _(
            "The identity provider did not answer with its OpenID Connect configuration "
            "at %(url)s (%(error)s)."
        )
        % {"url": url, "error": reason},
        code="sso_issuer_unreachable",
        status=502,
    )


def discovery_document(*, issuer: str) -> dict[str, Any]:
    """The issuer's discovery document, checked (see the module's docstring); InstitutionError if not.

    Codes: ``sso_issuer_invalid`` (not an https URL on a public address), ``sso_issuer_unreachable``
    (no answer, an error status, not JSON), ``sso_issuer_mismatch`` (the document names another
    issuer, or lacks an endpoint)."""
    _check_url(issuer, what=_("The issuer URL"))
    url = discovery_url(issuer)
    document = _fetch_discovery(url)
    if not isinstance(document, dict):
        raise InstitutionError(
            _("%(url)s is not an OpenID Connect configuration.") % {"url": url},
            code="sso_issuer_unreachable",
            status=502,
        )
    if document.get("issuer") != issuer:
        raise InstitutionError(
            _(
                "The identity provider at %(url)s calls itself %(stated)s, not %(issuer)s: "
                "enter the issuer exactly as it states it, or check that this is the right provider."
            )
            % {"url": url, "stated": repr(document.get("issuer")), "issuer": issuer},
            code="sso_issuer_mismatch",
            status=502,
        )
    for endpoint in ENDPOINTS:
        value = document.get(endpoint)
        if not isinstance(value, str) or not value:
            raise InstitutionError(
                _("The identity provider's configuration has no %(endpoint)s.") % {"endpoint": endpoint},
                code="sso_issuer_mismatch",
                status=502,
            )
        _check_url(value, what=endpoint)
    return document


def sso_configure(
    *, institution: Institution, issuer: str, client_id: str, client_secret: str, actor: User | None
) -> SocialApp:
    """Set or replace the institution's IdP. An empty ``client_secret`` keeps the stored one (the
    form never shows it back). The issuer is checked first (a network call, outside the transaction);
    InstitutionError when it fails the checks or a value is missing."""
    issuer = issuer.strip()
    client_id = client_id.strip()
    client_secret = client_secret.strip()
    if not issuer or not client_id:
        raise InstitutionError(_("Enter the issuer URL and the client ID."), code="invalid")
    if len(client_id) > 191 or len(client_secret) > 191 or len(issuer) > 500:
        raise InstitutionError(_("The issuer URL, client ID or secret is too long."), code="invalid")
    document = discovery_document(issuer=issuer)
    with transaction.atomic():
        institution = Institution.objects.select_for_update().get(pk=institution.pk)
        app = institution.sso_app
        if app is None and not client_secret:
            raise InstitutionError(_("Enter the client secret."), code="invalid")
        before = (
            None if app is None else {"issuer": app.settings.get("server_url"), "client_id": app.client_id}
        )
        if app is None:
            app = SocialApp(provider=PROVIDER)
        app.provider_id = sso_provider_id(institution)
        app.name = institution.name
        app.client_id = client_id
        if client_secret:
            app.secret = client_secret
        # PKCE on whatever the global setting says; everything else comes from discovery.
        # The authorization endpoint's origin: the sign-in page's form may lead there (form-action).
        app.settings = {
            "server_url": issuer,
            "oauth_pkce_enabled": True,
            "authorization_origin": origin_of(document["authorization_endpoint"]),
        }
        app.full_clean()
        app.save()
        if institution.sso_app_id != app.pk:
            institution.sso_app = app
            institution.save(update_fields=["sso_app"])
        audit_record(
            actor=actor,
            action=InstitutionAction.SSO_CONFIGURED,
            obj=institution,
            data={
                "issuer": issuer,
                "client_id": client_id,
                "secret_changed": bool(client_secret),
                "before": before,
            },
        )
    return app


@transaction.atomic
def sso_remove(*, institution: Institution, actor: User | None) -> None:
    """Switch single sign-on off: the SocialApp goes (its logins stay on the users' records, unused);
    members keep their seats and can sign in by email."""
    institution = Institution.objects.select_for_update().get(pk=institution.pk)
    app = institution.sso_app
    if app is None:
        raise InstitutionError(_("Single sign-on is not set up."), code="invalid", status=409)
    issuer = app.settings.get("server_url")
    institution.sso_app = None
    institution.save(update_fields=["sso_app"])
    app.delete()
    audit_record(actor=actor, action=InstitutionAction.SSO_REMOVED, obj=institution, data={"issuer": issuer})
