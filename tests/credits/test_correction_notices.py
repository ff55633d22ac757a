"""A correction on a CME activity's episode tells the provider's coordinators (issue 17 item 3):
``podcastcme.corrections.publish_correction`` runs discussion's correction, then credits' notice."""

import pytest
from django.db import transaction
from django.urls import reverse

from accounts.models import OutgoingEmail
from audit.models import AuditEvent
from credits.audit_actions import CreditAction
from credits.models import ProviderCoordinator
from discussion.corrections import CorrectionError
from discussion.models import Correction
from podcastcme.corrections import publish_correction
from testkit import factories

FIX = "The dose of rocuronium is 1.2 mg/kg for rapid sequence induction, not 0.6 mg/kg."


@pytest.fixture
def second_coordinator(provider, make_user):
    user = make_user("second-coordinator@example.org")
    ProviderCoordinator.objects.create(provider=provider, user=user)
    return user


@pytest.fixture
def former_coordinator(provider, make_user):
    user = make_user("former-coordinator@example.org")
    ProviderCoordinator.objects.create(provider=provider, user=user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    return user


def _notices():
    return AuditEvent.objects.filter(action=CreditAction.ACTIVITY_CORRECTION_NOTIFIED)


@pytest.mark.django_db
def test_each_coordinator_is_emailed_once_after_the_commit_and_the_notice_is_recorded(
    host, activity, coordinator, second_coordinator, former_coordinator, mailoutbox,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        correction, notified = publish_correction(episode=activity.episode, text=FIX, by=host)
        assert mailoutbox == []  # nothing before the commit

    assert callbacks and notified == 2
    assert sorted(message.to[0] for message in mailoutbox) == [coordinator.email, second_coordinator.email]
    assert all(len(message.to) == 1 for message in mailoutbox)  # one message per coordinator
    message = mailoutbox[0]
    assert activity.title in message.subject and "correction" in message.subject
    assert FIX in message.body
    assert activity.episode.get_absolute_url() in message.body
    assert reverse("credits:coordinator_activity", args=[activity.pk]) in message.body
    event = _notices().get()
    assert event.object_type == "credits.activity" and event.object_id == str(activity.pk)
    assert event.data == {"episode": activity.episode_id, "coordinators": 2, "correction": FIX}
    assert correction.text == FIX


@pytest.mark.django_db
def test_a_non_cme_episode_emails_no_one(
    host, show, coordinator, mailoutbox, django_capture_on_commit_callbacks
):
    plain = factories.make_episode(show, slug="not-an-activity")
    with django_capture_on_commit_callbacks(execute=True):
        correction, notified = publish_correction(episode=plain, text=FIX, by=host)
    assert notified == 0 and correction.pk
    assert mailoutbox == [] and not OutgoingEmail.objects.exists()
    assert not _notices().exists()


@pytest.mark.django_db
def test_a_rolled_back_correction_emails_no_one(
    host, activity, coordinator, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            publish_correction(episode=activity.episode, text=FIX, by=host)
            raise RuntimeError("the caller's transaction fails after the correction")
    assert mailoutbox == [] and not OutgoingEmail.objects.exists()
    assert not Correction.objects.exists() and not _notices().exists()


@pytest.mark.django_db
def test_a_refused_correction_emails_no_one(
    learner, activity, coordinator, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(CorrectionError):
        publish_correction(episode=activity.episode, text=FIX, by=learner)
    assert mailoutbox == [] and not Correction.objects.exists() and not _notices().exists()


@pytest.mark.django_db
def test_the_host_page_says_the_coordinators_were_emailed(
    host_client, activity, coordinator, mailoutbox, django_capture_on_commit_callbacks
):
    episode = activity.episode
    url = reverse("discussion_correction_new", args=[episode.show.slug, episode.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = host_client.post(url, {"text": FIX, "confirm": "on"}, follow=True)
    assert "The CME activity&#x27;s coordinators were emailed" in response.content.decode()
    assert [message.to for message in mailoutbox] == [[coordinator.email]]
