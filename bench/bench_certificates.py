"""Certificates: one render in a warm worker against WeasyPrint's defaults; serving an issued PDF
through the app against WhiteNoise serving the same bytes as a static file.

A fresh database is created (Django's test-database machinery), migrated, given one claim whose
certificate is issued through the services, and dropped at the end; media and static files live
in temporary folders. Both HTTP figures use Django's test client in this process, through the full
middleware stack, so they differ only in what answers: the permission-checked view or WhiteNoise.
"""

import statistics
import time

from django.test import Client, override_settings
from django.test.utils import setup_test_environment, teardown_test_environment

from bench import Row
from bench._claims_seed import make_activity
from bench._server import fresh_database
from podcastcme.settings import base as base_settings
from testkit.factories import make_learners, pass_and_evaluate

RENDERS = 30
WARMUP = 3
REQUESTS = 400
# Issue 14, item 10: a ratio to a floor measured in the same run, not an absolute time. The floor
# is WeasyPrint with its defaults (a new font configuration and the stylesheet parsed for each
# render); both sides render the same certificate's HTML, QR code included.
GOAL_RENDER_RATIO = 0.7
GOAL_SERVE_RATIO = 0.5  # the app must answer at least half as many requests/s as WhiteNoise


def _issued_certificate():
    """A learner who passed, evaluated and claimed: the certificate as the services issue it."""

    from accounts.models import LearnerProfile
    from credits import services
    from credits.certificates import certificate_issue_for_claim, certificate_render

    activity = make_activity()
    # A long title and a name with accents and an apostrophe: what a demanding certificate prints.
    services.activity_update(
        activity=activity,
        actor=None,
        data={"title": "Point-of-care ultrasound for the airway: marking the cricothyroid membrane"},
    )
    (learner,) = make_learners("bench-certificate", 1)
    LearnerProfile.objects.filter(user=learner).update(given_name="Zoë", family_name="Ñúñez-D'Arcy")
    pass_and_evaluate(learner, activity)
    claim = services.claim_credit(learner=learner, activity=activity, minutes=40, attested=True)
    certificate = certificate_issue_for_claim(claim_id=claim.pk)
    return certificate_render(certificate_id=certificate.pk), learner


def _median_ms_interleaved(first, second, runs: int) -> tuple[float, float]:
    """Median milliseconds of two functions run in alternation (first, second, second, first, ...).

    On a shared machine the load changes from second to second: timing all of one and then all
    of the other once gave ratios from 0.38 to 1.27 for the same code. In pairs, in alternating
    order, a slow moment hits both sides.
    """
    for _ in range(WARMUP):
        first()
        second()
    times: tuple[list[float], list[float]] = ([], [])
    for run in range(runs):
        order = ((0, first), (1, second)) if run % 2 == 0 else ((1, second), (0, first))
        for index, function in order:
            start = time.perf_counter()
            function()
            times[index].append((time.perf_counter() - start) * 1000)
    return statistics.median(times[0]), statistics.median(times[1])


def _requests_per_second(client: Client, url: str, expected: bytes) -> float:
    def fetch() -> bytes:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response.getvalue()  # the streamed bytes of a FileResponse, or the content

    assert fetch() == expected
    for _ in range(20):
        fetch()
    start = time.perf_counter()
    for _ in range(REQUESTS):
        fetch()
    return REQUESTS / (time.perf_counter() - start)


def run() -> list[Row]:
    from credits import certificates, pdf

    setup_test_environment()
    try:
        with fresh_database() as (_url, tmp):
            media, static = tmp / "media", tmp / "static"
            (static / "bench").mkdir(parents=True)
            with override_settings(
                MEDIA_ROOT=str(media),
                STATIC_ROOT=str(static),
                WHITENOISE_USE_FINDERS=False,
                WHITENOISE_AUTOREFRESH=False,
                PODCASTCME_X_ACCEL_REDIRECT_PREFIX="",
                # As in production (the test settings check every download against the database).
                PODCASTCME_DOWNLOAD_RECHECK_SECONDS=base_settings.PODCASTCME_DOWNLOAD_RECHECK_SECONDS,
            ):
                certificate, learner = _issued_certificate()
                url = certificates.verification_url(certificate)
                issued_on = certificates.issue_date(certificate)

                def warm() -> bytes:
                    return pdf.html_to_pdf(pdf.certificate_html(certificate, url, issued_on))

                def cold() -> bytes:
                    return pdf.html_to_pdf_cold(pdf.certificate_html(certificate, url, issued_on))

                cold_ms, warm_ms = _median_ms_interleaved(cold, warm, RENDERS)

                with certificate.pdf.open("rb") as handle:
                    data = handle.read()
                (static / "bench" / "certificate.pdf").write_bytes(data)
                # The learner's page check (login, ownership) answers with a signed link; the bytes
                # come from that link, answered before the session stack: that is what is timed.
                app = Client()
                app.force_login(learner)
                link = app.get(f"/certificates/{certificate.pk}/pdf/")["Location"]
                app_rps = _requests_per_second(Client(), link, data)
                static_rps = _requests_per_second(Client(), "/static/bench/certificate.pdf", data)
    finally:
        teardown_test_environment()
    return [
        Row(
            name="certificate render, warm worker vs bare WeasyPrint defaults (median of 30)",
            value=warm_ms,
            baseline=cold_ms,
            unit="ms",
            goal=f"ratio <= {GOAL_RENDER_RATIO}",
            ok=warm_ms <= GOAL_RENDER_RATIO * cold_ms,
        ),
        Row(
            name=f"issued certificate PDF (signed link) vs WhiteNoise, req/s ({len(data) // 1024} KiB)",
            value=app_rps,
            baseline=static_rps,
            unit="/s",
            goal=f"ratio >= {GOAL_SERVE_RATIO}",
            ok=app_rps / static_rps >= GOAL_SERVE_RATIO,
        ),
    ]
