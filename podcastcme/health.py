"""/healthz: can this instance serve? Database, cache, storage and the task queue, checked on each probe.

The public answer is one word (200 "ok" or 503 "unavailable"): a load balancer needs no more, and
an attacker should learn nothing. Operators see each check and its timing as JSON with the bearer
token ``PODCASTCME_HEALTHZ_TOKEN``, or when logged in as staff.

Probes are answered by ``HealthCheckMiddleware`` at the top of the stack, before the HTTPS redirect,
the host check and sessions: a load balancer probes over plain http by address, and a probe
should cost no session row. A request that carries a session cookie (staff in a browser) goes on to
``healthz_view`` through the full stack instead, so that request.user is known.
"""

import hmac
import json
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache

from .health_tasks import task_queue_status

PATHS = ("/healthz", "/healthz/")


def _database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        if cursor.fetchone()[0] != 1:
            raise RuntimeError("SELECT 1 did not answer 1")
    return {}


def _cache() -> dict:
    key, value = f"healthz:{uuid.uuid4().hex}", uuid.uuid4().hex
    try:
        cache.set(key, value, timeout=30)
        if cache.get(key) != value:
            raise RuntimeError("the value read back differs")
    finally:
        cache.delete(key)
    return {}


def _storage() -> dict:
    payload = uuid.uuid4().hex.encode()
    name = default_storage.save(f"health/{uuid.uuid4().hex}.txt", ContentFile(payload))
    try:
        with default_storage.open(name, "rb") as handle:
            if handle.read() != payload:
                raise RuntimeError("the file read back differs")
    finally:
        default_storage.delete(name)
    return {}


def _tasks() -> dict:
    status = task_queue_status()
    age = status["oldest_ready_age_seconds"]
    if age is not None and age > settings.PODCASTCME_HEALTHZ_TASK_MAX_AGE_SECONDS:
        # Nobody is working on the queue (worker down or stuck): certificates and emails wait.
        return {**status, "ok": False, "detail": "stale"}
    return status


CHECKS: dict[str, Callable[[], dict]] = {
    "database": _database,
    "cache": _cache,
    "storage": _storage,
    "tasks": _tasks,
}


def run_checks() -> tuple[bool, dict]:
    """(healthy, report): each check's outcome and milliseconds, and the problems in a few words."""
    checks: dict[str, dict] = {}
    problems: list[str] = []
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            result = {"ok": True, **check()}
        except Exception as error:  # any failure of a part is "unavailable", never a 500
            # The exception's class only: its message may hold paths, host names or credentials.
            result = {"ok": False, "detail": "failed", "error": type(error).__name__}
        result["ms"] = round((time.perf_counter() - started) * 1000, 2)
        checks[name] = result
        if not result["ok"]:
            problems.append(f"{name}: {result['detail']}")
    healthy = not problems
    return healthy, {"status": "ok" if healthy else "unavailable", "problems": problems, "checks": checks}


def _has_token(request: HttpRequest) -> bool:
    expected = settings.PODCASTCME_HEALTHZ_TOKEN
    scheme, _, given = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if not expected or scheme.lower() != "bearer" or not given.strip():
        return False
    return hmac.compare_digest(given.strip().encode(), expected.encode())


def health_response(request: HttpRequest, *, details: bool) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        response = HttpResponse(b"method not allowed\n", content_type="text/plain; charset=utf-8", status=405)
        response["Allow"] = "GET, HEAD"
        return _with_headers(response)
    healthy, report = run_checks()
    status = 200 if healthy else 503
    if details:
        response = HttpResponse(json.dumps(report, indent=2), content_type="application/json", status=status)
    else:
        body = b"ok\n" if healthy else b"unavailable\n"
        response = HttpResponse(body, content_type="text/plain; charset=utf-8", status=status)
    return _with_headers(response)


def _with_headers(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store, max-age=0"
    # Answered before the security middleware: its own headers (nothing here may load or frame).
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
    return response


class HealthCheckMiddleware:
    """Answer /healthz for probes (no session cookie) and bearer-token requests, before anything else."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info in PATHS:
            if _has_token(request):
                return health_response(request, details=True)
            if settings.SESSION_COOKIE_NAME not in request.COOKIES:
                return health_response(request, details=False)
        return self.get_response(request)


@never_cache
def healthz_view(request: HttpRequest) -> HttpResponse:
    """/healthz through the full stack (a browser with a session): details for staff only."""
    user = getattr(request, "user", None)
    details = _has_token(request) or bool(user is not None and user.is_authenticated and user.is_staff)
    return health_response(request, details=details)
