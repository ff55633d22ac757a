"""The API over real HTTP: the live server on loopback, the ``requests`` client, a bearer token."""

import pytest
import requests

from api.tokens import token_create


@pytest.mark.django_db(transaction=True)
def test_a_client_reads_over_http_with_a_bearer_token(live_server, learner, episode):
    _token, raw = token_create(user=learner, name="Live test", scope="read")
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {raw}"

    me = session.get(f"{live_server.url}/api/v1/me", timeout=10)
    assert me.status_code == 200
    assert me.headers["Content-Type"].startswith("application/json")
    assert me.json()["email"] == learner.email

    episodes = session.get(f"{live_server.url}/api/v1/episodes", params={"limit": 1}, timeout=10)
    assert [e["id"] for e in episodes.json()["results"]] == [episode.pk]
    etag = episodes.headers["ETag"]
    again = session.get(
        f"{live_server.url}/api/v1/episodes", params={"limit": 1}, headers={"If-None-Match": etag}, timeout=10
    )
    assert again.status_code == 304

    refused = requests.get(
        f"{live_server.url}/api/v1/me/claims", headers={"Authorization": "Bearer pcme_wrong"}, timeout=10
    )
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert refused.json()["error"] == "invalid_token"

    schema = requests.get(f"{live_server.url}/api/v1/openapi.json", timeout=10)
    assert schema.status_code == 200 and "/api/v1/me/claims" in schema.json()["paths"]
