"""Provider reports for coordinators: per-activity results and the ACCME PARS board report."""

import csv
import datetime
import io
from collections.abc import Iterable, Sequence

from django import forms
from django.db import models
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.permissions import AuthenticatedHttpRequest, coordinator_required

from .. import reports
from ..calendar_years import add_years
from ..charts import category_bar_chart
from ..csv_cells import csv_cell
from ..forms_transcript import RecordDateField
from ..models import Evaluation, Provider
from ..provider_time import provider_zone
from ..statements import format_credits
from .access import coordinator_activity_or_404


def _csv_response(filename: str, header: list[str], rows: Iterable[Sequence[object]]) -> HttpResponse:
    buffer = io.StringIO()
    buffer.write("\ufeff")  # so Excel reads the UTF-8 names (accents, other scripts) correctly
    writer = csv.writer(buffer)
    writer.writerow([csv_cell(h) for h in header])
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _provider(request, slug: str) -> Provider:
    return get_object_or_404(Provider, slug=slug, memberships__user=request.user)


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
    activity = coordinator_activity_or_404(request, pk)
    report = reports.activity_report(activity)
    return render(
        request,
        "credits/coordinator/report.html",
        {"activity": activity, "report": report, "charts": _charts(report)},
    )


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
    ]
    rows = (
        [
            certificate.learner_name,
            certificate.degree,
            certificate.claim.learner.email,
            certificate.completion_date.isoformat(),
            format_credits(certificate.credits),
            certificate.get_credit_type_display(),
            certificate.claim.attempt.number,
            certificate.claim.attempt.score,
            certificate.number,
            certificate.revision,
            certificate.version.number,
            certificate.version.title,
            format_credits(certificate.version.designated_credits),
        ]
        for certificate in reports.activity_certificates(activity)
    )
    return _csv_response(f"activity-report-{slugify(activity.title)[:50] or activity.pk}.csv", header, rows)


# --- The board report (ACCME PARS) -------------------------------------------------------------------


class BoardRangeForm(forms.Form):
    start = RecordDateField(label=gettext_lazy("From"), help_text=gettext_lazy("YYYY-MM-DD"))
    end = RecordDateField(label=gettext_lazy("To (inclusive)"), help_text=gettext_lazy("YYYY-MM-DD"))
    part = forms.ChoiceField(
        choices=[("complete", "complete"), ("incomplete", "incomplete")],
        required=False,
        error_messages={
            "invalid_choice": gettext_lazy("Unknown part of the report: ask for “complete” or “incomplete”.")
        },
    )

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
            elif end > add_years(start, reports.MAX_BOARD_RANGE_YEARS):
                self.add_error(
                    "end",
                    _("A board report covers at most %(years)d years: choose a shorter range.")
                    % {"years": reports.MAX_BOARD_RANGE_YEARS},
                )
        return data


def _range_form(request, provider: Provider) -> BoardRangeForm:
    if "start" in request.GET or "end" in request.GET:
        return BoardRangeForm(request.GET)
    # The first visit shows the last 30 days: providers report completions within 30 days.
    today = timezone.localtime(timezone.now(), provider_zone(provider)).date()
    return BoardRangeForm({"start": today - datetime.timedelta(days=30), "end": today})


def _bad_range(request, provider: Provider, form: BoardRangeForm) -> HttpResponse:
    return render(
        request,
        "credits/coordinator/board_report.html",
        {"provider": provider, "form": form, "report": None},
        status=400,
    )


@coordinator_required
def board_report(request: AuthenticatedHttpRequest, slug: str):
    provider = _provider(request, slug)
    form = _range_form(request, provider)
    if not form.is_valid():
        return _bad_range(request, provider, form)
    report = reports.board_report(
        provider=provider, start=form.cleaned_data["start"], end=form.cleaned_data["end"]
    )
    return render(
        request,
        "credits/coordinator/board_report.html",
        {"provider": provider, "form": form, "report": report},
    )


# The upload file's columns stay in English whatever the page language: boards read them.
BOARD_HEADER = [
    "Given name",
    "Family name",
    "Birth date (MM/DD)",
    "Board",
    "Board ID",
    "NPI",
    "Licence state",
    "Licence number",
    "Completion date (MM/DD/YYYY)",
    "Credit type",
    "Credits",
    "Activity title",
    "Activity format",
    "Activity start date",
    "Activity end date",
    "Activity designated credits",
    "Providership",
    "Commercial support",
]


def _board_row(record: reports.BoardRecord) -> list[object]:
    certificate = record.certificate
    activity = reports.version_pars_fields(certificate.version)
    return [
        record.given_name,
        record.family_name,
        record.birth,
        record.board,
        record.board_id,
        record.npi,
        record.licence_state,
        record.licence_number,
        record.completion_date.strftime("%m/%d/%Y"),
        certificate.get_credit_type_display(),
        format_credits(certificate.credits),
        certificate.activity_title,  # as printed on the learner's certificate
        activity["format"],
        activity["start"],
        activity["end"],
        activity["designated_credits"],
        activity["providership"],
        activity["commercial_support"],
    ]


@coordinator_required
def board_report_csv(request: AuthenticatedHttpRequest, slug: str):
    """The reportable records (upload file); ``part=incomplete`` lists the others with what is missing."""
    provider = _provider(request, slug)
    form = BoardRangeForm(request.GET)
    if not form.is_valid():
        return _bad_range(request, provider, form)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    report = reports.board_report(provider=provider, start=start, end=end)
    name = f"board-report-{provider.slug}-{start.isoformat()}-{end.isoformat()}"
    if form.cleaned_data["part"] == "incomplete":
        return _csv_response(
            f"{name}-incomplete.csv",
            [*BOARD_HEADER, "Missing"],
            ([*_board_row(r), "; ".join(r.missing)] for r in report.incomplete),
        )
    return _csv_response(f"{name}.csv", BOARD_HEADER, (_board_row(r) for r in report.records))
