"""gunicorn's settings, read from the folder it starts in (the repository root; or pass -c).

Access log on standard output with URL secrets redacted (personal-feed tokens, password-reset and
email-confirmation keys, certificate download tokens and verification codes: podcastcme/log_redaction.py),
in the request line, the path, the query and the Referer, and in gunicorn's own error messages.
Command-line options (--bind, --workers, --access-logfile, ...) still override these.
"""

import os
import sys

from gunicorn.glogging import Logger

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # podcastcme, however gunicorn is started

from podcastcme.log_redaction import redact  # noqa: E402

accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
# Combined log format plus the time taken; %(r)s, %(U)s, %(q)s and %(f)s are redacted below.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'


def _redacted(value):
    return redact(value) if isinstance(value, str) else value


class RedactingLogger(Logger):
    """gunicorn's logger with URL secrets redacted from every access-log atom and error message."""

    def atoms(self, resp, req, environ, request_time):
        return {
            key: _redacted(value) for key, value in super().atoms(resp, req, environ, request_time).items()
        }

    # "Error handling request /p/<token>/..." and the like.
    def critical(self, msg, *args, **kwargs):
        super().critical(_redacted(msg), *map(_redacted, args), **kwargs)

    def error(self, msg, *args, **kwargs):
        super().error(_redacted(msg), *map(_redacted, args), **kwargs)

    def warning(self, msg, *args, **kwargs):
        super().warning(_redacted(msg), *map(_redacted, args), **kwargs)

    def info(self, msg, *args, **kwargs):
        super().info(_redacted(msg), *map(_redacted, args), **kwargs)

    def debug(self, msg, *args, **kwargs):
        super().debug(_redacted(msg), *map(_redacted, args), **kwargs)

    def exception(self, msg, *args, **kwargs):
        super().exception(_redacted(msg), *map(_redacted, args), **kwargs)

    def log(self, lvl, msg, *args, **kwargs):
        super().log(lvl, _redacted(msg), *map(_redacted, args), **kwargs)


logger_class = RedactingLogger
