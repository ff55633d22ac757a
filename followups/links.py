"""The one-tap link of a follow-up: signed (django.core.signing, its own salt), carrying the follow-up's
id and nonce, so it needs no login and cannot be made for another follow-up without the secret key.

The link does not expire by itself: the follow-up's ``expires_at`` decides (one home for the rule),
and answering spends it (the follow-up leaves SENT)."""

import hmac

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "podcastcme.followups.answer"


def follow_up_token(follow_up) -> str:
    return signing.dumps({"f": follow_up.pk, "n": follow_up.nonce}, salt=SALT, compress=False)


def follow_up_token_read(token: str) -> tuple[int, str] | None:
    """(follow-up id, nonce) from a token this site signed; None for a tampered or malformed one."""
    if len(token) > 300:
        return None
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    pk, nonce = data.get("f"), data.get("n")
    if not isinstance(pk, int) or isinstance(pk, bool) or not isinstance(nonce, str):
        return None
    return pk, nonce


def nonce_matches(follow_up, nonce: str) -> bool:
    return hmac.compare_digest(follow_up.nonce.encode(), nonce.encode())


def follow_up_path(follow_up) -> str:
    return reverse("followups:answer", args=[follow_up_token(follow_up)])


def follow_up_url(follow_up) -> str:
    return settings.SITE_URL + follow_up_path(follow_up)


def unsubscribe_token(user_id: int) -> str:
    return signing.dumps({"u": user_id}, salt=SALT + ".unsubscribe", compress=False)


def unsubscribe_token_read(token: str) -> int | None:
    if len(token) > 300:
        return None
    try:
        data = signing.loads(token, salt=SALT + ".unsubscribe")
    except signing.BadSignature:
        return None
    pk = data.get("u") if isinstance(data, dict) else None
    return pk if isinstance(pk, int) and not isinstance(pk, bool) else None


def unsubscribe_url(user_id: int) -> str:
    return settings.SITE_URL + reverse("followups:unsubscribe", args=[unsubscribe_token(user_id)])


def absolute(path: str) -> str:
    return settings.SITE_URL + path
