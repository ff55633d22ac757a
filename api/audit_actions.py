"""The audit actions of the public API: every action string this app writes."""

from audit.actions import AuditActions


class ApiAction(AuditActions):
    TOKEN_CREATED = "api_token.created"
    TOKEN_REVOKED = "api_token.revoked"
