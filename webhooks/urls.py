"""webhooks' URLs (mounted by podcastcme/urls.py; each path carries its own prefix): a provider's
endpoints under /coordinator/, a show's under /host/ (both behind two-factor login)."""

from django.urls import path

from . import views

app_name = "webhooks"

ACTIONS = "<str:action>/"  # rotate, disable, enable (POST)

urlpatterns = [
    path(
        "coordinator/providers/<slug:slug>/webhooks/",
        views.coordinator_endpoints,
        name="coordinator_endpoints",
    ),
    path(
        "coordinator/providers/<slug:slug>/webhooks/<int:pk>/",
        views.coordinator_endpoint,
        name="coordinator_endpoint",
    ),
    path(
        "coordinator/providers/<slug:slug>/webhooks/<int:pk>/" + ACTIONS,
        views.coordinator_endpoint_action,
        name="coordinator_endpoint_action",
    ),
    path("host/shows/<slug:slug>/webhooks/", views.host_endpoints, name="host_endpoints"),
    path("host/shows/<slug:slug>/webhooks/<int:pk>/", views.host_endpoint, name="host_endpoint"),
    path(
        "host/shows/<slug:slug>/webhooks/<int:pk>/" + ACTIONS,
        views.host_endpoint_action,
        name="host_endpoint_action",
    ),
]
