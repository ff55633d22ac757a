"""A host taking a CME episode out of listeners' reach (issue 12, finding 3): an episode with an
active activity goes back to draft (or is rescheduled) only after a confirmation that says so and
how many learners are in progress; learners' records are untouched either way."""

import datetime
import re

from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from credits import versions
from credits.models import Activity, Attempt, CreditClaim, Evaluation
from episodes.models import Episode
from testkit.factories import make_activity, pass_and_evaluate


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def _edit_url(episode):
    return reverse("episodes:host_episode_edit", args=[episode.show.slug, episode.pk])


def _records(learner):
    return (
        list(Attempt.objects.filter(learner=learner).values_list("pk", "passed", "version_id")),
        list(Evaluation.objects.filter(learner=learner).values_list("pk", "version_id")),
    )


def _form(episode, **changes):
    data = {"title": episode.title, "notes": "", "episode_type": "full", "status": "published",
            "publish_at": "", "topics": "", "season": "", "number": ""}  # fmt: skip
    data.update(changes)
    return data


def test_back_to_draft_asks_first_and_says_what_the_episode_carries(host_client, learner, activity, episode):
    pass_and_evaluate(learner, activity)
    events = AuditEvent.objects.count()
    response = host_client.post(_edit_url(episode), {"action": "draft"})
    assert response.status_code == 200
    body = _text(response)
    assert "Take this episode back to draft?" in body
    assert "published CME activity “Difficult airway” (Society of Testing)" in body
    assert "1 learner(s) are in progress" in body
    assert 'name="confirm" value="1"' in body
    episode.refresh_from_db()
    assert episode.is_public
    assert AuditEvent.objects.count() == events


def test_confirmed_back_to_draft_keeps_the_learners_records(client, host, learner, activity, episode):
    from testkit.mfa import mfa_login

    pass_and_evaluate(learner, activity)
    before = _records(learner)
    mfa_login(client, host)
    response = client.post(_edit_url(episode), {"action": "draft", "confirm": "1"})
    assert response.status_code == 302
    episode.refresh_from_db()
    assert episode.status == Episode.Status.DRAFT
    activity.refresh_from_db()
    assert activity.status == Activity.Status.PUBLISHED  # the activity itself is not changed
    assert _records(learner) == before
    # While the episode is a draft the learner cannot go on; once it is public again they can.
    client.force_login(learner)
    assert client.get(reverse("credits:claim", args=[activity.pk])).status_code == 404
    mfa_login(client, host)
    assert client.post(_edit_url(episode), {"action": "publish"}).status_code == 302
    client.force_login(learner)
    response = client.post(
        reverse("credits:claim", args=[activity.pk]), {"minutes": "30", "attest": "on"}, follow=True
    )
    assert response.status_code == 200
    assert CreditClaim.objects.filter(learner=learner, activity=activity).exists()
    assert _records(learner) == before


def test_the_edit_form_asks_too_before_a_cme_episode_becomes_a_draft(host_client, learner, activity, episode):
    before = _records(learner)
    response = host_client.post(_edit_url(episode), _form(episode, status="draft"))
    assert response.status_code == 400
    body = _text(response)
    assert "published CME activity" in body and 'name="confirm"' in body
    episode.refresh_from_db()
    assert episode.is_public
    response = host_client.post(_edit_url(episode), _form(episode, status="draft", confirm="1"))
    assert response.status_code == 302
    episode.refresh_from_db()
    assert episode.status == Episode.Status.DRAFT
    assert _records(learner) == before


def test_rescheduling_a_cme_episode_into_the_future_asks_first(host_client, activity, episode):
    future = (timezone.localtime() + datetime.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    response = host_client.post(_edit_url(episode), _form(episode, publish_at=future))
    assert response.status_code == 400
    assert "published CME activity" in response.content.decode()
    episode.refresh_from_db()
    assert episode.is_public


def test_an_ordinary_edit_of_a_cme_episode_asks_nothing(host_client, activity, episode):
    response = host_client.post(_edit_url(episode), _form(episode, notes="Remastered audio notes."))
    assert response.status_code == 302
    episode.refresh_from_db()
    assert episode.notes == "Remastered audio notes." and episode.is_public


def test_episodes_without_an_active_activity_are_asked_with_no_cme_warning(
    host_client, episode, provider, coordinator
):
    make_activity(provider=provider, episode=episode, coordinator=coordinator, publish=False)  # a draft
    # Every published episode asks first (issue 15, item 10); here nothing about CME is listed.
    asked = _text(host_client.post(_edit_url(episode), {"action": "draft"}))
    assert "Take this episode back to draft?" in asked and "CME activity" not in asked
    assert host_client.post(_edit_url(episode), {"action": "draft", "confirm": "1"}).status_code == 302
    episode.refresh_from_db()
    assert episode.status == Episode.Status.DRAFT


def test_a_withdrawn_activity_nobody_is_finishing_warns_of_nothing(
    host_client, activity, episode, coordinator
):
    versions.activity_withdraw(activity=activity, actor=coordinator, reason="Superseded")
    asked = _text(host_client.post(_edit_url(episode), {"action": "draft"}))
    assert "Take this episode back to draft?" in asked and "CME activity" not in asked
    assert host_client.post(_edit_url(episode), {"action": "draft", "confirm": "1"}).status_code == 302
    episode.refresh_from_db()
    assert episode.status == Episode.Status.DRAFT
