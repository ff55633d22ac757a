"""The ports an endpoint URL may name: one rule, checked when an endpoint is saved (the form and
``services``), when it is enabled again (``services.endpoint_enable``) and before every attempt
(``delivery.post``), so an endpoint saved before the rule (or written around the form) is never sent
a signed POST on another port. A module of its own so that ``delivery`` (below ``services``, which
imports ``tasks`` and so ``delivery``) can use it without an import cycle."""

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

# The ports an endpoint URL may name (none: the scheme's own, 443 or 80). Receivers on the public
# internet listen on the standard HTTPS ports; any other port on a public host is more often a
# database, mail or admin service that a signed POST (and the answer excerpt we show the owner)
# would probe. http is accepted at all only where PODCASTCME_WEBHOOKS_ALLOW_HTTP or DEBUG says so.
ALLOWED_PORTS = {"https": (443, 8443), "http": (80, 8080)}
LOOPBACK_NAMES = ("localhost",)


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_port_problem(url: str) -> str | None:
    """Why the URL's port is refused (None: no port, or one of ``ALLOWED_PORTS`` for its scheme).
    Tests' loopback receivers listen on any port: with PODCASTCME_WEBHOOKS_ALLOW_LOOPBACK (tests
    only), a loopback host may name any port."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return _("The port in the URL must be a number from 1 to 65535.")
    if port is None:
        return None
    if settings.PODCASTCME_WEBHOOKS_ALLOW_LOOPBACK and _is_loopback(parts.hostname or ""):
        return None
    allowed = ALLOWED_PORTS.get(parts.scheme.lower(), ALLOWED_PORTS["https"])
    if port in allowed:
        return None
    return _(
        "Port %(port)s is not accepted: the URL must use port %(first)s (no port in the URL) or %(second)s."
    ) % {
        "port": port,
        "first": allowed[0],
        "second": allowed[1],
    }
