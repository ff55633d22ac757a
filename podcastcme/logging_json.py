"""JSON logs for production (``LOG_FORMAT=json``): one JSON object per line, for journald or a log shipper.

Each line has ``time`` (UTC, ISO 8601 with milliseconds), ``level``, ``logger``, ``message``, ``pid``,
and, for a line written while a request is handled, ``request_id``, ``method`` and ``path``; Django's
request errors add ``status_code``; an exception adds ``exception`` (the traceback, one string).

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
        # default=str: an argument that JSON cannot hold (a Path, a Decimal) is written as text.
        return json.dumps(line, ensure_ascii=False, default=str)
