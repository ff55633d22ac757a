"""The host's download dashboard for one show: a server-drawn SVG chart, episodes and apps."""

from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from accounts.permissions import AuthenticatedHttpRequest, host_required, is_host_of

from ..charts import daily_bar_chart
from ..models import Show
from ..selectors import DASHBOARD_DAYS, parse_days, show_downloads


@require_safe
@host_required
def show_analytics(request: AuthenticatedHttpRequest, slug):
    show = get_object_or_404(Show, slug=slug)
    if not is_host_of(request.user, show):
        raise Http404  # other hosts do not learn that the show exists
    days = parse_days(request.GET.get("days"))
    data = show_downloads(show=show, days=days)
    period = {"first": date_format(data.first_day), "last": date_format(data.last_day)}
    chart = daily_bar_chart(
        data.per_day,
        title=_("Downloads per day, last %(days)s days") % {"days": days},
        description=_("%(total)s downloads counted from %(first)s to %(last)s.")
        % {"total": data.total, **period},
        x_label=_("Day"),
        y_label=_("Downloads"),
        value_label=_("%(count)s downloads"),
    )
    return render(
        request,
        "episodes/host/analytics.html",
        {
            "show": show,
            "data": data,
            "chart": chart,
            "periods": DASHBOARD_DAYS,
            "first_day": data.first_day,
            "last_day": data.last_day,
        },
    )
