"""Every page's title reads "<page> · podcastcme" (our pages and allauth's, which share base.html)."""

import re

import pytest
from django.urls import reverse

from testkit.factories import make_show


def _title(response) -> str:
    match = re.search(r"<title>(.*?)</title>", response.content.decode(), re.S)
    assert match, "the page has a title"
    return " ".join(match.group(1).split())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "title"),
    [
        ("home", "Shows · podcastcme"),
        ("account_login", "Sign In · podcastcme"),
        ("account_signup", "Sign up · podcastcme"),
        ("account_reset_password", "Password Reset · podcastcme"),
        ("privacy", "Privacy policy · podcastcme"),
    ],
)
def test_titles_have_the_page_then_the_site(client, url, title):
    assert _title(client.get(reverse(url))) == title


@pytest.mark.django_db
def test_a_missing_page_and_a_show_are_titled_too(client):
    assert _title(client.get("/no-such-page/")) == "Page not found · podcastcme"
    show = make_show(title="Airway & Rounds")
    # The show's title is escaped once, not twice, and comes before the site's name.
    assert _title(client.get(show.get_absolute_url())).startswith("Airway &amp; Rounds")
    assert _title(client.get(show.get_absolute_url())).endswith(" · podcastcme")
