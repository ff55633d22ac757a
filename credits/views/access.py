"""What every coordinator view checks first: the activity is the coordinator's provider's, and its
show still grants that provider (credits/grants.py)."""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render

from .. import grants, selectors
from ..models import Activity, Provider


def coordinator_provider_or_404(request, slug: str) -> Provider:
    """The provider, if the request's user coordinates it; another provider's pages do not exist
    for them (404, not 403: its existence is not told)."""
    return get_object_or_404(Provider, slug=slug, memberships__user=request.user)


def coordinator_activity_or_404(request, pk: int) -> Activity:
    """The activity, if the request's coordinator is one of its provider's; another provider's
    activity does not exist for them (404, not 403: its existence is not told)."""
    activity = selectors.coordinator_activity(user=request.user, pk=pk)
    if activity is None:
        raise Http404
    return activity


def locked_response(request, activity: Activity) -> HttpResponse | None:
    """The 403 page for a change to an activity whose show no longer grants its provider; None when
    the change is allowed."""
    if grants.activity_is_changeable(activity):
        return None
    return render(
        request,
        "credits/grants/activity_locked.html",
        {"activity": activity, "message": grants.activity_lock_message(activity)},
        status=403,
    )
