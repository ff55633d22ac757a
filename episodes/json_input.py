"""Parsing JSON that people send (chapters files, quiz imports, player reports): bounded and refusable.

``json.loads`` recurses once per level of nesting, so ``[[[[…`` a hundred thousand deep raises
``RecursionError`` (a 500, and a stack the attacker chooses). The depth is measured first with a
flat scan, so the parser never sees a document deeper than ``max_depth``. Strings with a NUL
character or a lone surrogate (``"\\u0000"``, ``"\\ud800"``) are refused too: PostgreSQL rejects
NUL in text and no database driver can encode a lone surrogate, so either would fail on save.
Every caller turns :class:`UntrustedJSONError` into its own clear message.
"""

import json
import re

MAX_DEPTH = 32

_BRACKET_OR_QUOTE = re.compile(r'[\[\]{}"]')
# The rest of a string after its opening quote (escapes included), anchored: each string is read once.
_STRING_REST = re.compile(r'[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")


class UntrustedJSONError(ValueError):
    """Not acceptable JSON; ``reason`` is "invalid", "too_deep" or "bad_characters"."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


def nesting_depth(text: str, limit: int) -> int:
    """How deeply arrays and objects nest in ``text`` (stops counting once past ``limit``)."""
    depth = deepest = position = 0
    while (match := _BRACKET_OR_QUOTE.search(text, position)) is not None:
        token, position = match.group(), match.end()
        if token == '"':  # brackets inside a string are text, not nesting
            rest = _STRING_REST.match(text, position)
            if rest is None:
                break  # an unterminated string: the parser will say so
            position = rest.end()
        elif token in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        else:
            depth -= 1
    return deepest


def _has_bad_characters(value) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _BAD_CHARS.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def loads(data: str | bytes, *, max_depth: int = MAX_DEPTH):
    """``json.loads`` for untrusted input; raises :class:`UntrustedJSONError` (a ``ValueError``)."""
    if isinstance(data, bytes | bytearray):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise UntrustedJSONError(f"not UTF-8 text ({error.reason})", "invalid") from None
    if nesting_depth(data, max_depth) > max_depth:
        raise UntrustedJSONError(f"nested more than {max_depth} levels deep", "too_deep")
    try:
        value = json.loads(data)
    except RecursionError:  # cannot happen after the depth scan; kept so no path can give a 500
        raise UntrustedJSONError(f"nested more than {max_depth} levels deep", "too_deep") from None
    except ValueError as error:
        raise UntrustedJSONError(str(error), "invalid") from None
    if _has_bad_characters(value):
        raise UntrustedJSONError("a text contains a NUL character or an invalid \\u escape", "bad_characters")
    return value
