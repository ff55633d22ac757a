"""The API tokens page: create (shown once, stored hashed, audited), list, revoke; recent
authentication asked first; bad input refused with nothing written; hosts and coordinators pass MFA."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from api.models import PersonalAccessToken
from api.tokens import token_hash
from audit.models import AuditEvent
from testkit.factories import PASSWORD
from testkit.mfa import mfa_login

URL = "/account/api-tokens/"


@pytest.fixture
def learner_client(client, learner):
    client.post(reverse("account_login"), {"login": learner.email, "password": PASSWORD})
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    return client


def _create(client, **data):
    return client.post(URL, {"name": "Hospital LMS", "scope": "read", "expires_on": "", **data})


def test_page_lists_nothing_at_first_and_links_the_docs(learner_client):
    page = learner_client.get(URL)
    assert page.status_code == 200
    text = page.content.decode()
    assert "No tokens yet." in text
    assert 'href="/api/v1/docs"' in text


def test_create_shows_the_token_once_stores_its_hash_and_audits(learner_client, learner):
    response = _create(learner_client, scope="write")
    assert response.status_code == 201
    raw = response.context["new_secret"]
    assert raw.startswith("pcme_") and raw in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    token = PersonalAccessToken.objects.get(user=learner)
    assert (token.name, token.scope, token.secret_hash) == ("Hospital LMS", "write", token_hash(raw))
    event = AuditEvent.objects.get(action="api_token.created")
    assert event.actor == learner and event.object_id == str(token.pk)
    assert event.data["prefix"] == token.prefix and raw not in str(event.data)
    # Never shown again: the list has the prefix only.
    again = learner_client.get(URL).content.decode()
    assert raw not in again and token.prefix in again
    # and it works against the API
    assert learner_client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200


def test_expiry_day_is_the_end_of_that_day(learner_client, learner):
    day = timezone.localdate() + datetime.timedelta(days=10)
    assert _create(learner_client, expires_on=day.isoformat()).status_code == 201
    token = PersonalAccessToken.objects.get(user=learner)
    assert timezone.localtime(token.expires_at).date() == day + datetime.timedelta(days=1)
    assert timezone.localtime(token.expires_at).time() == datetime.time.min


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"name": "   "}, "name", "This field is required."),
        ({"name": "x" * 101}, "name", "Ensure this value has at most 100 characters (it has 101)."),
        ({"scope": "admin"}, "scope", "Unknown scope admin: choose read or read and write."),
        ({"scope": ""}, "scope", "This field is required."),
        ({"expires_on": "2020-01-01"}, "expires_on", "Choose today or a later day."),
        ({"expires_on": "soon"}, "expires_on", "Enter a valid date."),
    ],
)
def test_bad_input_is_refused_and_nothing_written(learner_client, data, field, message):
    response = _create(learner_client, **data)
    assert response.status_code == 400
    assert message in response.context["form"].errors[field]
    assert not PersonalAccessToken.objects.exists()
    assert not AuditEvent.objects.filter(action="api_token.created").exists()


def test_too_many_active_tokens_is_refused(learner_client, learner, settings):
    settings.PODCASTCME_API_MAX_TOKENS_PER_USER = 2
    assert _create(learner_client).status_code == 201
    assert _create(learner_client).status_code == 201
    response = _create(learner_client)
    assert response.status_code == 400
    assert "You have 2 active tokens, the most allowed" in response.content.decode()
    assert PersonalAccessToken.objects.filter(user=learner).count() == 2


def test_revoke_stops_the_token_and_audits(learner_client, learner):
    raw = _create(learner_client).context["new_secret"]
    token = PersonalAccessToken.objects.get(user=learner)
    response = learner_client.post(f"{URL}{token.pk}/revoke/")
    assert response.status_code == 302 and response["Location"] == URL
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert learner_client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    assert AuditEvent.objects.filter(action="api_token.revoked", object_id=str(token.pk)).count() == 1
    # Revoking again changes nothing and writes no second row; the row stays (never deleted).
    learner_client.post(f"{URL}{token.pk}/revoke/")
    assert AuditEvent.objects.filter(action="api_token.revoked").count() == 1
    assert "Revoked" in learner_client.get(URL).content.decode()


def test_another_users_token_cannot_be_revoked(learner_client, make_user, make_token):
    make_token(make_user("someone@example.org"))
    theirs = PersonalAccessToken.objects.get()
    assert learner_client.post(f"{URL}{theirs.pk}/revoke/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_revoke_needs_post(learner_client, learner, make_token):
    make_token(learner)
    token = PersonalAccessToken.objects.get()
    assert learner_client.get(f"{URL}{token.pk}/revoke/").status_code == 405


def test_creating_needs_a_recent_authentication(client, learner):
    client.force_login(learner)  # a session that has not proven who it is lately
    assert client.get(URL).status_code == 200  # looking is fine
    response = _create(client)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert not PersonalAccessToken.objects.exists()
    # Once the password is confirmed, allauth carries on with the creation (the token shown once).
    resumed = client.post(response["Location"], {"password": PASSWORD})
    assert resumed.status_code == 201
    assert PersonalAccessToken.objects.get().prefix in resumed.context["new_secret"]


def test_a_wrong_password_at_reauthentication_creates_nothing(client, learner):
    client.force_login(learner)
    response = _create(client)
    assert client.post(response["Location"], {"password": "not-it"}).status_code == 200
    assert not PersonalAccessToken.objects.exists()


def test_anonymous_is_sent_to_log_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_coordinator_without_a_two_factor_session_is_stopped(client, coordinator):
    client.post(reverse("account_login"), {"login": coordinator.email, "password": PASSWORD})
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_coordinator_with_two_factor_reaches_the_page(client, coordinator):
    mfa_login(client, coordinator)
    assert client.get(URL).status_code == 200


def test_the_csrf_token_is_checked_on_the_page(learner, db):
    strict = Client(enforce_csrf_checks=True)
    strict.post(reverse("account_login"), {"login": learner.email, "password": PASSWORD})
    assert _create(strict).status_code == 403
    assert not PersonalAccessToken.objects.exists()


def test_user_text_is_escaped(learner_client):
    _create(learner_client, name="<script>alert(1)</script>")
    text = learner_client.get(URL).content.decode()
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_expiry_on_the_last_day_of_the_calendar_is_refused_not_a_500(learner_client, learner):
    # The token would end at the start of the next day, which does not exist (OverflowError, a 500).
    response = _create(learner_client, expires_on="9999-12-31")
    assert response.status_code == 400
    assert "Choose a day before 9999-12-31" in response.content.decode()
    assert not PersonalAccessToken.objects.filter(user=learner).exists()
    assert _create(learner_client, expires_on="9999-12-30").status_code == 201
