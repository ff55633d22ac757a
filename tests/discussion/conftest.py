"""Fixtures of the discussion tests: a public episode of the show (no CME activity needed), members
with and without a verified address, the listener events heard, a remote reply's arguments."""

import pytest

from discussion import listeners
from discussion.models import Moderation, ShowDiscussion
from testkit import factories


@pytest.fixture
def public_episode(show):
    return factories.make_episode(show)


@pytest.fixture
def member(make_user):
    return make_user("member@example.org", profile=True)


@pytest.fixture
def other_member(make_user):
    return make_user("other@example.org")


@pytest.fixture
def unverified(make_user):
    return make_user("unverified@example.org", verified=False)


@pytest.fixture
def events():
    """The (comment_id, event) pairs the comment listeners hear after each commit."""
    heard: list[tuple[int, str]] = []

    def listener(comment_id: int, event: str) -> None:
        heard.append((comment_id, event))

    listeners.register_comment_listener(listener)
    yield heard
    listeners.unregister_comment_listener(listener)


@pytest.fixture
def moderation(show):
    """Set the show's moderation rule directly: ``moderation(Moderation.HOLD_ALL)``."""

    def set_rule(rule: str = Moderation.HOLD_LINKS, *, comments_open: bool = True) -> ShowDiscussion:
        row, _ = ShowDiscussion.objects.update_or_create(
            show=show, defaults={"moderation": rule, "comments_open": comments_open}
        )
        return row

    return set_rule


@pytest.fixture
def remote_reply(public_episode):
    """Keyword arguments of comment_receive_remote for a Mastodon reply; override any with kwargs."""

    def make(n: int = 1, **overrides):
        data = {
            "episode": public_episode,
            "in_reply_to": None,
            "object_id": f"https://mastodon.example/users/ana/statuses/{n}",
            "url": f"https://mastodon.example/@ana/{n}",
            "actor_url": "https://mastodon.example/users/ana",
            "handle": "@ana@mastodon.example",
            "name": "Ana Ruiz",
            "content_html": (
                '<p><span class="h-card"><a href="https://example.test/@airway-rounds" class="u-url mention">'
                "@<span>airway-rounds</span></a></span> Great episode; see doi:10.1056/NEJMoa2034577</p>"
            ),
            "published": None,
            "author_follows": True,
        }
        data.update(overrides)
        return data

    return make
