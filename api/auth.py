"""Bearer-token authentication for /api/v1/: ``Authorization: Bearer pcme_...`` and nothing else.

A session cookie never authenticates an API call (a page on another site could otherwise make the
learner's browser read their records), so CSRF does not apply to the API. Refusals: no header or a
malformed one, an unknown, revoked or expired token, or an inactive account -> 401 with
``WWW-Authenticate: Bearer``; a token without the operation's scope -> 403.
"""

from allauth.mfa.models import Authenticator
from django.http import HttpRequest
from django.utils import timezone
from ninja.security.http import HttpAuthBase

from accounts.permissions import mfa_is_required

from .errors import ScopeRefused, Unauthenticated
from .models import PersonalAccessToken
from .tokens import TOKEN_PREFIX, token_for_secret, token_mark_used


class TokenAuth(HttpAuthBase):
    """The ``auth`` of an operation needing ``scope`` ("read" or "write"); returns the token, which
    ninja puts in ``request.auth``."""

    # The OpenAPI security scheme ninja publishes for operations using this class.
    openapi_scheme = "bearer"
    openapi_bearerFormat = "pcme_ personal access token"

    def __init__(self, scope: str):
        if scope not in PersonalAccessToken.Scope.values:
            raise ValueError(f"unknown scope {scope!r}")
        self.scope = scope
        super().__init__()

    def __call__(self, request: HttpRequest) -> PersonalAccessToken:
        header = request.headers.get("Authorization")
        if header is None:
            raise Unauthenticated(
                "This endpoint needs a personal access token: "
                f"send 'Authorization: Bearer {TOKEN_PREFIX}...'."
            )
        kind, _, raw = header.strip().partition(" ")
        raw = raw.strip()
        if kind.lower() != "bearer" or not raw or " " in raw:
            raise Unauthenticated(
                f"Malformed Authorization header: expected 'Bearer {TOKEN_PREFIX}...' "
                "(one token, no other scheme).",
                code="malformed_authorization",
            )
        token = token_for_secret(raw)
        if token is None:
            raise Unauthenticated("Unknown token.", code="invalid_token")
        now = timezone.now()
        if token.revoked_at is not None:
            raise Unauthenticated("This token has been revoked.", code="token_revoked")
        if not token.is_active(now):
            raise Unauthenticated("This token has expired.", code="token_expired")
        if not token.user.is_active:
            raise Unauthenticated("This token's account is closed.", code="invalid_token")
        if not token.allows(self.scope):
            raise ScopeRefused(
                f"This endpoint needs a token with the '{self.scope}' scope; this one has '{token.scope}'."
            )
        token_mark_used(token, now)
        return token


class CoordinatorTokenAuth(TokenAuth):
    """``read`` for the coordinator endpoints (learners' names and addresses). Their pages need a
    two-factor login (MFA_REQUIRED_PATH_PREFIXES); a token must not be the way round it. A host's,
    coordinator's or staff member's token answers only if the account had its authenticator when the
    token was created (allauth then asked for it at login, and the tokens page is behind the same
    gate): a token made as a plain learner, before the account became a coordinator's, is refused
    until the owner sets up two-factor and makes a new one. 403 ``mfa_required``."""

    def __call__(self, request: HttpRequest) -> PersonalAccessToken:
        token = super().__call__(request)
        user = token.user
        made_with_mfa = Authenticator.objects.filter(
            user_id=user.pk, type=Authenticator.Type.TOTP, created_at__lte=token.created_at
        ).exists()  # asked first: one query for a coordinator who has it
        if not made_with_mfa and mfa_is_required(user):
            raise ScopeRefused(
                "Coordinator data needs a token created after two-factor authentication was set up "
                "on the account: set it up, then create a new token at /account/api-tokens/.",
                code="mfa_required",
            )
        return token


read_token = TokenAuth("read")
write_token = TokenAuth("write")
coordinator_token = CoordinatorTokenAuth("read")
