"""The error discussion's services raise when an action is refused.

``message`` is for people (views show it), ``code`` names the rule (tests match it), ``status`` is
the HTTP answer a view gives (403 not allowed, 429 too many, 400 otherwise)."""


class DiscussionError(Exception):
    def __init__(self, message: str, code: str = "invalid", status: int = 400):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


class RateLimited(DiscussionError):
    """Too many comments from one author in a while: nothing was written."""

    def __init__(self, message: str):
        super().__init__(message, code="rate_limited", status=429)
