"""Personal access tokens: create (the secret shown once), revoke, and find the token a request presents.

A token reads ``pcme_`` + 40 characters of [A-Za-z0-9] (238 random bits). The database keeps the
SHA-256 of the whole token and its first 13 characters (``pcme_`` + 8) to tell tokens apart: a leaked
database gives no usable token, and a fast hash is enough because the secret is random, not chosen
by a person (a password hasher's slowness would only slow every API call).
"""

import datetime
import hashlib
import secrets
import string

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record

from .audit_actions import ApiAction
from .errors import TokenError
from .models import PersonalAccessToken

TOKEN_PREFIX = "pcme_"
SECRET_LENGTH = 40
SHOWN_PREFIX_LENGTH = len(TOKEN_PREFIX) + 8
_ALPHABET = string.ascii_letters + string.digits


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def looks_like_token(raw: str) -> bool:
    """The shape of a token (checked before any query, so a malformed header costs nothing)."""
    body = raw[len(TOKEN_PREFIX) :]
    return raw.startswith(TOKEN_PREFIX) and len(body) == SECRET_LENGTH and all(c in _ALPHABET for c in body)


def _new_secret() -> str:
    return TOKEN_PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(SECRET_LENGTH))


def user_tokens(*, user: User):
    """The user's tokens, newest first, revoked and expired ones included (the page shows them as such)."""
    return PersonalAccessToken.objects.filter(user=user)


def token_create(
    *, user: User, name: str, scope: str, expires_at: datetime.datetime | None = None
) -> tuple[PersonalAccessToken, str]:
    """A new token for ``user``; returns it with the secret, which is never stored or shown again."""
    name = name.strip()
    if not name:
        raise TokenError(_("Give the token a name."))
    if scope not in PersonalAccessToken.Scope.values:
        raise TokenError(_("Unknown scope %(scope)s: choose read or write.") % {"scope": scope})
    now = timezone.now()
    if expires_at is not None and expires_at <= now:
        raise TokenError(_("The expiry date must be in the future."))
    limit = int(settings.PODCASTCME_API_MAX_TOKENS_PER_USER)
    with transaction.atomic():
        # The user's row locked: two pages submitted at once cannot both pass the count.
        User.objects.select_for_update().filter(pk=user.pk).first()
        if PersonalAccessToken.objects.filter(user=user).active(now).count() >= limit:
            raise TokenError(
                _("You have %(limit)s active tokens, the most allowed: revoke one you no longer use first.")
                % {"limit": limit}
            )
        raw = _new_secret()
        token = _token_store(user=user, name=name, scope=scope, raw=raw, now=now, expires_at=expires_at)
    return token, raw


def _token_store(
    *,
    user: User,
    name: str,
    scope: str,
    raw: str,
    now: datetime.datetime,
    expires_at: datetime.datetime | None,
) -> PersonalAccessToken:
    """Write the token (its hash and prefix, never ``raw``) and its audit row."""
    token = PersonalAccessToken(
        user=user,
        name=name,
        scope=scope,
        prefix=raw[:SHOWN_PREFIX_LENGTH],
        secret_hash=token_hash(raw),
        created_at=now,
        expires_at=expires_at,
    )
    token.full_clean()
    token.save()
    audit_record(
        actor=user,
        action=ApiAction.TOKEN_CREATED,
        obj=token,
        data={
            "name": token.name,
            "scope": token.scope,
            "prefix": token.prefix,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return token


def demo_token_create(*, user: User, raw: str, name: str) -> PersonalAccessToken | None:
    """The demo's published token for a demo user (api/demo.py); None when it exists already."""
    if not settings.PODCASTCME_DEMO_ALLOWED or not looks_like_token(raw):
        raise TokenError("Demo tokens exist only on a demo site.")
    with transaction.atomic():
        if PersonalAccessToken.objects.filter(secret_hash=token_hash(raw)).exists():
            return None
        return _token_store(
            user=user,
            name=name,
            scope=PersonalAccessToken.Scope.READ,
            raw=raw,
            now=timezone.now(),
            expires_at=None,
        )


def token_revoke(*, token: PersonalAccessToken, actor: User | None, via: str = "page") -> PersonalAccessToken:
    """Revoke ``token`` now; revoking a revoked token changes nothing and writes no second row."""
    with transaction.atomic():
        locked = PersonalAccessToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is not None:
            return locked
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action=ApiAction.TOKEN_REVOKED,
            obj=locked,
            data={"prefix": locked.prefix, "via": via},
        )
    return locked


def tokens_revoke_for_user(*, user: User, at: datetime.datetime) -> int:
    """Revoke every active token of a deleted account (podcastcme/account_deletion.py; no audit row per
    token: the account's deletion row counts them). The caller holds the learner's row lock. Returns
    how many."""
    return PersonalAccessToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=at)


def token_for_secret(raw: str) -> PersonalAccessToken | None:
    """The token (with its user) whose secret is ``raw``, whatever its state; one query."""
    if not looks_like_token(raw):
        return None
    return PersonalAccessToken.objects.select_related("user").filter(secret_hash=token_hash(raw)).first()


def token_mark_used(token: PersonalAccessToken, now: datetime.datetime) -> None:
    """Record the use, at most once per PODCASTCME_API_LAST_USED_SECONDS (no write on every call)."""
    every = datetime.timedelta(seconds=int(settings.PODCASTCME_API_LAST_USED_SECONDS))
    if token.last_used_at is not None and now - token.last_used_at < every:
        return
    PersonalAccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
