"""`manage.py import_feed`: move an existing podcast over from another host, with a progress bar."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from accounts.models import User
from episodes.importer import DEFAULT_TIMEOUT, FeedImportError, ImportProgress, import_feed

BAR_WIDTH = 30


def _size(count: int) -> str:
    if count < 1024 * 1024:
        return f"{count / 1024:.0f} KB"
    return f"{count / (1024 * 1024):.1f} MB"


class TextProgress(ImportProgress):
    """One text bar per episode on stderr: which episode, how much of its audio has arrived."""

    def __init__(self, stream):
        self.stream = stream
        self.prefix = ""
        self.last_drawn: tuple[int, int] | None = None
        self.width = 0  # of the line on screen, so a shorter one can blank its tail

    def _draw(self, line: str, *, final: bool = False) -> None:
        padding = " " * max(0, self.width - len(line))
        self.width = 0 if final else len(line)
        # style_func=str: progress is not an error, so not in the red Django gives stderr.
        self.stream.write("\r" + line + padding, style_func=str, ending="\n" if final else "")
        self.stream.flush()

    def episode_started(self, index: int, total: int, title: str) -> None:
        short = title if len(title) <= 40 else title[:39] + "…"
        self.prefix = f"[{index}/{total}] {short}"
        self.last_drawn = None

    def bytes_downloaded(self, done: int, total: int | None) -> None:
        if total:
            filled = min(BAR_WIDTH, BAR_WIDTH * done // total)
            percent = min(100, 100 * done // total)
            bar = "#" * filled + "." * (BAR_WIDTH - filled)
            line = f"{self.prefix} [{bar}] {percent:3d}% {_size(done)} / {_size(total)}"
            key = (percent, 0)
        else:  # no length announced: show the bytes only
            line = f"{self.prefix} {_size(done)}"
            key = (0, done // (1024 * 1024))
        if key != self.last_drawn:  # redraw only when something visible changed
            self.last_drawn = key
            self._draw(line)

    def episode_finished(self, outcome: str, detail: str = "") -> None:
        labels = {"imported": _("imported"), "skipped": _("skipped (already there)"), "failed": _("failed")}
        text = labels.get(outcome, outcome)
        if detail:
            text += f": {detail}"
        self._draw(f"{self.prefix} — {text}", final=True)


class Command(BaseCommand):
    help = (
        "Import an existing podcast from its RSS feed (URL or file): show, artwork and every audio "
        "episode with its guid. Safe to run again: episodes already imported are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="The feed's URL (http or https) or a local file.")
        parser.add_argument("--show", default="", help="Slug of the show to create or resume into.")
        parser.add_argument(
            "--owner-email", default="", help="The feed owner's email: needed when the feed is locked."
        )
        parser.add_argument("--host", default="", help="Email of the user who becomes the show's host.")
        parser.add_argument(
            "--timeout",
            type=float,
            default=DEFAULT_TIMEOUT,
            help="Seconds to wait for a server before giving up (default %(default)s).",
        )

    def handle(self, *args, source: str, show: str, owner_email: str, host: str, timeout: float, **options):
        if timeout <= 0:
            raise CommandError(_("--timeout must be a positive number of seconds."))
        host_user = None
        if host:
            host_user = User.objects.filter(email__iexact=host.strip()).first()
            if host_user is None:
                raise CommandError(_("No user with the email %(email)s.") % {"email": host})
        try:
            result = import_feed(
                source,
                show_slug=show,
                owner_email=owner_email,
                host=host_user,
                timeout=timeout,
                progress=TextProgress(self.stderr),
            )
        except FeedImportError as error:
            raise CommandError(str(error)) from None
        for warning in result.warnings:
            self.stderr.write(_("Warning: %(warning)s") % {"warning": warning}, style_func=self.style.WARNING)
        verb = _("Created") if result.created_show else _("Resumed into")
        self.stdout.write(f"{verb} “{result.show.title}” ({result.show.slug}).")
        self.stdout.write(_("What was imported, per field:"))
        for line in result.field_lines():
            self.stdout.write("  " + line)
        if result.redirect_steps:
            self.stdout.write(
                _("To move subscribers to %(url)s, redirect the old feed:") % {"url": result.show.feed_url}
            )
            for number, step in enumerate(result.redirect_steps, start=1):
                self.stdout.write(f"  {number}. {step}")
        if not result.ok:
            # A non-zero exit: scripts and operators see the import is incomplete and run it again.
            raise CommandError(result.summary())
        self.stdout.write(self.style.SUCCESS(result.summary()))
