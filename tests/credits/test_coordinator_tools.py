"""Coordinator tools (issue 12, finding 11): certificate search, the read-only audit trail, pending
correction requests on the dashboard and by email, and revoke/re-issue as confirmed destructive actions."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from credits import certificates
from credits.models import Certificate, CertificateRevision, CorrectionRequest
from testkit import factories
from testkit.factories import claim_and_issue, pass_and_evaluate
from testkit.mfa import mfa_login

pytestmark = pytest.mark.django_db


def _coordinator_client(user) -> Client:
    client = Client()
    mfa_login(client, user)
    return client


@pytest.fixture
def issued(learner, activity, evaluated, django_capture_on_commit_callbacks):
    return claim_and_issue(learner, activity, django_capture_on_commit_callbacks, minutes=30)


@pytest.fixture
def other(make_user, django_capture_on_commit_callbacks):
    """Another provider with its own coordinator, activity and a certificate of a learner named Ada
    too (the search must never show it to our coordinator)."""
    provider = factories.make_provider("Other Society", "other")
    coordinator = factories.make_coordinator(provider, "other-coord@example.org")
    show = factories.make_show(title="Other Show", slug="other-show")
    factories.grant_show(show, provider)
    episode = factories.make_episode(show, slug="other-episode", title="Other episode")
    activity = factories.make_activity(provider=provider, episode=episode, coordinator=coordinator)
    learner = make_user("ada.other@example.org", profile=True)
    pass_and_evaluate(learner, activity)
    certificate = claim_and_issue(learner, activity, django_capture_on_commit_callbacks)
    return {
        "provider": provider,
        "coordinator": coordinator,
        "activity": activity,
        "certificate": certificate,
    }


def _search(client, q, **params):
    return client.get(reverse("credits:coordinator_certificates"), {"q": q, **params})


def _found(response) -> list[str]:
    assert response.status_code == 200
    return re.findall(r'href="/coordinator/certificates/(\d+)/"', response.content.decode())


# --- (a) Search -----------------------------------------------------------------------------------


def test_search_finds_a_certificate_by_each_key(issued, coordinator, learner, other):
    client = _coordinator_client(coordinator)
    mine = [str(issued.pk)]
    code = certificates.code_display(issued.code)
    for query in [
        "Ada Lovelace",
        "lovelace",
        "ada",  # both certificates are an Ada's, only ours is listed
        "learner@example.org",
        "LEARNER@",
        issued.number,
        issued.number.lower(),
        issued.number.rsplit("-", 1)[1],
        code,  # with dashes
        issued.code,  # without
        code.lower().replace("-", " "),
    ]:
        assert _found(_search(client, query)) == mine, query
    assert _found(_search(client, "nobody@example.net")) == []
    assert "No certificate matches" in _search(client, "nobody@example.net").content.decode()


def test_search_never_shows_another_providers_certificates(issued, coordinator, other):
    client = _coordinator_client(coordinator)
    theirs = other["certificate"]
    for query in [
        "ada.other@example.org",
        theirs.number,
        theirs.code,
        certificates.code_display(theirs.code),
        "",
    ]:
        assert str(theirs.pk) not in _found(_search(client, query)), query
    assert client.get(reverse("credits:coordinator_certificate", args=[theirs.pk])).status_code == 404
    # And the other coordinator sees theirs only.
    assert _found(_search(_coordinator_client(other["coordinator"]), "")) == [str(theirs.pk)]


def test_search_query_is_escaped_and_a_too_long_one_is_refused(issued, coordinator):
    client = _coordinator_client(coordinator)
    body = _search(client, '<script>alert("x")</script>').content.decode()
    assert "<script>alert" not in body and "&lt;script&gt;alert" in body
    too_long = _search(client, "x" * 101)
    assert too_long.status_code == 400 and "at most 100 characters" in too_long.content.decode()


def test_search_results_are_paginated(coordinator, provider, show, make_user):
    learner = make_user("bulk@example.org", profile=True)
    claims = factories.add_claims(learner, show=show, provider=provider, count=30, prefix="p")
    assert Certificate.objects.filter(claim__in=claims).count() == 30
    client = _coordinator_client(coordinator)
    first = _search(client, "bulk@")
    assert len(_found(first)) == 25 and "Older" in first.content.decode()
    second = _search(client, "bulk@", before=first.context["page"].older_cursor)
    assert len(_found(second)) == 5
    assert not set(_found(first)) & set(_found(second))
    # A malformed page link is a 404 that says so and links to the newest certificates.
    bad = _search(client, "bulk@", before="nonsense")
    assert bad.status_code == 404 and "This page of results does not exist" in bad.content.decode()


def test_search_is_for_coordinators_only(issued, learner, client):
    client.force_login(learner)
    response = client.get(reverse("credits:coordinator_certificates"), {"q": "Ada"})
    assert response.status_code in (302, 403, 404)
    assert issued.number not in response.content.decode()


# --- (b) The audit trail ------------------------------------------------------------------------


def test_activity_audit_trail_in_time_order_with_who_and_old_and_new_values(
    issued, coordinator, activity, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        certificates.certificate_reissue(certificate=issued, actor=coordinator, reason="Typo", credits="0.25")
    client = _coordinator_client(coordinator)
    response = client.get(reverse("credits:coordinator_activity_audit", args=[activity.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    actions = re.findall(r'<tr data-action="([^"]+)"', body)
    expected = list(
        AuditEvent.objects.filter(
            object_type__in=[
                "credits.activity",
                "credits.attempt",
                "credits.evaluation",
                "credits.creditclaim",
                "credits.certificate",
                "credits.activityversion",
                "credits.contentperson",
            ],
        )
        .order_by("created_at", "id")
        .values_list("action", flat=True)
    )
    assert actions == expected
    assert (
        actions.index("attempt.started")
        < actions.index("claim.created")
        < actions.index("certificate.reissued")
    )
    assert "<del>0.5</del> → <ins>0.25</ins>" in body
    assert coordinator.email in body and "learner@example.org" in body
    # Read-only: nothing to post, and posting is refused.
    assert client.post(reverse("credits:coordinator_activity_audit", args=[activity.pk])).status_code == 405


def test_audit_trails_belong_to_the_providers_coordinators_only(issued, activity, provider, learner, other):
    client = _coordinator_client(other["coordinator"])
    assert client.get(reverse("credits:coordinator_activity_audit", args=[activity.pk])).status_code == 404
    url = reverse("credits:coordinator_learner_audit", args=[provider.slug, learner.pk])
    assert client.get(url).status_code == 404
    learner_client = Client()
    learner_client.force_login(learner)
    assert learner_client.get(
        reverse("credits:coordinator_activity_audit", args=[activity.pk])
    ).status_code in (
        302,
        403,
        404,
    )


def test_learner_audit_trail_is_limited_to_this_providers_records(
    issued, learner, coordinator, provider, other, django_capture_on_commit_callbacks
):
    # The same learner also completes the other provider's activity.
    pass_and_evaluate(learner, other["activity"])
    theirs = claim_and_issue(learner, other["activity"], django_capture_on_commit_callbacks)
    client = _coordinator_client(coordinator)
    body = client.get(
        reverse("credits:coordinator_learner_audit", args=[provider.slug, learner.pk])
    ).content.decode()
    assert f"credits.certificate #{issued.pk}<" in body
    assert f"credits.certificate #{theirs.pk}<" not in body
    assert f"credits.creditclaim #{theirs.claim_id}<" not in body
    # A learner with no record at this provider is not found.
    stranger = factories.make_user("stranger@example.org")
    assert (
        client.get(
            reverse("credits:coordinator_learner_audit", args=[provider.slug, stranger.pk])
        ).status_code
        == 404
    )


# --- (c) Pending correction requests --------------------------------------------------------------


def test_pending_corrections_are_counted_on_the_dashboard_and_emailed_to_coordinators(
    issued, learner, coordinator, make_user, provider, django_capture_on_commit_callbacks
):
    second = factories.make_coordinator(provider, "second-coord@example.org")
    client = _coordinator_client(coordinator)
    dashboard = reverse("credits:coordinator_dashboard")
    assert "0 correction requests waiting" in client.get(dashboard).content.decode()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        certificates.correction_request_create(
            certificate=issued, learner=learner, learner_name="Ada Byron Lovelace", degree="MD"
        )
    assert "1 correction request waiting" in client.get(dashboard).content.decode()
    [message] = [m for m in mail.outbox if "correction" in m.subject.lower()]
    assert sorted(message.to) == sorted([coordinator.email, second.email])
    request = CorrectionRequest.objects.get()
    assert reverse("credits:coordinator_correction", args=[request.pk]) in message.body
    assert "Ada Byron Lovelace" in message.body


# --- (d) Revoke and re-issue are confirmed destructive actions -----------------------------------


def test_revoke_and_reissue_never_change_anything_on_get(issued, coordinator):
    client = _coordinator_client(coordinator)
    for name in ("coordinator_revoke", "coordinator_reissue"):
        response = client.get(
            reverse(f"credits:{name}", args=[issued.pk]), {"reason": "x", "step": "confirm"}
        )
        assert response.status_code == 405
    issued.refresh_from_db()
    assert issued.status == Certificate.Status.ISSUED and issued.revision == 1


def test_revoking_asks_to_type_revoke_first(issued, coordinator, django_capture_on_commit_callbacks):
    client = _coordinator_client(coordinator)
    page = client.get(reverse("credits:coordinator_certificate", args=[issued.pk])).content.decode()
    assert re.search(r'<button type="submit" class="button danger">Revoke', page)
    url = reverse("credits:coordinator_revoke", args=[issued.pk])

    first = client.post(url, {"reason": "Claimed twice"})
    assert first.status_code == 200
    body = first.content.decode()
    assert "This cannot be undone." in body and "Type REVOKE to confirm" in body
    assert 'class="button danger"' in body
    assert 'name="reason" value="Claimed twice"' in body

    wrong = client.post(url, {"reason": "Claimed twice", "step": "confirm", "confirm_word": "yes"})
    assert wrong.status_code == 400 and "Type REVOKE to confirm" in wrong.content.decode()
    issued.refresh_from_db()
    assert issued.status == Certificate.Status.ISSUED
    assert not AuditEvent.objects.filter(action="certificate.revoked").exists()

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {"reason": "Claimed twice", "step": "confirm", "confirm_word": "revoke"})
    assert done.status_code == 302
    issued.refresh_from_db()
    assert issued.status == Certificate.Status.REVOKED


def test_reissuing_shows_the_changes_and_needs_the_box_ticked(
    issued, coordinator, django_capture_on_commit_callbacks
):
    client = _coordinator_client(coordinator)
    url = reverse("credits:coordinator_reissue", args=[issued.pk])
    data = {
        "learner_name": "Ada King Lovelace",
        "degree": "MD",
        "credits": "0.25",
        "completion_date": issued.completion_date.isoformat(),
        "reason": "Name and time",
    }
    first = client.post(url, data)
    assert first.status_code == 200
    body = first.content.decode()
    assert "Ada King Lovelace" in body and "0.25" in body and "0.5" in body
    assert 'class="button danger"' in body
    unticked = client.post(url, {**data, "step": "confirm"})
    assert unticked.status_code == 400 and "Tick the box" in unticked.content.decode()
    issued.refresh_from_db()
    assert issued.revision == 1 and not CertificateRevision.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {**data, "step": "confirm", "confirm": "on"})
    assert done.status_code == 302
    issued.refresh_from_db()
    assert issued.revision == 2 and issued.learner_name == "Ada King Lovelace"
    assert str(issued.credits) == "0.25"
