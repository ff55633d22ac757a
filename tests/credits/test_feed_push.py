"""A CME activity's changes that alter the public feed (its "Earn CME credit" line and disclosure
notes) are announced to the operator's WebSub hubs and podping endpoints, after the commit; a draft's
changes, which the feed does not show, are not."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks import default_task_backend

from credits import services, versions
from testkit.factories import QUIZ, publish

pytestmark = pytest.mark.django_db

HUB = "https://hub.example.org/"
NEW_PEOPLE = [
    {
        "name": "Noor Haddad",
        "credentials": "MD",
        "role": "faculty",
        "disclosures": [{"company": "Acme Devices", "nature": "consultant", "mitigated": True}],
    }
]


@pytest.fixture
def queue(settings):
    """Pings wait in a queue (as for the worker) so the test sees what was announced, and when."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.PODCASTCME_WEBSUB_HUBS = [HUB]
    settings.PODCASTCME_PUSH_DEBOUNCE_SECONDS = 0  # one ping per change: each change is counted
    default_task_backend.clear()
    yield default_task_backend
    default_task_backend.clear()


def _pings(queue) -> list[int]:
    """The shows announced since the last call."""
    shows, queue.results = [result.args[0] for result in queue.results], []
    return shows


def _feed(client, show) -> bytes:
    response = client.get(reverse("episodes:feed", args=[show.slug]))
    assert response.status_code == 200
    return response.content


def test_publishing_editing_and_withdrawing_an_activity_announce_the_feed(
    client, show, episode, provider, coordinator, queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        draft = services.activity_create(
            provider=provider,
            episode=episode,
            actor=coordinator,
            data={
                "objectives": "o",
                "target_audience": "a",
                "designated_credits": "0.5",
                "designation_reason": "Pilot test",
                "release_date": timezone.localdate(),
                "expiry_date": timezone.localdate() + datetime.timedelta(days=30),
            },
        )
        services.quiz_replace(activity=draft, actor=coordinator, data=QUIZ)
        services.activity_update(activity=draft, actor=coordinator, data={"title": "Draft title"})
    assert b"Earn CME credit" not in _feed(client, show)
    assert _pings(queue) == []  # a draft is not in the feed: nothing to announce

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        publish(draft, coordinator)
    assert _pings(queue) == []  # not while the transaction is open
    for callback in callbacks:
        callback()
    assert b"Earn CME credit" in _feed(client, show)
    assert set(_pings(queue)) == {show.pk}

    before = _feed(client, show)
    with django_capture_on_commit_callbacks(execute=True):
        services.activity_set_people(activity=draft, actor=coordinator, people=NEW_PEOPLE)
    assert b"Acme Devices" in _feed(client, show) and b"Acme Devices" not in before
    assert set(_pings(queue)) == {show.pk}

    with django_capture_on_commit_callbacks(execute=True):
        versions.activity_withdraw(activity=draft, actor=coordinator, reason="Guideline replaced")
    assert b"Earn CME credit" not in _feed(client, show)
    assert set(_pings(queue)) == {show.pk}


def test_a_change_that_rolls_back_announces_nothing(
    show, activity, coordinator, queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(Exception, match="reason"):
            versions.activity_withdraw(activity=activity, actor=coordinator, reason="")
    assert callbacks == [] and _pings(queue) == []
