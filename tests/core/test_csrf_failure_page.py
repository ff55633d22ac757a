"""A form refused by the CSRF check answers with the site's own page: Django's default one carries
inline styles that the Content-Security-Policy blocks, and says nothing a learner can act on."""

import pytest
from django.test import Client
from django.urls import reverse


@pytest.mark.django_db
def test_a_form_without_its_csrf_token_gets_a_clear_403_without_inline_style():
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("account_login"), {"login": "a@example.org", "password": "x"})
    assert response.status_code == 403
    body = response.content.decode()
    assert "This form could not be sent" in body and "Nothing was saved" in body
    assert "style=" not in body and "<style" not in body
