"""Host pages: shows and episodes a host manages (never only the admin)."""

from django.shortcuts import render

from accounts.permissions import host_required

from ..models import Show


@host_required
def dashboard(request):
    shows = Show.objects.filter(memberships__user=request.user).order_by("title")
    return render(request, "episodes/host_dashboard.html", {"shows": shows})


def show_create(request):
    raise NotImplementedError


def show_manage(request, slug):
    raise NotImplementedError


def show_edit(request, slug):
    raise NotImplementedError


def episode_upload(request, slug):
    raise NotImplementedError


def episode_edit(request, slug, pk):
    raise NotImplementedError
