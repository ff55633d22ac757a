"""Provider reports for coordinators: per-activity results (page and CSV, split by credit type and
profession). The old ACCME PARS "board report" is retired: its addresses lead to the PARS learner
export (credits/views/moc.py)."""

import csv
import datetime
from collections.abc import Iterable, Iterator, Sequence

from django import forms
from django.contrib import messages
from django.db import models
from django.http import HttpResponseNotAllowed, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Profession
from accounts.permissions import AuthenticatedHttpRequest, coordinator_required

from .. import credit_lines, report_selectors, reports
from ..calendar_years import add_years
from ..charts import category_bar_chart
from ..csv_cells import csv_cell
from ..forms_transcript import RecordDateField
from ..models import CreditType, Evaluation, Provider
from ..provider_time import provider_zone
from ..statements import format_credits
from .access import coordinator_activity_or_404, coordinator_provider_or_404


class _Echo:
    """A file-like object whose write returns the line: csv.writer formats, the response streams it."""

    def write(self, value: str) -> str:
        return value


CHUNK_ROWS = 500  # rows per piece sent: a write per row would cost more than the row itself


def csv_stream(
    header: Sequence[object], rows: Iterable[Sequence[object]], *, defused: bool = False
) -> Iterator[str]:
    """The CSV text in pieces of CHUNK_ROWS rows: a BOM (so Excel reads UTF-8 names, accents and
    other scripts correctly), the header, then the rows, every cell defused against formulas
    (csv_cell) unless the rows come ``defused`` already (their text cells passed through csv_cell)."""
    writer = csv.writer(_Echo())
    piece = ["\ufeff" + writer.writerow([csv_cell(h) for h in header])]
    write = writer.writerow
    for row in rows:
        piece.append(write(row if defused else [csv_cell(v) for v in row]))
        if len(piece) >= CHUNK_ROWS:
            yield "".join(piece)
            piece = []
    if piece:
        yield "".join(piece)


def csv_response(
    filename: str, header: Sequence[object], rows: Iterable[Sequence[object]], *, defused: bool = False
) -> StreamingHttpResponse:
    """A CSV download streamed as it is written (nothing of the whole file is held in memory)."""
    response = StreamingHttpResponse(
        csv_stream(header, rows, defused=defused), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- One activity -----------------------------------------------------------------------------------


def _charts(report: reports.ActivityReport) -> dict[str, object]:
    likert_labels = [
        _("1 strongly disagree"),
        _("2 disagree"),
        _("3 neutral"),
        _("4 agree"),
        _("5 strongly agree"),
    ]
    likert = []
    for row in report.likert:
        item = Evaluation._meta.get_field(row["item"])
        if not isinstance(item, models.Field):
            raise TypeError(f"{row['item']} is not an evaluation question")
        question = str(item.verbose_name)
        likert.append(
            {
                **row,
                "question": question,
                "chart": category_bar_chart(
                    list(zip([str(n) for n in range(1, 6)], row["counts"], strict=True)),
                    title=_("Evaluation: “%(question)s” — answers from 1 (strongly disagree) to 5")
                    % {"question": question},
                    x_label=_("Answer (1 = strongly disagree, 5 = strongly agree)"),
                    y_label=_("Learners"),
                    chart_id=f"chart-{row['item']}",
                ),
                "cells": list(zip(likert_labels, row["counts"], row["percents"], strict=True)),
            }
        )
    return {
        "scores": category_bar_chart(
            report.score_bins,
            title=_("Post-test scores of all submitted attempts"),
            x_label=_("Score (%)"),
            y_label=_("Attempts"),
            chart_id="chart-scores",
        ),
        "months": category_bar_chart(
            [(month.strftime("%b %Y"), n) for month, n in report.claims_by_month],
            title=_("Credit claims per month"),
            x_label=_("Month (provider's time zone)"),
            y_label=_("Claims"),
            chart_id="chart-months",
        )
        if report.claims_by_month
        else None,
        "likert": likert,
    }


@coordinator_required
def activity_report(request: AuthenticatedHttpRequest, pk: int):
    """The activity's figures from its report snapshot (credits/report_selectors.py: built by a task,
    read here in one cache read, so the page costs the same at 100 claims or 10,000), and the
    learners' own words a page at a time. POST asks for a refresh of the figures now."""
    activity = coordinator_activity_or_404(request, pk)
    if request.method == "POST":
        before = report_selectors.report_snapshot(activity.pk)
        report_selectors.request_report_refresh(activity.pk)
        after = report_selectors.report_snapshot(activity.pk)
        if after is not None and (before is None or after.taken_at != before.taken_at):
            messages.success(request, _("Figures refreshed."))
        else:
            messages.info(request, _("The figures are being refreshed: reload this page in a few seconds."))
        return redirect("credits:activity_report", pk=activity.pk)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    snapshot = report_selectors.current_report(activity)
    if snapshot is None:  # the worker is building the first snapshot
        response = render(request, "credits/coordinator/report_pending.html", {"activity": activity})
        response["Refresh"] = "5"
        return response
    report = snapshot.report
    report.activity = activity  # the activity as it is now (its title, its provider)
    # The learners' own words come a page at a time (each list its own page number in the address).
    texts = {
        kind: report_selectors.evaluation_text_page(
            activity, snapshot, kind=kind, number=request.GET.get(f"{kind}_page")
        )
        for kind in report_selectors.TEXT_KINDS
    }
    return render(
        request,
        "credits/coordinator/report.html",
        {
            "activity": activity,
            "report": report,
            "snapshot": snapshot,
            "taken_at": timezone.localtime(snapshot.taken_at, provider_zone(activity.provider)),
            "max_age_seconds": int(report_selectors.REPORT_MAX_AGE.total_seconds()),
            "charts": _charts(report),
            "changes": texts["changes"],
            "comments": texts["comments"],
            "changes_query": _other_page(request, "changes_page"),
            "comments_query": _other_page(request, "comments_page"),
        },
    )


def _other_page(request, name: str) -> str:
    """The query string without ``name`` (a list's pager links keep the other list's page)."""
    query = request.GET.copy()
    query.pop(name, None)
    return query.urlencode()


# The CSV's further credit type columns (the main line is in "Credits" and "Credit type").
FURTHER_TYPE_COLUMNS = [code for code in credit_lines.TYPE_ORDER if code in credit_lines.KIND_CODES.values()]


def activity_csv_rows(activity) -> Iterator[list[object]]:
    """The activity CSV's rows from ``reports.activity_certificate_rows`` (plain tuples streamed from
    the database), each formatted as the file shows it. Only the cells that hold someone's text (name,
    degree, email, certificate number, activity title) go through csv_cell: the others are dates,
    numbers and our own labels, which never start like a formula."""
    credit_types = {str(code): str(label) for code, label in CreditType.choices}
    profession_labels = {str(code): str(label) for code, label in Profession.choices}
    professions: dict[tuple[str, str], str] = {}
    amounts_text: dict[object, str] = {}
    lines_of = credit_lines.certificate_lines
    further = FURTHER_TYPE_COLUMNS
    cell = csv_cell

    def credits_text(value) -> str:
        text = amounts_text.get(value)
        if text is None:
            text = amounts_text[value] = format_credits(value)
        return text

    for (
        name,
        degree,
        email,
        completed,
        credits,
        credit_type,
        attempt_number,
        score,
        number,
        revision,
        version_number,
        version_title,
        designated,
        other_credits,
    ) in reports.activity_certificate_rows(activity):
        profession = professions.get((credit_type, degree))
        if profession is None:
            code = reports.certificate_profession(credit_type=credit_type, degree=degree)
            profession = professions[(credit_type, degree)] = cell(profession_labels[code])
        if other_credits:
            amounts = {
                line.code: line.credits
                for line in lines_of(credit_type=credit_type, credits=credits, other_credits=other_credits)
                if not line.main
            }
            extra = [credits_text(amounts[code]) if code in amounts else "" for code in further]
        else:
            extra = [""] * len(further)
        yield [
            cell(name),
            cell(degree),
            cell(email),
            completed.isoformat(),
            credits_text(credits),
            cell(credit_types.get(credit_type, credit_type)),
            attempt_number,
            score,
            cell(number),
            revision,
            version_number,
            cell(version_title),
            credits_text(designated),
            profession,
            *extra,
        ]


@coordinator_required
def activity_report_csv(request: AuthenticatedHttpRequest, pk: int):
    """One row per credited certificate, with its current revision's figures (revoked ones are not credit)."""
    activity = coordinator_activity_or_404(request, pk)
    header = [
        _("Learner legal name"),
        _("Degree"),
        _("Email"),
        _("Completed on (%(zone)s)") % {"zone": activity.provider.time_zone},
        _("Credits"),
        _("Credit type"),
        _("Attempts used"),
        _("Score (%)"),
        _("Certificate number"),
        _("Revision"),
        # What the learner was shown (credits/versions.py): their version, its title and designation.
        _("Activity version"),
        _("Activity title"),
        _("Designated credits"),
        # Split by credit type (issue 13): the learner's profession and, one column per further type,
        # the amount the certificate lists (empty: not claimed). Fixed columns, so files import alike.
        _("Profession"),
        *[credit_lines.type_label(code) for code in FURTHER_TYPE_COLUMNS],
    ]
    rows = activity_csv_rows(activity)
    return csv_response(
        f"activity-report-{slugify(activity.title)[:50] or activity.pk}.csv", header, rows, defused=True
    )


# --- Date ranges (the PARS learner export, credits/views/moc.py) and the retired board report --------

# The longest range one report or export covers.
MAX_RANGE_YEARS = 2


class BoardRangeForm(forms.Form):
    """A date range for the PARS learner export and its batches (credits/views/moc.py)."""

    start = RecordDateField(label=gettext_lazy("From"), help_text=gettext_lazy("YYYY-MM-DD"))
    end = RecordDateField(label=gettext_lazy("To (inclusive)"), help_text=gettext_lazy("YYYY-MM-DD"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("start", "end"):
            self.fields[name].widget.input_type = "date"

    def clean(self):
        super().clean()
        data = self.cleaned_data
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The end of the range is before its start."))
            elif end > add_years(start, MAX_RANGE_YEARS):
                self.add_error(
                    "end",
                    _("A report covers at most %(years)d years: choose a shorter range.")
                    % {"years": MAX_RANGE_YEARS},
                )
        return data


def _range_form(request, provider: Provider) -> BoardRangeForm:
    if "start" in request.GET or "end" in request.GET:
        return BoardRangeForm(request.GET)
    # The first visit shows the last 30 days: providers report completions within 30 days.
    today = timezone.localtime(timezone.now(), provider_zone(provider)).date()
    return BoardRangeForm({"start": today - datetime.timedelta(days=30), "end": today})


@coordinator_required
def board_report(request: AuthenticatedHttpRequest, slug: str):
    """Retired (issue 13): the old "board report" was a CSV of our own columns that PARS would not
    take, with rows for non-physicians and for boards that are not PARS boards (ABFM, ABEM, NCCPA).
    Its address (page and CSV, kept for bookmarks) leads to the PARS learner export, which has
    physicians only and only the PARS boards each activity is registered with, in ACCME's Learner
    Template B; the date range carries over when it is given."""
    provider = coordinator_provider_or_404(request, slug)  # another provider's slug stays a 404, as before
    target = reverse("credits:pars_learners", args=[provider.slug])
    query = QueryDict(mutable=True)
    for name in ("start", "end"):
        if request.GET.get(name):
            query[name] = request.GET[name]
    return redirect(f"{target}?{query.urlencode()}" if query else target, permanent=True)


board_report_csv = board_report  # the old CSV address: the same page, never a file
