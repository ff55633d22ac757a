"""The API's refusals: each carries an HTTP status, a stable code and a message for the developer."""


class ApiError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code


class Unauthenticated(ApiError):
    """No usable token: missing, malformed, unknown, revoked or expired (401)."""

    status = 401
    code = "unauthenticated"


class ScopeRefused(ApiError):
    status = 403
    code = "insufficient_scope"


class NotFound(ApiError):
    status = 404
    code = "not_found"


class TokenError(Exception):
    """A token page's refusal (api/tokens.py), with a message for the owner."""
