"""A learner's correction request (issue 15, item 9): the coordinators are emailed, the dashboard
lists what waits, and the learner sees where their request stands on My learning."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from credits import certificates
from credits.models import CorrectionRequest
from testkit import factories
from testkit.factories import claim_and_issue
from testkit.mfa import mfa_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(learner, activity, evaluated, django_capture_on_commit_callbacks):
    return claim_and_issue(learner, activity, django_capture_on_commit_callbacks, minutes=30)


def _coordinator_client(user) -> Client:
    client = Client()
    mfa_login(client, user)
    return client


def _ask(client, certificate, capture, **data):
    with capture(execute=True):
        return client.post(
            reverse("credits:certificate_correction", args=[certificate.pk]),
            {"learner_name": "Ada Byron Lovelace", "degree": "MD", "message": "My full name", **data},
        )


def _my_learning(client) -> str:
    return client.get(reverse("credits:my_learning")).content.decode()


def test_the_request_sent_from_the_page_emails_the_activitys_coordinators(
    client, issued, learner, coordinator, provider, django_capture_on_commit_callbacks
):
    second = factories.make_coordinator(provider, "second-coord@example.org")
    client.force_login(learner)
    mail.outbox.clear()
    response = _ask(client, issued, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    [message] = [m for m in mail.outbox if "correction" in m.subject.lower()]
    assert sorted(message.to) == sorted([coordinator.email, second.email])
    assert "Ada Byron Lovelace" in message.body and "My full name" in message.body
    request = CorrectionRequest.objects.get()
    assert reverse("credits:coordinator_correction", args=[request.pk]) in message.body


def test_the_dashboard_lists_the_waiting_requests(
    client, issued, learner, coordinator, django_capture_on_commit_callbacks
):
    client.force_login(learner)
    _ask(client, issued, django_capture_on_commit_callbacks, learner_name="Ada <b>Lovelace</b>")
    request = CorrectionRequest.objects.get()
    page = _coordinator_client(coordinator).get(reverse("credits:coordinator_dashboard")).content.decode()
    assert "1 correction request waiting" in page
    assert issued.number in page
    assert "Ada &lt;b&gt;Lovelace&lt;/b&gt;" in page and "<b>Lovelace" not in page
    assert reverse("credits:coordinator_correction", args=[request.pk]) in page


def test_another_providers_coordinator_does_not_see_the_request(
    client, issued, learner, django_capture_on_commit_callbacks
):
    client.force_login(learner)
    _ask(client, issued, django_capture_on_commit_callbacks)
    stranger = factories.make_coordinator(factories.make_provider("Other Society", "other"), "x@example.org")
    page = _coordinator_client(stranger).get(reverse("credits:coordinator_dashboard")).content.decode()
    assert "0 correction requests waiting" in page and issued.number not in page


def test_my_learning_shows_an_open_request_then_the_coordinators_answer(
    client, issued, learner, coordinator, django_capture_on_commit_callbacks
):
    client.force_login(learner)
    assert "data-correction-state" not in _my_learning(client)
    _ask(client, issued, django_capture_on_commit_callbacks)
    page = _my_learning(client)
    assert "Correction requested" in page and "waiting for the provider" in page
    assert 'data-correction-state="open"' in page
    request = CorrectionRequest.objects.get()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        certificates.correction_request_decide(
            correction=request, actor=coordinator, approve=False, note="Your licence says <Ada Lovelace>"
        )
    page = _my_learning(client)
    assert "Correction declined" in page and 'data-correction-state="answered"' in page
    assert "Your licence says &lt;Ada Lovelace&gt;" in page
    assert "waiting for the provider" not in page
    # The learner is told by email too, with the coordinator's note.
    [message] = [m for m in mail.outbox if m.to == [learner.email]]
    assert issued.number in message.subject and "Your licence says <Ada Lovelace>" in message.body


def test_my_learning_shows_an_approved_request(
    client, issued, learner, coordinator, django_capture_on_commit_callbacks
):
    client.force_login(learner)
    _ask(client, issued, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        certificates.correction_request_decide(
            correction=CorrectionRequest.objects.get(), actor=coordinator, approve=True
        )
    page = _my_learning(client)
    assert "Correction made" in page and "waiting for the provider" not in page


def test_a_request_closed_by_a_revocation_says_so(
    client, issued, learner, coordinator, django_capture_on_commit_callbacks
):
    client.force_login(learner)
    _ask(client, issued, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        certificates.certificate_revoke(certificate=issued, actor=coordinator, reason="Duplicate claim")
    page = _my_learning(client)
    assert "Correction request closed" in page and 'data-correction-state="closed"' in page
    assert "waiting for the provider" not in page
