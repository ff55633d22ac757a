"""URLs (mounted by podcastcme/urls.py; each path carries its own prefix), one module per part."""

from . import urls_rest

app_name = "api"

urlpatterns = [
    *urls_rest.urlpatterns,
]
