"""Pages for learners (My learning) and CME coordinators."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.models import profile_is_complete_for_credit
from accounts.permissions import coordinator_required

from .models import Provider


@login_required
def my_learning(request):
    profile = getattr(request.user, "profile", None)
    return render(
        request,
        "credits/my_learning.html",
        {"profile_complete": profile_is_complete_for_credit(profile)},
    )


@coordinator_required
def coordinator_dashboard(request):
    providers = Provider.objects.filter(memberships__user=request.user).order_by("name")
    return render(request, "credits/coordinator_dashboard.html", {"providers": providers})
