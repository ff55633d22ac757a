"""An endpoint URL names the standard port (none), or 8443 for https (8080 for http, where http is
accepted at all); any other port is refused on the form and in the services, with a clear message
and nothing written. Loopback receivers in tests listen on any port (PODCASTCME_WEBHOOKS_ALLOW_LOOPBACK)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from audit.models import AuditEvent
from webhooks import services
from webhooks.models import CLAIM_CREATED, WebhookEndpoint

pytestmark = pytest.mark.django_db

GOOD = {"url": "https://lms.example.org/hooks/cme", "description": "Moodle", "events": [CLAIM_CREATED]}


@pytest.fixture
def production(settings):
    settings.PODCASTCME_WEBHOOKS_ALLOW_HTTP = False
    settings.PODCASTCME_WEBHOOKS_ALLOW_LOOPBACK = False


def _list_url(provider) -> str:
    return reverse("webhooks:coordinator_endpoints", args=[provider.slug])


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "https://lms.example.org:6379/hooks",
            "Port 6379 is not accepted: the URL must use port 443 (no port in the URL) or 8443.",
        ),
        ("https://lms.example.org:22/hooks", "Port 22 is not accepted"),
        ("https://lms.example.org:80/hooks", "Port 80 is not accepted"),
        ("https://lms.example.org:8080/hooks", "Port 8080 is not accepted"),
        ("https://lms.example.org:0/hooks", "Port 0 is not accepted"),
        ("https://lms.example.org:99999/hooks", "must be a number from 1 to 65535"),
        ("https://127.0.0.1:9000/hooks", "Port 9000 is not accepted"),  # loopback not allowed here
    ],
)
def test_a_port_other_than_443_or_8443_is_refused(production, coordinator_client, provider, url, message):
    response = coordinator_client.post(_list_url(provider), {**GOOD, "url": url})
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert WebhookEndpoint.objects.count() == 0
    assert not AuditEvent.objects.filter(action__startswith="webhook_endpoint.").exists()


@pytest.mark.parametrize(
    "url",
    [
        "https://lms.example.org/hooks",
        "https://lms.example.org:443/hooks",
        "https://lms.example.org:8443/hooks",
    ],
)
def test_the_standard_port_and_8443_are_accepted(production, coordinator_client, provider, url):
    response = coordinator_client.post(_list_url(provider), {**GOOD, "url": url})
    assert response.status_code == 302
    assert WebhookEndpoint.objects.get().url == url


def test_http_where_it_is_accepted_takes_80_or_8080(settings, coordinator_client, provider):
    settings.PODCASTCME_WEBHOOKS_ALLOW_HTTP = True
    settings.PODCASTCME_WEBHOOKS_ALLOW_LOOPBACK = False
    refused = coordinator_client.post(_list_url(provider), {**GOOD, "url": "http://lms.example.org:3000/h"})
    assert refused.status_code == 400
    assert "Port 3000 is not accepted: the URL must use port 80 (no port in the URL) or 8080." in (
        refused.content.decode()
    )
    assert (
        coordinator_client.post(
            _list_url(provider), {**GOOD, "url": "http://lms.example.org:8080/h"}
        ).status_code
        == 302
    )
    assert WebhookEndpoint.objects.get().url == "http://lms.example.org:8080/h"


def test_changing_an_endpoint_to_a_refused_port_changes_nothing(
    production, coordinator_client, provider, coordinator
):
    endpoint = services.endpoint_create(
        owner=provider, actor=coordinator, url=GOOD["url"], events=[CLAIM_CREATED]
    )
    page = reverse("webhooks:coordinator_endpoint", args=[provider.slug, endpoint.pk])
    response = coordinator_client.post(page, {**GOOD, "url": "https://lms.example.org:25/hooks"})
    assert response.status_code == 400 and "Port 25 is not accepted" in response.content.decode()
    endpoint.refresh_from_db()
    assert endpoint.url == GOOD["url"]
    assert not AuditEvent.objects.filter(action="webhook_endpoint.changed").exists()


def test_the_services_refuse_a_bad_port_too(production, provider, coordinator):
    """Whatever calls the services (not only the form) meets the same rule."""
    with pytest.raises(ValidationError) as refused:
        services.endpoint_create(
            owner=provider, actor=coordinator, url="https://lms.example.org:6379/", events=[CLAIM_CREATED]
        )
    assert "Port 6379 is not accepted" in refused.value.message_dict["url"][0]
    endpoint = services.endpoint_create(
        owner=provider, actor=coordinator, url=GOOD["url"], events=[CLAIM_CREATED]
    )
    with pytest.raises(ValidationError):
        services.endpoint_update(
            endpoint=endpoint,
            actor=coordinator,
            url="https://lms.example.org:2375/",
            events=[CLAIM_CREATED],
            description="",
        )
    assert WebhookEndpoint.objects.get().url == GOOD["url"]


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]"])
def test_a_loopback_test_receiver_may_name_any_port_when_loopback_is_allowed(
    settings, provider, coordinator, host
):
    settings.PODCASTCME_WEBHOOKS_ALLOW_LOOPBACK = True  # tests only (no environment variable)
    url = f"http://{host}:54321/hooks"
    endpoint = services.endpoint_create(owner=provider, actor=coordinator, url=url, events=[CLAIM_CREATED])
    assert endpoint.url == url
    settings.PODCASTCME_WEBHOOKS_ALLOW_LOOPBACK = False
    with pytest.raises(ValidationError):
        services.endpoint_create(owner=provider, actor=coordinator, url=url, events=[CLAIM_CREATED])
