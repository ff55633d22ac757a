"""Find certificates whose PDF is missing, broken (empty or unreadable) or failed; with --execute, re-render.

By default the command only reports (like purge_expired_records): one line per certificate with
its number, provider, what is wrong and the last error. With ``--execute`` it re-renders each one
here and now (no task worker needed), writing a ``certificate.render_repaired`` audit row before
each render and the usual ``certificate.rendered`` row after it; the learner gets the ready email.

* missing: no PDF and no failed try (the task never ran: no worker, or it was lost);
* broken: the stored file is gone, empty (a full disk) or does not start like a PDF;
* failed: renders failed (retries may still be scheduled, or have stopped after the last one).

Revoked certificates, and PDFs removed on purpose (anonymised records), are left alone. The exit
status is 1 when a re-render failed again, so cron or a supervisor notices.

It also lists claims that have no certificate at all (claimed before certificates existed): every
total, transcript and report counts certificates (``selectors.credited_certificates``), so such a
claim's credit counts nowhere until ``--execute`` issues its certificate (frozen fields, completion
date the day of the claim in the provider's time zone) and renders it.
"""

from django.core.management.base import BaseCommand, CommandError

from credits.certificates import (
    certificate_issue_for_claim,
    certificate_render,
    certificate_render_problem,
    certificate_rerender,
)
from credits.models import Certificate, CreditClaim


class Command(BaseCommand):
    help = "Report certificates whose PDF is missing, broken or failed; with --execute, re-render them."

    def add_arguments(self, parser):
        parser.add_argument(
            "--execute", action="store_true", help="Re-render them now (default: report only)."
        )

    def handle(self, *args, execute: bool = False, **options):
        uncertified = self._uncertified_claims(execute)
        found = []
        queryset = (
            Certificate.objects.exclude(status=Certificate.Status.REVOKED)
            .select_related("claim__activity__provider")
            .order_by("pk")
        )
        for certificate in queryset.iterator(chunk_size=500):
            problem = certificate_render_problem(certificate)
            if problem is not None:
                found.append((certificate, problem))
                error = f" ({certificate.render_error})" if certificate.render_error else ""
                self.stdout.write(
                    f"{certificate.number} [{certificate.provider_name}]: {problem}, "
                    f"failed tries: {certificate.render_attempts}{error}"
                )
        if not found:
            if not uncertified:
                self.stdout.write(self.style.SUCCESS("Nothing to repair: every certificate has a sound PDF."))
            return
        if not execute:
            self.stdout.write(
                f"{len(found)} certificate(s) to repair. Dry run: nothing changed "
                "(use --execute to re-render them)."
            )
            return
        failed = 0
        for certificate, problem in found:
            try:
                certificate_rerender(certificate_id=certificate.pk, reason=problem)
            except Exception as exc:  # the row records the error; carry on with the others
                failed += 1
                self.stderr.write(f"{certificate.number}: could not be rendered: {type(exc).__name__}: {exc}")
            else:
                self.stdout.write(f"{certificate.number}: re-rendered")
        summary = f"{len(found) - failed} re-rendered, {failed} failed again."
        if failed:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))

    def _uncertified_claims(self, execute: bool) -> int:
        """Claims without a certificate: listed; with --execute, issued and rendered. Returns how many."""
        claims = list(
            CreditClaim.objects.filter(certificate__isnull=True)
            .select_related("activity__provider")
            .order_by("pk")
        )
        for claim in claims:
            self.stdout.write(
                f"claim {claim.pk} [{claim.activity.provider.name}]: no certificate, so its credit "
                "counts in no total, transcript or report"
            )
        if not claims:
            return 0
        if not execute:
            self.stdout.write(
                f"{len(claims)} claim(s) without a certificate. Dry run: nothing changed "
                "(use --execute to issue them)."
            )
            return len(claims)
        for claim in claims:
            certificate = certificate_issue_for_claim(claim_id=claim.pk)
            try:
                certificate_render(certificate_id=certificate.pk)
            except Exception as exc:  # issued: the credit counts; the render is retried like any other
                self.stderr.write(f"{certificate.number}: issued, PDF not rendered yet: {type(exc).__name__}")
            self.stdout.write(f"claim {claim.pk}: certificate {certificate.number} issued")
        self.stdout.write(f"{len(claims)} certificate(s) issued for claims that had none.")
        return len(claims)
