"""The outcomes report of an activity, for its coordinators (MFA-gated by the /coordinator/ prefix)."""

from django.urls import path

from . import views_outcomes

urlpatterns = [
    path("coordinator/activities/<int:pk>/outcomes/", views_outcomes.outcomes_report, name="outcomes"),
    path("coordinator/activities/<int:pk>/outcomes.csv", views_outcomes.outcomes_csv, name="outcomes_csv"),
]
