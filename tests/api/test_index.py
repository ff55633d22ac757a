"""GET /api/v1/: a JSON index (name, version, links to the schema, the docs and every top-level
collection) where ninja put an HTML placeholder; the schema and the docs page still answer."""

import re

from testkit.mfa import give_totp

SITE = "http://testserver"


def _path(url: str) -> str:
    assert url.startswith(SITE + "/"), url
    return url.removeprefix(SITE)


def test_the_root_is_a_json_index(client, db):
    response = client.get("/api/v1/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert re.fullmatch(r'"[0-9a-f]{64}"', response["ETag"])  # like every other answer
    assert response.json() == {
        "name": "podcastcme API",
        "version": "1",
        "openapi_url": f"{SITE}/api/v1/openapi.json",
        "docs_url": f"{SITE}/api/v1/docs",
        "tokens_url": f"{SITE}/account/api-tokens/",
        "collections": {
            "shows": f"{SITE}/api/v1/shows",
            "episodes": f"{SITE}/api/v1/episodes",
            "activities": f"{SITE}/api/v1/activities",
            "topics": f"{SITE}/api/v1/topics",
        },
        "token_collections": {
            "me": f"{SITE}/api/v1/me",
            "my_claims": f"{SITE}/api/v1/me/claims",
            "my_certificates": f"{SITE}/api/v1/me/certificates",
            "my_transcript": f"{SITE}/api/v1/me/transcript",
            "coordinator_activities": f"{SITE}/api/v1/coordinator/activities",
        },
    }


def test_every_link_of_the_index_answers(client, coordinator, make_token, bearer):
    index = client.get("/api/v1/").json()
    schema = client.get(_path(index["openapi_url"]))
    assert schema.status_code == 200 and schema.json()["info"]["title"] == index["name"]
    docs = client.get(_path(index["docs_url"]))
    assert docs.status_code == 200 and b"swagger-ui" in docs.content
    for url in index["collections"].values():
        response = client.get(_path(url))
        assert response.status_code == 200 and "results" in response.json(), url
    give_totp(coordinator)  # the coordinator list needs a token made after two-factor
    headers = bearer(make_token(coordinator))
    for url in index["token_collections"].values():
        assert client.get(_path(url)).status_code == 401, url  # a token is needed, as the index says
        assert client.get(_path(url), **headers).status_code == 200, url


def test_the_index_is_in_the_schema(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/"]["get"]
    assert "security" not in operation
    assert set(operation["responses"]) == {"200"}


def test_the_index_follows_site_url(client, db, settings):
    settings.SITE_URL = "https://cme.example.org"
    body = client.get("/api/v1/").json()
    assert body["openapi_url"] == "https://cme.example.org/api/v1/openapi.json"
    assert body["collections"]["shows"] == "https://cme.example.org/api/v1/shows"


def test_the_index_without_its_slash_redirects_and_other_methods_are_refused(client, db):
    response = client.get("/api/v1")
    assert response.status_code == 301 and response["Location"] == "/api/v1/"
    assert client.post("/api/v1").status_code == 404
    refused = client.post("/api/v1/")
    assert refused.status_code == 405
    assert client.get("/api/v2/").json()["error"] == "not_found"  # no other version yet
