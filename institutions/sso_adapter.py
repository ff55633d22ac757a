"""allauth's OpenID Connect provider, made strict for institutions' single sign-on (docs/sso.md).

allauth does the protocol (authorization code with PKCE, state in the session, token exchange);
this module adds what a hospital's IdP must not be trusted without:

- the discovery document is checked at every sign-in (institutions/sso.py: its ``issuer`` equals
  the configured one, https endpoints on public addresses), so the ID token's ``iss`` is checked
  against the issuer the institution configured, not against whatever the document says;
- the ID token's signature is always verified against the IdP's JWKS, with an asymmetric algorithm
  only (allauth skips the check when the token came straight from the token endpoint, which the
  spec allows; we do not), and its ``nonce`` must be the one derived from this sign-in's state;
- userinfo must describe the same ``sub`` as the ID token;
- an account's uid is the IdP's ``sub`` namespaced by the issuer, so replacing an institution's IdP
  never lets the new one's subjects land in the old one's accounts;
- an address counts as verified only when the IdP says ``email_verified: true`` AND the address is
  at one of the institution's email domains: only then is an existing account with that address
  signed in (and linked), and a new account's address marked verified. Otherwise an existing
  account with the address is refused with an explanation (an IdP that does not verify addresses,
  or an institution's IdP speaking for addresses it does not own, could take the account over).

Every request allauth makes at sign-in (the token exchange, the JWKS, userinfo; discovery goes
through institutions/sso.py) goes through ``get_requests_session``'s session, whose transport is
the site's pinned request (episodes/pinned_http.py): each host resolved once, refused unless every
address is public (plain loopback only under PODCASTCME_SSO_ALLOW_LOOPBACK), the connection made to
the checked address with TLS naming the host, each redirect hop checked anew, the answer at most
``MAX_ANSWER_BYTES``. An IdP whose endpoints move into our network between set-up and sign-in is
refused, not followed.

Errors (IdP down, refused, a tampered or replayed state, a token that fails a check) end on one
clear page (templates/institutions/sso_error.html), never a 500.
"""

import hashlib
import io
import logging
import ssl
from http import HTTPStatus
from typing import Any

import requests
from allauth.account.models import EmailAddress
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.core.internal.datakit import parse_bool_safely
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.adapter import get_adapter as get_socialaccount_adapter
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.base.constants import AuthError
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.utils import generate_code_challenge
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

from episodes import pinned_http

from . import sso
from .errors import InstitutionError
from .models import Institution

logger = logging.getLogger(__name__)

MAX_ANSWER_BYTES = 1024 * 1024  # a token, JWKS or userinfo answer; far larger ones are refused

# Signatures made with the IdP's private key only: no "none", no HS256 (keyed by the client secret).
ASYMMETRIC_ALGORITHMS = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}


def institution_for_app(app: SocialApp | None) -> Institution | None:
    if app is None or app.pk is None:
        return None
    return Institution.objects.filter(sso_app=app).first()


def email_domain(email: str) -> str:
    return email.rpartition("@")[2].strip().lower()


def trusted_address(institution: Institution, email: str, email_verified: Any) -> bool:
    """The IdP vouches for ``email``: it says verified, and the domain is the institution's own."""
    domains = {str(d).strip().lower() for d in institution.email_domains or []}
    return parse_bool_safely(email_verified) is True and email_domain(email) in domains


def _claims(data: dict) -> dict:
    # allauth prefers userinfo to the ID token (userinfo may carry more); both were checked.
    return data.get("userinfo") or data.get("id_token") or {}


class InstitutionOIDCAdapter(OpenIDConnectOAuth2Adapter):
    """The OAuth2 adapter of an institution's IdP: checked discovery, always-verified ID tokens."""

    @property
    def openid_config(self) -> dict:
        if not hasattr(self, "_openid_config"):
            issuer = self.get_provider().app.settings.get("server_url", "")
            try:
                self._openid_config = sso.discovery_document(issuer=issuer)
            except InstitutionError as error:
                raise OAuth2Error(error.message) from error
        return self._openid_config

    def _decode_id_token(self, app: SocialApp, id_token: str) -> dict:
        try:
            algorithm = jwtkit.jwt.get_unverified_header(id_token).get("alg")
        except jwtkit.jwt.PyJWTError as error:
            raise OAuth2Error("Invalid id_token") from error
        if algorithm not in ASYMMETRIC_ALGORITHMS:
            raise OAuth2Error(f"id_token signed with {algorithm!r}, not an asymmetric algorithm")
        claims = jwtkit.verify_and_decode(
            credential=id_token,
            keys_url=self.openid_config["jwks_uri"],
            issuer=self.openid_config["issuer"],  # equal to the configured issuer (checked above)
            audience=app.client_id,
            lookup_kid=jwtkit.lookup_kid_jwk,
            verify_signature=True,
        )
        # The state was found in this session before the code was exchanged (allauth's callback).
        expected = sso.sso_nonce(self.request.GET.get("state", ""))
        if not constant_time_compare(str(claims.get("nonce", "")), expected):
            raise OAuth2Error("id_token nonce does not match this sign-in")
        return claims

    def complete_login(self, request, app, token, **kwargs):
        if not kwargs["response"].get("id_token"):
            raise OAuth2Error("no id_token in the token response")
        login = super().complete_login(request, app, token, **kwargs)
        data = login.account.extra_data
        userinfo, id_token = data.get("userinfo"), data.get("id_token")
        if userinfo is not None and str(userinfo.get("sub")) != str(id_token.get("sub")):
            raise OAuth2Error("userinfo describes another subject than the id_token")
        return login


class InstitutionOIDCProvider(OpenIDConnectProvider):
    """allauth's OpenID Connect provider for an institution's SocialApp (see the module docstring)."""

    oauth2_adapter_class = InstitutionOIDCAdapter

    def __init__(self, *args, institution: Institution, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.institution = institution

    def get_pkce_params(self) -> dict:
        return generate_code_challenge()  # always S256, whatever the app's settings say

    def get_scope(self) -> list[str]:
        return ["openid", "email", "profile"]

    def get_auth_params(self) -> dict:
        return {}

    def redirect(self, request, process, next_url=None, data=None, **kwargs):
        state_id = get_socialaccount_adapter().generate_state_param({})
        return super().redirect(
            request,
            process,
            next_url=next_url,
            data=data,
            scope=self.get_scope(),
            auth_params={"nonce": sso.sso_nonce(state_id)},
            state_id=state_id,
        )

    def extract_uid(self, data: dict) -> str:
        issuer = self.app.settings.get("server_url", "")
        return f"{hashlib.sha256(issuer.encode()).hexdigest()[:16]}:{super().extract_uid(data)}"

    def extract_email_addresses(self, data: dict) -> list[EmailAddress]:
        claims = _claims(data)
        email = claims.get("email")
        if not isinstance(email, str) or not email:
            return []
        verified = trusted_address(self.institution, email, claims.get("email_verified"))
        return [EmailAddress(email=email.lower(), verified=verified, primary=True)]

    def extract_common_fields(self, data: dict) -> dict:
        fields = super().extract_common_fields(data)
        if isinstance(fields.get("email"), str):
            fields["email"] = fields["email"].lower()
        return fields


class AddressRefused(requests.exceptions.ConnectionError):
    """The IdP's host is not on the public internet (or not an http(s) URL): not reached."""


class PinnedTransport(HTTPAdapter):
    """A requests transport that makes each request with ``episodes.pinned_http.PinnedRequest``
    (see the module docstring); failures are requests' own exceptions, so allauth and
    ``on_authentication_error`` treat them as an IdP that could not be reached."""

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        step = timeout[-1] if isinstance(timeout, tuple) else timeout
        step = float(step or settings.SOCIALACCOUNT_REQUESTS_TIMEOUT)
        body = request.body
        if isinstance(body, str):
            body = body.encode("utf-8")
        if body is not None and not isinstance(body, bytes):
            raise requests.exceptions.InvalidHeader("a streamed body is not sent to an identity provider")
        # Bodies are read as sent: no compressed answers asked for (pinned requests do not unpack).
        headers = {**dict(request.headers), "Accept-Encoding": "identity"}
        pinned = pinned_http.PinnedRequest(
            request.method or "GET",
            request.url or "",
            timeout=step,
            deadline=step * 2,
            allow_loopback=settings.PODCASTCME_SSO_ALLOW_LOOPBACK,
            headers=headers,
            body=body,
        )
        try:
            with pinned:
                answer = pinned.open()
                content = pinned.read_body(MAX_ANSWER_BYTES)
        except (pinned_http.AddressRefused, pinned_http.BadURL) as error:
            raise AddressRefused(f"refused: {error}", request=request) from None
        except pinned_http.DeadlineExceeded as error:
            raise requests.exceptions.Timeout(f"timed out: {error}", request=request) from None
        except pinned_http.ConnectionFailed as error:
            if error.timed_out:
                raise requests.exceptions.Timeout(str(error), request=request) from None
            if isinstance(error.error, ssl.SSLError):
                raise requests.exceptions.SSLError(str(error), request=request) from None
            raise requests.exceptions.ConnectionError(str(error), request=request) from None
        except pinned_http.PinnedHTTPError as error:  # unknown host, too large
            raise requests.exceptions.ConnectionError(str(error), request=request) from None
        if answer.status in {307, 308} and body is not None:
            # requests would send the body again (the code, its verifier, a client secret) to
            # wherever the IdP points; discovery named the endpoints, and they do not move.
            raise requests.exceptions.ConnectionError(
                f"{request.url} answered {answer.status}: a request with a body is not sent on",
                request=request,
            )
        answered: CaseInsensitiveDict[str] = CaseInsensitiveDict()
        for name, value in answer.headers.items():  # a repeated header is joined, as requests does
            answered[name] = f"{answered[name]}, {value}" if name in answered else value
        response = requests.Response()
        response.status_code = answer.status
        response.reason = answer.reason
        response.headers = answered
        response.encoding = get_encoding_from_headers(response.headers)
        response._content = content
        response._content_consumed = True
        response.raw = io.BytesIO(content)  # stream=True callers read the body already read
        response.url = request.url or ""
        response.request = request
        response.connection = self
        return response


def error_page(request, institution: Institution | None, message: str, status: int):
    return render(
        request,
        "institutions/sso_error.html",
        {"institution": institution, "message": message},
        status=status,
    )


def idp_unreachable_page(request, institution: Institution | None, error: Exception) -> HttpResponse:
    """The IdP could not be reached (a network failure). Its text may name the address the IdP's
    host resolved to (an internal one, when the pinned transport refused it): that goes to the log,
    the page says only that the service could not be reached."""
    logger.warning("SSO: the identity provider of %s could not be reached: %s", institution, error)
    name = institution.name if institution is not None else _("your institution")
    message = _("%(name)s's sign-in service could not be reached. Try again in a few minutes.") % {
        "name": name
    }
    return error_page(request, institution, message, HTTPStatus.BAD_GATEWAY)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """SOCIALACCOUNT_ADAPTER: institutions' IdPs get the strict provider; refusals get clear pages."""

    def get_requests_session(self):
        """allauth's session (its timeout), with every http(s) request made by the pinned transport
        and no proxy or .netrc taken from the environment."""
        session = super().get_requests_session()
        session.trust_env = False
        # Each hop is checked by the transport and bounded by its own deadline; a few hops at
        # most, so an IdP cannot hold a sign-in for thirty of them.
        session.max_redirects = 2
        transport = PinnedTransport()
        session.mount("https://", transport)
        session.mount("http://", transport)
        return session

    def get_provider(self, request, provider, client_id=None):
        found = super().get_provider(request, provider, client_id=client_id)
        if isinstance(found, OpenIDConnectProvider) and not isinstance(found, InstitutionOIDCProvider):
            institution = institution_for_app(found.app)
            if institution is None:
                raise SocialApp.DoesNotExist  # only institutions' IdPs sign anyone in (answered 404)
            return InstitutionOIDCProvider(request, app=found.app, institution=institution)
        return found

    def pre_social_login(self, request, sociallogin) -> None:
        provider = sociallogin.provider
        institution = getattr(provider, "institution", None)
        if institution is None:
            return
        if not sociallogin.email_addresses:
            raise ImmediateHttpResponse(
                error_page(
                    request,
                    institution,
                    _(
                        "%(name)s's sign-in service did not tell us your email address, so we cannot "
                        "find or create your account. Ask %(name)s's IT team to release the email "
                        "claim to podcastcme."
                    )
                    % {"name": institution.name},
                    HTTPStatus.FORBIDDEN,
                )
            )
        if sociallogin.is_existing:
            return  # this IdP identity is already linked to an account (or matched by a trusted address)
        address = sociallogin.email_addresses[0]
        if address.verified:
            return
        User = get_user_model()
        taken = (
            EmailAddress.objects.filter(email__iexact=address.email).exists()
            or User.objects.filter(email__iexact=address.email).exists()
        )
        if taken:
            raise ImmediateHttpResponse(
                error_page(
                    request,
                    institution,
                    _(
                        "An account with %(email)s already exists, but %(name)s's sign-in service did not "
                        "confirm that this address is verified and belongs to %(name)s, so we cannot sign "
                        "you in to that account this way (otherwise anyone who could set that address at "
                        "the sign-in service could take the account over). Sign in with your email instead."
                    )
                    % {"email": address.email, "name": institution.name},
                    HTTPStatus.FORBIDDEN,
                )
            )

    def on_authentication_error(
        self, request, provider, error=None, exception=None, extra_context=None
    ) -> None:
        institution = getattr(provider, "institution", None)
        name = institution.name if institution is not None else _("your institution")
        if error == AuthError.CANCELLED:
            message = _(
                "%(name)s's sign-in service answered that access was denied. Nothing was changed."
            ) % {"name": name}
            status = HTTPStatus.FORBIDDEN
        elif exception is None:
            message = _(
                "This sign-in could not be matched to one you started here: it may have expired, been "
                "used already, or been started in another browser. Start again."
            )
            status = HTTPStatus.BAD_REQUEST
        elif isinstance(exception, requests.RequestException):
            raise ImmediateHttpResponse(idp_unreachable_page(request, institution, exception))
        else:
            message = _(
                "%(name)s's sign-in service sent an answer we cannot trust (%(reason)s). You are not "
                "signed in. If this persists, tell %(name)s's IT team."
            ) % {"name": name, "reason": str(exception)[:200]}
            status = HTTPStatus.BAD_GATEWAY
        raise ImmediateHttpResponse(error_page(request, institution, message, status))
