"""One set of views serves a provider's and a show's webhook pages: each URL names its owner kind,
and the kind decides the role check, the owner lookup and the events offered."""

import pytest
from django.urls import resolve, reverse

from episodes.models import ShowHost
from testkit.mfa import mfa_login
from webhooks import services, views
from webhooks.models import CLAIM_CREATED, EPISODE_PUBLISHED, PROVIDER_EVENTS, SHOW_EVENTS, WebhookEndpoint

pytestmark = pytest.mark.django_db


def test_each_url_name_keeps_its_path_and_names_its_kind(provider, show):
    expected = {
        "coordinator": f"/coordinator/providers/{provider.slug}/webhooks/",
        "host": f"/host/shows/{show.slug}/webhooks/",
    }
    for kind, base in expected.items():
        slug = provider.slug if kind == "coordinator" else show.slug
        assert reverse(f"webhooks:{kind}_endpoints", args=[slug]) == base
        assert reverse(f"webhooks:{kind}_endpoint", args=[slug, 7]) == base + "7/"
        assert reverse(f"webhooks:{kind}_endpoint_action", args=[slug, 7, "rotate"]) == base + "7/rotate/"
        for url, view in ((base, views.endpoints), (base + "7/", views.endpoint)):
            match = resolve(url)
            assert match.func is view and match.kwargs["kind"] == kind


def test_a_host_who_coordinates_nothing_is_refused_the_coordinator_pages(client, host, provider, show):
    mfa_login(client, host)
    assert client.get(reverse("webhooks:host_endpoints", args=[show.slug])).status_code == 200
    assert client.get(reverse("webhooks:coordinator_endpoints", args=[provider.slug])).status_code == 403
    response = client.post(
        reverse("webhooks:coordinator_endpoints", args=[provider.slug]),
        {"url": "https://lms.example.org/hooks", "events": [CLAIM_CREATED]},
    )
    assert response.status_code == 403
    assert WebhookEndpoint.objects.count() == 0


def test_a_coordinator_who_hosts_nothing_is_refused_the_host_pages(coordinator_client, show, provider):
    assert (
        coordinator_client.get(reverse("webhooks:coordinator_endpoints", args=[provider.slug])).status_code
        == 200
    )
    assert coordinator_client.get(reverse("webhooks:host_endpoints", args=[show.slug])).status_code == 403
    response = coordinator_client.post(
        reverse("webhooks:host_endpoints", args=[show.slug]),
        {"url": "https://example.org/episodes", "events": [EPISODE_PUBLISHED]},
    )
    assert response.status_code == 403
    assert WebhookEndpoint.objects.count() == 0


def test_each_kind_offers_its_own_events_only(coordinator_client, provider):
    page = coordinator_client.get(reverse("webhooks:coordinator_endpoints", args=[provider.slug]))
    html = page.content.decode()
    assert all(f'value="{event}"' in html for event in PROVIDER_EVENTS)
    assert f'value="{EPISODE_PUBLISHED}"' not in html


def test_signed_out_visitors_are_sent_to_log_in(client, provider, show):
    for url in (
        reverse("webhooks:coordinator_endpoints", args=[provider.slug]),
        reverse("webhooks:host_endpoint_action", args=[show.slug, 1, "rotate"]),
    ):
        response = client.post(url)
        assert response.status_code == 302 and "login" in response["Location"]


def test_the_events_offered_are_the_services_rule(
    monkeypatch, coordinator, coordinator_client, provider, show
):
    """One rule, in one function: the pages offer what ``services.events_for`` allows the owner (the
    rule the services check on a save), not a copy of it."""
    assert services.events_for(provider) == PROVIDER_EVENTS
    assert services.events_for(show) == SHOW_EVENTS
    ShowHost.objects.create(show=show, user=coordinator)  # one user on both kinds of page
    asked: list = []

    def events_for(owner):
        asked.append(owner)
        return (CLAIM_CREATED,)

    monkeypatch.setattr(services, "events_for", events_for)
    for url in (
        reverse("webhooks:coordinator_endpoints", args=[provider.slug]),
        reverse("webhooks:host_endpoints", args=[show.slug]),
    ):
        html = coordinator_client.get(url).content.decode()
        assert f'value="{CLAIM_CREATED}"' in html
        assert all(
            f'value="{event}"' not in html
            for event in (*PROVIDER_EVENTS, *SHOW_EVENTS)
            if event != CLAIM_CREATED
        )
    assert asked == [provider, show]
