"""Secrets that travel in URLs, kept out of logs: access logs (gunicorn, nginx) and Django's own.

Some URLs are credentials: a personal feed's token (anyone holding it downloads as that learner),
a password-reset key, an email-confirmation key, a signed certificate download link, a certificate's
verification code. Logs are read by more people, kept longer and copied further than the database,
so every log line that may carry a URL goes through ``redact``. The same shapes are rewritten by the
nginx ``map`` in docs/deploy-nginx.md; tests/core/test_log_redaction.py checks both.
"""

import logging
import re

REDACTED = "[redacted]"
# A path separator as it appears in a raw path, or percent-encoded in a query (?next=%2Fp%2F...).
_SEP = r"(?:/|%2[Ff])"
_SEGMENT = r"[^/?#&\s\"%]+(?:%(?!2[Ff])[^/?#&\s\"%]*)*"  # one path segment, stopping at an encoded "/"

# Each pattern keeps group 1 (what leads to the secret) and replaces the secret segment.
SECRET_URL_PATTERNS = [
    # Personal feeds and their audio: /p/<token>/<show>/feed.xml, /p/<token>/audio/...
    re.compile(rf"({_SEP}p{_SEP}){_SEGMENT}"),
    # allauth: /accounts/password/reset/key/<uidb36>-<key>/ (not .../key/done/)
    re.compile(rf"({_SEP}accounts{_SEP}password{_SEP}reset{_SEP}key{_SEP})(?!done(?:{_SEP}|$)){_SEGMENT}"),
    # Email confirmation: /accounts/confirm-email/<key>/
    re.compile(rf"({_SEP}accounts{_SEP}confirm-email{_SEP}){_SEGMENT}"),
    # Signed certificate downloads: /certificates/download/<token>/<filename>
    re.compile(rf"({_SEP}certificates{_SEP}download{_SEP}){_SEGMENT}"),
    # Certificate verification: /verify/<code>/ and /verify/<code>.json (the lookup form is /verify/)
    re.compile(rf"({_SEP}verify{_SEP})[^/?#&\s\"%.]+"),
    # Query parameters that carry a secret (the verification lookup form sends ?code=).
    re.compile(r"([?&](?:token|key|code|signature|secret|password)=)[^&#\s\"]*", re.IGNORECASE),
]


def redact(text: str) -> str:
    """``text`` (a path, a request line, a Referer, a log message) with URL secrets replaced."""
    if not text:
        return text
    for pattern in SECRET_URL_PATTERNS:
        text = pattern.sub(rf"\g<1>{REDACTED}", text)
    return text


def _redact_value(value):
    return redact(value) if isinstance(value, str) else value


class RedactSecretsFilter(logging.Filter):
    """A logging filter for handlers: Django logs "Not Found: /p/<token>/..." for a revoked feed."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, dict):
            record.args = {key: _redact_value(value) for key, value in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_redact_value(value) for value in record.args)
        return True
