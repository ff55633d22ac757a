"""Corrections on episodes (issue 17 item 3): the service's rules, the episode page, the feed item
(read with feedparser and podcastparser), and the host's page."""

import io
from datetime import timedelta
from email.utils import parsedate_to_datetime

import feedparser
import podcastparser
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from audit.models import AuditEvent
from discussion.audit_actions import DiscussionAction
from discussion.corrections import (
    MAX_CORRECTION_CHARS,
    CorrectionError,
    correction_publish,
    episode_corrections,
)
from discussion.demo import DEMO_REMOTE_HANDLE, HIDE_REASON, seed_demo_discussion
from discussion.models import Comment, Correction
from episodes.feeds import build_feed
from episodes.models import Episode, Show, ShowHost
from testkit import factories
from testkit.mfa import mfa_login

FIX = "The dose of rocuronium is 1.2 mg/kg for rapid sequence induction, not 0.6 mg/kg."


def _label(correction: Correction) -> str:
    return f"Correction ({date_format(timezone.localtime(correction.published_at), 'j M Y')}):"


@pytest.fixture
def public(show):
    return factories.make_episode(show, notes_html="<p>Rapid sequence induction, step by step.</p>")


@pytest.fixture
def comment(public, learner):
    return Comment.objects.create(
        episode=public, origin=Comment.Origin.SITE, author=learner, body_html="<p>Check the dose.</p>",
        status=Comment.Status.SHOWN,
    )  # fmt: skip


@pytest.fixture
def pings(monkeypatch):
    """The shows whose feed change was announced (hubs and feed listeners, after the commit)."""
    announced: list[int] = []
    monkeypatch.setattr("episodes.services.feed_changed", lambda show: announced.append(show.pk))
    return announced


def _nothing_written():
    assert not Correction.objects.exists()
    assert not AuditEvent.objects.filter(action=DiscussionAction.CORRECTION_PUBLISHED).exists()


# --- the service ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_host_publishes_a_correction_audited_and_the_feed_is_bumped(host, public, comment, pings):
    before = Show.objects.get(pk=public.show_id).content_changed_at

    correction = correction_publish(episode=public, text=f"  {FIX}  \n", by=host, prompted_by=comment)

    assert correction.text == FIX and correction.published_by == host and correction.prompted_by == comment
    event = AuditEvent.objects.for_object(correction).get()
    assert event.action == DiscussionAction.CORRECTION_PUBLISHED and event.actor == host
    assert event.data == {"episode": public.pk, "text": FIX, "prompted_by": comment.pk}
    assert Show.objects.get(pk=public.show_id).content_changed_at > before
    assert pings == [public.show_id]


@pytest.mark.django_db
def test_corrections_are_listed_newest_first(host, public, pings):
    first = correction_publish(episode=public, text="First.", by=host)
    second = correction_publish(episode=public, text="Second: a correction of the first.", by=host)
    assert episode_corrections(public) == [second, first]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        ("", "empty", "Write the correction."),
        ("  \n\t \r\n ", "empty", "Write the correction."),
        ("\x00\x01", "empty", "Write the correction."),
        ("x" * (MAX_CORRECTION_CHARS + 1), "too_long", "at most 2,000 characters (this one has 2,001)"),
    ],
)
def test_empty_or_too_long_text_is_refused_and_nothing_is_written(host, public, pings, text, code, message):
    with pytest.raises(CorrectionError) as refused:
        correction_publish(episode=public, text=text, by=host)
    assert refused.value.code == code and message in refused.value.message
    _nothing_written()
    assert pings == []


@pytest.mark.django_db
def test_the_longest_correction_is_taken(host, public, pings):
    assert len(correction_publish(episode=public, text="x" * MAX_CORRECTION_CHARS, by=host).text) == 2000


@pytest.mark.django_db
def test_only_a_host_of_the_show_may_publish_one(public, learner, make_user, pings):
    other_show = factories.make_show(slug="other-show", title="Other show")
    other_host = make_user("other-host@example.org")
    ShowHost.objects.create(show=other_show, user=other_host)
    for user in (learner, other_host):
        with pytest.raises(CorrectionError) as refused:
            correction_publish(episode=public, text=FIX, by=user)
        assert refused.value.code == "not_host"
    _nothing_written()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields",
    [
        {"status": Episode.Status.DRAFT},
        {"publish_at": timezone.now() + timedelta(days=2)},  # scheduled
    ],
)
def test_a_draft_or_scheduled_episode_takes_no_correction(host, show, pings, fields):
    episode = factories.make_episode(show, slug="not-public", **fields)
    with pytest.raises(CorrectionError) as refused:
        correction_publish(episode=episode, text=FIX, by=host)
    assert refused.value.code == "not_public"
    _nothing_written()


@pytest.mark.django_db
def test_a_comment_on_another_episode_cannot_prompt_it(host, show, public, learner, pings):
    elsewhere = factories.make_episode(show, slug="elsewhere")
    comment = Comment.objects.create(
        episode=elsewhere, origin=Comment.Origin.SITE, author=learner, body_html="<p>x</p>"
    )
    with pytest.raises(CorrectionError) as refused:
        correction_publish(episode=public, text=FIX, by=host, prompted_by=comment)
    assert refused.value.code == "other_episode"
    _nothing_written()


# --- the feed item ----------------------------------------------------------------------------------


def _feed_items(client, show: Show) -> tuple[list, dict]:
    response = client.get(reverse("episodes:feed", args=[show.slug]))
    assert response.status_code == 200
    by_feedparser = feedparser.parse(response.content)
    assert not by_feedparser.bozo, by_feedparser.bozo_exception
    by_podcastparser = podcastparser.parse(show.feed_url, io.BytesIO(response.content))
    return by_feedparser.entries, by_podcastparser


@pytest.mark.django_db
def test_the_feed_item_shows_the_corrections_dated_and_escaped_and_keeps_its_pubdate(client, host, public):
    entries, _ = _feed_items(client, public.show)
    pub_date = entries[0].published

    first = correction_publish(episode=public, text="Dose: 1.2 mg/kg <not 0.6> & so on.", by=host)
    second = correction_publish(episode=public, text=FIX, by=host)
    entries, parsed = _feed_items(client, public.show)

    entry = entries[0]
    content = entry.content[0].value
    # Newest first, at the top of content:encoded and description, each dated; the host's text escaped.
    expected = (
        f"<p><strong>{_label(second)}</strong> {FIX}</p>"
        f"<p><strong>{_label(first)}</strong> Dose: 1.2 mg/kg &lt;not 0.6&gt; &amp; so on.</p>"
        "<p>Rapid sequence induction"
    )
    assert content.startswith(expected)
    assert entry.summary.startswith(expected)
    # The item's date is the episode's: apps do not announce the episode again as new.
    assert entry.published == pub_date
    assert parsedate_to_datetime(pub_date) == public.publish_at.replace(microsecond=0)
    episode = parsed["episodes"][0]
    assert episode["published"] == int(public.publish_at.timestamp())
    assert "&lt;not 0.6&gt; &amp; so on." in episode["description_html"]
    assert episode["description_html"].startswith(f"<p><strong>{_label(second)}</strong> {FIX}</p>")


@pytest.mark.django_db
def test_a_corrected_episode_without_notes_still_shows_the_title(client, host, show):
    bare = factories.make_episode(show, slug="bare", title="Bare episode", notes_html="")
    correction = correction_publish(episode=bare, text="Line one.\nLine two.", by=host)
    content = _feed_items(client, show)[0][0].content[0].value
    assert content == f"<p><strong>{_label(correction)}</strong> Line one.<br />Line two.</p>Bare episode"


def _episodes_with_corrections(show: Show, host, count: int) -> None:
    now = timezone.now()
    for n in range(count):
        episode = factories.make_episode(show, slug=f"episode-{n}", publish_at=now - timedelta(hours=n + 1))
        for text in ("One.", "Two."):
            Correction.objects.create(episode=episode, text=text, published_by=host)


@pytest.mark.django_db
def test_the_feed_reads_corrections_in_one_query_whatever_the_count(host, show):
    def queries(feed_show: Show) -> tuple[int, bytes]:
        feed_show.refresh_from_db()
        with CaptureQueriesContext(connection) as captured:
            body = build_feed(feed_show)
        return len(captured), body

    uncorrected = factories.make_show(slug="uncorrected", title="Uncorrected")
    factories.make_episode(uncorrected, slug="plain")
    none, body = queries(uncorrected)
    assert b"Correction (" not in body
    _episodes_with_corrections(show, host, 1)
    one, body = queries(show)
    assert body.count(b"Correction (") == 4  # content:encoded and description, two corrections each
    bigger = factories.make_show(slug="bigger", title="Bigger")
    _episodes_with_corrections(bigger, host, 20)
    twenty, body = queries(bigger)
    assert body.count(b"Correction (") == 80
    assert none == one == twenty


# --- the episode page -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_episode_page_lists_the_corrections_with_their_dates_above_the_notes(client, host, public):
    page = client.get(public.get_absolute_url()).content.decode()
    assert 'id="corrections"' not in page  # no box without corrections

    correction = correction_publish(episode=public, text="Use <b>1.2</b> mg/kg.\nSee the comments.", by=host)
    page = client.get(public.get_absolute_url()).content.decode()
    box = page[page.index('id="corrections"') : page.index("</section>", page.index('id="corrections"'))]
    assert '<h2 id="corrections-title">Correction</h2>' in box
    assert '<time datetime="' in box
    assert date_format(timezone.localtime(correction.published_at), "j M Y") in box
    assert "Use &lt;b&gt;1.2&lt;/b&gt; mg/kg.<br>See the comments." in box
    assert page.index('id="corrections"') < page.index('id="notes-title"')


# --- the host's page --------------------------------------------------------------------------------


def _page(episode: Episode) -> str:
    return reverse("discussion_correction_new", args=[episode.show.slug, episode.pk])


def _post(client, episode: Episode, **data):
    return client.post(_page(episode), {"text": FIX, "confirm": "on", **data})


@pytest.mark.django_db
def test_the_host_publishes_a_correction_from_the_page(host_client, public, comment):
    edit = host_client.get(reverse("episodes:host_episode_edit", args=[public.show.slug, public.pk]))
    assert _page(public) in edit.content.decode()  # linked from the episode's edit page
    form = host_client.get(_page(public) + f"?prompted_by={comment.pk}")
    assert form.status_code == 200
    html = form.content.decode()
    assert "Publish a correction" in html and "None yet." in html
    assert "appears at once on the episode page and in the feed" in html
    assert f'value="{comment.pk}"' in html

    response = _post(host_client, public, prompted_by=comment.pk)

    correction = Correction.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"#correction-{correction.pk}")
    assert correction.prompted_by == comment and correction.text == FIX
    page = host_client.get(response["Location"]).content.decode()
    assert "The correction is published" in page and "coordinators were emailed" not in page
    assert FIX in page and f"(prompted by comment #{comment.pk})" in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"text": ""}, "This field is required."),
        ({"text": "   "}, "This field is required."),
        ({"text": "x" * 2001}, "Ensure this value has at most 2000 characters (it has 2001)."),
        ({"confirm": ""}, "Tick the box to confirm that the correction is public."),
        ({"prompted_by": "999999"}, "There is no comment #999999 on this episode."),
        ({"prompted_by": "abc"}, "Enter a whole number."),
    ],
)
def test_bad_input_re_renders_the_form_with_a_message(host_client, public, data, message):
    response = _post(host_client, public, **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Correction.objects.exists()


@pytest.mark.django_db
def test_a_comment_on_another_episode_is_not_offered(host_client, show, public, learner):
    elsewhere = factories.make_episode(show, slug="elsewhere")
    other = Comment.objects.create(episode=elsewhere, origin="site", author=learner, body_html="<p>x</p>")
    response = _post(host_client, public, prompted_by=other.pk)
    assert response.status_code == 400
    assert f"There is no comment #{other.pk} on this episode." in response.content.decode()
    assert not Correction.objects.exists()


@pytest.mark.django_db
def test_a_draft_episode_has_no_form_and_a_post_is_refused(host_client, show):
    draft = factories.make_episode(show, slug="draft", status=Episode.Status.DRAFT)
    assert "edit a draft or scheduled episode" in host_client.get(_page(draft)).content.decode()
    response = _post(host_client, draft)
    assert response.status_code == 400
    assert "Only a public episode takes a correction" in response.content.decode()
    assert not Correction.objects.exists()


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_log_in(client, public):
    for response in (client.get(_page(public)), _post(client, public)):
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Correction.objects.exists()


@pytest.mark.django_db
def test_a_learner_is_refused_and_another_show_s_host_gets_404(client, public, learner, make_user):
    mfa_login(client, learner)
    assert client.get(_page(public)).status_code == 403  # not a host of any show (the /host/ area)
    assert _post(client, public).status_code == 403
    other_show = factories.make_show(slug="other-show", title="Other show")
    other_host = make_user("other-host@example.org")
    ShowHost.objects.create(show=other_show, user=other_host)
    mfa_login(client, other_host)
    assert client.get(_page(public)).status_code == 404
    assert _post(client, public).status_code == 404
    # Their own show's slug with this episode's id: not their episode either.
    mixed = reverse("discussion_correction_new", args=[other_show.slug, public.pk])
    assert client.get(mixed).status_code == 404
    assert not Correction.objects.exists()


# --- the demo ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_demo_discussion_has_references_a_remote_reply_a_pin_a_hide_and_a_correction(
    host, public, make_user
):
    members = [make_user(f"{name}@example.org") for name in ("amara", "nadia", "peter")]
    correction = seed_demo_discussion(episode=public, host=host, members=members)

    assert correction is not None and correction.prompted_by.author == members[0]
    first = correction.prompted_by
    assert sorted(first.references.values_list("kind", flat=True)) == ["doi", "pmid"]
    remote = Comment.objects.get(origin=Comment.Origin.REMOTE)
    assert remote.remote_handle == DEMO_REMOTE_HANDLE and remote.in_reply_to == first
    assert remote.references.filter(kind="doi").exists()
    pinned = Comment.objects.get(pinned_at__isnull=False)
    assert pinned.author == members[1] and pinned.status == Comment.Status.SHOWN
    hidden = Comment.objects.get(status=Comment.Status.HIDDEN)
    assert hidden.author == members[2] and hidden.hidden_reason == HIDE_REASON
    assert first.status == remote.status == Comment.Status.SHOWN
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        DiscussionAction.COMMENT_POSTED,
        DiscussionAction.COMMENT_RECEIVED,
        DiscussionAction.COMMENT_PINNED,
        DiscussionAction.COMMENT_HIDDEN,
        DiscussionAction.CORRECTION_PUBLISHED,
    } <= actions
    # Seeding again adds nothing.
    assert seed_demo_discussion(episode=public, host=host, members=members) is None
    assert Comment.objects.count() == 4 and Correction.objects.count() == 1
