"""The errors credits' services raise when an action is refused, and the base billing's share.

Every refusal carries a ``message`` for people and a ``code`` naming the rule (views show the
message, tests match the code). ``ServiceError`` is the one base: ``billing.services.BillingError``
derives from it too (billing is above credits, so it may import this module), so code that handles
any refusal, a claim's or a payment's, can catch one class.
"""


class ServiceError(Exception):
    """An action that cannot be done; ``message`` says why, for people; ``code`` names the rule."""

    def __init__(self, message: str, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.code = code


class CreditError(ServiceError):
    """A learner or coordinator action on activities, attempts, claims or certificates that cannot be done."""


class GrantError(ServiceError):
    """A grant action that cannot be done; ``status`` is the HTTP answer."""

    def __init__(self, message: str, code: str = "invalid", status: int = 400):
        super().__init__(message, code)
        self.status = status


class ExternalCreditError(ServiceError):
    """A self-reported credit (or its file) that cannot be stored."""
