import pytest
from django.test import override_settings
from django.urls import reverse

from accounts.permissions import (
    is_coordinator,
    is_coordinator_of,
    is_host,
    is_host_of,
    mfa_is_required,
)
from credits.models import Provider
from episodes.models import Show
from podcastcme.navigation import load_roles
from testkit.mfa import mfa_login


def test_is_host_of_only_their_own_show(host, show, learner, db):
    other = Show.objects.create(title="Other show", slug="other")
    assert is_host_of(host, show)
    assert not is_host_of(host, other)
    assert not is_host_of(learner, show)
    assert is_host(host) and not is_host(learner)


def test_is_coordinator_of_only_their_own_provider(coordinator, provider, learner, host, db):
    other = Provider.objects.create(name="Other Society", slug="other")
    assert is_coordinator_of(coordinator, provider)
    assert not is_coordinator_of(coordinator, other)
    assert not is_coordinator_of(learner, provider)
    assert not is_coordinator_of(host, provider)
    assert is_coordinator(coordinator) and not is_coordinator(host)


def test_anonymous_and_inactive_users_have_no_roles(host, show, django_user_model):
    from django.contrib.auth.models import AnonymousUser

    assert not is_host_of(AnonymousUser(), show)
    assert not is_host_of(None, show)
    host.is_active = False
    host.save()
    assert not is_host_of(host, show)


def test_mfa_is_required_for_staff_hosts_and_coordinators(host, coordinator, learner, make_user):
    staff = make_user("staff@example.org", is_staff=True)
    assert mfa_is_required(host)
    assert mfa_is_required(coordinator)
    assert mfa_is_required(staff)
    assert not mfa_is_required(learner)


@pytest.mark.parametrize("url_name", ["episodes:host_dashboard"])
def test_host_without_mfa_is_sent_to_set_it_up(client, host, url_name):
    client.force_login(host)
    response = client.get(reverse(url_name), follow=True)
    assert response.redirect_chain[0][0] == reverse("mfa_activate_totp")
    assert "must use two-factor authentication" in response.content.decode()


def test_host_with_mfa_reaches_the_host_page(client, host):
    mfa_login(client, host)
    response = client.get(reverse("episodes:host_dashboard"))
    assert response.status_code == 200
    assert "Airway Rounds" in response.content.decode()


def test_coordinator_without_mfa_is_sent_to_set_it_up(client, coordinator):
    client.force_login(coordinator)
    response = client.get(reverse("credits:coordinator_dashboard"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_coordinator_with_mfa_sees_their_provider(client, coordinator):
    mfa_login(client, coordinator)
    response = client.get(reverse("credits:coordinator_dashboard"))
    assert response.status_code == 200
    assert "Society of Testing" in response.content.decode()


def test_staff_without_mfa_cannot_open_the_admin(client, make_user):
    staff = make_user("staff@example.org", is_staff=True, is_superuser=True)
    client.force_login(staff)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    mfa_login(client, staff)
    assert client.get("/admin/").status_code == 200


def test_learner_gets_a_friendly_403_on_host_and_coordinator_pages(client, learner):
    client.force_login(learner)
    for name in ["episodes:host_dashboard", "credits:coordinator_dashboard"]:
        response = client.get(reverse(name))
        assert response.status_code == 403
        assert "You can't open this page" in response.content.decode()


def test_anonymous_user_is_sent_to_log_in(client, db):
    response = client.get(reverse("episodes:host_dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@override_settings(MFA_REQUIRED_PATH_PREFIXES=())
def test_the_gate_is_a_setting(client, host):
    client.force_login(host)
    assert client.get(reverse("episodes:host_dashboard")).status_code == 200


def test_navigation_shows_role_links_only_to_role_holders(client, learner, host):
    client.force_login(learner)
    body = client.get("/").content.decode()
    assert reverse("episodes:host_dashboard") not in body
    client.force_login(host)
    body = client.get("/").content.decode()
    assert reverse("episodes:host_dashboard") in body


def test_both_navigation_roles_cost_one_query(host, coordinator, django_assert_num_queries):
    for user, flags in [(host, (True, False)), (coordinator, (False, True))]:
        fresh = type(user).objects.get(pk=user.pk)
        with django_assert_num_queries(1):
            load_roles(fresh)
        with django_assert_num_queries(0):
            assert (is_host(fresh), is_coordinator(fresh)) == flags
