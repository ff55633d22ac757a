"""Public pages: home (shows), show, episode, topic and search."""

from django.shortcuts import render

from ..models import Show


def home(request):
    shows = Show.objects.order_by("title")
    return render(request, "episodes/home.html", {"shows": shows})


def show_detail(request, slug):
    raise NotImplementedError


def episode_detail(request, show_slug, slug):
    raise NotImplementedError


def topic_detail(request, slug):
    raise NotImplementedError


def search(request):
    raise NotImplementedError
