from django.urls import path

from . import views

app_name = "discussion"

urlpatterns = [
    path("shows/<slug:show_slug>/<slug:slug>/comments/", views.comment_create, name="comment_create"),
    path("comments/<int:pk>/helpful/", views.helpful, name="helpful"),
    # Host pages (MFA required under /host/ like every host page)
    path("host/shows/<slug:slug>/discussion/", views.host_discussion, name="host_discussion"),
    path(
        "host/shows/<slug:slug>/discussion/<int:pk>/hide/", views.host_comment_hide, name="host_comment_hide"
    ),
    path(
        "host/shows/<slug:slug>/discussion/<int:pk>/<str:action>/",
        views.host_comment_action,
        name="host_comment_action",
    ),
]
