"""Deleting an account revokes its API tokens (podcastcme/account_deletion.py calls
api.tokens.tokens_revoke_for_user): a token handed to an integration stops working at once."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from api.models import PersonalAccessToken
from api.tokens import token_revoke, tokens_revoke_for_user
from audit.models import AuditEvent
from testkit.factories import PASSWORD


@pytest.mark.django_db
def test_deleting_the_account_revokes_its_tokens(client, learner, other_learner, make_token, bearer):
    read, write = make_token(learner), make_token(learner, scope="write", name="Script")
    already = PersonalAccessToken.objects.get(user=learner, name="Script")
    theirs = make_token(other_learner)
    assert client.get("/api/v1/me/certificates", **bearer(read)).status_code == 200
    browser = Client()
    browser.force_login(learner)

    response = browser.post(reverse("accounts:delete"), {"password": PASSWORD, "confirm": "on"})

    assert response.status_code == 302
    tokens = PersonalAccessToken.objects.filter(user=learner)
    assert tokens.count() == 2 and not tokens.filter(revoked_at__isnull=True).exists()  # kept, revoked
    for raw in (read, write):
        answer = client.get("/api/v1/me/certificates", **bearer(raw))
        assert answer.status_code == 401 and answer.json()["error"] == "token_revoked"
    # Another learner's token is untouched; the deletion's audit row counts the tokens.
    assert client.get("/api/v1/me", **bearer(theirs)).status_code == 200
    event = AuditEvent.objects.for_object(learner).get(action="account.deleted")
    assert event.data["api_tokens_revoked"] == 2
    assert already.pk in tokens.values_list("pk", flat=True)


@pytest.mark.django_db
def test_a_token_revoked_before_the_deletion_keeps_its_time(learner, make_token):
    make_token(learner)
    token = token_revoke(token=PersonalAccessToken.objects.get(user=learner), actor=learner)

    assert tokens_revoke_for_user(user=learner, at=timezone.now()) == 0
    assert PersonalAccessToken.objects.get(pk=token.pk).revoked_at == token.revoked_at
