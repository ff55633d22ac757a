"""URLs (mounted by podcastcme/urls.py; each path carries its own prefix), one module per part."""

from . import urls_coordinator, urls_learner, urls_outcomes

app_name = "followups"

urlpatterns = [
    *urls_learner.urlpatterns,
    *urls_coordinator.urlpatterns,
    *urls_outcomes.urlpatterns,
]
