"""The error institutions' services raise when an action is refused.

``message`` is for people (views show it), ``code`` names the rule (tests and the single sign-on
views match it), ``status`` is the HTTP answer a view gives (403 not allowed, 409 conflict, 400
otherwise). It derives from credits.errors.ServiceError, so code that handles any refusal can catch
one class."""

from credits.errors import ServiceError


class InstitutionError(ServiceError):
    """Codes: ``no_seat`` (every seat is taken or no licence is current), ``already_member``,
    ``not_member``, ``removed`` (an admin removed the learner and has not invited them again),
    ``email_mismatch`` (an invitation for another address), ``email_unverified``,
    ``domain_not_eligible``, ``invitation_used``, ``invitation_expired``, ``invitation_revoked``,
    ``invitation_invalid``, ``invalid`` (bad input)."""

    def __init__(self, message: str, code: str = "invalid", status: int = 400):
        super().__init__(message, code)
        self.status = status
