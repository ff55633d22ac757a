"""A provider's webhook endpoints on a phone (390 px): the list with its add form and an endpoint's
page with its deliveries (a long URL, a long error) have no sideways scroll and nothing axe-core rates
serious or critical (the page fixture checks the CSP)."""

from testkit import factories
from testkit.mfa import browser_login_with_totp, give_totp
from testkit.site_pages import AXE_JS, OVERFLOW, RUN_AXE
from webhooks import services
from webhooks.models import CERTIFICATE_ISSUED, CLAIM_CREATED, WebhookDelivery

LONG_URL = "https://integrations.lms.society-of-thoracic-examples.example.org/api/v2/webhooks/podcastcme/receive?tenant=cardiology-education-department"


def _check(page, path: str, heading: str) -> None:
    response = page.goto(path)
    assert response is not None and response.status == 200, path
    page.get_by_role("heading", name=heading).first.wait_for()
    layout = page.evaluate(OVERFLOW)
    assert layout["scrollWidth"] <= layout["width"], layout["culprits"]
    serious = [v for v in page.evaluate(RUN_AXE) if v["impact"] in ("serious", "critical")]
    assert serious == [], serious


def test_the_endpoint_list_and_an_endpoint_page_read_on_a_phone(page, provider):
    coordinator = factories.make_coordinator(provider)
    endpoint = services.endpoint_create(
        owner=provider,
        actor=coordinator,
        url=LONG_URL,
        events=[CLAIM_CREATED, CERTIFICATE_ISSUED],
        description="Moodle at the society, cardiology education department",
    )
    for number, (status, error) in enumerate(
        [
            (WebhookDelivery.Status.DELIVERED, ""),
            (WebhookDelivery.Status.PENDING, "no answer within 10 s (timed out)"),
            (WebhookDelivery.Status.FAILED, "refused: " + "a-very-long-host-name." * 8 + " is 10.0.0.1"),
        ]
    ):
        WebhookDelivery.objects.create(
            endpoint=endpoint,
            event_type=CLAIM_CREATED,
            event_key=f"claim.created:{number}",
            payload={},
            status=status,
            attempts=1 if status != WebhookDelivery.Status.FAILED else 6,
            response_status=200 if status == WebhookDelivery.Status.DELIVERED else None,
            last_error=error,
        )
    page.context.add_init_script(AXE_JS)
    page.set_viewport_size({"width": 390, "height": 844})
    browser_login_with_totp(page, coordinator.email, give_totp(coordinator))
    _check(page, f"/coordinator/providers/{provider.slug}/webhooks/", "Webhooks")
    _check(page, f"/coordinator/providers/{provider.slug}/webhooks/{endpoint.pk}/", "Webhook endpoint")
