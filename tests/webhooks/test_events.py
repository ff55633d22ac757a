"""Events become deliveries: a claim and its certificate reach the provider's endpoints (not another
provider's), a revocation too, and an episode that becomes public (at once, or at its scheduled time)
reaches its show's endpoints once."""

import time
from contextlib import nullcontext
from datetime import timedelta

import pytest
from django.utils import timezone

from credits.certificates import certificate_revoke, verification_url
from credits.models import Certificate
from episodes import services as episode_services
from testkit import factories
from testkit.tasks import worker_not_running
from webhooks import episode_events, services
from webhooks.models import (
    CERTIFICATE_ISSUED,
    CERTIFICATE_REVOKED,
    CLAIM_CREATED,
    EPISODE_PUBLISHED,
    WebhookDelivery,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider_receiver(receivers, provider, coordinator):
    receiver = receivers([200])
    services.endpoint_create(
        owner=provider,
        actor=coordinator,
        url=receiver.url(),
        events=[CLAIM_CREATED, CERTIFICATE_ISSUED, CERTIFICATE_REVOKED],
    )
    return receiver


@pytest.fixture
def other_provider_receiver(receivers):
    other = factories.make_provider(name="Other Society", slug="other")
    receiver = receivers([200])
    services.endpoint_create(
        owner=other,
        actor=factories.make_coordinator(other, email="other@example.org"),
        url=receiver.url(),
        events=[CLAIM_CREATED, CERTIFICATE_ISSUED, CERTIFICATE_REVOKED],
    )
    return receiver


def test_a_claim_sends_claim_created_and_certificate_issued_to_its_provider_only(
    learner,
    activity,
    evaluated,
    provider_receiver,
    other_provider_receiver,
    django_capture_on_commit_callbacks,
):
    learner.profile.given_name, learner.profile.family_name = "Ada", "Learner"
    learner.profile.save()
    certificate = factories.claim_and_issue(learner, activity, django_capture_on_commit_callbacks)

    payloads = {payload["type"]: payload for payload in provider_receiver.payloads()}
    assert sorted(payloads) == [CERTIFICATE_ISSUED, CLAIM_CREATED]
    assert other_provider_receiver.requests == []
    claim = payloads[CLAIM_CREATED]["data"]
    assert claim["claim"]["id"] == certificate.claim_id
    assert claim["claim"]["credits"] == "0.50"  # 30 minutes claimed
    assert claim["claim"]["credit_type"] == certificate.credit_type
    assert claim["claim"]["claimed_at"]
    assert claim["activity"] == {"id": activity.pk, "title": activity.title}
    assert claim["learner"] == {"id": learner.pk, "email": learner.email, "name": "Ada Learner"}
    issued = payloads[CERTIFICATE_ISSUED]["data"]["certificate"]
    assert issued["number"] == certificate.number
    assert issued["verification_url"] == verification_url(certificate)
    assert issued["revoked_reason"] == ""
    assert WebhookDelivery.objects.filter(status=WebhookDelivery.Status.DELIVERED).count() == 2


def test_revoking_sends_certificate_revoked_with_the_reason(
    learner, activity, evaluated, coordinator, provider_receiver, django_capture_on_commit_callbacks
):
    certificate = factories.claim_and_issue(learner, activity, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        certificate_revoke(certificate=certificate, actor=coordinator, reason="Attendance not verified")

    revoked = [p for p in provider_receiver.payloads() if p["type"] == CERTIFICATE_REVOKED]
    assert len(revoked) == 1
    data = revoked[0]["data"]["certificate"]
    assert data["status"] == Certificate.Status.REVOKED
    assert data["revoked_reason"] == "Attendance not verified"
    assert data["revoked_at"]


def test_an_event_told_twice_is_delivered_once(
    learner, activity, evaluated, provider_receiver, django_capture_on_commit_callbacks
):
    certificate = factories.claim_and_issue(learner, activity, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.on_credit_event(CLAIM_CREATED, certificate.claim_id)
    assert [p["type"] for p in provider_receiver.payloads()].count(CLAIM_CREATED) == 1


def test_an_endpoint_not_subscribed_to_an_event_or_disabled_gets_nothing(
    receivers, learner, activity, evaluated, provider, coordinator, django_capture_on_commit_callbacks
):
    only_revoked = receivers([200])
    services.endpoint_create(
        owner=provider, actor=coordinator, url=only_revoked.url(), events=[CERTIFICATE_REVOKED]
    )
    disabled = receivers([200])
    endpoint = services.endpoint_create(
        owner=provider, actor=coordinator, url=disabled.url(), events=[CLAIM_CREATED]
    )
    services.endpoint_disable(endpoint=endpoint, actor=coordinator)
    factories.claim_and_issue(learner, activity, django_capture_on_commit_callbacks)
    assert only_revoked.requests == [] and disabled.requests == []


# --- Episodes ---------------------------------------------------------------------------------------


@pytest.fixture
def show_receiver(receivers, show, host):
    receiver = receivers([200])
    services.endpoint_create(owner=show, actor=host, url=receiver.url(), events=[EPISODE_PUBLISHED])
    return receiver


@pytest.fixture
def draft(show):
    return factories.make_episode(show, slug="new-one", title="New one", status="draft", publish_at=None)


def test_publishing_an_episode_sends_episode_published_once(
    show, host, draft, show_receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        episode_services.episode_publish(episode=draft, actor=host)
    with django_capture_on_commit_callbacks(execute=True):  # an edit of a public episode: no event
        episode_services.episode_update(episode=draft, actor=host, data={"notes": "Edited."})

    [payload] = show_receiver.payloads()
    assert payload["type"] == EPISODE_PUBLISHED
    draft.refresh_from_db()
    data = payload["data"]
    assert data["show"] == {"slug": show.slug, "title": show.title}
    assert data["episode"]["id"] == draft.pk
    assert data["episode"]["title"] == "New one"
    assert data["episode"]["url"] == "http://testserver" + draft.get_absolute_url()
    assert data["episode"]["audio_url"] == draft.audio_url
    assert data["episode"]["published_at"]


def test_a_scheduled_episode_is_sent_when_its_time_comes_once(
    show, host, draft, show_receiver, django_capture_on_commit_callbacks
):
    at = timezone.now() + timedelta(seconds=1)
    with worker_not_running() as queued, django_capture_on_commit_callbacks(execute=True):
        episode_services.episode_publish(episode=draft, actor=host, at=at)
    assert show_receiver.requests == []  # not public yet
    [due] = [result for result in queued if result.task.name.endswith("episode_published_due")]
    assert due.task.run_after == at + timedelta(seconds=1)  # the worker runs it at the publish time

    time.sleep(max(0.0, (at - timezone.now()).total_seconds()) + 0.05)
    with django_capture_on_commit_callbacks(execute=True):
        assert episode_events.episode_published_due.call(*due.args) is True
    with django_capture_on_commit_callbacks(execute=True):
        episode_events.episode_published_due.call(*due.args)  # run twice (a retried task): one event
    assert [p["type"] for p in show_receiver.payloads()] == [EPISODE_PUBLISHED]


def test_a_rescheduled_or_unpublished_episode_is_not_sent_at_its_old_time(
    show, host, draft, show_receiver, django_capture_on_commit_callbacks
):
    at = timezone.now() - timedelta(seconds=1)  # the old time has passed when the task runs
    episode_services.episode_publish(episode=draft, actor=host, at=timezone.now() + timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert episode_events.episode_published_due.call(draft.pk, at.isoformat()) is False
    assert show_receiver.requests == []


def test_no_task_is_queued_for_a_scheduled_episode_of_a_show_without_endpoints(
    show, host, draft, django_capture_on_commit_callbacks
):
    with worker_not_running() as queued, django_capture_on_commit_callbacks(execute=True):
        episode_services.episode_publish(episode=draft, actor=host, at=timezone.now() + timedelta(hours=1))
    assert not [result for result in queued if result.task.name.endswith("episode_published_due")]


def test_another_shows_endpoint_hears_nothing(
    receivers, show, host, draft, django_capture_on_commit_callbacks
):
    other = factories.make_show(title="Other", slug="other-show")
    receiver = receivers([200])
    services.endpoint_create(owner=other, actor=host, url=receiver.url(), events=[EPISODE_PUBLISHED])
    with django_capture_on_commit_callbacks(execute=True):
        episode_services.episode_publish(episode=draft, actor=host)
    assert receiver.requests == []


def test_a_claim_costs_one_query_when_its_provider_has_no_endpoint(
    learner, activity, evaluated, django_assert_num_queries
):
    certificate = factories.claim_and_issue(learner, activity, lambda **kw: nullcontext())
    with django_assert_num_queries(1):
        services.on_credit_event(CLAIM_CREATED, certificate.claim_id)
    with django_assert_num_queries(1):
        services.on_credit_event(CERTIFICATE_ISSUED, certificate.pk)
    assert not WebhookDelivery.objects.exists()
