"""Deleting an account reaches the issue-18 apps too: open follow-ups are cancelled and consent
withdrawn, institution seats are freed and admin rights removed, single sign-on links go; answers,
claims and the membership rows stay as records."""

from allauth.socialaccount.models import SocialAccount

from audit.models import AuditEvent
from credits import services as credit_services
from followups.models import FollowUp, FollowUpConsent, FollowUpStatus
from followups.services import consent_set, follow_ups_schedule_for_claim, plan_save
from institutions.audit_actions import InstitutionAction
from institutions.models import InstitutionAdmin, JoinedVia, Membership
from institutions.services import membership_join
from podcastcme.account_deletion import account_delete
from podcastcme.audit_actions import AccountDeletionAction
from testkit.institutions import give_seats, make_institution, make_institution_admin


def test_deletion_cancels_follow_ups_frees_seats_and_unlinks_sso(learner, provider, activity, evaluated):
    plan_save(
        activity=activity,
        actor=None,
        enabled=True,
        intervals_days=[7, 30],
        practice_change_days=60,
        reused_question_ids=list(activity.questions.values_list("pk", flat=True)),
    )
    consent_set(learner=learner, opted_in=True, where="my_learning")
    claim = credit_services.claim_credit(learner=learner, activity=activity, minutes=30, attested=True)
    follow_ups_schedule_for_claim(claim)
    assert FollowUp.objects.filter(learner=learner, status=FollowUpStatus.SCHEDULED).count() >= 2

    institution = make_institution(provider=provider)
    give_seats(institution, 3)
    membership_join(institution=institution, user=learner, via=JoinedVia.DOMAIN)
    make_institution_admin(institution, learner)
    SocialAccount.objects.create(user=learner, provider="inst-test", uid="abc")

    account_delete(user=learner)

    assert not FollowUp.objects.filter(learner=learner, status__in=["scheduled", "sent"]).exists()
    assert FollowUp.objects.filter(learner=learner, status=FollowUpStatus.CANCELLED).count() >= 2
    assert FollowUpConsent.objects.get(learner=learner).opted_in is False
    membership = Membership.objects.get(user=learner)  # kept as history, ended
    assert membership.ended_at is not None
    assert not InstitutionAdmin.objects.filter(user=learner).exists()
    assert not SocialAccount.objects.filter(user=learner).exists()
    event = AuditEvent.objects.get(action=AccountDeletionAction.ACCOUNT_DELETED, object_id=str(learner.pk))
    assert event.data["follow_ups_cancelled"] >= 2
    assert event.data["memberships_ended"] == 1 and event.data["admin_rights_removed"] == 1
    assert (
        AuditEvent.objects.filter(
            action=InstitutionAction.MEMBERSHIP_ENDED, data__reason="account_deleted"
        ).count()
        == 1
    )


def test_deletion_without_follow_ups_or_institutions_changes_nothing_there(learner):
    account_delete(user=learner)
    event = AuditEvent.objects.get(action=AccountDeletionAction.ACCOUNT_DELETED, object_id=str(learner.pk))
    assert event.data["follow_ups_cancelled"] == 0
    assert event.data["memberships_ended"] == 0 and event.data["admin_rights_removed"] == 0
    assert not FollowUpConsent.objects.filter(learner=learner).exists()
