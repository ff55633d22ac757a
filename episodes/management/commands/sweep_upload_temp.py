"""Delete the temporary upload files that killed or crashed workers left behind (run it from cron)."""

from django.core.management.base import BaseCommand, CommandError

from episodes.upload import UPLOAD_TEMP_PREFIX, stale_uploads, upload_temp_dir


class Command(BaseCommand):
    help = (
        f"Delete {UPLOAD_TEMP_PREFIX}* files in the upload folder (FILE_UPLOAD_TEMP_DIR, else the system's "
        "temporary folder) not written to for --older-than hours. A live upload writes every few "
        "seconds and a finished one is removed by its request: what stays belongs to a killed worker."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than", type=float, default=6.0, metavar="HOURS",
            help="only files unchanged for this many hours (default 6)",
        )  # fmt: skip
        parser.add_argument("--dry-run", action="store_true", help="list them, delete nothing")

    def handle(self, *args, older_than: float, dry_run: bool, **options):
        if older_than < 0:
            raise CommandError("--older-than cannot be negative.")
        deleted = freed = 0
        for path in stale_uploads(older_than):
            try:
                size = path.stat().st_size
                if not dry_run:
                    path.unlink()
            except FileNotFoundError:
                continue
            deleted, freed = deleted + 1, freed + size
            self.stdout.write(f"{'would delete' if dry_run else 'deleted'} {path} ({size} bytes)")
        verb = "would free" if dry_run else "freed"
        self.stdout.write(
            f"{deleted} stale upload file(s) in {upload_temp_dir()}, {verb} {freed} bytes "
            f"(unchanged for {older_than:g} hours or more)."
        )
