"""Joining by a verified address at the institution's domain; consent asked at joining and changeable."""

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from audit.models import AuditEvent
from institutions.models import Membership
from testkit import factories

pytestmark = pytest.mark.django_db


def test_a_verified_address_at_the_domain_lists_the_institution_and_joins(client, seated):
    user = factories.make_user("dr.ade@mercy.example.org")
    client.force_login(user)
    page = client.get(reverse("institutions:mine")).content.decode()
    assert "Institutions you can join" in page and "Join Mercy General Hospital" in page
    response = client.post(reverse("institutions:join", args=[seated.slug]), {})
    assert response.status_code == 302
    membership = Membership.objects.get(user=user)
    assert membership.joined_via == "domain" and membership.shares_completions is False
    page = client.get(reverse("institutions:mine")).content.decode()
    assert "Join Mercy General Hospital" not in page and "You do not share your completions" in page


def test_a_second_verified_address_at_the_domain_counts(client, seated):
    user = factories.make_user("ade@gmail.example.com")
    EmailAddress.objects.create(user=user, email="ade@MERCY.example.org", verified=True, primary=False)
    client.force_login(user)
    assert (
        client.post(
            reverse("institutions:join", args=[seated.slug]), {"shares_completions": "on"}
        ).status_code
        == 302
    )
    assert Membership.objects.get(user=user).shares_completions is True


def test_an_unverified_address_cannot_join(client, seated):
    user = factories.make_user("dr.ade@mercy.example.org", verified=False)
    client.force_login(user)
    page = client.get(reverse("institutions:mine")).content.decode()
    assert "Join Mercy General Hospital" not in page and "verify your address" in page
    response = client.post(reverse("institutions:join", args=[seated.slug]), {})
    assert response.status_code == 403 and "Verify your address" in response.content.decode()
    assert not Membership.objects.exists()


def test_another_domain_cannot_join(client, seated, learner):
    client.force_login(learner)
    response = client.post(reverse("institutions:join", args=[seated.slug]), {})
    assert (
        response.status_code == 403 and "None of your verified email addresses" in response.content.decode()
    )
    assert not Membership.objects.exists()


def test_a_lookalike_domain_cannot_join(client, seated):
    client.force_login(factories.make_user("ade@evil-mercy.example.org"))
    assert client.post(reverse("institutions:join", args=[seated.slug]), {}).status_code == 403
    client.force_login(factories.make_user("ade@mercy.example.org.evil.test"))
    assert client.post(reverse("institutions:join", args=[seated.slug]), {}).status_code == 403
    assert not Membership.objects.exists()


def test_joining_by_domain_with_no_seat_left(client, institution):
    client.force_login(factories.make_user("dr.ade@mercy.example.org"))
    response = client.post(reverse("institutions:join", args=[institution.slug]), {})
    assert response.status_code == 409 and "no free seat" in response.content.decode()


def test_anonymous_is_sent_to_log_in(client, seated):
    assert client.get(reverse("institutions:mine")).status_code == 302
    response = client.post(reverse("institutions:join", args=[seated.slug]), {})
    assert response.status_code == 302 and "login" in response["Location"]
    assert not Membership.objects.exists()


def test_the_learner_changes_consent_any_time_and_it_is_audited(client, seated):
    user = factories.make_user("dr.ade@mercy.example.org")
    client.force_login(user)
    client.post(reverse("institutions:join", args=[seated.slug]), {})
    membership = Membership.objects.get(user=user)
    client.post(reverse("institutions:consent", args=[membership.pk]), {"shares_completions": "on"})
    membership.refresh_from_db()
    assert membership.shares_completions is True
    client.post(reverse("institutions:consent", args=[membership.pk]), {})
    membership.refresh_from_db()
    assert membership.shares_completions is False
    changes = AuditEvent.objects.filter(action="membership.consent_changed", object_id=str(membership.pk))
    assert [e.data["shares_completions"] for e in changes.order_by("pk")] == [True, False]


def test_nobody_else_changes_a_learners_consent_or_ends_their_seat(client, seated):
    user = factories.make_user("dr.ade@mercy.example.org")
    client.force_login(user)
    client.post(reverse("institutions:join", args=[seated.slug]), {})
    membership = Membership.objects.get(user=user)
    client.force_login(factories.make_user("other@mercy.example.org"))
    assert (
        client.post(
            reverse("institutions:consent", args=[membership.pk]), {"shares_completions": "on"}
        ).status_code
        == 404
    )
    assert client.post(reverse("institutions:leave", args=[membership.pk])).status_code == 404
    membership.refresh_from_db()
    assert membership.shares_completions is False and membership.ended_at is None


def test_leaving_frees_the_seat_and_keeps_the_history(client, institution):
    from testkit.institutions import give_seats

    give_seats(institution, 1)
    user = factories.make_user("dr.ade@mercy.example.org")
    client.force_login(user)
    client.post(reverse("institutions:join", args=[institution.slug]), {})
    membership = Membership.objects.get(user=user)
    assert client.post(reverse("institutions:leave", args=[membership.pk])).status_code == 302
    membership.refresh_from_db()
    assert membership.ended_at is not None
    assert AuditEvent.objects.filter(action="membership.ended", object_id=str(membership.pk)).count() == 1
    # The freed seat: someone else (or the same learner again) can join.
    other = factories.make_user("dr.bee@mercy.example.org")
    client.force_login(other)
    assert client.post(reverse("institutions:join", args=[institution.slug]), {}).status_code == 302
    page = client.get(reverse("institutions:mine")).content.decode()
    assert "Mercy General Hospital" in page
    client.force_login(user)
    page = client.get(reverse("institutions:mine")).content.decode()
    assert "Member from" in page  # the ended membership is history
