"""The audit actions of accounts and learner profiles: every action string this app writes."""

from audit.actions import AuditActions


class AccountAction(AuditActions):
    ACCOUNT_MFA_RESET = "account.mfa_reset"
    PROFILE_CONSENT_GIVEN = "profile.consent_given"
    PROFILE_CONSENT_WITHDRAWN = "profile.consent_withdrawn"  # by the learner, or by deleting the account
