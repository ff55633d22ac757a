"""Template tags: the CME panel shown above an episode's player."""

from django import template

from ..selectors import activity_for_episode, learner_status
from ..statements import accreditation_statement, designation_statement_html, format_credits

register = template.Library()


@register.inclusion_tag("credits/_activity_panel.html", takes_context=True)
def activity_panel(context, episode):
    activity = activity_for_episode(episode)
    if activity is None:
        return {"activity": None}
    request = context.get("request")
    user = getattr(request, "user", None)
    status = learner_status(learner=user, activity=activity) if user is not None else None
    return {
        "activity": activity,
        "status": status,
        "user": user,
        "accreditation": accreditation_statement(activity),
        "designation": designation_statement_html(activity),
        "request": request,
    }


@register.filter
def credits(value) -> str:
    return format_credits(value)
