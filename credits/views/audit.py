"""The read-only audit trail for coordinators: per activity, and per learner within one provider."""

from django.core.paginator import Page, Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from accounts.models import User
from accounts.permissions import AuthenticatedHttpRequest, coordinator_required
from audit.models import AuditEvent

from .. import audit_trail, selectors
from .access import coordinator_provider_or_404

PAGE_SIZE = 100


def _page(request, trail) -> tuple[Page, list[tuple[AuditEvent, list[audit_trail.TrailDetail]]]]:
    page = Paginator(trail, PAGE_SIZE).get_page(request.GET.get("page"))
    return page, [(event, audit_trail.event_details(event)) for event in page.object_list]


@coordinator_required
@require_GET
def activity_audit(request: AuthenticatedHttpRequest, pk: int):
    activity = selectors.coordinator_activity(user=request.user, pk=pk)
    if activity is None:  # another provider's activity does not exist for this coordinator
        raise Http404
    page, rows = _page(request, audit_trail.activity_trail(activity=activity))
    return render(
        request,
        "credits/coordinator/audit_trail.html",
        {"activity": activity, "page": page, "rows": rows, "subject": "activity"},
    )


@coordinator_required
@require_GET
def learner_audit(request: AuthenticatedHttpRequest, slug: str, user_id: int):
    provider = coordinator_provider_or_404(request, slug)
    # A learner who never took one of this provider's activities is not found here.
    if not audit_trail.learner_has_records(learner_id=user_id, provider=provider):
        raise Http404
    learner = get_object_or_404(User, pk=user_id)
    page, rows = _page(request, audit_trail.learner_trail(learner=learner, provider=provider))
    return render(
        request,
        "credits/coordinator/audit_trail.html",
        {"provider": provider, "learner": learner, "page": page, "rows": rows, "subject": "learner"},
    )
