"""The discussion on the episode page: who may comment, the form's refusals (input kept, nothing
written), replies, helpful marks, held comments for their author and the hosts, the query count."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from discussion import services
from discussion.models import Comment, HelpfulMark, Moderation
from episodes.models import ShowHost
from testkit.factories import PASSWORD, make_learners

pytestmark = pytest.mark.django_db


def post_url(episode):
    return reverse("discussion:comment_create", args=[episode.show.slug, episode.slug])


def login(client, user):
    assert client.login(email=user.email, password=PASSWORD)
    return client


def page(client, episode):
    response = client.get(episode.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


# --- Who sees the form ----------------------------------------------------------------------------


def test_anonymous_sees_log_in_to_comment_and_no_form(client, public_episode):
    html = page(client, public_episode)
    assert 'id="discussion"' in html
    assert "Log in to comment" in html
    assert 'name="body"' not in html
    assert "discussion.css" in html


def test_unverified_member_is_asked_to_verify(client, public_episode, unverified):
    html = page(login(client, unverified), public_episode)
    assert "Verify your email to comment" in html
    assert 'name="body"' not in html


def test_verified_member_sees_the_form_with_the_references_hint(client, public_episode, member):
    html = page(login(client, member), public_episode)
    assert 'name="body"' in html and 'name="references"' in html
    assert "PMID 12345678" in html  # the hint


def test_closed_comments_show_a_note_and_no_form(client, public_episode, member, moderation):
    moderation(comments_open=False)
    html = page(login(client, member), public_episode)
    assert "Comments are closed" in html
    assert 'name="body"' not in html


# --- Posting --------------------------------------------------------------------------------------


def test_post_redirects_to_the_comment_and_shows_it_with_citations(client, public_episode, member):
    login(client, member)
    response = client.post(
        post_url(public_episode),
        {
            "body": "Useful.\nSecond line <b>bold?</b>",
            "references": "doi:10.1056/NEJMoa2034577, PMID: 12345678",
        },
    )
    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{public_episode.get_absolute_url()}#comment-{comment.pk}"
    html = page(client, public_episode)
    assert "Your comment is published." in html
    assert "Second line &lt;b&gt;bold?&lt;/b&gt;" in html and "<br>" in comment.body_html
    assert 'href="https://doi.org/10.1056/nejmoa2034577" rel="nofollow ugc noopener"' in html
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/12345678/" rel="nofollow ugc noopener"' in html
    assert "Ada Lovelace" in html and member.email not in html


def test_anonymous_post_goes_to_login_and_writes_nothing(client, public_episode):
    response = client.post(post_url(public_episode), {"body": "Hi"})
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
    assert not Comment.objects.exists()


def test_unverified_post_is_403_and_writes_nothing(client, public_episode, unverified):
    response = login(client, unverified).post(post_url(public_episode), {"body": "Hi"})
    assert response.status_code == 403
    assert not Comment.objects.exists()


def test_post_on_a_draft_episode_is_404(client, public_episode, member):
    public_episode.status = public_episode.Status.DRAFT
    public_episode.save()
    response = login(client, member).post(post_url(public_episode), {"body": "Hi"})
    assert response.status_code == 404
    assert not Comment.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"body": "   "}, "Write a comment first."),
        ({"body": "x" * 5001}, "at most 5000 characters (it has 5001)"),
        ({"body": "Fine", "references": "doi:10.1/short"}, "“doi:10.1/short” is not a DOI"),
        ({"body": "Fine", "references": "javascript:alert(1)"}, "only http and https"),
        ({"body": "Fine", "references": "12345678"}, "write PMID 12345678"),
    ],
)
def test_bad_input_rerenders_the_page_with_the_input_and_the_message(
    client, public_episode, member, data, message
):
    response = login(client, member).post(post_url(public_episode), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'role="alert"' in html
    if data.get("references"):
        assert data["references"].replace("'", "&#x27;") in html  # the input is kept
    assert not Comment.objects.exists()
    assert not AuditEvent.objects.filter(action="comment.posted").exists()


def test_post_when_closed_is_403_with_the_message(client, public_episode, member, moderation):
    moderation(comments_open=False)
    response = login(client, member).post(post_url(public_episode), {"body": "Hi"})
    assert response.status_code == 403
    assert "Comments are closed" in response.content.decode()
    assert not Comment.objects.exists()


def test_rate_limit_answers_429_and_writes_nothing(client, public_episode, member, settings):
    settings.PODCASTCME_COMMENT_RATE_LIMITS = [(2, 600)]
    login(client, member)
    for n in range(2):
        assert client.post(post_url(public_episode), {"body": f"Comment {n}"}).status_code == 302
    response = client.post(post_url(public_episode), {"body": "One too many", "references": "PMID 1"})
    assert response.status_code == 429
    html = response.content.decode()
    assert "Wait a while and try again" in html
    assert "One too many" in html  # the input is kept
    assert Comment.objects.count() == 2
    assert AuditEvent.objects.filter(action="comment.posted").count() == 2


def test_default_rate_limit_is_five_in_ten_minutes(client, public_episode, member):
    login(client, member)
    for n in range(5):
        assert client.post(post_url(public_episode), {"body": f"Comment {n}"}).status_code == 302
    assert client.post(post_url(public_episode), {"body": "Sixth"}).status_code == 429
    assert Comment.objects.count() == 5


# --- Held comments --------------------------------------------------------------------------------


def test_held_comment_is_seen_by_its_author_and_the_host_only(
    client, public_episode, member, other_member, host, moderation
):
    moderation(Moderation.HOLD_ALL)
    login(client, member)
    response = client.post(post_url(public_episode), {"body": "Please approve me"})
    assert response.status_code == 302
    html = page(client, public_episode)
    assert "waiting for the host to approve it" in html
    assert "Please approve me" in html and "Waiting for the host" in html
    client.logout()
    assert "Please approve me" not in page(client, public_episode)
    assert "Please approve me" not in page(login(client, other_member), public_episode)
    client.logout()
    host_html = page(login(client, host), public_episode)
    assert "Please approve me" in host_html and "Held for moderation" in host_html
    assert reverse("discussion:host_discussion", args=[public_episode.show.slug]) in host_html


# --- Replies --------------------------------------------------------------------------------------


def test_a_reply_is_shown_under_its_comment(client, public_episode, member, other_member):
    parent = services.comment_post(user=member, episode=public_episode, body="First")
    login(client, other_member)
    response = client.post(post_url(public_episode), {"body": "Answer", "in_reply_to": parent.pk})
    assert response.status_code == 302
    reply = Comment.objects.get(body_html__contains="Answer")
    assert reply.in_reply_to == parent
    html = page(client, public_episode)
    replies_at = html.index('class="comments replies"')
    assert html.index(f'id="comment-{parent.pk}"') < replies_at < html.index(f'id="comment-{reply.pk}"')


def test_a_refused_reply_reopens_its_form_with_the_input(client, public_episode, member, other_member):
    parent = services.comment_post(user=member, episode=public_episode, body="First")
    response = login(client, other_member).post(
        post_url(public_episode), {"body": "Answer", "references": "not a ref", "in_reply_to": parent.pk}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="id_reply-{parent.pk}_references"' in html
    assert "“not a ref” is not a DOI" in html
    assert '<details class="reply-box" open>' in html
    assert Comment.objects.count() == 1


def test_a_reply_to_a_comment_of_another_episode_is_refused(
    client, public_episode, show, member, other_member
):
    from testkit.factories import make_episode

    elsewhere = make_episode(show, slug="other-episode", title="Other")
    parent = services.comment_post(user=member, episode=elsewhere, body="Elsewhere")
    response = login(client, other_member).post(
        post_url(public_episode), {"body": "Answer", "in_reply_to": parent.pk}
    )
    assert response.status_code == 400
    assert "not there any more" in response.content.decode()
    assert Comment.objects.count() == 1


# --- Helpful --------------------------------------------------------------------------------------


def test_helpful_marks_once_and_takes_it_back(client, public_episode, member, other_member):
    comment = services.comment_post(user=member, episode=public_episode, body="Good point")
    login(client, other_member)
    url = reverse("discussion:helpful", args=[comment.pk])
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"].endswith(f"#comment-{comment.pk}")
    html = page(client, public_episode)
    assert "Helpful (1)" in html and 'aria-pressed="true"' in html
    client.post(url)
    assert HelpfulMark.objects.count() == 0
    assert "Helpful (0)" in page(client, public_episode)


def test_helpful_on_ones_own_comment_is_403(client, public_episode, member):
    comment = services.comment_post(user=member, episode=public_episode, body="Mine")
    response = login(client, member).post(reverse("discussion:helpful", args=[comment.pk]))
    assert response.status_code == 403
    assert "your own comment" in response.content.decode()
    assert not HelpfulMark.objects.exists()


def test_helpful_needs_a_login_and_a_post(client, public_episode, member):
    comment = services.comment_post(user=member, episode=public_episode, body="Mine")
    url = reverse("discussion:helpful", args=[comment.pk])
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
    assert not HelpfulMark.objects.exists()


# --- Remote replies and pins on the page ----------------------------------------------------------


def test_remote_reply_shows_its_handle_linking_to_the_original(client, remote_reply):
    comment = services.comment_receive_remote(**remote_reply())
    html = page(client, comment.episode)
    assert 'href="https://mastodon.example/@ana/1" rel="nofollow ugc noopener">Ana Ruiz</a>' in html
    assert "@ana@mastodon.example" in html and "via the Fediverse" in html
    assert "https://doi.org/10.1056/nejmoa2034577" in html


def test_remote_reply_with_a_javascript_url_is_not_linked(client, remote_reply):
    comment = services.comment_receive_remote(**remote_reply(url="javascript:alert(1)", object_id="urn:x:1"))
    html = page(client, comment.episode)
    assert "javascript:" not in html
    assert "Ana Ruiz" in html


def test_pinned_comments_come_first_marked(client, public_episode, member, host):
    first = services.comment_post(user=member, episode=public_episode, body="Early")
    later = services.comment_post(user=member, episode=public_episode, body="Later")
    services.comment_pin(comment=later, by=host)
    html = page(client, public_episode)
    assert html.index(f'id="comment-{later.pk}"') < html.index(f'id="comment-{first.pk}"')
    assert "Pinned by the host" in html


# --- Queries --------------------------------------------------------------------------------------


def _page_queries(client, episode) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(episode.get_absolute_url()).status_code == 200
    return len(queries)


@pytest.mark.parametrize("viewer", ["anonymous", "member", "host"])
def test_episode_page_queries_do_not_grow_with_comments(
    client, public_episode, member, host, remote_reply, viewer
):
    if viewer == "member":
        login(client, member)
    elif viewer == "host":
        login(client, host)
    services.comment_post(user=member, episode=public_episode, body="One", references="PMID 1")
    page(client, public_episode)  # warm anything cached per process
    one = _page_queries(client, public_episode)
    authors = make_learners("crowd", 29)
    parent = Comment.objects.get()
    for n, author in enumerate(authors):
        comment = services.comment_post(
            user=author,
            episode=public_episode,
            body=f"Comment {n}",
            references=f"PMID {n + 2}, doi:10.1000/x{n}",
            in_reply_to=parent if n % 3 == 0 else None,
        )
        services.helpful_toggle(comment=comment, user=member if author != member else host)
    services.comment_receive_remote(**remote_reply(99))
    assert Comment.objects.count() == 31
    thirty = _page_queries(client, public_episode)
    assert thirty == one


def test_host_page_link_to_the_moderation_page(client, show, host):
    from testkit.mfa import mfa_login

    mfa_login(client, host)
    html = client.get(reverse("episodes:host_show", args=[show.slug])).content.decode()
    assert reverse("discussion:host_discussion", args=[show.slug]) in html


def test_hosts_own_comment_is_shown_even_when_all_are_held(client, public_episode, host, moderation):
    moderation(Moderation.HOLD_ALL)
    ShowHost.objects.get(user=host)
    comment = services.comment_post(user=host, episode=public_episode, body="From the host")
    assert comment.status == Comment.Status.SHOWN
