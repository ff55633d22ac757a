"""Pagination (page and limit, links in the body and in Link), ETags (304), rate limits (429)."""

import re
from types import SimpleNamespace

import pytest
from django.http import HttpResponse

from api import ratelimit
from api.pagination import PageParams, paginate
from testkit import factories

# A clock 15 seconds into a one-minute window: a call refused now waits the 45 left of it.
FROZEN_NOW = 60 * 29_000_000 + 15


@pytest.fixture
def frozen_clock(monkeypatch):
    """The rate limiter's clock (only its own module's) stands still, so Retry-After is exact."""
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: float(FROZEN_NOW)))


@pytest.fixture
def five_shows(db):
    return [factories.make_show(title=f"Show {n}", slug=f"show-{n}") for n in range(5)]


def test_pages_link_to_each_other(client, five_shows):
    first = client.get("/api/v1/shows?limit=2")
    body = first.json()
    assert [s["slug"] for s in body["results"]] == ["show-0", "show-1"]
    assert body["previous"] is None
    assert body["next"] == "http://testserver/api/v1/shows?limit=2&page=2"
    assert first["Link"] == '<http://testserver/api/v1/shows?limit=2&page=2>; rel="next"'
    second = client.get(body["next"].removeprefix("http://testserver")).json()
    assert [s["slug"] for s in second["results"]] == ["show-2", "show-3"]
    assert second["previous"] == "http://testserver/api/v1/shows?limit=2&page=1"
    last = client.get("/api/v1/shows?limit=2&page=3")
    assert [s["slug"] for s in last.json()["results"]] == ["show-4"]
    assert last.json()["next"] is None
    assert 'rel="next"' not in last["Link"] and 'rel="prev"' in last["Link"]
    # Past the end: an empty page, not an error.
    assert client.get("/api/v1/shows?limit=2&page=9").json()["results"] == []


@pytest.mark.parametrize("limit", ["101", "1000"])
def test_oversized_limit_is_refused_not_cut(client, five_shows, limit):
    response = client.get(f"/api/v1/shows?limit={limit}")
    assert response.status_code == 400
    assert response.json() == {
        "error": "limit_too_large",
        "message": f"limit must be between 1 and 100 (asked for {limit}): read more pages instead.",
    }


def test_max_page_size_is_a_setting(client, five_shows, settings):
    settings.PODCASTCME_API_MAX_PAGE_SIZE = 3
    assert client.get("/api/v1/shows?limit=3").status_code == 200
    assert client.get("/api/v1/shows?limit=4").status_code == 400


def test_strong_etag_and_304(client, five_shows):
    response = client.get("/api/v1/shows")
    etag = response["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{64}"', etag)  # strong: no W/
    again = client.get("/api/v1/shows", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    # Another representation, another tag; a stale tag gets the full answer.
    factories.make_show(title="Show 9", slug="show-9")
    changed = client.get("/api/v1/shows", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    detail = client.get("/api/v1/shows/show-1")
    assert client.get("/api/v1/shows/show-1", HTTP_IF_NONE_MATCH=detail["ETag"]).status_code == 304


def test_authenticated_etag_and_cache_headers(client, learner_token, bearer):
    response = client.get("/api/v1/me/claims", **bearer(learner_token))
    assert "private" in response["Cache-Control"]
    assert "Authorization" in response["Vary"]
    again = client.get("/api/v1/me/claims", HTTP_IF_NONE_MATCH=response["ETag"], **bearer(learner_token))
    assert again.status_code == 304


def test_errors_carry_no_etag(client, db):
    assert not client.get("/api/v1/shows/none").has_header("ETag")


def test_anonymous_calls_are_limited_per_address(client, db, settings, frozen_clock):
    settings.PODCASTCME_API_RATE_LIMITS = {"user": [(100, 60)], "anonymous": [(3, 60)]}
    for _ in range(3):
        assert client.get("/api/v1/topics").status_code == 200
    refused = client.get("/api/v1/topics")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "45"  # the seconds left of the window that refused it
    assert refused.json()["error"] == "rate_limited"
    # Another address has its own budget.
    assert client.get("/api/v1/topics", REMOTE_ADDR="192.0.2.9").status_code == 200


def test_token_calls_are_limited_per_user_all_tokens_sharing_one_budget(
    client, learner, other_learner, make_token, bearer, settings, frozen_clock
):
    settings.PODCASTCME_API_RATE_LIMITS = {"user": [(3, 60)], "anonymous": [(100, 60)]}
    first, second = make_token(learner), make_token(learner, name="Second")
    assert client.get("/api/v1/me", **bearer(first)).status_code == 200
    assert client.get("/api/v1/me", **bearer(second)).status_code == 200
    assert client.get("/api/v1/me/claims", **bearer(first)).status_code == 200
    # The third call used the budget up, whichever token made it: a new token is no way round it.
    for raw in (first, second, make_token(learner, name="Third")):
        refused = client.get("/api/v1/me", **bearer(raw))
        assert refused.status_code == 429
        assert refused["Retry-After"] == "45"  # the seconds left of the window that refused it
        assert refused.json()["error"] == "rate_limited"
    # Another user, from the same address, keeps their own budget; so do anonymous calls.
    other = make_token(other_learner)
    for _ in range(3):
        assert client.get("/api/v1/me", **bearer(other)).status_code == 200
    assert client.get("/api/v1/me", **bearer(other)).status_code == 429
    assert client.get("/api/v1/topics").status_code == 200


def test_an_ipv6_client_cannot_escape_its_limit_by_changing_address_in_its_64(client, db, settings):
    settings.PODCASTCME_API_RATE_LIMITS = {"user": [(100, 60)], "anonymous": [(2, 60)]}
    # A host chooses the last 64 bits of its address freely (privacy extensions, or on purpose).
    for n in (1, 2):
        assert client.get("/api/v1/topics", REMOTE_ADDR=f"2001:db8:1:2::{n}").status_code == 200
    assert client.get("/api/v1/topics", REMOTE_ADDR="2001:db8:1:2:ffff::9").status_code == 429
    assert client.get("/api/v1/topics", REMOTE_ADDR="2001:db8:1:3::1").status_code == 200  # another /64


def test_a_forged_x_forwarded_for_does_not_reset_the_limit(client, db, settings):
    settings.PODCASTCME_API_RATE_LIMITS = {"user": [(100, 60)], "anonymous": [(2, 60)]}
    settings.PODCASTCME_TRUSTED_PROXIES = 1  # one proxy, which appends the address it saw
    seen = "198.51.100.7"
    for n in (1, 2):
        forged = f"203.0.113.{n}, {seen}"  # the client's own claim on the left, the proxy's on the right
        assert client.get("/api/v1/topics", HTTP_X_FORWARDED_FOR=forged).status_code == 200
    assert client.get("/api/v1/topics", HTTP_X_FORWARDED_FOR=f"203.0.113.3, {seen}").status_code == 429


def test_paginate_shapes_only_the_rows_of_the_page_and_returns_the_whole_answer(rf):
    """Every list endpoint answers ``paginate(..., out=...)``: the extra row read to know whether a
    next page exists is never shaped (nor, through ``out``, any query it would cost)."""
    shaped: list[int] = []

    def out(n: int) -> dict:
        shaped.append(n)
        return {"n": n}

    request = rf.get("/api/v1/anything", {"limit": "2", "page": "2"})
    response = HttpResponse()
    page = paginate(request, response, list(range(10)), PageParams(page=2, limit=2), out=out)
    assert page == {
        "page": 2,
        "limit": 2,
        "next": "http://testserver/api/v1/anything?limit=2&page=3",
        "previous": "http://testserver/api/v1/anything?limit=2&page=1",
        "results": [{"n": 2}, {"n": 3}],
    }
    assert shaped == [2, 3]
    assert response["Link"].count("rel=") == 2
