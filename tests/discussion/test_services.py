"""discussion.services: the moderation rule, site comments, remote replies (idempotent, sanitised,
rate limited, edited, deleted), moderation actions, helpful marks, settings; audit rows and the
listener events after the commit."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import AuditEvent
from discussion import selectors, services
from discussion.errors import DiscussionError, RateLimited
from discussion.models import Comment, HelpfulMark, Moderation, ShowDiscussion
from testkit.factories import make_episode, make_show, make_user

pytestmark = pytest.mark.django_db

LINK_REPLY = '<p>See <a href="https://blog.example/post">my post</a></p>'


def audit_actions(obj):
    return list(AuditEvent.objects.for_object(obj).order_by("id").values_list("action", flat=True))


# --- initial_status: the one rule -----------------------------------------------------------------


def rule(moderation: str, comments_open: bool = True) -> ShowDiscussion:
    return ShowDiscussion(moderation=moderation, comments_open=comments_open)


@pytest.mark.parametrize(
    ("moderation", "origin", "follows", "links", "expected"),
    [
        (Moderation.AUTO_APPROVE_FOLLOWERS, "remote", True, True, "shown"),
        (Moderation.AUTO_APPROVE_FOLLOWERS, "remote", False, False, "held"),
        (Moderation.AUTO_APPROVE_FOLLOWERS, "site", True, True, "shown"),
        (Moderation.AUTO_APPROVE_FOLLOWERS, "site", False, False, "held"),
        (Moderation.HOLD_LINKS, "remote", False, False, "shown"),
        (Moderation.HOLD_LINKS, "remote", True, True, "held"),
        (Moderation.HOLD_LINKS, "site", True, True, "held"),
        (Moderation.HOLD_LINKS, "site", True, False, "shown"),
        (Moderation.HOLD_ALL, "remote", True, False, "held"),
        (Moderation.HOLD_ALL, "site", True, False, "held"),
    ],
)
def test_initial_status(moderation, origin, follows, links, expected):
    status, reason = services.initial_status(
        show_settings=rule(moderation), origin=origin, author_follows=follows, has_links=links
    )
    assert status == expected
    assert bool(reason) == (expected == "held")


@pytest.mark.parametrize("moderation", list(Moderation))
def test_initial_status_a_host_is_always_shown(moderation):
    status, reason = services.initial_status(
        show_settings=rule(moderation, comments_open=False),
        origin="site",
        author_follows=False,
        has_links=True,
        author_is_host=True,
    )
    assert (status, reason) == ("shown", "")


def test_initial_status_closed_holds_remote_replies():
    status, reason = services.initial_status(
        show_settings=rule(Moderation.AUTO_APPROVE_FOLLOWERS, comments_open=False),
        origin="remote",
        author_follows=True,
        has_links=False,
    )
    assert status == "held" and "closed" in reason


def test_default_rule_holds_links_but_not_citations(member, public_episode):
    cited = services.comment_post(
        user=member, episode=public_episode, body="x", references="doi:10.1056/abc1"
    )
    linked = services.comment_post(
        user=member, episode=public_episode, body="x", references="https://a.example/"
    )
    in_text = services.comment_post(user=member, episode=public_episode, body="see https://a.example/ too")
    assert (cited.status, linked.status, in_text.status) == ("shown", "held", "held")
    assert "link" in linked.held_reason


# --- Site comments --------------------------------------------------------------------------------


def test_comment_post_writes_the_comment_references_audit_and_event(
    member, public_episode, events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        comment = services.comment_post(
            user=member,
            episode=public_episode,
            body="Line one\r\nline <two>",
            references="doi:10.1056/NEJMoa2034577\nPMID: 00123, https://doi.org/10.1056/NEJMoa2034577",
        )
    assert comment.origin == "site" and comment.author == member and comment.status == "shown"
    assert comment.body_html == "<p>Line one<br>line &lt;two&gt;</p>"
    assert [(r.kind, r.value, r.position) for r in comment.references.all()] == [
        ("doi", "10.1056/nejmoa2034577", 0),
        ("pmid", "123", 1),
    ]
    event = AuditEvent.objects.for_object(comment).get()
    assert event.action == "comment.posted" and event.actor == member
    assert event.data["references"] == ["doi:10.1056/nejmoa2034577", "pmid:123"]
    assert events == [(comment.pk, "shown")]


def test_a_held_site_comment_is_not_announced(
    member, public_episode, events, moderation, django_capture_on_commit_callbacks
):
    moderation(Moderation.HOLD_ALL)
    with django_capture_on_commit_callbacks(execute=True):
        comment = services.comment_post(user=member, episode=public_episode, body="Hi")
    assert comment.status == "held"
    assert events == []


def test_no_event_when_the_transaction_rolls_back(
    member, public_episode, events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                services.comment_post(user=member, episode=public_episode, body="Hi")
                raise RuntimeError("later step failed")
        except RuntimeError:
            pass
    assert events == [] and not Comment.objects.exists()


def test_a_failing_listener_does_not_stop_the_others(
    member, public_episode, events, django_capture_on_commit_callbacks
):
    from discussion import listeners

    def broken(comment_id, event):
        raise RuntimeError("down")

    listeners._listeners.insert(0, broken)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            comment = services.comment_post(user=member, episode=public_episode, body="Hi")
    finally:
        listeners.unregister_comment_listener(broken)
    assert events == [(comment.pk, "shown")]


@pytest.mark.parametrize(
    ("kwargs", "code", "status"),
    [
        ({"body": ""}, "empty", 400),
        ({"body": " \n\t "}, "empty", 400),
        ({"body": "\x00\x01"}, "empty", 400),
        ({"body": "x" * 5001}, "too_long", 400),
        ({"body": "ok", "references": "doi 10.12/x"}, "bad_reference", 400),
        ({"body": "ok", "references": "ftp://files.example/x"}, "bad_reference", 400),
        ({"body": "ok", "references": ", ".join(f"PMID {n}" for n in range(1, 12))}, "bad_reference", 400),
    ],
)
def test_comment_post_refusals_write_nothing(member, public_episode, kwargs, code, status):
    with pytest.raises(DiscussionError) as refused:
        services.comment_post(user=member, episode=public_episode, **kwargs)
    assert refused.value.code == code and refused.value.status == status and refused.value.message
    assert not Comment.objects.exists() and not AuditEvent.objects.filter(action="comment.posted").exists()


def test_5000_characters_is_allowed(member, public_episode):
    assert services.comment_post(user=member, episode=public_episode, body="x" * 5000).pk


def test_unverified_and_anonymous_are_refused(unverified, public_episode):
    from django.contrib.auth.models import AnonymousUser

    for user, code in ((unverified, "unverified"), (AnonymousUser(), "anonymous")):
        with pytest.raises(DiscussionError) as refused:
            services.comment_post(user=user, episode=public_episode, body="Hi")
        assert refused.value.code == code and refused.value.status == 403
    assert not Comment.objects.exists()


def test_closed_and_not_public_are_refused(member, public_episode, moderation):
    moderation(comments_open=False)
    with pytest.raises(DiscussionError, match="closed"):
        services.comment_post(user=member, episode=public_episode, body="Hi")
    draft = make_episode(public_episode.show, slug="draft", status="draft")
    with pytest.raises(DiscussionError) as refused:
        services.comment_post(user=member, episode=draft, body="Hi")
    assert refused.value.status == 404
    assert not Comment.objects.exists()


def test_replies_are_one_level_deep(member, other_member, public_episode):
    top = services.comment_post(user=member, episode=public_episode, body="Top")
    reply = services.comment_post(user=other_member, episode=public_episode, body="Reply", in_reply_to=top)
    deeper = services.comment_post(user=member, episode=public_episode, body="Deeper", in_reply_to=reply)
    assert reply.in_reply_to == top and deeper.in_reply_to == top


def test_a_reply_to_a_held_comment_is_refused(member, other_member, public_episode, moderation):
    moderation(Moderation.HOLD_ALL)
    held = services.comment_post(user=member, episode=public_episode, body="Held")
    with pytest.raises(DiscussionError, match="shown"):
        services.comment_post(user=other_member, episode=public_episode, body="Reply", in_reply_to=held)
    assert Comment.objects.count() == 1


def test_site_rate_limits_per_user(member, other_member, public_episode, settings):
    settings.PODCASTCME_COMMENT_RATE_LIMITS = [(5, 600), (6, 86400)]
    for n in range(5):
        services.comment_post(user=member, episode=public_episode, body=f"{n}")
    with pytest.raises(RateLimited) as refused:
        services.comment_post(user=member, episode=public_episode, body="sixth")
    assert refused.value.status == 429
    services.comment_post(user=other_member, episode=public_episode, body="someone else")  # per user
    assert Comment.objects.filter(author=member).count() == 5


def test_site_rate_limit_per_day_counts_across_windows(member, public_episode, settings, monkeypatch):
    settings.PODCASTCME_COMMENT_RATE_LIMITS = [(2, 600), (3, 86400)]
    start = timezone.now().replace(hour=1, minute=0)
    for n in range(4):
        at = start + datetime.timedelta(minutes=11 * n)
        monkeypatch.setattr(timezone, "now", lambda at=at: at)
        if n < 3:
            services.comment_post(user=member, episode=public_episode, body=f"{n}")
        else:
            with pytest.raises(RateLimited):
                services.comment_post(user=member, episode=public_episode, body="fourth today")
    assert Comment.objects.count() == 3


# --- Remote replies -------------------------------------------------------------------------------


def test_remote_reply_is_stored_sanitised_with_its_references(
    remote_reply, events, django_capture_on_commit_callbacks
):
    content = (
        '<p><a href="https://example.test/@airway-rounds" class="u-url mention">@airway-rounds</a> '
        'Try PMID: 31234567 <script>alert(1)</script><img src="x" onerror="alert(2)">'
        '<a href="javascript:alert(3)">x</a> <a href="https://doi.org/10.1000/ABC">paper</a> '
        '<a href="https://tags.example/tags/pocus" class="mention hashtag" rel="tag">#POCUS</a></p>'
    )
    with django_capture_on_commit_callbacks(execute=True):
        comment = services.comment_receive_remote(**remote_reply(content_html=content, author_follows=False))
    assert comment.origin == "remote" and comment.author is None
    assert "<script" not in comment.body_html and "onerror" not in comment.body_html
    assert "<img" not in comment.body_html and "javascript:" not in comment.body_html
    assert 'rel="nofollow ugc noopener"' in comment.body_html
    assert [(r.kind, r.value) for r in comment.references.all()] == [
        ("doi", "10.1000/abc"),
        ("pmid", "31234567"),
    ]
    assert comment.status == "shown"  # HOLD_LINKS by default: a mention and a hashtag are not links
    assert audit_actions(comment) == ["comment.received"]
    assert events == []  # remote comments are not federated back


def test_remote_reply_with_a_link_is_held_under_hold_links(remote_reply):
    comment = services.comment_receive_remote(**remote_reply(content_html=LINK_REPLY))
    assert comment.status == "held"
    assert [(r.kind, r.value) for r in comment.references.all()] == [("url", "https://blog.example/post")]


def test_remote_reply_from_a_non_follower_under_auto_approve(remote_reply, moderation):
    moderation(Moderation.AUTO_APPROVE_FOLLOWERS)
    follower = services.comment_receive_remote(
        **remote_reply(1, author_follows=True, content_html=LINK_REPLY)
    )
    stranger = services.comment_receive_remote(**remote_reply(2, author_follows=False))
    assert (follower.status, stranger.status) == ("shown", "held")


def test_remote_reply_is_idempotent_on_its_object_id(remote_reply):
    first = services.comment_receive_remote(**remote_reply())
    again = services.comment_receive_remote(**remote_reply(content_html="<p>changed</p>"))
    assert again.pk == first.pk and Comment.objects.count() == 1
    assert AuditEvent.objects.filter(action="comment.received").count() == 1


def test_remote_reply_keeps_the_published_date_but_not_a_future_one(remote_reply):
    past = timezone.now() - datetime.timedelta(hours=3)
    future = timezone.now() + datetime.timedelta(days=3)
    assert services.comment_receive_remote(**remote_reply(1, published=past)).created_at == past
    assert services.comment_receive_remote(**remote_reply(2, published=future)).created_at <= timezone.now()


def test_remote_reply_under_a_reply_hangs_under_the_top_comment(remote_reply, member, public_episode):
    top = services.comment_post(user=member, episode=public_episode, body="Top")
    first = services.comment_receive_remote(**remote_reply(1, in_reply_to=top))
    second = services.comment_receive_remote(**remote_reply(2, in_reply_to=first))
    assert first.in_reply_to == top and second.in_reply_to == top


def test_remote_reply_to_a_comment_of_another_episode_is_refused(remote_reply, member, public_episode):
    other = make_episode(public_episode.show, slug="other")
    comment = services.comment_post(user=member, episode=other, body="Elsewhere")
    with pytest.raises(DiscussionError):
        services.comment_receive_remote(**remote_reply(in_reply_to=comment))
    assert Comment.objects.count() == 1


def test_remote_reply_to_an_episode_that_is_not_public_is_refused(remote_reply, public_episode):
    public_episode.status = public_episode.Status.DRAFT
    public_episode.save()
    with pytest.raises(DiscussionError) as refused:
        services.comment_receive_remote(**remote_reply())
    assert refused.value.message.startswith("ignored:")
    assert not Comment.objects.exists()


def test_remote_reply_with_a_naive_published_date_is_taken_as_utc(remote_reply):
    naive = datetime.datetime(2026, 1, 2, 3, 4, 5)  # noqa: DTZ001 (a naive date, as a careless server sends one)
    comment = services.comment_receive_remote(**remote_reply(published=naive))
    assert comment.created_at == naive.replace(tzinfo=datetime.UTC)


def test_remote_reply_without_object_id_is_refused(remote_reply):
    with pytest.raises(DiscussionError):
        services.comment_receive_remote(**remote_reply(object_id=""))
    assert not Comment.objects.exists()


def test_remote_replies_are_rate_limited_per_actor(remote_reply):
    for n in range(20):
        services.comment_receive_remote(**remote_reply(n))
    with pytest.raises(RateLimited) as refused:
        services.comment_receive_remote(**remote_reply(20))
    assert refused.value.message == "ignored: rate limited" == services.REMOTE_RATE_LIMITED
    assert services.comment_receive_remote(**remote_reply(5)).pk  # a replay is not a new reply
    other = remote_reply(
        21, actor_url="https://other.example/users/bo", object_id="https://other.example/n/1"
    )
    assert services.comment_receive_remote(**other).pk
    assert Comment.objects.count() == 21


def test_remote_edit_by_its_author_changes_text_and_references(remote_reply, public_episode):
    comment = services.comment_receive_remote(**remote_reply())
    edited = services.comment_edit_remote(
        object_id=comment.remote_object_id, actor_url=comment.remote_actor_url, content_html="<p>PMID 42</p>"
    )
    assert edited.body_html == "<p>PMID 42</p>" and edited.edited_at
    assert [r.value for r in edited.references.all()] == ["42"]
    event = AuditEvent.objects.for_object(comment).filter(action="comment.edited").get()
    assert event.data["references_before"] == ["doi:10.1056/nejmoa2034577"]


def test_remote_edit_adding_a_link_holds_it_again_and_unpins(remote_reply, host):
    comment = services.comment_receive_remote(**remote_reply())
    services.comment_pin(comment=comment, by=host)
    edited = services.comment_edit_remote(
        object_id=comment.remote_object_id, actor_url=comment.remote_actor_url, content_html=LINK_REPLY
    )
    assert edited.status == "held" and edited.pinned_at is None


def test_remote_edit_or_delete_by_another_actor_is_ignored(remote_reply):
    comment = services.comment_receive_remote(**remote_reply())
    assert (
        services.comment_edit_remote(
            object_id=comment.remote_object_id,
            actor_url="https://evil.example/users/x",
            content_html="<p>pwned</p>",
        )
        is None
    )
    assert (
        services.comment_delete_remote(object_id=comment.remote_object_id, actor_url="https://evil.example/u")
        is None
    )
    assert (
        services.comment_edit_remote(
            object_id="https://unknown/1", actor_url=comment.remote_actor_url, content_html="x"
        )
        is None
    )
    comment.refresh_from_db()
    assert "pwned" not in comment.body_html and comment.deleted_at is None


def test_remote_delete_leaves_a_tombstone(remote_reply, host):
    comment = services.comment_receive_remote(**remote_reply())
    services.comment_pin(comment=comment, by=host)
    deleted = services.comment_delete_remote(
        object_id=comment.remote_object_id, actor_url=comment.remote_actor_url
    )
    assert deleted.pk == comment.pk and deleted.deleted_at and deleted.body_html == ""
    assert deleted.pinned_at is None and not deleted.references.exists()
    assert Comment.objects.filter(pk=comment.pk).exists()
    again = services.comment_delete_remote(
        object_id=comment.remote_object_id, actor_url=comment.remote_actor_url
    )
    assert again.pk == comment.pk
    assert audit_actions(comment).count("comment.deleted_by_author") == 1
    assert (
        services.comment_edit_remote(
            object_id=comment.remote_object_id, actor_url=comment.remote_actor_url, content_html="<p>back</p>"
        )
        is None
    )


def test_comment_by_object_id(remote_reply):
    comment = services.comment_receive_remote(**remote_reply())
    assert selectors.comment_by_object_id(comment.remote_object_id) == comment
    assert selectors.comment_by_object_id("https://nowhere/1") is None
    assert selectors.comment_by_object_id("") is None


# --- Moderation -----------------------------------------------------------------------------------


def test_approve_shows_and_announces_a_held_site_comment(
    member, host, public_episode, moderation, events, django_capture_on_commit_callbacks
):
    moderation(Moderation.HOLD_ALL)
    comment = services.comment_post(user=member, episode=public_episode, body="Hi")
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_approve(comment=comment, by=host)
    comment.refresh_from_db()
    assert comment.status == "shown" and comment.held_reason == ""
    assert events == [(comment.pk, "shown")]
    assert audit_actions(comment) == ["comment.posted", "comment.approved"]
    with pytest.raises(DiscussionError, match="not waiting"):
        services.comment_approve(comment=comment, by=host)


def test_approving_a_remote_reply_announces_nothing(
    remote_reply, host, events, django_capture_on_commit_callbacks
):
    comment = services.comment_receive_remote(**remote_reply(content_html=LINK_REPLY))
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_approve(comment=comment, by=host)
    assert events == []


def test_hide_needs_a_reason_and_keeps_who_when_why(
    member, host, public_episode, events, django_capture_on_commit_callbacks
):
    comment = services.comment_post(user=member, episode=public_episode, body="Hi")
    for reason in ("", "   "):
        with pytest.raises(DiscussionError) as refused:
            services.comment_hide(comment=comment, by=host, reason=reason)
        assert refused.value.code == "no_reason"
    with pytest.raises(DiscussionError, match="too long"):
        services.comment_hide(comment=comment, by=host, reason="x" * 1001)
    comment.refresh_from_db()
    assert comment.status == "shown"
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_hide(comment=comment, by=host, reason=" Off topic ")
    comment.refresh_from_db()
    assert (comment.status, comment.hidden_reason, comment.hidden_by) == ("hidden", "Off topic", host)
    assert comment.hidden_at is not None
    assert events == [(comment.pk, "hidden")]
    event = AuditEvent.objects.for_object(comment).get(action="comment.hidden")
    assert event.data["reason"] == "Off topic" and event.actor == host
    with pytest.raises(DiscussionError, match="already"):
        services.comment_hide(comment=comment, by=host, reason="again")


def test_hiding_a_held_comment_announces_nothing(
    member, host, public_episode, moderation, events, django_capture_on_commit_callbacks
):
    moderation(Moderation.HOLD_ALL)
    comment = services.comment_post(user=member, episode=public_episode, body="Hi")
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_hide(comment=comment, by=host, reason="spam")
    assert events == []


def test_the_database_refuses_a_hidden_comment_without_reason(member, public_episode):
    comment = services.comment_post(user=member, episode=public_episode, body="Hi")
    with pytest.raises(IntegrityError), transaction.atomic():
        Comment.objects.filter(pk=comment.pk).update(status="hidden", hidden_reason="")


def test_show_again(member, host, public_episode, events, django_capture_on_commit_callbacks):
    comment = services.comment_post(user=member, episode=public_episode, body="Hi")
    services.comment_hide(comment=comment, by=host, reason="Check")
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_show_again(comment=comment, by=host)
    comment.refresh_from_db()
    assert comment.status == "shown" and comment.hidden_reason == "" and comment.hidden_by is None
    assert events == [(comment.pk, "shown")]
    assert AuditEvent.objects.for_object(comment).get(action="comment.shown_again").data == {
        "hidden_reason": "Check"
    }
    with pytest.raises(DiscussionError, match="not hidden"):
        services.comment_show_again(comment=comment, by=host)


def test_pin_limit_and_rules(member, host, public_episode):
    comments = [services.comment_post(user=member, episode=public_episode, body=f"{n}") for n in range(4)]
    for comment in comments[:3]:
        services.comment_pin(comment=comment, by=host)
    with pytest.raises(DiscussionError) as refused:
        services.comment_pin(comment=comments[3], by=host)
    assert refused.value.code == "pin_limit" and "unpin one first" in refused.value.message
    with pytest.raises(DiscussionError, match="already"):
        services.comment_pin(comment=comments[0], by=host)
    services.comment_unpin(comment=comments[0], by=host)
    services.comment_pin(comment=comments[3], by=host)
    with pytest.raises(DiscussionError, match="not pinned"):
        services.comment_unpin(comment=comments[0], by=host)
    reply = services.comment_post(user=member, episode=public_episode, body="r", in_reply_to=comments[0])
    with pytest.raises(DiscussionError) as refused:
        services.comment_pin(comment=reply, by=host)
    assert refused.value.code == "reply"
    assert Comment.objects.filter(pinned_at__isnull=False).count() == 3
    assert audit_actions(comments[0]) == ["comment.posted", "comment.pinned", "comment.unpinned"]


def test_pin_limit_is_per_episode(member, host, public_episode, settings):
    settings.PODCASTCME_COMMENT_RATE_LIMITS = [(10, 600)]
    other = make_episode(public_episode.show, slug="second")
    for episode in (public_episode, other):
        for n in range(3):
            services.comment_pin(
                comment=services.comment_post(user=member, episode=episode, body=f"{n}"), by=host
            )
    assert Comment.objects.filter(pinned_at__isnull=False).count() == 6


def test_a_held_comment_cannot_be_pinned_and_hiding_unpins(member, host, public_episode, moderation):
    shown = services.comment_post(user=member, episode=public_episode, body="Shown")
    moderation(Moderation.HOLD_ALL)
    held = services.comment_post(user=member, episode=public_episode, body="Held")
    with pytest.raises(DiscussionError, match="shown"):
        services.comment_pin(comment=held, by=host)
    services.comment_pin(comment=shown, by=host)
    services.comment_hide(comment=shown, by=host, reason="Wrong")
    shown.refresh_from_db()
    assert shown.pinned_at is None


def test_moderation_actions_need_a_host_of_the_show(member, other_member, public_episode):
    comment = services.comment_post(user=member, episode=public_episode, body="Hi")
    other_show = make_show(title="Other", slug="other-show")
    other_host = make_user("otherhost@example.org")
    other_show.memberships.create(user=other_host)
    for by in (member, other_member, other_host):
        for action in (services.comment_pin, services.comment_approve, services.comment_show_again):
            with pytest.raises(DiscussionError) as refused:
                action(comment=comment, by=by)
            assert refused.value.status == 403
        with pytest.raises(DiscussionError):
            services.comment_hide(comment=comment, by=by, reason="x")
        with pytest.raises(DiscussionError):
            services.moderation_set(show=public_episode.show, by=by, moderation="all", comments_open=True)
    comment.refresh_from_db()
    assert comment.status == "shown" and comment.pinned_at is None
    assert audit_actions(comment) == ["comment.posted"]


# --- Helpful --------------------------------------------------------------------------------------


def test_helpful_toggle(member, other_member, public_episode):
    comment = services.comment_post(user=member, episode=public_episode, body="Hi")
    assert services.helpful_toggle(comment=comment, user=other_member) is True
    assert HelpfulMark.objects.filter(comment=comment).count() == 1
    assert services.helpful_toggle(comment=comment, user=other_member) is False
    assert not HelpfulMark.objects.exists()
    assert audit_actions(comment) == ["comment.posted", "comment.helpful_marked", "comment.helpful_unmarked"]


def test_helpful_once_per_user_in_the_database(member, other_member, public_episode):
    comment = services.comment_post(user=member, episode=public_episode, body="Hi")
    HelpfulMark.objects.create(comment=comment, user=other_member)
    with pytest.raises(IntegrityError), transaction.atomic():
        HelpfulMark.objects.create(comment=comment, user=other_member)


def test_helpful_refusals(member, other_member, host, public_episode, moderation):
    from django.contrib.auth.models import AnonymousUser

    comment = services.comment_post(user=member, episode=public_episode, body="Hi")
    with pytest.raises(DiscussionError) as own:
        services.helpful_toggle(comment=comment, user=member)
    assert own.value.code == "own_comment"
    with pytest.raises(DiscussionError):
        services.helpful_toggle(comment=comment, user=AnonymousUser())
    services.comment_hide(comment=comment, by=host, reason="x")
    with pytest.raises(DiscussionError) as hidden:
        services.helpful_toggle(comment=comment, user=other_member)
    assert hidden.value.code == "not_shown"
    assert not HelpfulMark.objects.exists()


# --- Settings -------------------------------------------------------------------------------------


def test_moderation_set_creates_then_updates_with_audit(host, show):
    row = services.moderation_set(show=show, by=host, moderation=Moderation.HOLD_ALL, comments_open=False)
    assert (row.moderation, row.comments_open, row.updated_by) == ("all", False, host)
    services.moderation_set(
        show=show, by=host, moderation=Moderation.AUTO_APPROVE_FOLLOWERS, comments_open=True
    )
    assert ShowDiscussion.objects.count() == 1
    events = AuditEvent.objects.filter(action="discussion.moderation_changed").order_by("id")
    assert [e.data["before"] for e in events] == [
        {"moderation": "links", "comments_open": True},
        {"moderation": "all", "comments_open": False},
    ]


def test_moderation_set_refuses_an_unknown_rule(host, show):
    with pytest.raises(DiscussionError):
        services.moderation_set(show=show, by=host, moderation="everything", comments_open=True)
    assert not ShowDiscussion.objects.exists()


# --- Selectors ------------------------------------------------------------------------------------


def test_episode_comments_visibility(member, other_member, host, public_episode, moderation, remote_reply):
    shown = services.comment_post(user=member, episode=public_episode, body="Shown")
    hidden = services.comment_post(user=member, episode=public_episode, body="Hidden")
    services.comment_hide(comment=hidden, by=host, reason="x")
    moderation(Moderation.HOLD_ALL)
    held = services.comment_post(user=member, episode=public_episode, body="Held")
    deleted = services.comment_receive_remote(**remote_reply())
    services.comment_approve(comment=deleted, by=host)
    services.comment_delete_remote(object_id=deleted.remote_object_id, actor_url=deleted.remote_actor_url)

    def ids(viewer):
        return [c.pk for c in selectors.episode_comments(episode=public_episode, viewer=viewer)]

    from django.contrib.auth.models import AnonymousUser

    assert ids(AnonymousUser()) == [shown.pk]
    assert ids(other_member) == [shown.pk]
    assert ids(member) == [shown.pk, held.pk]
    assert ids(host) == [shown.pk, held.pk]


def test_held_comments_for_show_and_counts(member, host, public_episode, moderation):
    services.comment_post(user=member, episode=public_episode, body="Shown")
    moderation(Moderation.HOLD_ALL)
    held = services.comment_post(user=member, episode=public_episode, body="Held")
    assert [c.pk for c in selectors.held_comments_for_show(public_episode.show)] == [held.pk]
    assert selectors.discussion_counts(public_episode.show) == {"held": 1, "shown": 1, "hidden": 0}


@pytest.mark.parametrize(
    "content",
    [
        # A link marked as a mention or a hashtag is not a link the rule checks: it must not stay one.
        '<p><a class="mention" href="https://spam.example/buy">@pharmacy</a> cheap pills</p>',
        '<p><a rel="tag" href="https://spam.example/buy">#POCUS</a> cheap pills</p>',
        # Two hrefs: the one the browser follows (the first) is the one the rule reads.
        '<p><a href="https://spam.example/buy" href="https://doi.org/10.1000/ok">paper</a></p>',
    ],
)
def test_remote_reply_cannot_pass_a_link_under_hold_links_as_a_mention(remote_reply, content):
    comment = services.comment_receive_remote(**remote_reply(content_html=content, author_follows=False))
    assert "spam.example" not in comment.body_html or comment.status == "held"


def test_remote_reply_keeps_mentions_and_hashtags_as_text(remote_reply):
    content = (
        '<p><a href="https://example.test/@airway-rounds" class="u-url mention">'
        "@<span>airway-rounds</span></a> hi "
        '<a href="https://tags.example/tags/pocus" class="mention hashtag" rel="tag">#POCUS</a>'
        " &amp; &lt;b&gt;</p>"
    )
    comment = services.comment_receive_remote(**remote_reply(content_html=content))
    assert comment.status == "shown"
    assert comment.body_html == "<p>@<span>airway-rounds</span> hi #POCUS &amp; &lt;b&gt;</p>"


def test_remote_edit_cannot_pass_a_link_as_a_mention(remote_reply):
    comment = services.comment_receive_remote(**remote_reply())
    edited = services.comment_edit_remote(
        object_id=comment.remote_object_id,
        actor_url=comment.remote_actor_url,
        content_html='<p><a class="mention" href="https://spam.example/buy">@x</a></p>',
    )
    assert "spam.example" not in edited.body_html and edited.status == "shown"


def test_site_rate_limit_holds_for_requests_at_the_same_moment(member, public_episode, settings, monkeypatch):
    """Two posts checked before either is written (two workers): the limit still holds, as each takes
    its place in the window before writing."""
    settings.PODCASTCME_COMMENT_RATE_LIMITS = [(1, 600)]
    create = Comment.objects.create
    interleaved: list[Exception] = []

    def create_while_another_posts(**kwargs):
        monkeypatch.setattr(Comment.objects, "create", create)
        try:
            services.comment_post(user=member, episode=public_episode, body="the other request")
        except RateLimited as error:
            interleaved.append(error)
        return create(**kwargs)

    monkeypatch.setattr(Comment.objects, "create", create_while_another_posts)
    services.comment_post(user=member, episode=public_episode, body="first")
    assert len(interleaved) == 1 and Comment.objects.filter(author=member).count() == 1


def test_a_refused_attempt_does_not_use_up_the_day(member, public_episode, settings):
    settings.PODCASTCME_COMMENT_RATE_LIMITS = [(1, 600), (3, 86400)]
    services.comment_post(user=member, episode=public_episode, body="first")
    for _attempt in range(5):
        with pytest.raises(RateLimited):
            services.comment_post(user=member, episode=public_episode, body="again")
    day = [key for key, _count, seconds in services._rate_keys(f"user:{member.pk}", [(3, 86400)])]
    assert services.cache.get(day[0]) == 1


@pytest.mark.parametrize(
    "content",
    [
        # An address the reference parser refuses is still a live link on the page.
        '<p><a href="https://spam_shop.example/buy">paper</a></p>',
        '<p><a href="https://spam.example/a b">paper</a></p>',
        # A link after as many citations as a comment keeps is still a link.
        "<p>"
        + "".join(f'<a href="https://doi.org/10.1000/{n}">{n}</a> ' for n in range(40))
        + '<a href="https://spam.example/buy">more</a></p>',
    ],
)
def test_every_live_link_of_a_remote_reply_counts_under_hold_links(remote_reply, content):
    comment = services.comment_receive_remote(**remote_reply(content_html=content, author_follows=False))
    assert "<a" not in comment.body_html.replace('<a href="https://doi.org/', "") or comment.status == "held"


def test_helpful_marks_are_rate_limited_per_user(member, other_member, public_episode, settings):
    """Each toggle writes an audit row: a script toggling without end is stopped."""
    settings.PODCASTCME_HELPFUL_RATE_LIMITS = [(3, 600)]
    comment = services.comment_post(user=member, episode=public_episode, body="Useful")
    for _toggle in range(3):
        services.helpful_toggle(comment=comment, user=other_member)
    with pytest.raises(RateLimited) as refused:
        services.helpful_toggle(comment=comment, user=other_member)
    assert refused.value.status == 429
    assert AuditEvent.objects.filter(action__startswith="comment.helpful").count() == 3


def test_a_long_actor_address_keeps_the_rate_limit_cache_keys_short(remote_reply, monkeypatch):
    keys_used: list[str] = []
    take = services._rate_take

    def spy(keys):
        keys_used.extend(key for key, _count, _seconds in keys)
        return take(keys)

    monkeypatch.setattr(services, "_rate_take", spy)
    actor = "https://mastodon.example/users/" + "a" * 450
    services.comment_receive_remote(**remote_reply(actor_url=actor))
    assert keys_used and all(len(key) <= 200 for key in keys_used)
