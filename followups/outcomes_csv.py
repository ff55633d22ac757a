"""The outcomes report as CSV rows (one table, a "Section" column naming each part), every cell
defused against formulas (credits/csv_cells.py): learners' own words (other barriers) and the
coordinator's question texts are text anyone could have typed."""

from collections.abc import Iterator

from django.utils.translation import gettext as _

from credits.csv_cells import csv_cell

from .outcomes import OutcomesReport

HEADER = [
    "Section",
    "Interval (days)",
    "Item",
    "Learners (n)",
    "Paired answers (n)",
    "Correct at claim (%)",
    "Correct at follow-up (%)",
    "Change (points)",
    "Count",
    "Percent",
]


def _n(value: float | None) -> float | str:
    return "" if value is None else value


def outcomes_csv_rows(report: OutcomesReport) -> Iterator[list[object]]:
    """The rows (header excluded). Text cells go through csv_cell (a question's or a learner's words
    could start like a formula); numbers are written as numbers (a fall of -12.5 points stays a number)."""

    def row(*cells: object) -> list[object]:
        padded = list(cells) + [""] * (len(HEADER) - len(cells))
        return [c if isinstance(c, int | float) else csv_cell(c) for c in padded]

    for interval in report.intervals:
        p = interval.overall
        yield row(
            _("Knowledge, overall (paired)"),
            interval.days,
            _("All repeated post-test questions"),
            p.learners,
            p.at_claim.n,
            _n(p.at_claim.percent),
            _n(p.at_follow_up.percent),
            _n(p.change),
        )
    for question in report.questions:
        paired = question.question.baseline_question_id is not None
        for days, p in question.by_interval.items():
            yield row(
                _("Knowledge, per question (paired)") if paired else _("Knowledge, new question"),
                days,
                question.question.text,
                p.learners,
                p.at_claim.n,
                _n(p.at_claim.percent),
                _n(p.at_follow_up.percent if paired else p.follow_up_all.percent),
                _n(p.change),
            )
        if paired:
            yield row(
                _("Knowledge at claim, all claims (context)"),
                0,
                question.question.text,
                question.all_claims.n,
                "",
                _n(question.all_claims.percent),
            )
    for interval in report.intervals:
        for label, count in (
            (_("Sent"), interval.sent),
            (_("Answered"), interval.answered),
            (_("Expired unanswered"), interval.expired),
            (_("Open (sent, not yet answered)"), interval.open),
            (_("Scheduled"), interval.scheduled),
            (_("Cancelled"), interval.cancelled),
        ):
            yield row(_("Response, knowledge follow-up"), interval.days, label, "", "", "", "", "", count)
        rate = _("Response rate (answered of answered + expired)")
        yield row(
            _("Response, knowledge follow-up"),
            interval.days,
            rate,
            "",
            "",
            "",
            "",
            "",
            "",
            _n(interval.response_rate),
        )
    practice = report.practice
    if practice.rates is not None:
        rates = practice.rates
        for label, count in (
            (_("Sent"), rates.sent),
            (_("Answered"), rates.answered),
            (_("Expired unanswered"), rates.expired),
        ):
            yield row(
                _("Response, practice-change follow-up"),
                ",".join(map(str, practice.days)),
                label,
                "",
                "",
                "",
                "",
                "",
                count,
            )
    yield row(_("Practice change"), "", _("Claims counted"), "", "", "", "", "", practice.claims)
    yield row(
        _("Practice change"), "", _("Intended to change (evaluation)"), "", "", "", "", "", practice.intended
    )
    for _code, label, count, pct, _intended, _not in practice.changed_rows:
        yield row(
            _("Practice change reported"),
            ",".join(map(str, practice.days)),
            label,
            practice.answered,
            "",
            "",
            "",
            "",
            count,
            _n(pct),
        )
    for _code, label, count, pct in practice.barrier_rows:
        yield row(_("Barrier"), "", label, practice.answered, "", "", "", "", count, _n(pct))
    for text in practice.barrier_other:
        yield row(_("Barrier, in the learner's words"), "", text)
