"""CME activities learners can see: credit offered (types and amounts), expiry, provider, claim URL."""

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from ninja import Path, Query, Router

from credits.feed_credits import version_credit_offers
from credits.models import Activity

from .. import selectors
from ..errors import NotFound
from ..pagination import PageQuery, paginate
from ..schemas import ActivityOut, ActivityPage, ErrorOut
from .links import api_url, site

router = Router(tags=["activities"])


def activity_out(activity: Activity) -> dict:
    # What learners are offered is the published version's frozen content, never the working copy.
    content = activity.current_version.content if activity.current_version else {}
    today = timezone.localdate()
    return {
        "id": activity.pk,
        "title": content.get("title") or activity.title,
        "status": activity.status,
        "episode_id": activity.episode_id,
        "show": activity.episode.show.slug,
        "provider": {"slug": activity.provider.slug, "name": activity.provider.name},
        "credits": [
            {"type": o.type, "label": o.label, "amount": o.amount, "accreditor": o.accreditor}
            for o in version_credit_offers(content)
        ],
        "release_date": activity.release_date,
        "expiry_date": activity.expiry_date,
        "claimable": activity.status == Activity.Status.PUBLISHED
        and activity.is_released(today)
        and not activity.is_expired(today),
        "estimated_minutes": int(content.get("estimated_minutes") or activity.estimated_minutes),
        "target_audience": content.get("target_audience") or activity.target_audience,
        "objectives": list(content.get("objectives") or []),
        "claim_url": site(reverse("credits:claim", args=[activity.pk])),
        "episode_url": site(activity.episode.get_absolute_url()),
        "api_url": api_url("activity", activity.pk),
    }


@router.get(
    "", response={200: ActivityPage, 400: ErrorOut}, url_name="activities", summary="List CME activities"
)
def list_activities(
    request: HttpRequest,
    response: HttpResponse,
    params: PageQuery,
    claimable: bool = Query(False, description="Only activities a learner can claim today."),
):
    return paginate(
        request, response, selectors.public_activities(claimable_only=claimable), params, out=activity_out
    )


@router.get(
    "/{activity_id}",
    response={200: ActivityOut, 400: ErrorOut, 404: ErrorOut},
    url_name="activity",
    summary="One CME activity",
)
def get_activity(request: HttpRequest, activity_id: int = Path(..., ge=1)):
    activity = selectors.public_activity(pk=activity_id)
    if activity is None:
        raise NotFound(f"No activity with id {activity_id}.")
    return activity_out(activity)
