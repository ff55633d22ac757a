from django.urls import path

from . import views

app_name = "episodes"

urlpatterns = [
    path("", views.home, name="home"),
    path("host/", views.host_dashboard, name="host_dashboard"),
]
