"""The host's fediverse page of a show: who may see it, what it shows, blocking and unblocking."""

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from episodes.models import ShowHost
from fediverse.audit_actions import FediverseAction
from fediverse.blocks import domain_block
from fediverse.models import BlockedDomain, Delivery, Follower, RemoteActor
from testkit import factories
from testkit.mfa import mfa_login

pytestmark = pytest.mark.django_db

PAGE = "/host/shows/airway-rounds/fediverse/"


def _follower(show, name: str, domain: str) -> Follower:
    actor = RemoteActor.objects.create(
        url=f"https://{domain}/users/{name}",
        domain=domain,
        preferred_username=name,
        profile_url=f"https://{domain}/@{name}",
        inbox=f"https://{domain}/users/{name}/inbox",
    )
    return Follower.objects.create(show=show, actor=actor, follow_activity_id=actor.url + "/follow")


def test_anonymous_visitors_are_sent_to_log_in(client, show):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_user_who_hosts_nothing_is_refused(client, show, make_user):
    client.force_login(make_user("someone@example.org"))
    assert client.get(PAGE).status_code == 403


def test_the_host_of_another_show_gets_404(client, show, make_user):
    other = factories.make_show(title="Other", slug="other")
    user = make_user("other-host@example.org")
    ShowHost.objects.create(show=other, user=user)
    mfa_login(client, user)
    assert client.get(PAGE).status_code == 404
    assert client.post(PAGE, {"domain": "spam.example"}).status_code == 404
    assert not BlockedDomain.objects.exists()
    assert client.get("/host/shows/other/fediverse/").status_code == 200


def test_the_host_sees_handle_followers_blocks_and_deliveries(host_client, show):
    _follower(show, "alice", "social.example")
    _follower(show, "bob", "other.example")
    gone = _follower(show, "carol", "gone.example")
    RemoteActor.objects.filter(pk=gone.actor_id).update(gone_at=timezone.now())
    domain_block(domain="spam.example", show=show, by=None, reason="reply spam")
    Delivery.objects.create(
        show=show,
        inbox="https://dead.example/inbox",
        domain="dead.example",
        activity={"type": "Create"},
        status=Delivery.Status.GIVEN_UP,
        attempts=8,
        last_error="No answer from dead.example within 5.0 seconds (timed out).",
    )
    response = host_client.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "@airway-rounds@testserver" in html
    assert "2 followers" in html
    assert "@alice@social.example" in html and "@bob@other.example" in html
    assert "carol" not in html
    assert "spam.example" in html and "reply spam" in html
    assert "dead.example" in html and "Given up" in html and "timed out" in html


def test_the_host_blocks_a_domain(host_client, host, show):
    follow = _follower(show, "alice", "social.spam.example")
    response = host_client.post(PAGE, {"domain": "Spam.Example", "reason": "reply spam"})
    assert response.status_code == 302 and response["Location"] == PAGE
    block = BlockedDomain.objects.get()
    assert (block.domain, block.show, block.reason, block.created_by) == (
        "spam.example",
        show,
        "reply spam",
        host,
    )
    follow.refresh_from_db()
    assert follow.ended_at is not None
    event = AuditEvent.objects.get(action=FediverseAction.DOMAIN_BLOCKED)
    assert (event.actor, event.object_id) == (host, str(show.pk))
    assert "spam.example is blocked." in host_client.get(PAGE).content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"domain": ""}, "This field is required."),
        ({"domain": "not a domain"}, "is not a domain name"),
        ({"domain": "localhost.", "reason": "x" * 300}, "at most 255 characters"),
    ],
)
def test_bad_block_input_is_400_with_a_message_and_nothing_written(host_client, show, data, message):
    response = host_client.post(PAGE, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not BlockedDomain.objects.exists() and not AuditEvent.objects.exists()


def test_blocking_a_domain_twice_is_400(host_client, show):
    domain_block(domain="spam.example", show=show, by=None, reason="")
    response = host_client.post(PAGE, {"domain": "spam.example"})
    assert response.status_code == 400
    assert "spam.example is already blocked." in response.content.decode()
    assert BlockedDomain.objects.count() == 1


def test_the_host_unblocks_a_domain(host_client, host, show):
    domain_block(domain="spam.example", show=show, by=host, reason="")
    response = host_client.post(PAGE, {"unblock": "spam.example"})
    assert response.status_code == 302
    assert not BlockedDomain.objects.exists()
    assert AuditEvent.objects.filter(action=FediverseAction.DOMAIN_UNBLOCKED, actor=host).exists()
    assert "spam.example is no longer blocked." in host_client.get(PAGE).content.decode()


def test_a_host_cannot_lift_the_operators_block(host_client, show):
    domain_block(domain="spam.example", by=None, reason="")
    response = host_client.post(PAGE, {"unblock": "spam.example"}, follow=True)
    assert "spam.example is not blocked." in response.content.decode()
    assert BlockedDomain.objects.get().show is None


def test_blocking_and_unblocking_need_the_csrf_token(host, show):
    strict = Client(enforce_csrf_checks=True)
    mfa_login(strict, host)
    domain_block(domain="kept.example", show=show, by=host, reason="")
    events = AuditEvent.objects.count()
    assert strict.post(PAGE, {"domain": "spam.example"}).status_code == 403
    assert strict.post(PAGE, {"unblock": "kept.example"}).status_code == 403
    assert list(BlockedDomain.objects.values_list("domain", flat=True)) == ["kept.example"]
    assert AuditEvent.objects.count() == events
