"""webhooks' URLs (mounted by podcastcme/urls.py; each path carries its own prefix)."""

from django.urls import path  # noqa: F401  (paths are added by the issue 18 work)

app_name = "webhooks"

urlpatterns: list = []
