"""Bearer tokens: what is refused (401 with JSON, 403 for a wrong scope); a session never counts."""

import datetime

import pytest
from django.utils import timezone

from api.models import PersonalAccessToken
from api.tokens import token_revoke
from audit.models import AuditEvent


def _error(response) -> str:
    assert response["Content-Type"].startswith("application/json")
    return response.json()["error"]


def test_no_header_is_401_with_a_bearer_challenge(client, db):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert _error(response) == "unauthenticated"
    assert "Authorization: Bearer pcme_" in response.json()["message"]


@pytest.mark.parametrize(
    "header",
    ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearer pcme_a pcme_b", "Token pcme_abc", "pcme_abc"],
)
def test_malformed_authorization_header_is_401(client, db, header):
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert _error(response) == "malformed_authorization"


@pytest.mark.parametrize("raw", ["pcme_" + "a" * 40, "pcme_short", "ghp_" + "a" * 40, "pcme_" + "é" * 40])
def test_unknown_token_is_401(client, learner_token, raw):
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 401
    assert _error(response) == "invalid_token"


def test_a_valid_token_answers(client, learner, learner_token, bearer):
    response = client.get("/api/v1/me", **bearer(learner_token))
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == learner.email
    assert body["token_scope"] == "read"
    assert learner_token.startswith(body["token_prefix"])


def test_revoked_token_is_401(client, learner, learner_token, bearer):
    token = PersonalAccessToken.objects.get(user=learner)
    token_revoke(token=token, actor=learner)
    response = client.get("/api/v1/me", **bearer(learner_token))
    assert response.status_code == 401
    assert response.json() == {"error": "token_revoked", "message": "This token has been revoked."}


def test_expired_token_is_401(client, learner, make_token, bearer):
    raw = make_token(learner, expires_at=timezone.now() + datetime.timedelta(hours=1))
    assert client.get("/api/v1/me", **bearer(raw)).status_code == 200
    # The clock passes the expiry (created two hours ago, expired one hour ago).
    PersonalAccessToken.objects.filter(user=learner).update(
        created_at=timezone.now() - datetime.timedelta(hours=2),
        expires_at=timezone.now() - datetime.timedelta(hours=1),
    )
    response = client.get("/api/v1/me", **bearer(raw))
    assert response.status_code == 401
    assert _error(response) == "token_expired"


def test_token_of_a_closed_account_is_401(client, learner, learner_token, bearer):
    learner.is_active = False
    learner.save(update_fields=["is_active"])
    assert client.get("/api/v1/me", **bearer(learner_token)).status_code == 401


def test_read_token_cannot_call_a_write_endpoint(client, learner, learner_token, bearer):
    response = client.delete("/api/v1/me/token", **bearer(learner_token))
    assert response.status_code == 403
    assert response.json() == {
        "error": "insufficient_scope",
        "message": "This endpoint needs a token with the 'write' scope; this one has 'read'.",
    }
    assert PersonalAccessToken.objects.get(user=learner).revoked_at is None


def test_write_token_revokes_itself_and_reads_too(client, learner, make_token, bearer):
    raw = make_token(learner, scope="write")
    assert client.get("/api/v1/me/claims", **bearer(raw)).status_code == 200
    response = client.delete("/api/v1/me/token", **bearer(raw))
    assert response.status_code == 204
    token = PersonalAccessToken.objects.get(user=learner)
    assert token.revoked_at is not None
    assert client.get("/api/v1/me", **bearer(raw)).status_code == 401
    row = AuditEvent.objects.get(action="api_token.revoked", object_id=str(token.pk))
    assert row.actor == learner and row.data["via"] == "api"


def test_a_logged_in_session_does_not_authenticate_the_api(client, learner):
    client.force_login(learner)
    response = client.get("/api/v1/me/claims")
    assert response.status_code == 401
    # and a cookie-carrying POST/DELETE without a token is refused the same way (no CSRF question)
    assert client.delete("/api/v1/me/token").status_code == 401


def test_last_used_is_written_at_most_once_a_minute(client, learner, learner_token, bearer):
    tokens = PersonalAccessToken.objects.filter(user=learner)
    assert tokens.get().last_used_at is None
    client.get("/api/v1/me", **bearer(learner_token))
    first = tokens.get().last_used_at
    assert first is not None and timezone.now() - first < datetime.timedelta(seconds=5)
    # Used 30 seconds ago: this call does not write.
    thirty_ago = timezone.now() - datetime.timedelta(seconds=30)
    tokens.update(last_used_at=thirty_ago)
    client.get("/api/v1/me", **bearer(learner_token))
    assert tokens.get().last_used_at == thirty_ago
    # Used 61 seconds ago: this call writes now.
    tokens.update(last_used_at=timezone.now() - datetime.timedelta(seconds=61))
    client.get("/api/v1/me", **bearer(learner_token))
    assert timezone.now() - tokens.get().last_used_at < datetime.timedelta(seconds=5)


def test_only_a_hash_of_the_token_is_stored(learner, learner_token):
    token = PersonalAccessToken.objects.get(user=learner)
    assert learner_token not in (token.secret_hash, token.prefix)
    assert len(token.secret_hash) == 64 and token.prefix == learner_token[:13]
    assert learner_token.startswith("pcme_") and len(learner_token) == 45
