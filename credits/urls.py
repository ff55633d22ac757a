from django.urls import path, re_path

from .views import (
    audit,
    certificates,
    clinicians,
    coordinator,
    cpe,
    credit_types,
    disclosures,
    grants,
    learner,
    licences,
    moc,
    pars,
    reports,
    transcript,
)

app_name = "credits"

urlpatterns = [
    path("learning/", learner.my_learning, name="my_learning"),
    path("activities/<int:pk>/post-test/", learner.post_test, name="post_test"),
    path("attempts/<int:pk>/", learner.attempt_result, name="attempt"),
    path("activities/<int:pk>/evaluation/", learner.evaluation, name="evaluation"),
    # "claim" (activities/<int:pk>/claim/) is billing's view, added to this namespace in podcastcme/urls.py
    path("episodes/<int:pk>/progress/", learner.listening_progress, name="listening_progress"),
    path("coordinator/", coordinator.dashboard, name="coordinator_dashboard"),
    path(
        "coordinator/providers/<slug:slug>/activities/new/",
        coordinator.activity_create,
        name="coordinator_activity_create",
    ),
    path("coordinator/activities/<int:pk>/", coordinator.activity_manage, name="coordinator_activity"),
    path(
        "coordinator/activities/<int:pk>/edit/", coordinator.activity_edit, name="coordinator_activity_edit"
    ),
    # The lifecycle: publish (POST), withdraw (confirmation page, then POST with the reason)
    path(
        "coordinator/activities/<int:pk>/publish/",
        coordinator.activity_publish,
        name="coordinator_activity_publish",
    ),
    path(
        "coordinator/activities/<int:pk>/withdraw/",
        coordinator.activity_withdraw,
        name="coordinator_activity_withdraw",
    ),
    path(
        "coordinator/activities/<int:pk>/support/", coordinator.activity_support, name="coordinator_support"
    ),
    path(
        "coordinator/activities/<int:pk>/support/<int:support_pk>/remove/",
        coordinator.activity_support_remove,
        name="coordinator_support_remove",
    ),
    path(
        "coordinator/providers/<slug:slug>/settings/",
        coordinator.provider_settings,
        name="coordinator_provider_settings",
    ),
    # People in control of content and their disclosures (ACCME Standard 3), and the public form
    path("coordinator/activities/<int:pk>/people/", disclosures.activity_people, name="coordinator_people"),
    path(
        "coordinator/activities/<int:pk>/people/add/", disclosures.person_add, name="coordinator_person_add"
    ),
    path(
        "coordinator/activities/<int:pk>/people/<int:person_pk>/",
        disclosures.person_detail,
        name="coordinator_person",
    ),
    path(
        "coordinator/activities/<int:pk>/people/<int:person_pk>/request/",
        disclosures.person_request,
        name="coordinator_person_request",
    ),
    path(
        "coordinator/activities/<int:pk>/people/<int:person_pk>/requests/<int:request_pk>/revoke/",
        disclosures.request_revoke,
        name="coordinator_request_revoke",
    ),
    path(
        "coordinator/activities/<int:pk>/people/<int:person_pk>/remove/",
        disclosures.person_remove,
        name="coordinator_person_remove",
    ),
    path(
        "coordinator/activities/<int:pk>/people/<int:person_pk>/relationships/<int:relationship_pk>/",
        disclosures.relationship_decide,
        name="coordinator_relationship_decide",
    ),
    path("coordinator/activities/<int:pk>/speakers/", disclosures.speaker_settle, name="coordinator_speaker"),
    path("disclosure/<str:token>/", disclosures.disclosure_form, name="disclosure_form"),
    # Verified clinicians (credits/clinicians.py): the coordinator's pages and the public person page
    path(
        "coordinator/providers/<slug:slug>/clinicians/",
        clinicians.clinician_list,
        name="coordinator_clinicians",
    ),
    path(
        "coordinator/providers/<slug:slug>/clinicians/<int:person_pk>/verify/",
        clinicians.clinician_verify,
        name="coordinator_clinician_verify",
    ),
    path(
        "coordinator/providers/<slug:slug>/clinicians/verifications/<int:pk>/revoke/",
        clinicians.clinician_revoke,
        name="coordinator_clinician_revoke",
    ),
    path("people/<int:pk>/", clinicians.clinician_person, name="clinician_person"),
    path("coordinator/activities/<int:pk>/quiz/", coordinator.quiz_edit, name="coordinator_quiz"),
    path(
        "coordinator/activities/<int:pk>/quiz.json", coordinator.quiz_export, name="coordinator_quiz_export"
    ),
    path(
        "coordinator/activities/<int:pk>/quiz/import/",
        coordinator.quiz_import,
        name="coordinator_quiz_import",
    ),
    # Show grants: which providers a show's hosts allow (host side, then coordinator side)
    path("host/shows/<slug:slug>/providers/", grants.host_show_providers, name="host_show_providers"),
    path("host/shows/<slug:slug>/providers/invite/", grants.host_grant_invite, name="host_grant_invite"),
    *[
        path(
            f"host/shows/<slug:slug>/providers/<int:pk>/{action}/",
            grants.host_grant_action,
            {"action": action},
            name=f"host_grant_{action}",
        )
        for action in grants.ACTIONS
    ],
    path("coordinator/providers/<slug:slug>/shows/", grants.coordinator_shows, name="coordinator_shows"),
    path(
        "coordinator/providers/<slug:slug>/shows/request/",
        grants.coordinator_grant_request,
        name="coordinator_grant_request",
    ),
    *[
        path(
            f"coordinator/providers/<slug:slug>/shows/<int:pk>/{action}/",
            grants.coordinator_grant_action,
            {"action": action},
            name=f"coordinator_grant_{action}",
        )
        for action in grants.ACTIONS
    ],
    # Certificates: the learner's PDF, public verification, coordinator revocation and re-issue
    path("certificates/<int:pk>/pdf/", certificates.certificate_pdf, name="certificate_pdf"),
    path(
        "certificates/download/<str:token>/<str:filename>",
        certificates.certificate_download,
        name="certificate_download",
    ),
    path("certificates/<int:pk>/correction/", certificates.correction_request, name="certificate_correction"),
    path("verify/", certificates.verify_lookup, name="verify_lookup"),
    re_path(r"^verify/(?P<code>[-A-Za-z0-9]{1,64})\.json$", certificates.verify_json, name="verify_json"),
    path("verify/<str:code>/", certificates.verify_html, name="verify"),
    path("coordinator/certificates/", certificates.coordinator_certificates, name="coordinator_certificates"),
    path(
        "coordinator/certificates/<int:pk>/",
        certificates.coordinator_certificate,
        name="coordinator_certificate",
    ),
    path(
        "coordinator/certificates/<int:pk>/revoke/",
        certificates.coordinator_revoke,
        name="coordinator_revoke",
    ),
    path(
        "coordinator/certificates/<int:pk>/reissue/",
        certificates.coordinator_reissue,
        name="coordinator_reissue",
    ),
    path("coordinator/corrections/", certificates.coordinator_corrections, name="coordinator_corrections"),
    path(
        "coordinator/corrections/<int:pk>/",
        certificates.coordinator_correction_decide,
        name="coordinator_correction",
    ),
    # Transcript and self-reported credits
    path("learning/transcript/", transcript.transcript_page, name="transcript"),
    path("learning/transcript.csv", transcript.transcript_csv, name="transcript_csv"),
    path("learning/transcript.pdf", transcript.transcript_pdf, name="transcript_pdf"),
    path(
        "learning/transcript/pdf/<str:token>/", transcript.transcript_pdf_status, name="transcript_pdf_status"
    ),
    path(
        "learning/transcript/pdf/<str:token>/download",
        transcript.transcript_pdf_download,
        name="transcript_pdf_download",
    ),
    path("learning/external/new/", transcript.external_create, name="external_create"),
    path("learning/external/<int:pk>/edit/", transcript.external_edit, name="external_edit"),
    path("learning/external/<int:pk>/delete/", transcript.external_delete, name="external_delete"),
    path("learning/external/<int:pk>/file/", transcript.external_file, name="external_file"),
    # The learner's licences and certifications (the transcript by licence)
    path("learning/licences/", licences.licence_list, name="licences"),
    path("learning/licences/new/", licences.licence_create, name="licence_create"),
    path("learning/licences/<int:pk>/edit/", licences.licence_edit, name="licence_edit"),
    path("learning/licences/<int:pk>/delete/", licences.licence_delete, name="licence_delete"),
    # The read-only audit trail (per activity; per learner within one provider)
    path("coordinator/activities/<int:pk>/audit/", audit.activity_audit, name="coordinator_activity_audit"),
    path(
        "coordinator/providers/<slug:slug>/learners/<int:user_id>/audit/",
        audit.learner_audit,
        name="coordinator_learner_audit",
    ),
    # Provider reports
    path("coordinator/activities/<int:pk>/report/", reports.activity_report, name="activity_report"),
    path(
        "coordinator/activities/<int:pk>/report.csv", reports.activity_report_csv, name="activity_report_csv"
    ),
    # The retired board report (issue 13): both addresses answer 301 to the PARS learner export.
    path("coordinator/providers/<slug:slug>/board-report/", reports.board_report, name="board_report"),
    path(
        "coordinator/providers/<slug:slug>/board-report.csv",
        reports.board_report_csv,
        name="board_report_csv",
    ),
    # ACCME PARS activity reporting (credits/pars.py, docs/pars.md)
    path("coordinator/activities/<int:pk>/pars/", pars.pars_activity, name="coordinator_pars_activity"),
    path("coordinator/providers/<slug:slug>/pars/", pars.pars_activities, name="coordinator_pars_activities"),
    path(
        "coordinator/providers/<slug:slug>/pars/activities.txt",
        pars.pars_activities_txt,
        name="coordinator_pars_activities_txt",
    ),
    # MOC through PARS (credits/moc.py): registrations, and the learner export (Learner Template B)
    path("coordinator/activities/<int:pk>/moc/", moc.moc_registration, name="coordinator_moc"),
    # Credit for every profession (credits/credit_type_services.py, docs/credit-types.md)
    path(
        "coordinator/providers/<slug:slug>/accreditations/",
        credit_types.provider_accreditations,
        name="coordinator_accreditations",
    ),
    path(
        "coordinator/activities/<int:pk>/credit-types/",
        credit_types.activity_credit_types,
        name="coordinator_credit_types",
    ),
    path("coordinator/providers/<slug:slug>/pars-learners/", moc.pars_learners, name="pars_learners"),
    path(
        "coordinator/providers/<slug:slug>/pars-learners.txt",
        moc.pars_learners_txt,
        name="pars_learners_txt",
    ),
    path(
        "coordinator/providers/<slug:slug>/pars-learners/batches/",
        moc.pars_batch_create,
        name="pars_batch_create",
    ),
    path(
        "coordinator/providers/<slug:slug>/pars-learners/batches/<int:pk>.txt",
        moc.pars_batch_txt,
        name="pars_batch_txt",
    ),
    # ACPE credit to CPE Monitor and CE Broker rosters (credits/cpe_monitor.py, credits/cebroker.py)
    path("coordinator/providers/<slug:slug>/cpe-monitor/", cpe.cpe_monitor_page, name="cpe_monitor"),
    path(
        "coordinator/providers/<slug:slug>/cpe-monitor/batches/",
        cpe.cpe_monitor_batch_create,
        name="cpe_monitor_batch_create",
    ),
    path(
        "coordinator/providers/<slug:slug>/cpe-monitor/batches/<int:pk>.xml",
        cpe.cpe_monitor_batch_xml,
        name="cpe_monitor_batch_xml",
    ),
    path(
        "coordinator/providers/<slug:slug>/cpe-monitor/corrections/",
        cpe.cpe_monitor_corrections,
        name="cpe_monitor_corrections",
    ),
    path("coordinator/activities/<int:pk>/cebroker/", cpe.cebroker_page, name="cebroker"),
    path("coordinator/activities/<int:pk>/cebroker.xls", cpe.cebroker_roster, name="cebroker_roster"),
]
