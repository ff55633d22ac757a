from django.urls import path

from . import views

app_name = "credits"

urlpatterns = [
    path("learning/", views.my_learning, name="my_learning"),
    path("coordinator/", views.coordinator_dashboard, name="coordinator_dashboard"),
]
