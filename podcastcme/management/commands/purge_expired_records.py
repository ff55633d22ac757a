"""Report (and with --execute, anonymise) the records of deleted accounts past the retention period.

Retention: completion records, claims, attempts, evaluations and certificates are kept, and
certificates stay verifiable, for ``PODCASTCME_RECORD_RETENTION_YEARS`` (6 by default) after the
learner's activity. The period is counted from the latest of the learner's attempts, evaluations and
claims and of the expiry of the activities they took part in, whichever is later.

By default the command only reports: each deleted account, how many records it has, and until when
they are kept. With ``--execute``, for each deleted account whose period is over, it:

* clears the legal name and degree left on the learner profile;
* replaces the learner's name on their certificates (and earlier revisions) with a placeholder, so
  the verification page no longer shows who it was;
* deletes the stored certificate PDFs (they print the name);
* writes an ``account.records_anonymised`` audit row.

It never deletes a row: attempts, evaluations, claims, completion records and certificates stay as
anonymous rows, so providers' reports (counts, pass rates, evaluation summaries) do not change.
Nothing is done to an account that was not deleted, nor inside the retention period, nor twice.
"""

from django.core.management.base import BaseCommand

from podcastcme.account_deletion import anonymise_expired_account, deleted_accounts


class Command(BaseCommand):
    help = (
        "Report records of deleted accounts past the retention period; with --execute, anonymise them "
        "(no row is ever deleted)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--execute", action="store_true", help="Anonymise the expired records (default: report only)."
        )

    def handle(self, *args, execute: bool = False, **options):
        accounts = deleted_accounts()
        expired = [a for a in accounts if a.expired]
        for account in accounts:
            if account.anonymised:
                state = "already anonymised"
            elif account.expired:
                state = "retention period over"
            else:
                state = f"kept until {account.keep_until:%Y-%m-%d}"
            self.stdout.write(
                f"account {account.user_id}: deleted {account.deleted_at:%Y-%m-%d}, "
                f"{account.records} record(s), {state}"
            )
        if not execute:
            self.stdout.write(
                f"{len(expired)} deleted account(s) past the retention period. "
                "Dry run: nothing changed (use --execute to anonymise them)."
            )
            return
        for account in expired:
            summary = anonymise_expired_account(user_id=account.user_id)
            self.stdout.write(
                f"account {account.user_id}: anonymised {summary['certificates']} certificate(s), "
                f"{summary['revisions']} revision(s), {summary['files']} file(s)"
            )
        self.stdout.write(self.style.SUCCESS(f"{len(expired)} deleted account(s) anonymised."))
