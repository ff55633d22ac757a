"""gunicorn's settings, read from the folder it starts in (the repository root; or pass -c).

Access log on standard output with URL secrets redacted (personal-feed tokens, password-reset and
email-confirmation keys, certificate download tokens and verification codes: podcastcme/log_redaction.py),
in the request line, the path, the query and the Referer, and in gunicorn's own error messages.
Command-line options (--bind, --workers, --access-logfile, ...) still override these.

With ``LOG_FORMAT=json`` (as for the app: docs/deploy.md) gunicorn's own lines are JSON too, one
object per line (podcastcme.logging_json.gunicorn_logconfig): the error log on standard error, the
access log (one object per request, the app's ``request_id`` in it) on standard output or in the
file ``GUNICORN_ACCESS_LOG`` names (empty: no access log). ``--error-logfile`` is then not used:
the error log stays on standard error, for journald.
"""

import os
import sys

from gunicorn.glogging import Logger

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # podcastcme, however gunicorn is started

from podcastcme.log_redaction import redact  # noqa: E402
from podcastcme.logging_json import access_fields, gunicorn_logconfig  # noqa: E402

accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
JSON_LOGS = os.environ.get("LOG_FORMAT", "text") == "json"
if JSON_LOGS:
    logconfig_dict = gunicorn_logconfig(accesslog)
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

    def access(self, resp, req, environ, request_time):
        if not JSON_LOGS:
            return super().access(resp, req, environ, request_time)
        if not self.access_log.handlers:  # GUNICORN_ACCESS_LOG empty: no access log
            return None
        try:
            fields = access_fields(self.atoms(resp, req, environ, request_time))
            self.access_log.info(
                "%s %s %s", fields["method"], fields["path"], fields["status"], extra={"json_fields": fields}
            )
        except Exception:
            self.exception("could not write an access log line")
        return None

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
