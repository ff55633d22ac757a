from django.urls import path

from . import views, views_deletion

app_name = "accounts"

urlpatterns = [
    path("", views.account_overview, name="overview"),
    path("profile/", views.profile_edit, name="profile"),
    path("delete/", views_deletion.delete_account, name="delete"),
]
