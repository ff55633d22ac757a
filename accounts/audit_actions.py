"""The audit actions of accounts and learner profiles: every action string this app writes."""

from audit.actions import AuditActions


class AccountAction(AuditActions):
    ACCOUNT_MFA_RESET = "account.mfa_reset"
    ACCOUNT_PASSWORD_SET_BY_ADMIN = "account.password_set_by_admin"  # the admin's "change password" form
    # A login by an emailed code proved an address the account had never proven: the password chosen
    # at sign-up, by whoever typed the address, is forgotten (accounts/signals.py).
    ACCOUNT_UNPROVEN_PASSWORD_FORGOTTEN = "account.unproven_password_forgotten"
    PROFILE_CONSENT_GIVEN = "profile.consent_given"
    # The learner attests that their international degree is a primary medical degree equivalent
    # to an MD or DO (physician credit); cleared when the degree changes to one that needs none.
    PROFILE_DEGREE_EQUIVALENCE_ATTESTED = "profile.degree_equivalence_attested"
    PROFILE_DEGREE_EQUIVALENCE_CLEARED = "profile.degree_equivalence_cleared"
    PROFILE_CONSENT_WITHDRAWN = "profile.consent_withdrawn"  # by the learner, or by deleting the account
    # What certificates print changed (legal name, degree): old and new values of the changed fields.
    PROFILE_CERTIFICATE_FIELDS_CHANGED = "profile.certificate_fields_changed"
    # The learner's own licence records (planning data for the transcript by licence).
    LICENCE_CREATED = "licence.created"
    LICENCE_UPDATED = "licence.updated"
    LICENCE_DELETED = "licence.deleted"
