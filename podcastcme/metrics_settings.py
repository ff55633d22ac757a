"""Switching Prometheus metrics on from the settings (imported by settings/base.py: standard library only).

Metrics are on when ``PODCASTCME_METRICS_TOKEN`` is set (docs/deploy.md, "Metrics"). Then:

- django-prometheus's two middlewares wrap the stack: request counts and latency per view, by method
  and status; the first one also times the requests answered early (feed polls, audio, /healthz),
  which never reach a view;
- the database engines become django-prometheus's wrappers (the same backends, counting connections,
  queries, their duration and errors), and the caches podcastcme's counting subclasses
  (podcastcme/metrics.py: gets, hits and misses per cache);
- ``podcastcme.metrics.MetricsEndpointMiddleware`` answers ``/metrics`` for the bearer token only.

Off (the default: ``make run``, the test suite), nothing of this is installed and ``/metrics`` is the
site's 404, so a development server or the embedded default pays nothing for it.
"""

from collections.abc import Mapping
from typing import Any

# Django's backends and the django-prometheus wrappers with the same behaviour and a counter or two.
DATABASE_ENGINES = {
    "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
}
CACHE_BACKENDS = {
    "django.core.cache.backends.db.DatabaseCache": "podcastcme.metrics.DatabaseCache",
    "django.core.cache.backends.locmem.LocMemCache": "podcastcme.metrics.LocMemCache",
    "django.core.cache.backends.redis.RedisCache": "podcastcme.metrics.RedisCache",
}
BEFORE = "django_prometheus.middleware.PrometheusBeforeMiddleware"
AFTER = "django_prometheus.middleware.PrometheusAfterMiddleware"
ENDPOINT = "podcastcme.metrics.MetricsEndpointMiddleware"
APP = "django_prometheus"


def instrument(
    *,
    installed_apps: list[str],
    middleware: list[str],
    databases: Mapping[str, Any],
    caches: dict[str, dict[str, Any]],
) -> None:
    """Switch metrics on in these settings (changed in place; calling it twice changes nothing more)."""
    if APP not in installed_apps:
        installed_apps.append(APP)
    if BEFORE not in middleware:
        # First: it times the whole stack, the early answers included; the endpoint right after it,
        # before the HTTPS redirect and the host check (Prometheus scrapes each node by address).
        middleware[:0] = [BEFORE, ENDPOINT]
        middleware.append(AFTER)
    for database in databases.values():
        database["ENGINE"] = DATABASE_ENGINES.get(database["ENGINE"], database["ENGINE"])
    instrument_caches(caches)


def instrument_caches(caches: dict[str, dict[str, Any]]) -> None:
    """The counting subclass of each cache backend that has one (others are left as they are)."""
    for cache in caches.values():
        cache["BACKEND"] = CACHE_BACKENDS.get(cache["BACKEND"], cache["BACKEND"])
