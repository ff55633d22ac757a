"""Each show's ActivityPub identity: its actor URL, its key id and its RSA key pair (made on first use).

The private key never leaves the server; the actor document publishes only the public key, under
``<actor url>#main-key`` (Mastodon's convention)."""

from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from episodes.models import Show

from .models import ActorKey

KEY_BITS = 2048


def site_host() -> str:
    """The handle's domain: the host of SITE_URL (with its port, if it has one)."""
    return urlsplit(settings.SITE_URL).netloc.lower()


def handle(show: Show) -> str:
    """``@<slug>@<host>``, as Mastodon users search for the show."""
    return f"@{show.slug}@{site_host()}"


def actor_url(show: Show) -> str:
    """The show's actor id: ``<SITE_URL>/ap/shows/<slug>``."""
    return settings.SITE_URL + reverse("fediverse:actor", args=[show.slug])


def key_id(show: Show) -> str:
    """The id of the show's public key, as signatures name it."""
    return actor_url(show) + "#main-key"


def _new_key_pair() -> tuple[str, str]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    private_pem = private.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    ).decode("ascii")
    public_pem = (
        private.public_key()
        .public_bytes(
            encoding=serialization.Encoding.PEM, format=serialization.PublicFormat.SubjectPublicKeyInfo
        )
        .decode("ascii")
    )
    return public_pem, private_pem


def actor_key(show: Show) -> ActorKey:
    """The show's key pair, made (RSA 2048) and stored the first time it is needed."""
    existing = ActorKey.objects.filter(show=show).first()
    if existing is not None:
        return existing
    public_pem, private_pem = _new_key_pair()
    try:
        with transaction.atomic():
            return ActorKey.objects.create(show=show, public_key_pem=public_pem, private_key_pem=private_pem)
    except IntegrityError:
        # Another request made it first: one key per show, theirs stands.
        return ActorKey.objects.get(show=show)
