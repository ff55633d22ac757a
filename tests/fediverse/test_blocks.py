"""Blocked domains: site-wide (operator: command, admin) and per show (host); subdomains covered;
a block ends follows and stops deliveries; refused both ways (inbox 403: test_inbox.py; delivery
BLOCKED: test_delivery.py); audited."""

import html

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from fediverse.audit_actions import FediverseAction
from fediverse.blocks import BlockError, domain_block, domain_unblock, is_blocked, normalise_domain
from fediverse.delivery import deliver
from fediverse.models import BlockedDomain, Delivery, Follower, InboxActivity, RemoteActor
from fediverse.remote import RemoteError, fetch_actor, url_domain
from testkit import factories
from testkit.admin_pages import admin_url, assert_read_only_in_admin
from testkit.mfa import mfa_login

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Mastodon.Example", "mastodon.example"),
        ("  spam.example.  ", "spam.example"),
        ("https://spam.example/users/x", "spam.example"),
        ("@bob@spam.example", "spam.example"),
        ("spam.example:8443", "spam.example"),
        ("bücher.example", "xn--bcher-kva.example"),
    ],
)
def test_domains_are_normalised(given, expected):
    assert normalise_domain(given) == expected


@pytest.mark.parametrize(
    "bad", ["", "   ", "example", "a..example", "-bad.example", "spa m.example", "x" * 300]
)
def test_what_is_not_a_domain_is_refused_with_a_message(bad):
    with pytest.raises(BlockError, match="is not a domain name"):
        normalise_domain(bad)


def test_a_block_covers_subdomains_but_not_lookalikes(show):
    domain_block(domain="spam.example", by=None, reason="")
    assert is_blocked("spam.example")
    assert is_blocked("Social.SPAM.example")
    assert not is_blocked("notspam.example")
    assert not is_blocked("spam.example.org")
    assert is_blocked("spam.example", show=show)  # a site-wide block holds for every show


def test_a_block_holds_for_every_spelling_of_the_domain(show):
    # Blocks are stored as IDNA; inboxes and actors arrive in Unicode, upper case, with a trailing
    # dot or the ideographic full stop: before, "bücher.example." in a URL was not "xn--bcher-kva".
    domain_block(domain="bücher.example", by=None, reason="")
    for url in [
        "https://BÜCHER.example./inbox",
        "https://social.bücher.example/inbox",
        "https://bücher\u3002example/inbox",
        "https://xn--bcher-kva.example/inbox",
    ]:
        assert is_blocked(url_domain(url)), url
    assert not is_blocked(url_domain("https://bucher.example/inbox"))
    deliver(show=show, activity={"type": "Create"}, inboxes=["https://Bücher.example./inbox"])
    assert Delivery.objects.get().status == Delivery.Status.BLOCKED


def test_a_show_block_holds_for_that_show_only(show):
    other = factories.make_show(title="Other", slug="other")
    domain_block(domain="spam.example", show=show, by=None, reason="")
    assert is_blocked("a.spam.example", show=show)
    assert not is_blocked("a.spam.example", show=other)
    assert not is_blocked("a.spam.example")


def _follow(show, url: str) -> Follower:
    domain = url.split("/")[2]
    actor, _ = RemoteActor.objects.get_or_create(
        url=url, defaults={"domain": domain, "inbox": url + "/inbox"}
    )
    return Follower.objects.create(show=show, actor=actor, follow_activity_id=url + "/follow")


def test_a_site_wide_block_ends_follows_and_stops_deliveries_everywhere(show, make_user):
    operator = make_user("operator@example.org", is_staff=True)
    other = factories.make_show(title="Other", slug="other")
    from_spam = [_follow(show, "https://spam.example/u/a"), _follow(other, "https://m.spam.example/u/b")]
    kept = _follow(show, "https://fine.example/u/c")
    waiting = Delivery.objects.create(
        show=other, inbox="https://m.spam.example/inbox", domain="m.spam.example", activity={"type": "Create"}
    )
    done = Delivery.objects.create(
        show=show,
        inbox="https://spam.example/inbox",
        domain="spam.example",
        activity={"type": "Create"},
        status=Delivery.Status.DELIVERED,
    )
    block = domain_block(domain="SPAM.example", by=operator, reason="harassment")
    assert (block.domain, block.show, block.reason, block.created_by) == (
        "spam.example",
        None,
        "harassment",
        operator,
    )
    for follow in from_spam:
        follow.refresh_from_db()
        assert follow.ended_at is not None
    kept.refresh_from_db()
    assert kept.ended_at is None
    waiting.refresh_from_db()
    done.refresh_from_db()
    assert waiting.status == Delivery.Status.BLOCKED
    assert done.status == Delivery.Status.DELIVERED  # history is kept as it was
    event = AuditEvent.objects.get(action=FediverseAction.DOMAIN_BLOCKED)
    assert event.actor == operator
    assert event.data == {
        "domain": "spam.example",
        "site_wide": True,
        "reason": "harassment",
        "follows_ended": 2,
        "deliveries_stopped": 1,
    }
    assert AuditEvent.objects.filter(action=FediverseAction.FOLLOW_ENDED).count() == 2


def test_a_show_block_ends_only_that_shows_follows(show):
    other = factories.make_show(title="Other", slug="other")
    here, there = _follow(show, "https://spam.example/u/a"), _follow(other, "https://spam.example/u/a")
    domain_block(domain="spam.example", show=show, by=None, reason="")
    here.refresh_from_db()
    there.refresh_from_db()
    assert here.ended_at is not None and there.ended_at is None


def test_blocking_twice_is_refused_and_unblocking_is_audited(show, host):
    domain_block(domain="spam.example", show=show, by=host, reason="")
    with pytest.raises(BlockError, match="already blocked"):
        domain_block(domain="spam.example", show=show, by=host, reason="")
    domain_block(domain="spam.example", by=None, reason="")  # the site-wide one is another row
    assert BlockedDomain.objects.count() == 2
    domain_unblock(domain="spam.example", show=show, by=host)
    assert list(BlockedDomain.objects.values_list("show", flat=True)) == [None]
    event = AuditEvent.objects.get(action=FediverseAction.DOMAIN_UNBLOCKED)
    assert (event.actor, event.object_id, event.data["domain"]) == (host, str(show.pk), "spam.example")
    with pytest.raises(BlockError, match="is not blocked"):
        domain_unblock(domain="spam.example", show=show, by=host)


def test_fetching_an_actor_of_a_blocked_domain_is_refused_without_a_request(monkeypatch):
    domain_block(domain="spam.example", by=None, reason="")
    monkeypatch.setattr("fediverse.remote.request", lambda *a, **k: pytest.fail("no request may be made"))
    with pytest.raises(RemoteError, match="spam.example is blocked"):
        fetch_actor("https://social.spam.example/users/x")


# --- The operator's command ---------------------------------------------------------------------


def test_the_command_blocks_lists_and_unblocks(capsys):
    call_command("fediverse_block", "Spam.Example", "--reason", "spam waves")
    assert "spam.example is blocked for every show" in capsys.readouterr().out
    block = BlockedDomain.objects.get()
    assert (block.domain, block.show, block.reason) == ("spam.example", None, "spam waves")
    call_command("fediverse_block", "--list")
    assert "spam.example" in capsys.readouterr().out
    with pytest.raises(CommandError, match="already blocked"):
        call_command("fediverse_block", "spam.example")
    call_command("fediverse_block", "spam.example", "--remove")
    assert not BlockedDomain.objects.exists()
    assert AuditEvent.objects.filter(action=FediverseAction.DOMAIN_UNBLOCKED).count() == 1


@pytest.mark.parametrize(
    ("args", "message"), [(["not a domain"], "is not a domain"), ([], "Name the domain")]
)
def test_the_command_refuses_bad_input_and_writes_nothing(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("fediverse_block", *args)
    assert not BlockedDomain.objects.exists() and not AuditEvent.objects.exists()


def test_the_command_refuses_to_unblock_what_is_not_blocked():
    with pytest.raises(CommandError, match="is not blocked"):
        call_command("fediverse_block", "spam.example", "--remove")


# --- The admin ------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, make_user):
    superuser = make_user("root@example.org", is_staff=True, is_superuser=True)
    mfa_login(client, superuser)
    client.superuser = superuser
    return client


def test_federation_records_are_read_only_in_the_admin(admin_client, show):
    actor = RemoteActor.objects.create(
        url="https://social.example/u/a", domain="social.example", inbox="https://x.example/i"
    )
    follower = Follower.objects.create(show=show, actor=actor, follow_activity_id="https://social.example/f")
    delivery = Delivery.objects.create(
        show=show, inbox="https://social.example/inbox", domain="social.example", activity={"type": "Accept"}
    )
    received = InboxActivity.objects.create(
        activity_id="https://social.example/a/1", actor_url=actor.url, type="Like", outcome="ignored: Like"
    )
    for obj in (actor, follower, delivery, received):
        assert_read_only_in_admin(admin_client, obj, "read-only here")


def test_the_admin_lists_blocks_and_lifts_them_through_the_service(admin_client, show):
    block = domain_block(domain="spam.example", by=None, reason="spam")
    domain_block(domain="other.example", show=show, by=None, reason="")
    page = admin_client.get(admin_url(BlockedDomain, "changelist"))
    assert page.status_code == 200
    assert "fediverse_block" in html.unescape(page.content.decode())
    assert admin_client.get(admin_url(BlockedDomain, "add")).status_code == 403
    assert admin_client.get(admin_url(BlockedDomain, "delete", block.pk)).status_code == 403
    response = admin_client.post(
        admin_url(BlockedDomain, "changelist"),
        {"action": "unblock", "_selected_action": [block.pk], "index": "0"},
    )
    assert response.status_code == 302
    assert list(BlockedDomain.objects.values_list("domain", flat=True)) == ["other.example"]
    event = AuditEvent.objects.get(action=FediverseAction.DOMAIN_UNBLOCKED)
    assert event.actor == admin_client.superuser and event.data["site_wide"] is True
