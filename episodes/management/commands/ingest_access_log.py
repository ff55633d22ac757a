"""Count downloads from nginx's JSON access log (docs/download-counting.md), once or --every N seconds."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from episodes.analytics.access_log import ingest


class Command(BaseCommand):
    help = (
        "Record the audio requests nginx answered itself (log_format podcastcme_json) with the same IAB "
        "rules as the app, reading each LOG's rotated copy (LOG.1) first, then LOG. Each line is "
        "recorded once, however often this runs: files are known by device, inode and first line."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "logs", nargs="+", metavar="LOG", help="e.g. /var/log/nginx/podcastcme.access.json"
        )
        parser.add_argument(
            "--every", type=float, default=0.0, metavar="SECONDS",
            help="keep running, reading new lines every SECONDS (a systemd service); default: once",
        )  # fmt: skip

    def handle(self, *args, logs: list[str], every: float, **options):
        if every < 0:
            raise CommandError("--every cannot be negative.")
        paths = [Path(log) for log in logs]
        for path in paths:
            if not path.parent.is_dir():
                raise CommandError(f"No such folder: {path.parent}")
        while True:
            result = ingest(paths)
            if result.lines or not every:
                self.stdout.write(
                    f"{result.lines} new log lines, {result.recorded} audio requests recorded, "
                    f"{result.counted} downloads counted."
                )
            if not every:
                return
            time.sleep(every)
