"""The signing secret is shown once, by POST-redirect-GET: the POST that makes it (add, rotate)
redirects to the secret page; the first GET shows it, a refresh or a second GET does not (and says
so), and no GET makes or rotates anything. The session never holds the secret itself."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from testkit import factories
from testkit.mfa import mfa_login
from webhooks import services
from webhooks.models import CLAIM_CREATED, EPISODE_PUBLISHED, WebhookEndpoint
from webhooks.views import SECRET_NOTES

pytestmark = pytest.mark.django_db

GOOD = {"url": "https://lms.example.org/hooks/cme", "description": "Moodle", "events": [CLAIM_CREATED]}
SHOWN_ONCE = "The signing secret was shown once"


def _secret_url(provider, endpoint) -> str:
    return reverse("webhooks:coordinator_endpoint_secret", args=[provider.slug, endpoint.pk])


def test_after_adding_the_secret_is_shown_on_the_first_get_only(coordinator_client, provider):
    response = coordinator_client.post(reverse("webhooks:coordinator_endpoints", args=[provider.slug]), GOOD)
    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 302 and response["Location"] == _secret_url(provider, endpoint)
    assert endpoint.secret not in response.content.decode()
    assert endpoint.secret not in str(dict(coordinator_client.session))  # only its digest is noted

    first = coordinator_client.get(response["Location"])
    assert first.status_code == 200 and "no-store" in first["Cache-Control"]
    html = first.content.decode()
    assert html.count(endpoint.secret) == 1 and "Endpoint added" in html
    assert SHOWN_ONCE not in html
    assert SECRET_NOTES not in coordinator_client.session  # the note is taken

    for _ in range(2):  # a refresh, then another GET later
        again = coordinator_client.get(response["Location"])
        assert again.status_code == 200 and "no-store" in again["Cache-Control"]
        assert endpoint.secret not in again.content.decode()
        assert SHOWN_ONCE in again.content.decode()

    # No GET replayed the POST: one endpoint, one creation, its secret unchanged.
    assert WebhookEndpoint.objects.count() == 1
    assert AuditEvent.objects.filter(action="webhook_endpoint.created").count() == 1
    assert WebhookEndpoint.objects.get().secret == endpoint.secret


def test_after_rotating_the_new_secret_is_shown_once_and_a_refresh_rotates_nothing(
    coordinator_client, provider, coordinator
):
    endpoint = services.endpoint_create(
        owner=provider, actor=coordinator, url=GOOD["url"], events=[CLAIM_CREATED]
    )
    old = endpoint.secret
    rotate = reverse("webhooks:coordinator_endpoint_action", args=[provider.slug, endpoint.pk, "rotate"])
    response = coordinator_client.post(rotate)
    assert response.status_code == 302 and response["Location"] == _secret_url(provider, endpoint)
    endpoint.refresh_from_db()
    assert endpoint.secret != old

    first = coordinator_client.get(response["Location"]).content.decode()
    assert first.count(endpoint.secret) == 1 and "New signing secret" in first and old not in first
    refreshed = coordinator_client.get(response["Location"]).content.decode()
    assert endpoint.secret not in refreshed and SHOWN_ONCE in refreshed

    rotated_secret = endpoint.secret
    endpoint.refresh_from_db()
    assert endpoint.secret == rotated_secret  # the refresh rotated nothing
    assert AuditEvent.objects.filter(action="webhook_endpoint.secret_rotated").count() == 1


def test_the_secret_page_shows_nothing_without_the_post_that_made_it(
    coordinator_client, provider, coordinator
):
    endpoint = services.endpoint_create(
        owner=provider, actor=coordinator, url=GOOD["url"], events=[CLAIM_CREATED]
    )
    page = coordinator_client.get(_secret_url(provider, endpoint))
    assert page.status_code == 200
    assert endpoint.secret not in page.content.decode() and SHOWN_ONCE in page.content.decode()
    assert coordinator_client.post(_secret_url(provider, endpoint)).status_code == 405


def test_a_secret_rotated_again_before_the_get_is_not_shown(coordinator_client, provider, coordinator):
    """Another coordinator rotates between this POST and its GET: the note's digest no longer
    matches, so the page shows no secret (not the one someone else made)."""
    coordinator_client.post(reverse("webhooks:coordinator_endpoints", args=[provider.slug]), GOOD)
    endpoint = WebhookEndpoint.objects.get()
    other = factories.make_coordinator(provider, "colleague@example.org")
    endpoint = services.endpoint_rotate_secret(endpoint=endpoint, actor=other)
    page = coordinator_client.get(_secret_url(provider, endpoint)).content.decode()
    assert endpoint.secret not in page and SHOWN_ONCE in page


def test_another_users_note_shows_them_nothing(client, provider, coordinator):
    """The note lives in the session of the user who made the secret: a colleague opening the same
    secret page sees no secret."""
    mfa_login(client, coordinator)
    client.post(reverse("webhooks:coordinator_endpoints", args=[provider.slug]), GOOD)
    endpoint = WebhookEndpoint.objects.get()
    client.logout()
    mfa_login(client, factories.make_coordinator(provider, "colleague@example.org"))
    page = client.get(_secret_url(provider, endpoint)).content.decode()
    assert endpoint.secret not in page and SHOWN_ONCE in page


def test_a_hosts_secret_is_shown_once_too_and_not_on_another_shows_url(host_client, show):
    url = reverse("webhooks:host_endpoints", args=[show.slug])
    response = host_client.post(url, {"url": "https://example.org/episodes", "events": [EPISODE_PUBLISHED]})
    endpoint = WebhookEndpoint.objects.get()
    other = factories.make_show(title="Other", slug="other-show")
    assert (
        host_client.get(reverse("webhooks:host_endpoint_secret", args=[other.slug, endpoint.pk])).status_code
        == 404
    )
    first = host_client.get(response["Location"]).content.decode()
    assert first.count(endpoint.secret) == 1
    assert endpoint.secret not in host_client.get(response["Location"]).content.decode()
