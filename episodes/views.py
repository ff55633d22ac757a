"""Pages for listeners and hosts."""

from django.shortcuts import render

from accounts.permissions import host_required

from .models import Show


def home(request):
    shows = Show.objects.order_by("title")
    return render(request, "episodes/home.html", {"shows": shows})


@host_required
def host_dashboard(request):
    shows = Show.objects.filter(memberships__user=request.user).order_by("title")
    return render(request, "episodes/host_dashboard.html", {"shows": shows})
