"""Rate limits for the API: per user for authenticated calls (all of a user's tokens draw on one
budget: a user may hold 20 tokens, and 20 budgets would be 20 times the limit), per client address
for anonymous ones (an IPv4 address, or an IPv6 /64).

Fixed windows counted in the default cache (the database cache, or Redis on several nodes), as the
comment limits do (discussion/services.py): increment first, then compare, so requests arriving
together cannot all pass. The limits are PODCASTCME_API_RATE_LIMITS["user"] and ["anonymous"], lists
of (requests, seconds), read on every call. Over a limit: 429 with ``Retry-After`` (seconds until the
window that refused it ends).
"""

import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.throttling import BaseThrottle

from episodes.analytics.identity import ip_network_part

from .models import PersonalAccessToken


def _take(key: str, seconds: int) -> int:
    cache.add(key, 0, timeout=seconds + 60)
    try:
        return int(cache.incr(key))
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=seconds + 60)
        return 1


class ApiRateLimit(BaseThrottle):
    def __init__(self) -> None:
        # One instance serves every thread: the wait of the request just refused is kept per thread.
        self._local = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        token = getattr(request, "auth", None)
        limits = settings.PODCASTCME_API_RATE_LIMITS
        if isinstance(token, PersonalAccessToken):
            who, windows = f"user:{token.user_id}", limits["user"]
        else:
            # An IPv6 client picks any address in its /64 at will: the /64 is the client.
            who, windows = f"ip:{ip_network_part(request.META.get('REMOTE_ADDR', ''))}", limits["anonymous"]
        now = int(time.time())
        wait: int | None = None
        for count, seconds in windows:
            window = now // seconds
            if _take(f"api-rate:{who}:{seconds}:{window}", seconds) > count:
                wait = max(wait or 0, (window + 1) * seconds - now)
        self._local.wait = wait
        return wait is None

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)
