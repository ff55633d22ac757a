"""The host's moderation page /host/shows/<slug>/discussion/: hosts of the show only, the settings
form, approve, pin/unpin, hide with a reason (and its confirmation page), show again."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from discussion import services
from discussion.models import Comment, Moderation, ShowDiscussion
from testkit.factories import PASSWORD, make_show
from testkit.mfa import mfa_login

pytestmark = pytest.mark.django_db


def page_url(show):
    return reverse("discussion:host_discussion", args=[show.slug])


def action_url(comment, action):
    return reverse("discussion:host_comment_action", args=[comment.episode.show.slug, comment.pk, action])


def hide_url(comment):
    return reverse("discussion:host_comment_hide", args=[comment.episode.show.slug, comment.pk])


@pytest.fixture
def held(member, public_episode, moderation):
    moderation(Moderation.HOLD_ALL)
    comment = services.comment_post(user=member, episode=public_episode, body="Please check this")
    moderation(Moderation.HOLD_LINKS)
    return comment


@pytest.fixture
def shown(member, public_episode):
    return services.comment_post(user=member, episode=public_episode, body="Shown one", references="PMID 5")


# --- Who may see it -------------------------------------------------------------------------------


def test_anonymous_goes_to_login(client, show):
    response = client.get(page_url(show))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_a_member_who_hosts_nothing_is_refused(client, show, member):
    assert client.login(email=member.email, password=PASSWORD)
    assert client.get(page_url(show)).status_code == 403


def test_the_host_of_another_show_gets_404(client, show, make_user, shown, held):
    other_show = make_show(title="Other", slug="other-show")
    other_host = make_user("otherhost@example.org")
    other_show.memberships.create(user=other_host)
    mfa_login(client, other_host)
    assert client.get(page_url(show)).status_code == 404
    assert client.post(page_url(show), {"moderation": "all"}).status_code == 404
    assert client.post(action_url(held, "approve")).status_code == 404
    assert client.post(hide_url(shown), {"reason": "mine now"}).status_code == 404
    assert client.get(hide_url(shown)).status_code == 404
    held.refresh_from_db()
    shown.refresh_from_db()
    assert held.status == "held" and shown.status == "shown"
    assert ShowDiscussion.objects.get(show=show).moderation == Moderation.HOLD_LINKS  # as the fixture left it


def test_a_comment_of_another_show_is_404_for_this_host(host_client, make_user, member):
    from testkit.factories import make_episode

    other_show = make_show(title="Other", slug="other-show")
    elsewhere = services.comment_post(user=member, episode=make_episode(other_show), body="Elsewhere")
    url = reverse("discussion:host_comment_action", args=["airway-rounds", elsewhere.pk, "pin"])
    assert host_client.post(url).status_code == 404
    assert (
        host_client.post(
            reverse("discussion:host_comment_action", args=["airway-rounds", 999, "pin"])
        ).status_code
        == 404
    )


def test_an_unknown_action_is_404(host_client, shown):
    assert host_client.post(action_url(shown, "delete")).status_code == 404
    assert Comment.objects.filter(pk=shown.pk, status="shown").exists()


def test_actions_need_post(host_client, shown):
    assert host_client.get(action_url(shown, "pin")).status_code == 405


# --- The page -------------------------------------------------------------------------------------


def test_the_page_lists_held_shown_and_hidden(host_client, show, held, shown, host, member, public_episode):
    gone = services.comment_post(user=member, episode=public_episode, body="Gone one")
    services.comment_hide(comment=gone, by=host, reason="Promotional")
    response = host_client.get(page_url(show))
    assert response.status_code == 200
    html = response.content.decode()
    assert "1 waiting, 1 shown, 1 hidden." in html
    assert html.index("Please check this") < html.index("Shown one") < html.index("Gone one")
    assert "Promotional" in html and host.email in html
    assert action_url(held, "approve") in html and hide_url(held) in html
    assert action_url(shown, "pin") in html and hide_url(shown) in html
    assert action_url(gone, "show") in html
    assert "https://pubmed.ncbi.nlm.nih.gov/5/" in html
    assert "discussion.css" in html


def test_settings_form_saves_with_prg_and_audit(host_client, show, host):
    response = host_client.post(page_url(show), {"moderation": "all", "comments_open": ""})
    assert response.status_code == 302 and response["Location"] == page_url(show)
    row = ShowDiscussion.objects.get(show=show)
    assert (row.moderation, row.comments_open) == ("all", False)
    assert AuditEvent.objects.filter(action="discussion.moderation_changed", actor=host).count() == 1
    html = host_client.get(page_url(show)).content.decode()
    assert "The discussion settings are saved." in html
    assert 'value="all" required id="id_moderation_2" checked' in html


def test_settings_form_refuses_a_bad_choice(host_client, show):
    response = host_client.post(page_url(show), {"moderation": "nobody", "comments_open": "on"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not ShowDiscussion.objects.exists()


def test_approve(host_client, show, held):
    response = host_client.post(action_url(held, "approve"))
    assert response.status_code == 302 and response["Location"].endswith(f"#comment-{held.pk}")
    held.refresh_from_db()
    assert held.status == "shown"


def test_approving_twice_shows_the_message(host_client, show, shown):
    response = host_client.post(action_url(shown, "approve"))
    assert response.status_code == 400
    assert "not waiting for approval" in response.content.decode()


def test_pin_and_unpin_and_the_limit(host_client, show, member, public_episode, settings):
    settings.PODCASTCME_COMMENT_RATE_LIMITS = [(10, 600)]
    comments = [services.comment_post(user=member, episode=public_episode, body=f"C{n}") for n in range(4)]
    for comment in comments[:3]:
        assert host_client.post(action_url(comment, "pin")).status_code == 302
    response = host_client.post(action_url(comments[3], "pin"))
    assert response.status_code == 400
    assert "At most 3 comments can be pinned" in response.content.decode()
    assert host_client.post(action_url(comments[0], "unpin")).status_code == 302
    assert host_client.post(action_url(comments[3], "pin")).status_code == 302
    assert set(Comment.objects.filter(pinned_at__isnull=False).values_list("pk", flat=True)) == {
        c.pk for c in comments[1:]
    }


def test_hide_asks_for_confirmation_then_hides_with_the_reason(host_client, show, shown, host):
    confirm = host_client.get(hide_url(shown))
    assert confirm.status_code == 200
    html = confirm.content.decode()
    assert "Shown one" in html and 'name="reason"' in html and "Hide the comment" in html
    shown.refresh_from_db()
    assert shown.status == "shown"  # a GET changes nothing
    response = host_client.post(hide_url(shown), {"reason": "Off topic"})
    assert response.status_code == 302 and response["Location"].endswith("#hidden-comments")
    shown.refresh_from_db()
    assert (shown.status, shown.hidden_reason, shown.hidden_by) == ("hidden", "Off topic", host)


@pytest.mark.parametrize("reason", ["", "   "])
def test_hide_without_a_reason_is_refused(host_client, show, shown, reason):
    response = host_client.post(hide_url(shown), {"reason": reason})
    assert response.status_code == 400
    assert "Say why you hide this comment." in response.content.decode()
    shown.refresh_from_db()
    assert shown.status == "shown"
    assert not AuditEvent.objects.filter(action="comment.hidden").exists()


def test_hide_with_a_too_long_reason_is_refused_keeping_it(host_client, show, shown):
    response = host_client.post(hide_url(shown), {"reason": "r" * 1001})
    assert response.status_code == 400
    assert "r" * 1001 in response.content.decode()
    shown.refresh_from_db()
    assert shown.status == "shown"


def test_hide_a_held_comment_from_the_list_form(host_client, show, held):
    response = host_client.post(hide_url(held), {"reason": "Spam"})
    assert response.status_code == 302
    held.refresh_from_db()
    assert held.status == "hidden" and held.hidden_reason == "Spam"


def test_show_again(host_client, show, shown, host):
    services.comment_hide(comment=shown, by=host, reason="Check")
    assert host_client.post(action_url(shown, "show")).status_code == 302
    shown.refresh_from_db()
    assert shown.status == "shown"
    html = host_client.get(shown.episode.get_absolute_url()).content.decode()
    assert "Shown one" in html


def test_hidden_comment_is_gone_from_the_episode_page(client, host_client, show, shown):
    host_client.post(hide_url(shown), {"reason": "Off topic"})
    host_client.logout()
    assert "Shown one" not in client.get(shown.episode.get_absolute_url()).content.decode()
