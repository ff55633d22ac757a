"""The audit actions the top level writes (account deletion spans every app): every string, in one place."""

from audit.actions import AuditActions


class AccountDeletionAction(AuditActions):
    # Also read back: the retention clock of a deleted account starts at its account.deleted row,
    # and account.records_anonymised marks the accounts already anonymised.
    ACCOUNT_DELETED = "account.deleted"
    ACCOUNT_RECORDS_ANONYMISED = "account.records_anonymised"
