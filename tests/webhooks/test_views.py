"""The endpoint pages: a coordinator manages their provider's endpoints and a host their show's;
nobody sees another's; the secret is shown once; bad input is refused with a clear message and
nothing written; every change is audited."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from episodes.models import ShowHost
from testkit import factories
from testkit.mfa import mfa_login
from webhooks import services
from webhooks.models import CLAIM_CREATED, EPISODE_PUBLISHED, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

GOOD = {"url": "https://lms.example.org/hooks/cme", "description": "Moodle", "events": [CLAIM_CREATED]}


def _list_url(provider) -> str:
    return reverse("webhooks:coordinator_endpoints", args=[provider.slug])


@pytest.fixture
def https_only(settings):
    settings.PODCASTCME_WEBHOOKS_ALLOW_HTTP = False  # as in production


def test_a_coordinator_adds_an_endpoint_and_sees_its_secret_once(coordinator_client, provider, coordinator):
    response = coordinator_client.post(_list_url(provider), GOOD, follow=True)  # POST, then the secret's GET
    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    secret_url = reverse("webhooks:coordinator_endpoint_secret", args=[provider.slug, endpoint.pk])
    assert response.redirect_chain == [(secret_url, 302)]
    assert (endpoint.provider, endpoint.show, endpoint.url) == (provider, None, GOOD["url"])
    assert endpoint.events == [CLAIM_CREATED]
    assert endpoint.secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    audit = AuditEvent.objects.get(action="webhook_endpoint.created", object_id=str(endpoint.pk))
    assert audit.actor == coordinator and audit.data["url"] == GOOD["url"]

    page = coordinator_client.get(reverse("webhooks:coordinator_endpoint", args=[provider.slug, endpoint.pk]))
    assert page.status_code == 200
    assert endpoint.secret not in page.content.decode()  # not shown again
    listing = coordinator_client.get(_list_url(provider))
    assert GOOD["url"] in listing.content.decode() and endpoint.secret not in listing.content.decode()


def test_the_pages_need_a_two_factor_login(client, provider, coordinator):
    client.force_login(coordinator)
    response = client.get(_list_url(provider))
    assert response.status_code in (302, 403)
    assert WebhookEndpoint.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({**GOOD, "url": "http://lms.example.org/hooks"}, "must start with https://"),
        ({**GOOD, "url": "ftp://lms.example.org/hooks"}, "must start with https://"),
        ({**GOOD, "url": "https://user:secret@lms.example.org/hooks"}, "user name or password"),
        ({**GOOD, "url": "https://lms.example.org/" + "a" * 2000}, "at most 2000 characters"),
        ({**GOOD, "url": "https://"}, "Enter a complete URL"),
        ({**GOOD, "url": ""}, "This field is required"),
        ({**GOOD, "events": []}, "Choose at least one event"),
        ({**GOOD, "events": [EPISODE_PUBLISHED]}, "Select a valid choice"),  # a show's event
        ({**GOOD, "events": ["anything.else"]}, "Select a valid choice"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(https_only, coordinator_client, provider, data, message):
    response = coordinator_client.post(_list_url(provider), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert WebhookEndpoint.objects.count() == 0
    assert not AuditEvent.objects.filter(action__startswith="webhook_endpoint.").exists()


def test_another_providers_id_in_the_form_is_ignored_and_its_pages_do_not_exist(coordinator_client, provider):
    other = factories.make_provider(name="Other Society", slug="other")
    response = coordinator_client.post(
        _list_url(provider), {**GOOD, "provider": other.pk, "show": 1}, follow=True
    )
    assert response.status_code == 200
    assert WebhookEndpoint.objects.get().provider == provider  # the page's provider, not the form's

    assert coordinator_client.post(_list_url(other), GOOD).status_code == 404
    theirs = services.endpoint_create(
        owner=other,
        actor=factories.make_coordinator(other, "them@example.org"),
        url=GOOD["url"],
        events=[CLAIM_CREATED],
    )
    for url in (
        reverse("webhooks:coordinator_endpoint", args=[other.slug, theirs.pk]),
        reverse("webhooks:coordinator_endpoint", args=[provider.slug, theirs.pk]),  # own slug, their id
        reverse("webhooks:coordinator_endpoint_action", args=[provider.slug, theirs.pk, "disable"]),
        reverse("webhooks:coordinator_endpoint_action", args=[provider.slug, theirs.pk, "rotate"]),
    ):
        assert coordinator_client.post(url, GOOD).status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_active and theirs.url == GOOD["url"]
    assert WebhookEndpoint.objects.filter(provider=provider).count() == 1


def test_a_host_manages_their_shows_endpoints_and_cannot_see_another_shows(host_client, show, host):
    url = reverse("webhooks:host_endpoints", args=[show.slug])
    response = host_client.post(
        url, {"url": "https://example.org/episodes", "events": [EPISODE_PUBLISHED]}, follow=True
    )
    assert response.status_code == 200
    assert WebhookEndpoint.objects.get().show == show

    other = factories.make_show(title="Other", slug="other-show")
    other_host = factories.make_user("other-host@example.org")
    ShowHost.objects.create(show=other, user=other_host)
    theirs = services.endpoint_create(
        owner=other, actor=other_host, url="https://example.org/theirs", events=[EPISODE_PUBLISHED]
    )
    assert host_client.get(reverse("webhooks:host_endpoints", args=[other.slug])).status_code == 404
    assert host_client.get(reverse("webhooks:host_endpoint", args=[other.slug, theirs.pk])).status_code == 404
    assert host_client.get(reverse("webhooks:host_endpoint", args=[show.slug, theirs.pk])).status_code == 404
    page = host_client.get(url).content.decode()
    assert "https://example.org/theirs" not in page
    # A show's endpoint is offered the show's event only.
    refused = host_client.post(url, {"url": "https://example.org/x", "events": [CLAIM_CREATED]})
    assert refused.status_code == 400


def test_rotate_disable_enable_and_change_are_audited(coordinator_client, provider, coordinator):
    endpoint = services.endpoint_create(
        owner=provider, actor=coordinator, url=GOOD["url"], events=[CLAIM_CREATED]
    )
    old_secret = endpoint.secret
    action = "webhooks:coordinator_endpoint_action"

    rotated = coordinator_client.post(
        reverse(action, args=[provider.slug, endpoint.pk, "rotate"]), follow=True
    )
    endpoint.refresh_from_db()
    assert endpoint.secret != old_secret and endpoint.secret in rotated.content.decode()
    coordinator_client.post(reverse(action, args=[provider.slug, endpoint.pk, "disable"]))
    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.disabled_by == WebhookEndpoint.DisabledBy.OWNER
    coordinator_client.post(reverse(action, args=[provider.slug, endpoint.pk, "enable"]))
    coordinator_client.post(
        reverse("webhooks:coordinator_endpoint", args=[provider.slug, endpoint.pk]),
        {**GOOD, "url": "https://lms.example.org/v2"},
    )
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.url == "https://lms.example.org/v2"
    actions = list(
        AuditEvent.objects.filter(object_id=str(endpoint.pk), object_type="webhooks.webhookendpoint")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "webhook_endpoint.created",
        "webhook_endpoint.secret_rotated",
        "webhook_endpoint.disabled",
        "webhook_endpoint.enabled",
        "webhook_endpoint.changed",
    ]
    changed = AuditEvent.objects.get(action="webhook_endpoint.changed")
    assert changed.data["url"] == {"old": GOOD["url"], "new": "https://lms.example.org/v2"}
    assert (
        coordinator_client.get(reverse(action, args=[provider.slug, endpoint.pk, "rotate"])).status_code
        == 405
    )
    assert (
        coordinator_client.post(reverse(action, args=[provider.slug, endpoint.pk, "delete"])).status_code
        == 404
    )


def test_the_endpoint_page_lists_deliveries_with_their_status(coordinator_client, provider, coordinator):
    endpoint = services.endpoint_create(
        owner=provider, actor=coordinator, url=GOOD["url"], events=[CLAIM_CREATED]
    )
    WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_type=CLAIM_CREATED,
        event_key="claim.created:1",
        payload={},
        status=WebhookDelivery.Status.FAILED,
        attempts=6,
        response_status=500,
        last_error="HTTP 500 <script>",
    )
    page = coordinator_client.get(reverse("webhooks:coordinator_endpoint", args=[provider.slug, endpoint.pk]))
    html = page.content.decode()
    assert "Failed (given up)" in html and "500" in html
    assert "HTTP 500 &lt;script&gt;" in html  # escaped


def test_a_learner_cannot_reach_the_pages(client, learner, provider):
    mfa_login(client, learner)
    assert client.get(_list_url(provider)).status_code == 403


def test_the_dashboard_and_the_show_page_link_to_the_webhooks(
    coordinator_client, provider, host, show, client
):
    dashboard = coordinator_client.get(reverse("credits:coordinator_dashboard")).content.decode()
    assert reverse("webhooks:coordinator_endpoints", args=[provider.slug]) in dashboard
    coordinator_client.logout()
    mfa_login(client, host)
    page = client.get(reverse("episodes:host_show", args=[show.slug])).content.decode()
    assert reverse("webhooks:host_endpoints", args=[show.slug]) in page
