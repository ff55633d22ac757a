"""A coordinator of one provider reaches none of another provider's endpoint pages: the list, an
endpoint's page, its secret page and its actions are 404 under the other provider's URL and under
their own provider's URL with the other's endpoint id, and no page shows the other's secret or URL,
even with a note for that endpoint in their session."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from testkit import factories
from webhooks import services
from webhooks.models import CLAIM_CREATED, WebhookEndpoint
from webhooks.views import SECRET_NOTES, _digest

pytestmark = pytest.mark.django_db

THEIR_URL = "https://lms.other.example/hooks/theirs"


@pytest.fixture
def theirs(db) -> WebhookEndpoint:
    other = factories.make_provider(name="Other Society", slug="other-society")
    return services.endpoint_create(
        owner=other,
        actor=factories.make_coordinator(other, "them@example.org"),
        url=THEIR_URL,
        events=[CLAIM_CREATED],
    )


def _their_pages(provider, endpoint) -> list[str]:
    pages = []
    for slug in (endpoint.provider.slug, provider.slug):  # their URL; our URL with their id
        pages += [
            reverse("webhooks:coordinator_endpoint", args=[slug, endpoint.pk]),
            reverse("webhooks:coordinator_endpoint_secret", args=[slug, endpoint.pk]),
        ]
    return [reverse("webhooks:coordinator_endpoints", args=[endpoint.provider.slug]), *pages]


def test_another_providers_endpoint_and_secret_pages_are_404_and_show_nothing(
    coordinator_client, provider, theirs
):
    # The worst case: a note for their endpoint, with its secret's digest, in our session.
    session = coordinator_client.session
    session[SECRET_NOTES] = {str(theirs.pk): {"digest": _digest(theirs.secret), "rotated": False}}
    session.save()

    for url in _their_pages(provider, theirs):
        response = coordinator_client.get(url)
        assert response.status_code == 404, url
        html = response.content.decode()
        assert theirs.secret not in html and THEIR_URL not in html, url

    own = coordinator_client.get(reverse("webhooks:coordinator_endpoints", args=[provider.slug]))
    assert own.status_code == 200
    assert THEIR_URL not in own.content.decode()


@pytest.mark.parametrize("action", ["rotate", "disable", "enable"])
def test_another_providers_endpoint_actions_are_404_and_change_nothing(
    coordinator_client, provider, theirs, action
):
    secret = theirs.secret
    for slug in (theirs.provider.slug, provider.slug):
        url = reverse("webhooks:coordinator_endpoint_action", args=[slug, theirs.pk, action])
        response = coordinator_client.post(url, follow=True)
        assert response.status_code == 404, url
        assert secret not in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.secret == secret and theirs.is_active
    assert (
        not AuditEvent.objects.filter(object_id=str(theirs.pk))
        .exclude(action="webhook_endpoint.created")
        .exists()
    )
