"""The coordinator's follow-up setup (MFA-gated by the /coordinator/ prefix)."""

from django.urls import path

from . import views_coordinator

urlpatterns = [
    path("coordinator/activities/<int:pk>/follow-up/", views_coordinator.plan_edit, name="coordinator_plan"),
    path(
        "coordinator/activities/<int:pk>/follow-up/questions/",
        views_coordinator.question_add,
        name="coordinator_question_add",
    ),
    path(
        "coordinator/activities/<int:pk>/follow-up/questions/<int:question_pk>/remove/",
        views_coordinator.question_remove,
        name="coordinator_question_remove",
    ),
]
