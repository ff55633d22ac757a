"""Billing's coordinator pages sit behind the same two-factor gate as every coordinator page."""

import pytest
from django.urls import reverse

from testkit.mfa import mfa_login


@pytest.mark.parametrize("name", ["billing:coordinator_pass", "billing:coordinator_orders"])
def test_a_coordinator_without_totp_is_sent_to_set_it_up(client, coordinator, provider, name):
    client.force_login(coordinator)
    response = client.get(reverse(name, args=[provider.slug]))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    mfa_login(client, coordinator)
    assert client.get(reverse(name, args=[provider.slug])).status_code == 200
