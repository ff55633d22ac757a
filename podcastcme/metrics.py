"""Prometheus metrics: the /metrics endpoint (bearer token only), podcastcme's own figures, cache counts.

Switched on by ``PODCASTCME_METRICS_TOKEN`` (podcastcme/metrics_settings.py says what that installs).

- **Who may read them.** ``/metrics`` answers only a request with ``Authorization: Bearer <token>``
  (401 otherwise, the same for a wrong token as for none); it is answered at the top of the stack,
  before the HTTPS redirect and the host check, so that Prometheus scrapes each node over the private
  network by address. The public nginx must not forward ``/metrics`` at all (docs/deploy.md:
  ``location = /metrics { return 404; }``), so the token is a second lock, not the only one.
- **Per process or per node.** django-prometheus counts in each process. With gunicorn's several
  workers, set ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory of the service's own (the systemd
  unit does: ``RuntimeDirectory``): every worker writes its counts there and a scrape reads them all.
- **podcastcme's own figures** are read from the database at each scrape (``PodcastcmeCollector``):
  claims, certificates by status and render state, renders overdue, the task queue by status and
  its oldest due task, downloads counted. They are the cluster's totals, the same on every node
  (aggregate them with ``max``, not ``sum``), they survive restarts, and nothing on the claim or the
  download path pays for them. A scrape costs eight queries, none over a table that grows with every
  download or task (downloads are summed from the dashboard's daily totals).
"""

import hmac
import logging
import os
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.cache.backends.db import DatabaseCache as _DatabaseCache
from django.core.cache.backends.locmem import LocMemCache as _LocMemCache
from django.core.cache.backends.redis import RedisCache as _RedisCache
from django.http import HttpRequest, HttpResponse
from django_prometheus.cache.metrics import (
    django_cache_get_fail_total,
    django_cache_get_total,
    django_cache_hits_total,
    django_cache_misses_total,
)
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

PATH = "/metrics"
logger = logging.getLogger(__name__)

# --- podcastcme's own figures, read from the database at each scrape --------------------------------


class PodcastcmeCollector:
    """Claims, certificates, renders, the task queue and downloads: the cluster's totals."""

    def collect(self) -> Iterator[Metric]:
        # Read everything first: with the database down the scrape still answers (the request and
        # process metrics), says so, and never shows half of these figures.
        try:
            figures = list(self._figures())
        except Exception as error:
            logger.warning("metrics: podcastcme's figures could not be read: %s", type(error).__name__)
            figures = []
        yield GaugeMetricFamily(
            "podcastcme_figures_up", "1 if podcastcme's own figures were read from the database.",
            value=1 if figures else 0,
        )  # fmt: skip
        yield from figures

    def _figures(self) -> Iterator[Metric]:
        import datetime

        from django.db.models import Count, Sum
        from django.utils import timezone
        from django_tasks_db.models import DBTaskResult

        from credits.models import RENDER_OVERDUE_MINUTES, Certificate, CreditClaim
        from episodes.models import DailyEpisodeDownloads

        from .health_tasks import task_queue_status

        yield CounterMetricFamily(
            "podcastcme_claims", "Credit claims made (all time).", value=CreditClaim.objects.count()
        )

        certificates = GaugeMetricFamily(
            "podcastcme_certificates",
            "Certificates by status (pending, issued, revoked) and PDF render state.",
            labels=["status", "render_state"],
        )
        issued = 0
        rows = Certificate.objects.order_by().values_list("status", "render_state").annotate(n=Count("pk"))
        seen = {(status, state): n for status, state, n in rows}
        for status in Certificate.Status.values:
            for state in Certificate.RenderState.values:
                n = seen.get((status, state), 0)
                issued += n
                certificates.add_metric([status, state], n)
        yield certificates
        yield CounterMetricFamily(
            "podcastcme_certificates_issued",
            "Certificates issued (all time, revoked included).",
            value=issued,
        )
        yield GaugeMetricFamily(
            "podcastcme_certificate_renders_pending",
            "Certificates whose PDF is not rendered yet (render state pending).",
            value=sum(n for (_, state), n in seen.items() if state == Certificate.RenderState.PENDING),
        )
        yield GaugeMetricFamily(
            "podcastcme_certificate_render_failures",
            "Certificates whose last render failed (render state failed): see manage.py repair_certificates.",
            value=sum(n for (_, state), n in seen.items() if state == Certificate.RenderState.FAILED),
        )
        overdue_since = timezone.now() - datetime.timedelta(minutes=RENDER_OVERDUE_MINUTES)
        yield GaugeMetricFamily(
            "podcastcme_certificate_renders_overdue",
            f"Certificates still pending {RENDER_OVERDUE_MINUTES} minutes after issue (learners see 'late').",
            value=Certificate.objects.filter(
                render_state=Certificate.RenderState.PENDING, issued_at__lt=overdue_since
            ).count(),
        )

        tasks = GaugeMetricFamily(
            "podcastcme_tasks",
            "Tasks waiting (READY) or running in the django-tasks-db queue.",
            labels=["status"],
        )
        # Not the finished ones: django-tasks-db keeps every result, a table that only grows.
        active = DBTaskResult.objects.filter(status__in=("READY", "RUNNING")).order_by()
        by_status = dict(active.values_list("status").annotate(n=Count("pk")))
        for status in ("READY", "RUNNING"):
            tasks.add_metric([status], by_status.get(status, 0))
        yield tasks
        queue = task_queue_status()
        yield GaugeMetricFamily(
            "podcastcme_task_oldest_ready_age_seconds",
            "How long the oldest due task has waited (0: none waiting). Alert when it grows.",
            value=queue["oldest_ready_age_seconds"] or 0.0,
        )
        yield GaugeMetricFamily(
            "podcastcme_tasks_failed_last_day", "Tasks that failed in the last 24 hours.",
            value=queue["failed_last_day"],
        )  # fmt: skip

        # The dashboard's daily totals (updated as each download is counted): a few rows per episode
        # and day, where the Download table has one per download.
        downloads = DailyEpisodeDownloads.objects.aggregate(n=Sum("count"))["n"] or 0
        yield CounterMetricFamily(
            "podcastcme_downloads", "Downloads counted (IAB rules, all time).", value=downloads
        )


_OWN = CollectorRegistry(auto_describe=False)
_OWN.register(PodcastcmeCollector())


def exposition() -> bytes:
    """The text Prometheus reads: this process's (or, in multiprocess mode, all workers') metrics."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        process = CollectorRegistry()
        MultiProcessCollector(process)
    else:
        process = REGISTRY
    return generate_latest(process) + generate_latest(_OWN)


# --- the endpoint -------------------------------------------------------------------------------------


def has_metrics_token(request: HttpRequest) -> bool:
    expected = settings.PODCASTCME_METRICS_TOKEN
    scheme, _, given = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if not expected or scheme.lower() != "bearer" or not given.strip():
        return False
    return hmac.compare_digest(given.strip().encode(), expected.encode())


def _with_headers(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store, max-age=0"
    # Answered before the security middleware: its own headers.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
    return response


def metrics_response(request: HttpRequest) -> HttpResponse:
    if not has_metrics_token(request):
        response = HttpResponse(b"unauthorized\n", content_type="text/plain; charset=utf-8", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return _with_headers(response)
    if request.method not in ("GET", "HEAD"):
        response = HttpResponse(b"method not allowed\n", content_type="text/plain; charset=utf-8", status=405)
        response["Allow"] = "GET, HEAD"
        return _with_headers(response)
    return _with_headers(HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST))


class MetricsEndpointMiddleware:
    """Answer /metrics (with the bearer token; 401 without) before the rest of the stack."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == PATH and settings.PODCASTCME_METRICS_TOKEN:
            return metrics_response(request)
        return self.get_response(request)


# --- cache backends that count gets, hits and misses ---------------------------------------------------
# django-prometheus ships such subclasses for locmem and Redis, but its get() turns a cached value
# that is false (0, "", an empty list) into the default, and has none for the database cache.

_MISSING = object()


class _CountingGet:
    metrics_backend = "?"

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        django_cache_get_total.labels(backend=self.metrics_backend).inc()
        try:
            value = super().get(key, _MISSING, version)  # type: ignore[misc]
        except Exception:
            django_cache_get_fail_total.labels(backend=self.metrics_backend).inc()
            raise
        if value is _MISSING:
            django_cache_misses_total.labels(backend=self.metrics_backend).inc()
            return default
        django_cache_hits_total.labels(backend=self.metrics_backend).inc()
        return value


class DatabaseCache(_CountingGet, _DatabaseCache):
    metrics_backend = "db"


class LocMemCache(_CountingGet, _LocMemCache):
    metrics_backend = "locmem"


class RedisCache(_CountingGet, _RedisCache):
    metrics_backend = "redis"
