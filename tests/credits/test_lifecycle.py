"""The lifecycle on the coordinator's activity page (issue 12, finding 3): status, the publishing
checklist with a link to each fix, Publish, Withdraw (reason, confirmation), the version history;
and what learners are shown of a draft (nothing) or a withdrawn activity."""

import re

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from credits import services, versions
from credits.models import Activity, ActivityVersion, Attempt, Provider
from testkit.factories import (
    QUIZ,
    expire_activity,
    make_activity,
    make_episode,
    pass_and_evaluate,
    pass_post_test,
)
from testkit.mfa import mfa_login


@pytest.fixture
def draft(episode, provider, coordinator):
    """A draft with no people and no post-test: what the first save leaves."""
    return make_activity(
        provider=provider, episode=episode, coordinator=coordinator, quiz=None, people=[], publish=False
    )


def _page(client, activity):
    return client.get(reverse("credits:coordinator_activity", args=[activity.pk]))


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_a_draft_page_shows_its_status_and_the_checklist_with_a_link_to_each_fix(coordinator_client, draft):
    response = _page(coordinator_client, draft)
    assert response.status_code == 200
    body = _text(response)
    assert "Draft" in body and "learners cannot see it" in body
    people = reverse("credits:coordinator_people", args=[draft.pk])
    quiz = reverse("credits:coordinator_quiz", args=[draft.pk])
    assert re.search(r'<a href="' + re.escape(people) + r'">[^<]*Add at least one person', body)
    assert re.search(r'<a href="' + re.escape(quiz) + r'">[^<]*Write the post-test', body)
    # No Publish button while something is missing.
    assert 'action="' + reverse("credits:coordinator_activity_publish", args=[draft.pk]) not in body


def test_publishing_a_complete_draft_freezes_version_1(coordinator_client, draft, coordinator):
    services.activity_set_people(
        activity=draft,
        actor=coordinator,
        people=[{"name": "Dana Faculty", "credentials": "MD", "role": "faculty", "disclosures": []}],
    )
    services.quiz_replace(activity=draft, actor=coordinator, data=QUIZ)
    body = _text(_page(coordinator_client, draft))
    publish_url = reverse("credits:coordinator_activity_publish", args=[draft.pk])
    assert f'action="{publish_url}"' in body and "Ready to publish" in body
    response = coordinator_client.post(publish_url)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Activity.Status.PUBLISHED and draft.current_version.number == 1
    body = _text(coordinator_client.get(response["Location"]))
    assert "Published" in body
    assert "Version history" in body and "coordinator@example.org" in body


def test_publishing_with_problems_answers_400_with_the_list_and_changes_nothing(coordinator_client, draft):
    events = AuditEvent.objects.count()
    response = coordinator_client.post(reverse("credits:coordinator_activity_publish", args=[draft.pk]))
    assert response.status_code == 400
    body = _text(response)
    assert "Add at least one person in control of content" in body
    assert "Write the post-test" in body
    draft.refresh_from_db()
    assert draft.status == Activity.Status.DRAFT and draft.current_version is None
    assert not ActivityVersion.objects.filter(activity=draft).exists()
    assert AuditEvent.objects.count() == events


def test_publish_is_post_only(coordinator_client, activity):
    url = reverse("credits:coordinator_activity_publish", args=[activity.pk])
    assert coordinator_client.get(url).status_code == 405


def test_withdraw_asks_for_confirmation_and_a_reason(coordinator_client, activity):
    url = reverse("credits:coordinator_activity_withdraw", args=[activity.pk])
    page = coordinator_client.get(url)
    assert page.status_code == 200
    body = _text(page)
    assert "Withdraw this activity?" in body and 'name="reason"' in body and "danger" in body
    activity.refresh_from_db()
    assert activity.status == Activity.Status.PUBLISHED  # a GET changes nothing


def test_withdraw_without_a_reason_is_refused_and_nothing_is_written(coordinator_client, activity):
    events = AuditEvent.objects.count()
    url = reverse("credits:coordinator_activity_withdraw", args=[activity.pk])
    response = coordinator_client.post(url, {"reason": "   "})
    assert response.status_code == 400
    assert "Give the reason for withdrawing" in response.content.decode()
    activity.refresh_from_db()
    assert activity.status == Activity.Status.PUBLISHED
    assert AuditEvent.objects.count() == events


def test_withdraw_with_a_reason_closes_the_activity_audited(coordinator_client, activity, coordinator):
    url = reverse("credits:coordinator_activity_withdraw", args=[activity.pk])
    response = coordinator_client.post(url, {"reason": "Guideline superseded"})
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.status == Activity.Status.WITHDRAWN
    row = AuditEvent.objects.filter(action="activity.withdrawn").get()
    assert row.actor == coordinator and row.data["reason"] == "Guideline superseded"
    body = _text(_page(coordinator_client, activity))
    assert "Withdrawn" in body and "Guideline superseded" in body


def test_a_draft_cannot_be_withdrawn(coordinator_client, draft):
    response = coordinator_client.post(
        reverse("credits:coordinator_activity_withdraw", args=[draft.pk]), {"reason": "x"}
    )
    assert response.status_code == 400
    assert "Only a published activity can be withdrawn" in response.content.decode()


def test_another_providers_coordinator_gets_404_for_publish_and_withdraw(
    client, activity, show, provider, coordinator, make_user
):
    draft = make_activity(
        provider=provider, episode=make_episode(show, slug="other"), coordinator=coordinator, publish=False
    )
    other = Provider.objects.create(name="Other Society", slug="other", contact_email="o@example.org")
    stranger = make_user("stranger@example.org")
    other.memberships.create(user=stranger)
    mfa_login(client, stranger)
    assert client.post(reverse("credits:coordinator_activity_publish", args=[draft.pk])).status_code == 404
    response = client.post(
        reverse("credits:coordinator_activity_withdraw", args=[activity.pk]), {"reason": "mine now"}
    )
    assert response.status_code == 404
    activity.refresh_from_db()
    draft.refresh_from_db()
    assert activity.status == "published" and draft.status == "draft"


def test_the_version_history_shows_what_changed_who_and_why(
    coordinator_client, activity, learner, coordinator
):
    pass_post_test(learner, activity)  # version 1 is started: the next edit makes version 2
    services.activity_update(activity=activity, actor=coordinator, data={"title": "Airway rescue, revised"})
    body = _text(_page(coordinator_client, activity))
    assert "Version history" in body
    history = body[body.index("Version history") :]
    assert "Version 2" in history and "Version 1" in history
    assert "Edited after learners started" in history
    assert "Difficult airway" in history and "Airway rescue, revised" in history  # old -> new title
    assert "coordinator@example.org" in history


# --- What learners are shown --------------------------------------------------------------------


def test_learners_never_see_a_draft(client, learner, draft, episode, coordinator):
    # Even a complete draft: only publishing shows it.
    services.activity_set_people(
        activity=draft,
        actor=coordinator,
        people=[{"name": "Dana Faculty", "credentials": "MD", "role": "faculty", "disclosures": []}],
    )
    client.force_login(learner)
    body = client.get(episode.get_absolute_url()).content.decode()
    assert 'class="cme-panel"' not in body and "CME activity" not in body
    for name in ("post_test", "evaluation", "claim"):
        assert client.get(reverse(f"credits:{name}", args=[draft.pk])).status_code == 404, name
        assert client.post(reverse(f"credits:{name}", args=[draft.pk]), {}).status_code == 404, name
    assert not Attempt.objects.exists()


def test_a_withdrawn_activity_says_so_and_takes_no_new_starts(
    client, learner, activity, episode, coordinator
):
    versions.activity_withdraw(activity=activity, actor=coordinator, reason="Superseded")
    client.force_login(learner)
    body = _text(client.get(episode.get_absolute_url()))
    assert "This activity was withdrawn" in body
    assert reverse("credits:post_test", args=[activity.pk]) not in body
    assert client.get(reverse("credits:post_test", args=[activity.pk])).status_code == 403
    assert not Attempt.objects.exists()


def test_a_learner_who_passed_before_the_withdrawal_can_still_finish(
    client, learner, activity, episode, coordinator
):
    pass_and_evaluate(learner, activity)
    versions.activity_withdraw(activity=activity, actor=coordinator, reason="Superseded")
    client.force_login(learner)
    body = _text(client.get(episode.get_absolute_url()))
    assert "This activity was withdrawn" in body
    assert reverse("credits:claim", args=[activity.pk]) in body  # their next step stays
    response = client.post(
        reverse("credits:claim", args=[activity.pk]), {"minutes": "30", "attest": "on"}, follow=True
    )
    assert response.status_code == 200
    assert "Your credit is claimed" in response.content.decode() or activity.claims.exists()


def test_the_dashboard_shows_each_activitys_status_and_links_the_provider_settings(
    coordinator_client, draft, provider
):
    body = _text(coordinator_client.get(reverse("credits:coordinator_dashboard")))
    assert re.search(r'Difficult airway</a> <span class="badge">Draft</span>', body)
    assert reverse("credits:coordinator_provider_settings", args=[provider.slug]) in body


def test_an_expired_activity_shows_as_expired(coordinator_client, activity):
    expire_activity(activity, released_days_ago=400)
    body = _text(_page(coordinator_client, activity))
    assert "Status: Expired" in body and "credit can no longer be claimed" in body
