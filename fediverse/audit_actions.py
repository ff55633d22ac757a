"""The audit actions of federation: every action string this app writes."""

from audit.actions import AuditActions


class FediverseAction(AuditActions):
    FOLLOW_ACCEPTED = "fediverse.follow_accepted"
    FOLLOW_ENDED = "fediverse.follow_ended"
    DOMAIN_BLOCKED = "fediverse.domain_blocked"
    DOMAIN_UNBLOCKED = "fediverse.domain_unblocked"
    DELIVERY_GIVEN_UP = "fediverse.delivery_given_up"
