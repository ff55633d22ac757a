from django.urls import path

from .views import coordinator, learner

app_name = "credits"

urlpatterns = [
    path("learning/", learner.my_learning, name="my_learning"),
    path("activities/<int:pk>/post-test/", learner.post_test, name="post_test"),
    path("attempts/<int:pk>/", learner.attempt_result, name="attempt"),
    path("activities/<int:pk>/evaluation/", learner.evaluation, name="evaluation"),
    path("activities/<int:pk>/claim/", learner.claim, name="claim"),
    path("episodes/<int:pk>/progress/", learner.listening_progress, name="listening_progress"),
    path("coordinator/", coordinator.dashboard, name="coordinator_dashboard"),
    path(
        "coordinator/providers/<slug:slug>/activities/new/",
        coordinator.activity_create,
        name="coordinator_activity_create",
    ),
    path("coordinator/activities/<int:pk>/", coordinator.activity_manage, name="coordinator_activity"),
    path(
        "coordinator/activities/<int:pk>/edit/", coordinator.activity_edit, name="coordinator_activity_edit"
    ),
    path("coordinator/activities/<int:pk>/people/", coordinator.activity_people, name="coordinator_people"),
    path("coordinator/activities/<int:pk>/quiz/", coordinator.quiz_edit, name="coordinator_quiz"),
    path(
        "coordinator/activities/<int:pk>/quiz.json", coordinator.quiz_export, name="coordinator_quiz_export"
    ),
    path(
        "coordinator/activities/<int:pk>/quiz/import/",
        coordinator.quiz_import,
        name="coordinator_quiz_import",
    ),
]
