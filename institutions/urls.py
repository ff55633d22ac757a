"""URLs (mounted by podcastcme/urls.py; each path carries its own prefix), one module per part."""

from . import urls_members, urls_sso

app_name = "institutions"

urlpatterns = [
    *urls_members.urlpatterns,
    *urls_sso.urlpatterns,
]
