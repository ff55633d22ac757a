"""The audit actions of spaced follow-up: every action string followups writes, in one place."""

from audit.actions import AuditActions


class FollowUpAction(AuditActions):
    # A coordinator's plan (followups/services.py); data: the old and new settings and questions.
    PLAN_SAVED = "follow_up_plan.saved"
    QUESTION_ADDED = "follow_up_plan.question_added"
    QUESTION_REMOVED = "follow_up_plan.question_removed"
    # A learner's standing choice; data: opted_in, where ("claim", "my_learning", "email"), counts.
    CONSENT_CHANGED = "follow_up_consent.changed"
    # One row per follow-up: scheduled (per claim: data lists the intervals), sent, answered, cancelled,
    # rescheduled (a plan's interval changed before it was sent; data: the old and new day and date).
    SCHEDULED = "follow_up.scheduled"
    RESCHEDULED = "follow_up.rescheduled"
    SENT = "follow_up.sent"
    ANSWERED = "follow_up.answered"
    CANCELLED = "follow_up.cancelled"
