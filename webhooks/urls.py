"""webhooks' URLs (mounted by podcastcme/urls.py; each path carries its own prefix): a provider's
endpoints under /coordinator/, a show's under /host/ (both behind two-factor login). The same views
serve both; each pattern names its owner kind (views.OWNER_KINDS: where its pages are, its role)."""

from django.urls import path

from . import views

app_name = "webhooks"

urlpatterns = [
    pattern
    for kind in views.OWNER_KINDS.values()
    for pattern in (
        path(kind.pages, views.endpoints, {"kind": kind.name}, name=f"{kind.name}_endpoints"),
        path(kind.pages + "<int:pk>/", views.endpoint, {"kind": kind.name}, name=f"{kind.name}_endpoint"),
        path(  # the secret just made, shown once (GET; before the actions, which are POST only)
            kind.pages + "<int:pk>/secret/",
            views.endpoint_secret,
            {"kind": kind.name},
            name=f"{kind.name}_endpoint_secret",
        ),
        path(  # rotate, disable, enable (POST)
            kind.pages + "<int:pk>/<str:action>/",
            views.endpoint_action,
            {"kind": kind.name},
            name=f"{kind.name}_endpoint_action",
        ),
    )
]
