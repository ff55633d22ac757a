"""An episode as the show's Note (what a Mastodon user sees) and a site comment as the show's reply:
hashtags, the audio and artwork attachments, the credit line only while a CME activity is open for
claims, corrections, and every field through the allow-list (a script never comes out)."""

import datetime
import json

import pytest
from django.utils import timezone

from credits.versions import activity_withdraw
from discussion.models import Comment, CommentReference, Correction
from episodes.models import Topic
from fediverse import notes
from fediverse.keys import actor_url
from testkit import factories

pytestmark = pytest.mark.django_db

SITE = "http://testserver"


@pytest.fixture
def tagged(episode):
    for name, slug in (("POCUS", "pocus"), ("OB-anes", "ob-anes"), ("2024", "2024")):
        episode.topics.add(Topic.objects.create(name=name, slug=slug))
    return episode


def test_an_episode_note_has_mastodons_shape(tagged):
    episode = tagged
    note = notes.episode_note(episode)
    page = SITE + episode.get_absolute_url()
    assert note["id"] == f"{SITE}/ap/episodes/{episode.pk}"
    assert note["type"] == "Note"
    assert note["attributedTo"] == actor_url(episode.show) == f"{SITE}/ap/shows/airway-rounds"
    assert note["to"] == ["https://www.w3.org/ns/activitystreams#Public"]
    assert note["cc"] == [f"{SITE}/ap/shows/airway-rounds/followers"]
    assert note["url"] == page
    assert note["published"] == episode.publish_at.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert "summary" not in note  # Mastodon shows a summary as a content warning
    assert note["content"].startswith("<p><strong>Difficult airway</strong></p>")
    assert note["contentMap"] == {"en": note["content"]}
    assert f'<a href="{page}">{page}</a>' in note["content"]
    assert "updated" not in note


def test_topics_are_hashtags_in_the_content_and_the_tags(tagged):
    note = notes.episode_note(tagged)
    assert (
        f'<a href="{SITE}/topics/pocus/" class="mention hashtag" rel="tag">#<span>POCUS</span></a>'
        in note["content"]
    )
    # A hyphen is not part of a Mastodon hashtag: dropped, the link still goes to the topic's page.
    assert (
        f'<a href="{SITE}/topics/ob-anes/" class="mention hashtag" rel="tag">#<span>OBanes</span></a>'
        in (note["content"])
    )
    assert note["tag"] == [
        {"type": "Hashtag", "href": f"{SITE}/topics/ob-anes/", "name": "#OBanes"},
        {"type": "Hashtag", "href": f"{SITE}/topics/pocus/", "name": "#POCUS"},
    ]  # "2024" is not a hashtag on Mastodon (digits only): left out


def test_the_audio_is_attached_with_its_type_and_public_url(episode):
    audio = notes.episode_note(episode)["attachment"][0]
    assert audio == {
        "type": "Document",
        "mediaType": "audio/mpeg",
        "url": f"{SITE}/audio/{episode.pk}/{episode.slug}.mp3",
        "name": "Difficult airway",
    }
    assert audio["url"] == episode.audio_url
    assert len(notes.episode_note(episode)["attachment"]) == 1  # no artwork: no image


def test_ogg_audio_is_attached_as_audio_ogg(show, show_grant):
    episode = factories.make_episode(show, slug="opus", audio_mime="audio/ogg; codecs=opus")
    audio = notes.episode_note(episode)["attachment"][0]
    assert audio["mediaType"] == "audio/ogg" and audio["url"].endswith(".opus")


def test_the_artwork_is_an_image_and_the_audio_players_icon(show, show_grant):
    show.artwork.name = "artwork/shows/airway-rounds-1234abcd.jpg"
    show.save()
    episode = factories.make_episode(show)
    audio, image = notes.episode_note(episode)["attachment"]
    url = f"{SITE}/shows/airway-rounds/artwork.jpg"
    assert url == SITE + show.get_feed_artwork_url()
    assert image == {"type": "Image", "mediaType": "image/jpeg", "url": url, "name": "Difficult airway"}
    assert audio["icon"] == {"type": "Image", "mediaType": "image/jpeg", "url": url}


def test_a_cme_episode_open_for_claims_carries_the_credit_line(activity):
    episode = activity.episode
    note = notes.episode_note(episode)
    until = activity.current_version.expiry_date
    page = SITE + episode.get_absolute_url()
    line = (
        f"<p>Earn 0.75 AMA PRA Category 1 Credit(s)™ until {until:%B} {until.day}, {until.year}: "
        f'<a href="{page}">{page}</a></p>'
    )
    assert line in note["content"]


def test_no_credit_line_without_an_activity(episode):
    assert "Earn" not in notes.episode_note(episode)["content"]


def test_no_credit_line_once_the_activity_expired(activity):
    factories.expire_activity(activity)
    assert "Earn" not in notes.episode_note(activity.episode)["content"]


def test_no_credit_line_before_its_release_date(activity):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    activity.current_version.__class__.objects.filter(pk=activity.current_version_id).update(
        release_date=tomorrow
    )
    assert "Earn" not in notes.episode_note(activity.episode)["content"]


def test_no_credit_line_for_a_withdrawn_or_draft_activity(activity, coordinator, show, provider):
    activity_withdraw(activity=activity, actor=coordinator, reason="Guideline changed")
    assert "Earn" not in notes.episode_note(activity.episode)["content"]
    other = factories.make_episode(show, slug="draft-cme")
    factories.make_activity(provider=provider, episode=other, coordinator=coordinator, publish=False)
    assert "Earn" not in notes.episode_note(other)["content"]


def test_the_summary_is_the_first_500_characters_of_the_notes_as_text(episode):
    words = " ".join(f"word{n}" for n in range(200))
    episode.notes_html = f"<p>First &amp; <em>foremost</em></p><ul><li>{words}</li></ul>"
    note = notes.episode_note(episode)
    assert "<p>First &amp; foremost<br>word0 word1" in note["content"]
    summary = note["content"].split("</strong></p><p>", 1)[1].split("</p>", 1)[0]
    assert summary.endswith("…")
    assert len(summary.replace("&amp;", "&").replace("<br>", "\n")) <= 501


def test_corrections_are_in_the_note_dated(episode, host):
    when = datetime.datetime(2026, 3, 4, 12, 0, tzinfo=timezone.get_current_timezone())
    Correction.objects.create(
        episode=episode, text="The dose is 1 mg/kg, not 10.", published_by=host, published_at=when
    )
    assert (
        "<p><strong>Correction (March 4, 2026):</strong> The dose is 1 mg/kg, not 10.</p>"
        in (notes.episode_note(episode)["content"])
    )


def test_a_script_in_the_title_notes_or_a_correction_never_comes_out(show, show_grant, host):
    episode = factories.make_episode(
        show,
        slug="evil",
        title='Airway <script>alert("t")</script><img src=x onerror=alert(1)>',
        notes_html='<p onclick="x()">Notes<script>alert("n")</script> <a href="javascript:alert(2)">link</a>'
        '<style>p{}</style><iframe src="https://evil.example"></iframe></p>',
    )
    Correction.objects.create(episode=episode, text="<script>alert('c')</script>Fixed", published_by=host)
    episode.topics.add(Topic.objects.create(name="POCUS", slug="pocus"))
    text = json.dumps(notes.episode_note(episode)).lower()
    for bad in (
        "<script",
        "alert",
        "onerror",
        "onclick",
        "javascript:",
        "<img",
        "<style",
        "<iframe",
        "&lt;script",
    ):
        assert bad not in text, bad
    note = notes.episode_note(episode)
    assert note["content"].startswith("<p><strong>Airway</strong></p><p>Notes link</p>")
    assert note["attachment"][0]["name"] == "Airway"


def test_the_sanitiser_keeps_only_the_allow_list():
    dirty = (
        '<p class="x" style="color:red">a<br><strong>b</strong><em>c</em><span class="h" id="i">d</span>'
        '<a href="https://x.example/" rel="tag" class="mention" target="_blank">e</a>'
        '<a href="data:text/html,x">f</a><b>g</b><img src="https://x.example/i.png"></p>'
    )
    assert notes.sanitise(dirty) == (
        '<p>a<br><strong>b</strong><em>c</em><span class="h">d</span>'
        '<a href="https://x.example/" rel="tag" class="mention">e</a><a>f</a>g</p>'
    )


def test_the_digest_ignores_updated_and_follows_the_content(episode):
    note = notes.episode_note(episode)
    later = notes.episode_note(episode, updated=timezone.now())
    assert later["updated"].endswith("Z")
    assert notes.note_digest(note) == notes.note_digest(later)
    episode.title = "Difficult airway (revised)"
    assert notes.note_digest(notes.episode_note(episode)) != notes.note_digest(note)


# --- Site comments as the show's replies -------------------------------------------------------


@pytest.fixture
def site_comment(episode, make_user):
    author = make_user("ada@example.org", profile=True)
    comment = Comment.objects.create(
        episode=episode,
        origin=Comment.Origin.SITE,
        author=author,
        body_html="<p>See the 2022 guideline.<script>alert(1)</script></p>",
        status=Comment.Status.SHOWN,
    )
    CommentReference.objects.create(comment=comment, kind="doi", value="10.1056/nejmoa2022", position=0)
    CommentReference.objects.create(comment=comment, kind="pmid", value="12345678", position=1)
    return comment


def test_a_site_comment_is_the_shows_reply_with_its_authors_name_and_references(site_comment):
    comment = site_comment
    note = notes.comment_note(comment)
    assert note["id"] == f"{SITE}/ap/comments/{comment.pk}"
    assert note["attributedTo"] == f"{SITE}/ap/shows/airway-rounds"
    assert note["inReplyTo"] == f"{SITE}/ap/episodes/{comment.episode_id}"
    assert note["url"] == SITE + comment.get_absolute_url()
    assert note["content"] == (
        "<p><strong>Ada Lovelace, MD</strong> wrote:</p><p>See the 2022 guideline.</p><p>References:</p>"
        '<p><a href="https://doi.org/10.1056/nejmoa2022">https://doi.org/10.1056/nejmoa2022</a><br>'
        '<a href="https://pubmed.ncbi.nlm.nih.gov/12345678/">https://pubmed.ncbi.nlm.nih.gov/12345678/</a></p>'
    )
    assert "ada@example.org" not in json.dumps(note)  # never the member's email


def test_a_reply_to_a_remote_comment_answers_it_and_mentions_its_author(site_comment, episode):
    remote = Comment.objects.create(
        episode=episode,
        origin=Comment.Origin.REMOTE,
        remote_actor_url="https://social.example/users/bob",
        remote_handle="@bob@social.example",
        remote_object_id="https://social.example/users/bob/statuses/1",
        body_html="<p>Is that right?</p>",
        status=Comment.Status.SHOWN,
    )
    site_comment.in_reply_to = remote
    site_comment.save()
    note = notes.comment_note(site_comment)
    assert note["inReplyTo"] == "https://social.example/users/bob/statuses/1"
    assert "https://social.example/users/bob" in note["cc"]
    assert {
        "type": "Mention",
        "href": "https://social.example/users/bob",
        "name": "@bob@social.example",
    } in note["tag"]


def test_a_reply_to_a_site_comment_answers_its_note(site_comment, episode, make_user):
    answer = Comment.objects.create(
        episode=episode,
        origin=Comment.Origin.SITE,
        author=make_user("member@example.org"),
        in_reply_to=site_comment,
        body_html="<p>Agreed.</p>",
        status=Comment.Status.SHOWN,
    )
    note = notes.comment_note(answer)
    assert note["inReplyTo"] == f"{SITE}/ap/comments/{site_comment.pk}"
    assert note["content"].startswith("<p><strong>A member</strong> wrote:</p>")
