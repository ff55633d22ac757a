"""Federation against a second, independent ActivityPub implementation (issue 17, "Tests").

The far end is ``testkit.fediverse_peer``: an aiohttp server on 127.0.0.1 built with bovine, an
ActivityPub library from PyPI. It signs what it sends and verifies what it receives with bovine's
draft-cavage HTTP signatures; nothing on the wire is built or checked by our fediverse code on its
side. Our side is the live server (its URL is SITE_URL, so ids and the handle's domain match) and
the services a host uses. The task backend is immediate in tests: deliveries happen during the
request or service call that causes them, so the peer has them when the call returns.

One story, in order: WebFinger, actor (the peer in authorized-fetch mode checks our signed GET of
its actor), follow and Accept, a new episode (and a CME one) as Notes with their media served,
replies held or shown by the show's moderation rule (a DOI in one kept as a citation), the reply
edited, a site member's answer federated as the show's reply and hidden (Delete), the reply deleted,
the episode edited and corrected (Updates) and unpublished (Delete), unfollow (nothing more
delivered; the next reply waits for a host). Then a blocked domain, and the refusals: another key,
a stale Date, no signature, a body changed after signing, a replayed activity; and the peer's own
check proven real on a delivery our server signed.
"""

import io
import json
import re
import urllib.request
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from bovine.crypto import generate_rsa_public_private_key
from django.core.files import File
from multidict import CIMultiDict

from discussion.models import Comment, Moderation
from discussion.services import comment_approve, comment_hide, comment_post, moderation_set
from episodes import services as episode_services
from episodes.models import Episode
from fediverse.blocks import domain_block
from fediverse.models import Delivery, Follower, InboxActivity
from podcastcme.corrections import publish_correction
from testkit import factories
from testkit.fediverse_peer import FediversePeer, sha256_digest
from testkit.media import make_artwork, make_audio

pytestmark = pytest.mark.django_db(transaction=True)

AS_PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
ACCEPTED = (200, 201, 202, 204)
DAS_DOI = "10.1093/bja/aev371"  # Difficult Airway Society 2015 guidelines


def _draft_episode(show, host, title: str, topics: str, *, artwork: bool = False) -> Episode:
    cover = File(io.BytesIO(make_artwork(1400)), name="cover.jpg") if artwork else None
    with open(make_audio(3.0, "mp3"), "rb") as handle:
        return episode_services.episode_create(
            show=show,
            actor=host,
            title=title,
            audio=File(handle, name="episode.mp3"),
            topics=topics,
            notes="Where the probe goes, and why.",
            artwork=cover,
        )


def _served(url: str) -> tuple[int, str, int]:
    """(status, content type, length) of a plain GET, as a Mastodon client fetching media would."""
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.headers.get("Content-Type", ""), len(response.read())


def _signed_headers(delivery) -> set[str]:
    match = re.search(r'headers="([^"]+)"', delivery.headers.get("Signature", ""))
    assert match, f"no signature headers list in {delivery.headers.get('Signature')!r}"
    return set(match.group(1).split())


def _addressed(document: dict) -> set[str]:
    found: set[str] = set()
    for key in ("to", "cc"):
        value = document.get(key) or []
        found |= set(value if isinstance(value, list) else [value])
    return found


def _page(client, episode: Episode) -> str:
    response = client.get(episode.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def _following(show, peer: FediversePeer) -> bool:
    return Follower.objects.filter(show=show, actor__url=peer.actor_id, ended_at__isnull=True).exists()


def test_a_server_of_another_make_follows_a_show_gets_its_episodes_and_replies(
    fediverse_peer, federating_site, show, host, provider, coordinator, show_grant, client
):
    peer: FediversePeer = fediverse_peer
    peer.authorized_fetch = True  # as Mastodon in secure mode: our fetches of its actor must be signed
    site = federating_site.url
    actor_url = f"{site}/ap/shows/{show.slug}"

    # 1. The peer resolves @airway-rounds@<live server host:port> and fetches the actor (signed GET).
    assert peer.webfinger(f"{show.slug}@{urlsplit(site).netloc}", base_url=site) == actor_url
    fetched = peer.get(actor_url)
    assert fetched.status == 200, fetched.text[:500]
    assert "application/activity+json" in fetched.headers.get("Content-Type", "")
    actor = fetched.json()
    assert actor["id"] == actor_url
    assert actor["type"] == "Person"
    assert actor["preferredUsername"] == show.slug
    assert actor["name"] == show.title
    assert actor["publicKey"]["id"] == f"{actor_url}#main-key"
    assert actor["publicKey"]["owner"] == actor_url
    assert "BEGIN PUBLIC KEY" in actor["publicKey"]["publicKeyPem"]
    inbox, shared_inbox = actor["inbox"], actor["endpoints"]["sharedInbox"]
    assert inbox.startswith(site) and shared_inbox.startswith(site)

    # 2. Follow; the Accept comes back signed, and bovine verifies it with the actor's key.
    follow = peer.follow_activity(actor_url)
    answer = peer.post(inbox, follow)
    assert answer.status in ACCEPTED, (answer.status, answer.text[:500])
    accept = peer.wait_for("Accept")
    assert accept.signer == actor_url
    assert accept.activity["actor"] == actor_url
    assert accept.object_id() == follow["id"]
    assert {"(request-target)", "host", "date", "digest"} <= _signed_headers(accept)
    assert _following(show, peer)
    # Our server fetched the peer's actor to check the Follow's signature, with a signed GET the
    # peer verified (the other way round).
    actor_path = urlsplit(peer.actor_id).path
    assert [f.signer for f in peer.fetches if f.path == actor_path] == [actor_url]
    followers = peer.get(actor["followers"])
    assert followers.status == 200 and followers.json()["totalItems"] == 1

    # 3. The host publishes a new episode: a draft is not federated, publishing sends a Create.
    seen = peer.received_count()
    title = "Ultrasound before the difficult airway"
    episode = _draft_episode(show, host, title, "#POCUS airway", artwork=True)
    assert peer.received_count() == seen, "a draft reached the followers"
    episode = episode_services.episode_publish(episode=episode, actor=host)
    create = peer.wait_for("Create", after=seen)
    assert create.signer == actor_url
    assert create.activity["actor"] == actor_url
    assert create.inbox == "/inbox", "a follower with a shared inbox gets deliveries there"
    note = create.object
    assert isinstance(note, dict), "the Create embeds the Note"
    assert note["id"] == f"{site}/ap/episodes/{episode.pk}"
    assert note["type"] == "Note"
    assert note["attributedTo"] == actor_url
    assert AS_PUBLIC in _addressed(note)
    assert note["url"] == site + episode.get_absolute_url()
    assert title in note["content"]
    assert "Where the probe goes, and why." in note["content"]  # the summary
    hashtags = {tag["name"].lower() for tag in note.get("tag", []) if tag.get("type") == "Hashtag"}
    assert {"#pocus", "#airway"} <= hashtags
    audio = [a for a in note.get("attachment", []) if str(a.get("mediaType", "")).startswith("audio/")]
    assert len(audio) == 1 and audio[0]["mediaType"] == "audio/mpeg"
    assert urlsplit(audio[0]["url"]).path.endswith(".mp3")
    status, content_type, length = _served(audio[0]["url"])
    assert (status, content_type) == (200, "audio/mpeg") and length == episode.audio_size
    images = [a for a in note["attachment"] if a.get("type") == "Image"]
    assert len(images) == 1 and images[0]["mediaType"] == "image/jpeg"
    status, content_type, _length = _served(images[0]["url"])
    assert (status, content_type) == (200, "image/jpeg")
    assert "AMA PRA Category 1" not in note["content"], "no credit line without a CME activity"
    fetched_note = peer.get(note["id"])
    assert fetched_note.status == 200 and fetched_note.json()["id"] == note["id"]
    outbox = peer.get(actor["outbox"])
    assert outbox.status == 200 and outbox.json()["totalItems"] == 1

    # ... and a CME episode carries the credit line and the claim link (the episode page).
    cme = _draft_episode(show, host, "Front of neck access", "airway")
    factories.make_activity(provider=provider, episode=cme, coordinator=coordinator)
    seen = peer.received_count()
    episode_services.episode_publish(episode=cme, actor=host)
    cme_id = f"{site}/ap/episodes/{cme.pk}"
    cme_note = peer.wait_for("Create", lambda d: d.object_id() == cme_id, after=seen).object
    assert "Earn 0.75 AMA PRA Category 1 Credit" in cme_note["content"]  # the activity's 0.75 credits
    claim_page = site + cme.get_absolute_url()
    assert f'href="{claim_page}"' in cme_note["content"]

    # 4. Replies come home. Hold all: the reply is kept, held, not on the page.
    moderation_set(show=show, by=host, moderation=Moderation.HOLD_ALL, comments_open=True)
    held = peer.reply_note(note, "<p>Which probe do you start with?</p>")
    answer = peer.post(shared_inbox, peer.create_activity(held))
    assert answer.status in ACCEPTED, (answer.status, answer.text[:500])
    comment = Comment.objects.get(remote_object_id=held["id"])
    assert comment.episode_id == episode.pk
    assert comment.origin == Comment.Origin.REMOTE
    assert comment.status == Comment.Status.HELD
    assert comment.remote_actor_url == peer.actor_id
    assert comment.remote_handle == peer.handle  # the handle WebFinger resolves: with the port
    assert "Which probe" not in _page(client, episode)
    comment_approve(comment=comment, by=host)  # the host approves it: now on the page
    assert "Which probe do you start with?" in _page(client, episode)

    # Auto-approve followers: the peer follows, so its reply is shown at once, with its handle and
    # a link to the original; the script it carried is gone.
    moderation_set(show=show, by=host, moderation=Moderation.AUTO_APPROVE_FOLLOWERS, comments_open=True)
    shown = peer.reply_note(
        note, f"<p>Linear probe, transverse at the membrane (doi:{DAS_DOI}).</p><script>alert(1)</script>"
    )
    answer = peer.post(inbox, peer.create_activity(shown))
    assert answer.status in ACCEPTED, (answer.status, answer.text[:500])
    comment = Comment.objects.get(remote_object_id=shown["id"])
    assert comment.status == Comment.Status.SHOWN
    assert [(r.kind, r.value) for r in comment.references.all()] == [("doi", DAS_DOI)]  # a citation
    page = _page(client, episode)
    assert "Linear probe, transverse at the membrane" in page
    assert peer.handle in page
    assert shown["url"] in page
    assert "alert(1)" not in page

    # The peer edits its reply (Update), then deletes it (Delete with a Tombstone).
    answer = peer.post(inbox, peer.update_activity(shown, "<p>Linear probe, longitudinal first.</p>"))
    assert answer.status in ACCEPTED, (answer.status, answer.text[:500])
    page = _page(client, episode)
    assert "longitudinal first" in page and "transverse at the membrane" not in page

    # A site member answers the peer's reply on the episode page: the show federates it as its own
    # reply, in the thread (inReplyTo the peer's reply) and addressed to the peer's account.
    member = factories.make_user("member@example.org")  # a verified email address
    seen = peer.received_count()
    site_reply = comment_post(
        user=member, episode=episode, body="Agreed, longitudinal first.", in_reply_to=comment
    )
    assert site_reply.status == Comment.Status.SHOWN
    site_note_id = f"{site}/ap/comments/{site_reply.pk}"
    site_note = peer.wait_for("Create", lambda d: d.object_id() == site_note_id, after=seen).object
    assert site_note["attributedTo"] == actor_url
    assert site_note["inReplyTo"] == shown["id"]
    assert peer.actor_id in _addressed(site_note)
    assert "Agreed, longitudinal first." in site_note["content"]
    # The host hides it (with a reason): a Delete of that Note.
    comment_hide(comment=site_reply, by=host, reason="Duplicate of the answer above.")
    peer.wait_for("Delete", lambda d: d.object_id() == site_note_id, after=seen)

    answer = peer.post(inbox, peer.delete_activity(shown))
    assert answer.status in ACCEPTED, (answer.status, answer.text[:500])
    comment.refresh_from_db()
    assert comment.deleted_at is not None
    assert "longitudinal first" not in _page(client, episode)

    # 5. The host edits the episode: its followers get an Update of the same Note.
    seen = peer.received_count()
    episode_services.episode_update(
        episode=episode, actor=host, data={"title": "Ultrasound before every difficult airway"}
    )
    update = peer.wait_for("Update", lambda d: d.object_id() == note["id"], after=seen)
    assert update.signer == actor_url
    assert "Ultrasound before every difficult airway" in update.object["content"]

    # A correction on the episode reaches them as an Update too.
    seen = peer.received_count()
    publish_correction(episode=episode, text="The membrane is 1 cm wide in adults, not 2.", by=host)
    update = peer.wait_for("Update", lambda d: d.object_id() == note["id"], after=seen)
    assert "The membrane is 1 cm wide in adults, not 2." in update.object["content"]

    # 6. Back to draft: a Delete of the Note, which is no longer served.
    seen = peer.received_count()
    episode_services.episode_update(episode=episode, actor=host, data={"status": Episode.Status.DRAFT})
    delete = peer.wait_for("Delete", lambda d: d.object_id() == note["id"], after=seen)
    assert delete.signer == actor_url
    assert peer.get(note["id"]).status in (404, 410)

    # 7. Unfollow: no more deliveries to the peer.
    answer = peer.post(inbox, peer.undo_activity(follow))
    assert answer.status in ACCEPTED, (answer.status, answer.text[:500])
    assert not _following(show, peer)
    assert peer.get(actor["followers"]).json()["totalItems"] == 0
    seen = peer.received_count()
    before = Delivery.objects.filter(inbox__startswith=peer.base_url).count()
    later = _draft_episode(show, host, "Cannot intubate, cannot oxygenate", "airway")
    episode_services.episode_publish(episode=later, actor=host)
    assert peer.received_count() == seen
    assert Delivery.objects.filter(inbox__startswith=peer.base_url).count() == before
    # No longer a follower, its next reply waits for a host (auto-approve is for followers).
    stranger = peer.reply_note(cme_note, "<p>Scalpel, bougie, tube.</p>")
    answer = peer.post(shared_inbox, peer.create_activity(stranger))
    assert answer.status in ACCEPTED, (answer.status, answer.text[:500])
    assert Comment.objects.get(remote_object_id=stranger["id"]).status == Comment.Status.HELD

    # Everything our server sent verified on the peer, and every delivery is marked delivered.
    assert peer.rejected == []
    assert set(Delivery.objects.filter(inbox__startswith=peer.base_url).values_list("status", flat=True)) == {
        Delivery.Status.DELIVERED
    }


def test_a_blocked_server_is_neither_delivered_to_nor_heard(fediverse_peer, federating_site, show, host):
    """The host blocks the peer's domain: its follow ends, a new episode is not sent there, and
    what it sends next (a reply, a new Follow) is refused."""
    peer: FediversePeer = fediverse_peer
    actor_url = f"{federating_site.url}/ap/shows/{show.slug}"
    inbox = f"{actor_url}/inbox"
    answer = peer.post(inbox, peer.follow_activity(actor_url))
    assert answer.status in ACCEPTED, (answer.status, answer.text[:500])
    peer.wait_for("Accept")
    episode = _draft_episode(show, host, "Awake tracheal intubation", "airway")
    episode_services.episode_publish(episode=episode, actor=host)
    note = peer.wait_for("Create").object

    domain_block(domain=urlsplit(peer.base_url).hostname or "", show=show, by=host, reason="Spam")
    assert not _following(show, peer)
    seen = peer.received_count()
    delivered = Delivery.objects.filter(inbox__startswith=peer.base_url, status=Delivery.Status.DELIVERED)
    before = delivered.count()
    later = _draft_episode(show, host, "Extubation", "airway")
    episode_services.episode_publish(episode=later, actor=host)
    assert peer.received_count() == seen
    assert delivered.count() == before
    reply = peer.reply_note(note, "<p>Blocked, but trying.</p>")
    assert peer.post(inbox, peer.create_activity(reply)).status == 403
    assert peer.post(inbox, peer.follow_activity(actor_url)).status == 403
    assert not Comment.objects.filter(remote_object_id=reply["id"]).exists()
    assert not _following(show, peer)


# --- Refusals -------------------------------------------------------------------------------------


@pytest.fixture
def reply_to_episode(fediverse_peer, federating_site, show):
    """A published episode (no follower needed) and the peer's Create of a reply to its Note."""
    episode = factories.make_episode(show)
    site = federating_site.url
    actor_url = f"{site}/ap/shows/{show.slug}"
    note = {"id": f"{site}/ap/episodes/{episode.pk}", "type": "Note", "attributedTo": actor_url}
    reply = fediverse_peer.reply_note(note, "<p>Source? The guideline says otherwise.</p>")
    return episode, f"{actor_url}/inbox", fediverse_peer.create_activity(reply)


def _nothing_taken(create: dict) -> None:
    assert not Comment.objects.filter(remote_object_id=create["object"]["id"]).exists()
    assert not InboxActivity.objects.filter(activity_id=create["id"]).exists()


def test_the_inbox_refuses_a_signature_made_with_another_key(fediverse_peer, reply_to_episode):
    _episode, inbox, create = reply_to_episode
    _public, other_private = generate_rsa_public_private_key()
    answer = fediverse_peer.post_forged(inbox, create, private_key_pem=other_private)
    assert answer.status == 401, (answer.status, answer.text[:500])
    _nothing_taken(create)


def test_the_inbox_refuses_a_stale_or_future_date(fediverse_peer, reply_to_episode):
    _episode, inbox, create = reply_to_episode
    for date in (datetime.now(tz=UTC) - timedelta(hours=1), datetime.now(tz=UTC) + timedelta(hours=1)):
        answer = fediverse_peer.post_forged(inbox, create, date=date)
        assert answer.status == 401, (date, answer.status, answer.text[:500])
    _nothing_taken(create)


def test_the_inbox_refuses_no_signature_and_a_body_changed_after_signing(fediverse_peer, reply_to_episode):
    _episode, inbox, create = reply_to_episode
    answer = fediverse_peer.post_forged(inbox, create, unsigned=True)
    assert answer.status == 401, (answer.status, answer.text[:500])
    changed = {**create, "object": {**create["object"], "content": "<p>Buy now!</p>"}}
    answer = fediverse_peer.post_forged(inbox, create, body_after_signing=json.dumps(changed).encode())
    assert answer.status == 401, (answer.status, answer.text[:500])
    _nothing_taken(create)


def test_a_replayed_activity_is_applied_once(fediverse_peer, reply_to_episode):
    episode, inbox, create = reply_to_episode
    first = fediverse_peer.post(inbox, create)
    assert first.status in ACCEPTED, (first.status, first.text[:500])
    again = fediverse_peer.post(inbox, create)  # freshly signed, same activity id
    assert again.status in (*ACCEPTED, 409), (again.status, again.text[:500])
    assert Comment.objects.filter(remote_object_id=create["object"]["id"]).count() == 1
    assert InboxActivity.objects.filter(activity_id=create["id"]).count() == 1
    assert episode.comments.count() == 1


def test_the_peer_check_is_real_on_what_our_server_signed(fediverse_peer, federating_site, show):
    """Prove the far end's verification is not a rubber stamp: the Accept our server signed
    verifies as sent, and fails once its body (with or without a matching Digest) or its signature
    is changed; the peer answers an unsigned POST with 401."""
    peer: FediversePeer = fediverse_peer
    actor_url = f"{federating_site.url}/ap/shows/{show.slug}"
    answer = peer.post(f"{actor_url}/inbox", peer.follow_activity(actor_url))
    assert answer.status in ACCEPTED, (answer.status, answer.text[:500])
    accept = peer.wait_for("Accept")
    assert peer.verify_sync(accept.method, accept.url, accept.headers, accept.body) == actor_url

    tampered = accept.body.replace(b'"Accept"', b'"Reject"')
    assert tampered != accept.body
    assert peer.verify_sync(accept.method, accept.url, accept.headers, tampered) is None
    rehashed = CIMultiDict(accept.headers)
    rehashed["Digest"] = sha256_digest(tampered)
    assert peer.verify_sync(accept.method, accept.url, rehashed, tampered) is None
    forged = CIMultiDict(accept.headers)
    forged["Signature"] = re.sub(r'signature="[^"]+"', 'signature="AAAA"', forged["Signature"])
    assert peer.verify_sync(accept.method, accept.url, forged, accept.body) is None
    elsewhere = accept.url.replace("/inbox", "/outbox")  # (request-target) is signed too
    assert peer.verify_sync(accept.method, elsewhere, accept.headers, accept.body) is None

    refused = peer.post_forged(peer.inbox, peer.follow_activity(actor_url), unsigned=True)
    assert refused.status == 401
    assert peer.rejected and peer.rejected[-1].reason == "HTTP signature not verified"
