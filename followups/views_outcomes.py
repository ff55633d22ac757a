"""The outcomes report of an activity for its coordinators: the page (figures, SVG charts with their
tables) and the CSV. Same access rule as the activity's other reports: a coordinator of the
activity's provider (another provider's activity is a 404, a learner gets 403)."""

from django.shortcuts import render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.permissions import AuthenticatedHttpRequest, coordinator_required
from credits.charts import category_bar_chart
from credits.views.access import coordinator_activity_or_404
from credits.views.reports import csv_response

from .charts import horizontal_bar_chart, paired_percent_chart
from .outcomes import OutcomesReport
from .outcomes import outcomes_report as build_report
from .outcomes_csv import HEADER, outcomes_csv_rows


def _charts(report: OutcomesReport) -> dict[str, object]:
    charts: dict[str, object] = {}
    answered = report.answered_intervals
    if answered:
        charts["knowledge"] = paired_percent_chart(
            [
                (
                    _("Day %(days)d (n=%(n)d)") % {"days": row.days, "n": row.overall.learners},
                    row.overall.at_claim.percent,
                    row.overall.at_follow_up.percent,
                )
                for row in answered
            ],  # fmt: skip
            title=_("Correct answers at the claim and at each follow-up, same learners"),
            series=(_("At the claim"), _("At the follow-up")),
            x_label=_("Follow-up interval (learners who answered)"),
            chart_id="chart-knowledge",
        )
    if report.practice.answered:
        charts["practice"] = category_bar_chart(
            [(label, count) for _code, label, count, _pct, _i, _n in report.practice.changed_rows],
            title=_("Practice change reported at the follow-up"),
            x_label=_("Answer"),
            y_label=_("Learners"),
            chart_id="chart-practice",
        )
        # Horizontal: seven long barrier names side by side under columns overlapped.
        charts["barriers"] = horizontal_bar_chart(
            [(label, count) for _code, label, count, _pct in report.practice.barrier_rows],
            title=_("Barriers to change named by learners (number of learners)"),
            chart_id="chart-barriers",
        )
    return charts


@require_GET
@coordinator_required
def outcomes_report(request: AuthenticatedHttpRequest, pk: int):
    activity = coordinator_activity_or_404(request, pk)
    report = build_report(activity)
    return render(
        request,
        "followups/outcomes.html",
        {"activity": activity, "report": report, "charts": _charts(report)},
    )


@require_GET
@coordinator_required
def outcomes_csv(request: AuthenticatedHttpRequest, pk: int):
    activity = coordinator_activity_or_404(request, pk)
    report = build_report(activity)
    filename = f"outcomes-{activity.pk}-{slugify(activity.title)[:40] or 'activity'}.csv"
    return csv_response(filename, HEADER, outcomes_csv_rows(report), defused=True)
