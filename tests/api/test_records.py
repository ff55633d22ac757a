"""A learner's own claims, certificates and transcript; a coordinator's activities' completions.
Nobody reads another's records: two learners, two providers."""

import pytest

from credits import certificates
from testkit import factories
from testkit.mfa import give_totp


@pytest.fixture
def certificate(learner, activity, django_capture_on_commit_callbacks):
    factories.pass_and_evaluate(learner, activity)
    return factories.claim_and_issue(learner, activity, django_capture_on_commit_callbacks)


@pytest.fixture
def other_certificate(other_learner, show, coordinator, provider, django_capture_on_commit_callbacks):
    episode = factories.make_episode(show, slug="second-episode", title="Second episode")
    activity = factories.make_activity(provider=provider, episode=episode, coordinator=coordinator)
    factories.pass_and_evaluate(other_learner, activity)
    return factories.claim_and_issue(other_learner, activity, django_capture_on_commit_callbacks)


def test_learner_sees_own_claims_and_certificates_only(
    client, bearer, make_token, learner, other_learner, certificate, other_certificate
):
    mine, theirs = make_token(learner), make_token(other_learner)
    claims = client.get("/api/v1/me/claims", **bearer(mine)).json()["results"]
    assert [c["id"] for c in claims] == [certificate.claim_id]
    assert claims[0]["certificate"] == {
        "id": certificate.pk,
        "number": certificate.number,
        "status": "issued",
    }
    certificates = client.get("/api/v1/me/certificates", **bearer(mine)).json()["results"]
    assert [c["id"] for c in certificates] == [certificate.pk]
    other = client.get("/api/v1/me/certificates", **bearer(theirs)).json()["results"]
    assert [c["id"] for c in other] == [other_certificate.pk]
    # Another learner's certificate by id: not found, as if it did not exist.
    response = client.get(f"/api/v1/me/certificates/{other_certificate.pk}", **bearer(mine))
    assert response.status_code == 404
    assert response.json()["message"] == f"You have no certificate with id {other_certificate.pk}."


def test_certificate_has_verification_and_pdf_download_urls(client, bearer, learner_token, certificate):
    body = client.get(f"/api/v1/me/certificates/{certificate.pk}", **bearer(learner_token)).json()
    assert body["status"] == "issued"
    assert body["verification_url"] == f"http://testserver/verify/{certificate.code}/"
    assert [(c["type"], c["credits"]) for c in body["credits"]] == [("ama_pra_1", str(certificate.credits))]
    # The download link works without a session or a token (signed, short-lived) and is the PDF.
    pdf = client.get(body["pdf_download_url"].removeprefix("http://testserver"))
    assert pdf.status_code == 200
    assert b"".join(pdf.streaming_content if pdf.streaming else [pdf.content]).startswith(b"%PDF")
    # The verification page answers for anyone.
    assert client.get(body["verification_url"].removeprefix("http://testserver")).status_code == 200


def test_revoked_certificate_is_listed_as_revoked_without_links(
    client, bearer, learner_token, certificate, coordinator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        certificates.certificate_revoke(
            certificate=certificate, actor=coordinator, reason="Attestation was false."
        )
    body = client.get(f"/api/v1/me/certificates/{certificate.pk}", **bearer(learner_token)).json()
    assert body["status"] == "revoked"
    assert body["verification_url"] is None and body["pdf_download_url"] is None


def test_transcript_has_rows_and_totals(
    client, bearer, learner_token, certificate, make_token, other_learner
):
    body = client.get("/api/v1/me/transcript", **bearer(learner_token)).json()
    assert [r["certificate_number"] for r in body["results"]] == [certificate.number]
    assert [(t["credit_type"], t["credits"]) for t in body["totals"]] == [
        ("ama_pra_1", str(certificate.credits))
    ]
    empty = client.get("/api/v1/me/transcript", **bearer(make_token(other_learner))).json()
    assert empty["results"] == [] and empty["totals"] == []


def test_transcript_is_paged_with_totals_over_every_row(
    client, bearer, learner, learner_token, show, provider
):
    factories.add_claims(learner, show=show, provider=provider, count=5, credits="0.75", prefix="paged")
    seen, url = [], "/api/v1/me/transcript?limit=2&start=2000-01-01"
    while url:
        response = client.get(url, **bearer(learner_token))
        assert response.status_code == 200, response.content
        body = response.json()
        assert len(body["results"]) <= 2 and body["start"] == "2000-01-01" and body["end"] is None
        # Every page carries the totals of the whole period, not of its own rows.
        assert [(t["credit_type"], t["credits"]) for t in body["totals"]] == [("ama_pra_1", "3.75")]
        seen += body["results"]
        url = body["next"] and body["next"].removeprefix("http://testserver")
        if url:
            assert "start=2000-01-01" in url and response["Link"].startswith(f"<{body['next']}>")
    assert body["page"] == 3 and body["previous"].endswith("limit=2&page=2&start=2000-01-01")
    assert len(seen) == 5 and len({r["title"] for r in seen}) == 5
    assert [r["date"] for r in seen] == sorted((r["date"] for r in seen), reverse=True)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=101", "limit must be between 1 and 100 (asked for 101)"),
        ("limit=0", "limit: Input should be greater than or equal to 1"),
        ("page=0", "page: Input should be greater than or equal to 1"),
        ("start=2026-13-01", "start: Input should be a valid date"),
        ("start=2026-05-02&end=2026-05-01", "end (2026-05-01) is before start (2026-05-02)."),
    ],
)
def test_transcript_bad_dates_are_400(client, bearer, learner_token, query, message):
    response = client.get(f"/api/v1/me/transcript?{query}", **bearer(learner_token))
    assert response.status_code == 400
    assert response.json()["message"].startswith(message)


def test_coordinator_sees_completions_of_own_activities_only(
    client,
    bearer,
    make_token,
    coordinator,
    activity,
    certificate,
    show,
    learner,
    django_capture_on_commit_callbacks,
):
    elsewhere = factories.make_provider("Elsewhere Society", "elsewhere")
    factories.grant_show(show, elsewhere)
    other_coordinator = factories.make_coordinator(elsewhere, "elsewhere@example.org")
    episode = factories.make_episode(show, slug="elsewhere-episode")
    other_activity = factories.make_activity(
        provider=elsewhere, episode=episode, coordinator=other_coordinator
    )
    factories.pass_and_evaluate(learner, other_activity)
    factories.claim_and_issue(learner, other_activity, django_capture_on_commit_callbacks)

    give_totp(coordinator)  # coordinators sign in with two factors (CoordinatorTokenAuth)
    token = make_token(coordinator)
    activities = client.get("/api/v1/coordinator/activities", **bearer(token)).json()["results"]
    assert [(a["id"], a["credited_completions"]) for a in activities] == [(activity.pk, 1)]
    completions = client.get(
        f"/api/v1/coordinator/activities/{activity.pk}/completions", **bearer(token)
    ).json()
    assert [c["certificate_number"] for c in completions["results"]] == [certificate.number]
    assert completions["results"][0]["learner_email"] == learner.email
    response = client.get(f"/api/v1/coordinator/activities/{other_activity.pk}/completions", **bearer(token))
    assert response.status_code == 404
    assert response.json()["message"] == f"You coordinate no activity with id {other_activity.pk}."


def test_a_learner_is_no_coordinator(client, bearer, learner_token, activity):
    assert client.get("/api/v1/coordinator/activities", **bearer(learner_token)).json()["results"] == []
    url = f"/api/v1/coordinator/activities/{activity.pk}/completions"
    assert client.get(url, **bearer(learner_token)).status_code == 404


def test_a_coordinators_token_made_without_two_factor_is_refused(
    client, bearer, make_token, coordinator, activity, certificate
):
    # Made as a learner would (no authenticator yet), before or after becoming a coordinator: the
    # coordinator pages would have asked for a second factor, so the token may not read them.
    before = make_token(coordinator, name="Made without two-factor")
    urls = ["/api/v1/coordinator/activities", f"/api/v1/coordinator/activities/{activity.pk}/completions"]
    for url in urls:
        response = client.get(url, **bearer(before))
        assert response.status_code == 403, url
        assert response.json()["error"] == "mfa_required"
        assert "/account/api-tokens/" in response.json()["message"]
    give_totp(coordinator)
    assert client.get(urls[1], **bearer(before)).status_code == 403  # still: it was made before
    assert client.get("/api/v1/me", **bearer(before)).status_code == 200  # their own records: fine
    after = make_token(coordinator, name="Made after two-factor")
    for url in urls:
        assert client.get(url, **bearer(after)).status_code == 200, url


def test_coordinator_endpoints_need_a_token(client, activity):
    assert client.get(f"/api/v1/coordinator/activities/{activity.pk}/completions").status_code == 401
