"""The error followups' services raise when an action is refused (a ServiceError: message and code)."""

from credits.errors import ServiceError


class FollowUpError(ServiceError):
    """A follow-up action that cannot be done; ``status`` is the HTTP answer a view gives."""

    def __init__(self, message: str, code: str = "invalid", status: int = 400):
        super().__init__(message, code)
        self.status = status
