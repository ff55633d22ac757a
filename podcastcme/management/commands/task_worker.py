"""The background task worker: django-tasks-db's worker, kept alive across database restarts.

django-tasks-db's own ``db_worker`` re-raises any database error that is not "database is locked",
so a PostgreSQL restart (or a failover, or a network blip) ends it with a traceback and exit
status 1, and nothing runs until someone starts it again. This command runs the same worker in
batch rounds (every due task, then a pause) and, when the database is unavailable, closes its
connections and tries again with growing pauses (1 s doubling to 30 s), logging each outage once
and when it ends. ``--max-outage SECONDS`` makes it give up with exit status 1 after that long
instead, for a supervisor to restart it. Every ``--sweep-interval`` seconds it also enqueues the
certificate renders that are due (never ran, or waiting for a retry: credits.certificates), the
webhook attempts due (webhooks) and sends the follow-ups due (a few batches per sweep: followups).

Run it under a supervisor with Restart=always (docs/worker.md has the systemd unit).
"""

import logging
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import InterfaceError, OperationalError, connections
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from credits.certificates import certificate_renders_retry_due
from followups.scheduler import follow_ups_send_due
from webhooks.tasks import deliveries_send_due

logger = logging.getLogger("podcastcme.worker")
DATABASE_DOWN = (OperationalError, InterfaceError)
MAX_PAUSE_SECONDS = 30.0
FOLLOW_UP_BATCHES_PER_SWEEP = 5


class _QuietBatchRounds(logging.Filter):
    """Each batch round logs a start and an "exiting gracefully": noise once a second; drop both."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(("Starting worker", "No more tasks to run"))


def _close_connections() -> None:
    for connection in connections.all(initialized_only=True):
        try:
            connection.close()
        except Exception:  # a connection to a server that went away may fail to close: drop it anyway
            connection.connection = None


class Command(BaseCommand):
    help = "Run the background task worker; it survives database restarts and sweeps due certificate renders."

    def add_arguments(self, parser):
        parser.add_argument("--queue-name", default="default", help="Queues to process, comma-separated.")
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Seconds between checks of an empty queue (default 1).",
        )
        parser.add_argument(
            "--sweep-interval",
            type=float,
            default=60.0,
            help="Seconds between sweeps for due certificate renders (default 60).",
        )
        parser.add_argument(
            "--max-outage",
            type=float,
            default=0.0,
            help="Exit (status 1) once the database has been unavailable this long; 0: never (default).",
        )
        parser.add_argument("--worker-id", default=None, help="Unique id of this worker (default: random).")

    def handle(
        self, *args, queue_name: str, interval: float, sweep_interval: float, max_outage: float, **options
    ):
        logging.getLogger("django_tasks_db").addFilter(_QuietBatchRounds())
        worker = Worker(
            queue_names=queue_name.split(","),
            interval=interval,
            batch=True,  # one round: every due task, then back here (to sweep, and to survive outages)
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=options["worker_id"] or get_random_string(32),
            excluded_queue_names=[],
        )
        worker.configure_signals()  # SIGTERM: finish the current task, then exit 0
        logger.info("task worker %s started (queues: %s)", worker.worker_id, queue_name)
        outage_since: float | None = None
        pause = 1.0
        next_sweep = 0.0
        while worker.running:
            try:
                if outage_since is not None:
                    connections["default"].ensure_connection()  # raises while it is still down
                    logger.warning("database available again after %.0f s", time.monotonic() - outage_since)
                    outage_since, pause = None, 1.0
                if time.monotonic() >= next_sweep:
                    swept = certificate_renders_retry_due()
                    if swept:
                        logger.info("enqueued %d due certificate render(s)", swept)
                    swept = deliveries_send_due()  # webhook attempts due (a lost task, a retry)
                    if swept:
                        logger.info("enqueued %d due webhook attempt(s)", swept)
                    # Follow-ups due (issue 18): a few batches per sweep, so tasks queued meanwhile
                    # still run; the rest go out at the next sweep.
                    follow_ups = follow_ups_send_due(max_batches=FOLLOW_UP_BATCHES_PER_SWEEP)
                    if follow_ups["sent"] or follow_ups["expired"]:
                        logger.info("follow-ups: %(sent)d sent, %(expired)d expired", follow_ups)
                    next_sweep = time.monotonic() + sweep_interval
                worker.run()
            except DATABASE_DOWN as error:
                now = time.monotonic()
                if outage_since is None:
                    outage_since = now
                    logger.error("database unavailable, the worker waits for it: %s", str(error).strip())
                if max_outage and now - outage_since >= max_outage:
                    raise CommandError(
                        f"database unavailable for {now - outage_since:.0f} s (--max-outage): exiting"
                    ) from error
                _close_connections()
                time.sleep(pause)
                pause = min(pause * 2, MAX_PAUSE_SECONDS)
                continue
            if worker.running:
                time.sleep(interval)
        logger.info("task worker %s stopped", worker.worker_id)
