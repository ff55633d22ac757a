"""JSON logs for production (``LOG_FORMAT=json``): one JSON object per line, for journald or a log shipper.

Each line has ``time`` (UTC, ISO 8601 with milliseconds), ``level``, ``logger``, ``message``, ``pid``,
and, for a line written while a request is handled, ``request_id``, ``method`` and ``path``; Django's
request errors add ``status_code``; an exception adds ``exception`` (the traceback, one string).

gunicorn's own lines are JSON too (``gunicorn_logconfig``, used by gunicorn.conf.py when
``LOG_FORMAT=json``): its error log (start, workers booting and exiting, timeouts, "Error handling
request") with ``logger`` ``gunicorn.error`` on standard error, and its access log with ``logger``
``gunicorn.access`` on standard output, one object per request with ``remote_addr``, ``method``,
``path``, ``query``, ``protocol``, ``status``, ``bytes``, ``referer``, ``user_agent``,
``duration_ms`` and the app's ``request_id`` (the ``X-Request-ID`` it answered with).

Secrets never reach the line: the handler keeps the ``redact_secrets`` filter
(podcastcme/log_redaction.py), which rewrites the message and its arguments, and this formatter
redacts the path and the traceback too (a Resolver404 names the path it could not match).

The request id is nginx's ``$request_id`` when nginx sends it as ``X-Request-ID``
(deploy/nginx/), so an nginx access-log line and the app's lines of the same request share it; without
it (a direct request) the app makes one. The answer carries it back as ``X-Request-ID``.
"""

import contextvars
import datetime
import json
import logging
import os
import re
import uuid
from typing import Any

from .log_redaction import redact

# (request_id, method, path) of the request this thread (or task) is handling.
_request: contextvars.ContextVar[tuple[str, str, str] | None] = contextvars.ContextVar(
    "podcastcme_log_request", default=None
)
# What an incoming X-Request-ID may be (nginx's $request_id is 32 hex digits); anything else is replaced.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class RequestContextMiddleware:
    """Give each request an id (nginx's X-Request-ID, else a new one) that its log lines carry."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        # Also on the request: Django logs a 4xx/5xx answer after the middlewares have returned.
        request.request_id = request_id
        token = _request.set((request_id, request.method or "", redact(request.path)))
        try:
            response = self.get_response(request)
        finally:
            _request.reset(token)
        response["X-Request-ID"] = request_id
        return response


def current_request_id() -> str | None:
    context = _request.get()
    return context[0] if context else None


class JsonFormatter(logging.Formatter):
    """A log record as one line of JSON."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "pid": os.getpid(),
        }
        context = _request.get()
        if context is not None:
            line["request_id"], line["method"], line["path"] = context
        else:
            request = getattr(record, "request", None)  # django.request's records carry it
            path = getattr(request, "path", None)
            if isinstance(path, str):
                request_id = getattr(request, "request_id", None)
                if isinstance(request_id, str):
                    line["request_id"] = request_id
                line["method"], line["path"] = getattr(request, "method", "") or "", redact(path)
        status_code = getattr(record, "status_code", None)
        if isinstance(status_code, int):
            line["status_code"] = status_code
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            line["exception"] = redact(record.exc_text)
        if record.stack_info:
            line["stack"] = redact(self.formatStack(record.stack_info))
        fields = getattr(record, "json_fields", None)  # gunicorn's access lines (gunicorn_logconfig)
        if isinstance(fields, dict):
            line.update({key: value for key, value in fields.items() if key not in line})
        # default=str: an argument that JSON cannot hold (a Path, a Decimal) is written as text.
        return json.dumps(line, ensure_ascii=False, default=str)


def gunicorn_logconfig(access_log: str | None) -> dict[str, Any]:
    """gunicorn's ``logconfig_dict`` for JSON lines: its error log on standard error, its access log
    (one object per request, fields from ``access_fields``) on standard output, or appended to the
    file ``access_log`` names, or nowhere when it is empty. Neither propagates to the root logger
    (gunicorn's default root handler would print each line a second time, as text)."""
    handlers: dict[str, dict[str, Any]] = {
        "json_stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    }
    access_handlers: list[str] = []
    if access_log == "-":
        handlers["json_access"] = {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stdout",
        }
    elif access_log:
        # WatchedFileHandler: logrotate may move the file; the next line reopens it.
        handlers["json_access"] = {
            "class": "logging.handlers.WatchedFileHandler",
            "formatter": "json",
            "filename": access_log,
        }
    if "json_access" in handlers:
        access_handlers = ["json_access"]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "podcastcme.logging_json.JsonFormatter"}},
        "handlers": handlers,
        # No "level" for gunicorn.error: gunicorn's --log-level (set before this config) stays.
        "loggers": {
            "gunicorn.error": {"handlers": ["json_stderr"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": access_handlers, "propagate": False},
        },
        "root": {"level": "INFO", "handlers": ["json_stderr"]},
    }


def _number(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def access_fields(atoms: dict[str, Any]) -> dict[str, Any]:
    """One access-log object from gunicorn's (already redacted) atoms; "-" (absent) becomes null."""

    def text(key: str) -> str | None:
        value = atoms.get(key)
        return None if value in (None, "-") else str(value)

    return {
        "remote_addr": text("h"),
        "method": text("m"),
        "path": text("U"),
        "query": text("q") or None,
        "protocol": text("H"),
        "status": _number(atoms.get("s")),
        "bytes": _number(atoms.get("B")),
        "referer": text("f"),
        "user_agent": text("a"),
        "duration_ms": _number(atoms.get("M")),
        "request_id": text("{x-request-id}o"),
    }
