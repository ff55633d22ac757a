from django.urls import path  # noqa: F401  (routes are added by this issue's work)

app_name = "discussion"

urlpatterns: list = []
