"""Feed listeners (episodes.push.register_feed_listener): higher apps hear of every public feed change
after the commit, whether or not WebSub hubs or podping are configured; a rollback tells nobody; a
listener that fails does not stop the others."""

import pytest
from django.db import transaction

from episodes import push, services

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard(monkeypatch):
    """A fresh listener list holding one recorder; the app's own listeners are put back afterwards."""
    calls: list[int] = []
    monkeypatch.setattr(push, "_feed_listeners", [])
    push.register_feed_listener(calls.append)
    return calls


def test_a_listener_hears_a_change_after_the_commit_without_push_targets(
    settings, show, heard, django_capture_on_commit_callbacks
):
    settings.PODCASTCME_WEBSUB_HUBS, settings.PODCASTCME_PODPING_URLS = [], []
    assert not push.push_configured()
    with django_capture_on_commit_callbacks(execute=True):
        services.show_update(show=show, actor=None, data={"title": "Airway Rounds 2"})
        assert heard == []  # not before the commit
    assert heard == [show.pk]


def test_a_rolled_back_change_is_not_heard(show, heard, django_capture_on_commit_callbacks):
    class Rollback(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(Rollback), transaction.atomic():
            push.feed_changed(show)
            raise Rollback
    assert callbacks == [] and heard == []


def test_registering_twice_calls_once(show, heard, django_capture_on_commit_callbacks):
    push.register_feed_listener(heard.append)
    with django_capture_on_commit_callbacks(execute=True):
        push.feed_changed(show)
    assert heard == [show.pk]


def test_a_failing_listener_is_logged_and_the_next_one_still_runs(
    show, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    calls: list[int] = []

    def broken(show_id: int) -> None:
        raise RuntimeError("listener down")

    monkeypatch.setattr(push, "_feed_listeners", [])
    push.register_feed_listener(broken)
    push.register_feed_listener(calls.append)
    with django_capture_on_commit_callbacks(execute=True):
        push.feed_changed(show)
    assert calls == [show.pk]
    assert "Feed listener" in caplog.text and "listener down" in caplog.text


def test_without_listeners_nothing_is_scheduled(
    settings, show, monkeypatch, django_capture_on_commit_callbacks
):
    settings.PODCASTCME_WEBSUB_HUBS, settings.PODCASTCME_PODPING_URLS = [], []
    monkeypatch.setattr(push, "_feed_listeners", [])
    with django_capture_on_commit_callbacks() as callbacks:
        push.feed_changed(show)
    assert callbacks == []
