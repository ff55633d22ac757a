"""Who a listener is, for counting: keyed hashes of the address and user agent, never stored in clear."""

import hashlib
import hmac
import ipaddress
from functools import lru_cache

from django.conf import settings

from ..user_agents import identify


@lru_cache(maxsize=4)
def _hash_key(secret: str) -> bytes:
    # A fixed key derived from SECRET_KEY (not a daily salt): the 24-hour window spans midnight, and a
    # daily salt would turn one client into two. Rotating SECRET_KEY makes old hashes unlinkable.
    return hashlib.sha256(b"podcastcme.analytics.client:" + secret.encode()).digest()


def _keyed_hash(value: str) -> str:
    key = _hash_key(settings.SECRET_KEY)
    return hmac.new(key, value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:32]


def ip_network_part(ip: str) -> str:
    """The part of an address that identifies a client: IPv4 whole, IPv6 its first 64 bits.

    An IPv6 host picks new interface identifiers (privacy extensions) within its /64, so the same phone
    would otherwise look like many clients. IPv4-mapped IPv6 addresses are treated as IPv4.
    """
    try:
        address = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False).network_address) + "/64"
    return str(address)


def client_keys(ip: str, user_agent: str) -> tuple[str, str]:
    """(hashed IP, hashed IP + user agent): what the log stores and what de-duplication keys on."""
    network = ip_network_part(ip)
    return _keyed_hash(network), _keyed_hash(f"{network}\n{user_agent}")


@lru_cache(maxsize=4096)
def _client(secret: str, ip: str, user_agent: str) -> tuple[str, str, str, bool]:
    # Players send many ranges from one address and app: hash and classify each pair once per process.
    client = identify(user_agent)
    ip_hash, client_key = client_keys(ip, user_agent)
    return ip_hash, client_key, client.app, client.is_bot


def client_identity(ip: str, user_agent: str) -> tuple[str, str, str, bool]:
    """(hashed IP, client key, app name, is a bot) of one request, cached per process.

    Keyed on the current SECRET_KEY too, so a changed key never returns hashes made with the old one.
    """
    return _client(settings.SECRET_KEY, ip, user_agent)
