"""The CME activity a sign-up's ``next`` page leads to, for the sign-up email (accounts.email_destinations):
its post-test, evaluation or claim page, or its episode's page."""

from django.urls import Resolver404, resolve

from accounts.email_destinations import Destination

from .models import Activity

_ACTIVITY_PAGES = {"credits:post_test", "credits:evaluation", "credits:claim"}


def describe_signup_destination(path: str) -> Destination | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    activities = Activity.objects.filter(status=Activity.Status.PUBLISHED).select_related("provider")
    if match.view_name in _ACTIVITY_PAGES and "pk" in match.kwargs:
        activity = activities.filter(pk=match.kwargs["pk"]).first()
    elif match.view_name == "episodes:episode":
        activity = activities.filter(
            episode__show__slug=match.kwargs.get("show_slug"), episode__slug=match.kwargs.get("slug")
        ).first()
    else:
        return None
    if activity is None:
        return None
    return Destination(title=activity.title, provider=activity.provider.name)
