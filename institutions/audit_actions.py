"""The audit actions of institutional access: every action string this app writes, in one place."""

from audit.actions import AuditActions


class InstitutionAction(AuditActions):
    INSTITUTION_CREATED = "institution.created"
    INSTITUTION_CHANGED = "institution.changed"
    INSTITUTION_ADMIN_ADDED = "institution.admin_added"
    INSTITUTION_ADMIN_REMOVED = "institution.admin_removed"
    # Single sign-on (institutions/sso.py): the IdP set, replaced or switched off.
    SSO_CONFIGURED = "institution.sso_configured"
    SSO_REMOVED = "institution.sso_removed"

    MEMBERSHIP_JOINED = "membership.joined"
    MEMBERSHIP_ENDED = "membership.ended"
    MEMBERSHIP_CONSENT_CHANGED = "membership.consent_changed"
    # An admin invited a removed member again: the bar on rejoining by domain or SSO is lifted.
    MEMBERSHIP_READMITTED = "membership.readmitted"

    LICENCE_GRANTED = "seat_licence.granted"
    LICENCE_BOUGHT = "seat_licence.bought"
    LICENCE_ENDED = "seat_licence.ended"

    INVITATION_SENT = "invitation.sent"
    INVITATION_ACCEPTED = "invitation.accepted"
    INVITATION_REVOKED = "invitation.revoked"
