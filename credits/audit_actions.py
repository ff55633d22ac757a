"""The audit actions of CME credit: every action string this app writes, in one place."""

from audit.actions import AuditActions


class CreditAction(AuditActions):
    # Providers and coordinators change only in the Django admin (credits/providers.py); old and new values.
    PROVIDER_CREATED = "provider.created"
    PROVIDER_UPDATED = "provider.updated"
    COORDINATOR_ADDED = "provider.coordinator_added"
    COORDINATOR_REMOVED = "provider.coordinator_removed"
    # The accreditations a coordinator declares (credits/credit_type_services.py); data {"old", "new"}.
    PROVIDER_ACCREDITATIONS_CHANGED = "provider.accreditations_changed"
    ACTIVITY_CREATED = "activity.created"
    ACTIVITY_UPDATED = "activity.updated"
    ACTIVITY_PEOPLE_SET = "activity.people_set"
    # Disclosures (credits/disclosure_services.py, ACCME Standard 3): old and new values.
    KNOWN_PERSON_CREATED = "disclosure.person_created"
    KNOWN_PERSON_UPDATED = "disclosure.person_updated"
    DISCLOSURE_REQUESTED = "disclosure.requested"
    DISCLOSURE_REQUEST_REVOKED = "disclosure.request_revoked"
    DISCLOSURE_COLLECTED = "disclosure.collected"
    DISCLOSURE_ENTERED = "disclosure.entered"
    ACTIVITY_PERSON_ADDED = "activity.person_added"
    ACTIVITY_PERSON_REMOVED = "activity.person_removed"
    ACTIVITY_PERSON_EXCEPTION = "activity.person_exception"
    RELEVANCE_DECIDED = "disclosure.relevance_decided"
    SPEAKER_MATCHED = "activity.speaker_matched"
    # Verified clinicians (credits/clinicians.py): the evidence entered; the reason for revoking.
    CLINICIAN_VERIFIED = "clinician.verified"
    CLINICIAN_VERIFICATION_REVOKED = "clinician.verification_revoked"
    # Written only by migration 0011 (people and disclosures typed before collection existed).
    DISCLOSURES_CARRIED_OVER = "disclosure.carried_over"
    QUIZ_REPLACED = "quiz.replaced"
    # Lifecycle and versions (credits/versions.py); the data carries old and new values.
    ACTIVITY_PUBLISHED = "activity.published"
    ACTIVITY_WITHDRAWN = "activity.withdrawn"
    ACTIVITY_VERSION_CREATED = "activity.version_created"
    ACTIVITY_VERSION_REPLACED = "activity.version_replaced"
    # A host published a correction on the activity's episode (credits/correction_notices.py); data
    # {"episode", "coordinators" (how many were emailed), "correction"}.
    ACTIVITY_CORRECTION_NOTIFIED = "activity.correction_notified"
    # Commercial support rows (credits/commercial_support.py); data {"old", "new"}.
    COMMERCIAL_SUPPORT_ADDED = "activity.commercial_support_added"
    COMMERCIAL_SUPPORT_REMOVED = "activity.commercial_support_removed"
    # ACCME PARS reporting fields (credits/pars.py); data {"changed": {field: [old, new]}}.
    ACTIVITY_PARS_UPDATED = "activity.pars_updated"
    # Further credit types an activity offers (credits/credit_type_services.py); data {"old", "new"}.
    ACTIVITY_CREDIT_TYPES_CHANGED = "activity.credit_types_changed"
    # Written only by migration 0008 (activities live before versions existed got version 1).
    ACTIVITY_VERSION_CARRIED_OVER = "activity.version_carried_over"
    ATTEMPT_STARTED = "attempt.started"
    ATTEMPT_SUBMITTED = "attempt.submitted"
    EVALUATION_SUBMITTED = "evaluation.submitted"
    CLAIM_CREATED = "claim.created"
    # MOC through PARS (credits/moc.py): the boards an activity is registered with (old and new).
    MOC_REGISTRATION_CHANGED = "moc.registration_changed"
    # A learner batch recorded as sent to PARS; data {"start", "end", "adds", "deletes"} (certificate ids).
    PARS_LEARNER_BATCH_CREATED = "pars.learner_batch_created"
    # ACPE credit sent to CPE Monitor (credits/cpe_monitor.py): a batch file recorded as sent, data
    # {"adds": [certificate ids]}; corrections made by hand in CPE Monitor, data {"removed", "corrected"}.
    CPE_MONITOR_BATCH_CREATED = "cpe_monitor.batch_created"
    CPE_MONITOR_CORRECTIONS_RECORDED = "cpe_monitor.corrections_recorded"
    # CE Broker numbers (credits/cebroker.py): provider and course tracking numbers; data {"changed"}.
    CEBROKER_NUMBERS_CHANGED = "cebroker.numbers_changed"

    CERTIFICATE_ISSUED = "certificate.issued"
    CERTIFICATE_RENDERED = "certificate.rendered"
    CERTIFICATE_RENDER_FAILED = "certificate.render_failed"
    CERTIFICATE_RENDER_REPAIRED = "certificate.render_repaired"
    CERTIFICATE_RENDER_BROKEN = "certificate.render_broken"
    CERTIFICATE_REISSUED = "certificate.reissued"
    CERTIFICATE_REVOKED = "certificate.revoked"
    CERTIFICATE_CORRECTION_REQUESTED = "certificate.correction_requested"
    CERTIFICATE_CORRECTION_APPROVED = "certificate.correction_approved"
    CERTIFICATE_CORRECTION_REJECTED = "certificate.correction_rejected"

    EXTERNAL_CREDIT_CREATED = "external_credit.created"
    EXTERNAL_CREDIT_UPDATED = "external_credit.updated"
    EXTERNAL_CREDIT_DELETED = "external_credit.deleted"

    # Show grants (credits/grants.py): the side that acted is in the row's data.
    GRANT_INVITED = "grant.invited"
    GRANT_REQUESTED = "grant.requested"
    GRANT_ACCEPTED = "grant.accepted"
    GRANT_DECLINED = "grant.declined"
    GRANT_WITHDRAWN = "grant.withdrawn"
    GRANT_REVOKED = "grant.revoked"
    GRANT_RECORDED_ACTIVE = "grant.recorded_active"
    # Written only by migration 0005 (pairs that had activities before grants existed); declared so
    # this list names every action stored. The migration keeps its own literal, as migrations must.
    GRANT_CARRIED_OVER = "grant.carried_over"
