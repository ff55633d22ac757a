"""The profile page for a learner on their way to a claim (issue 15, item 2).

It returns to the claim it was opened from (``?next=``), marks the fields credit needs, refuses an
empty profile with the list of what is missing (no "saved"), says what is still missing after a
partial save, and offers the canonical time zones (grouped by region), not the ~600 names
zoneinfo knows (aliases such as US/Eastern and the Etc/ zones are left out).
"""

import re

import lxml.html
import pytest
from django.urls import reverse

from accounts.forms import time_zone_choices
from accounts.models import LearnerProfile
from audit.models import AuditEvent

CLAIM = "/activities/7/claim/"
NEEDED = {"given_name": "Zoë", "family_name": "D'Arcy", "degree": "MD", "time_zone": "Europe/Dublin"}
EMPTY = {"time_zone": "UTC"}


@pytest.fixture
def client_in(client, make_user):
    client.user = make_user("amy@example.org")
    client.force_login(client.user)
    return client


def _url(next_url=None):
    url = reverse("accounts:profile")
    return f"{url}?next={next_url}" if next_url else url


def test_opened_from_the_claim_it_returns_there_after_saving(client_in):
    page = client_in.get(_url(CLAIM)).content.decode()
    assert f'name="next" value="{CLAIM}"' in page
    response = client_in.post(_url(CLAIM), {**NEEDED, "next": CLAIM})
    assert response.status_code == 302
    assert response["Location"] == CLAIM
    assert LearnerProfile.objects.get(user=client_in.user).legal_name == "Zoë D'Arcy"


@pytest.mark.parametrize("bad", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_a_foreign_next_is_ignored(client_in, bad):
    response = client_in.post(_url(), {**NEEDED, "next": bad})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:profile")


def test_the_fields_credit_needs_are_marked(client_in):
    page = client_in.get(_url()).content.decode()
    for field in ("given_name", "family_name", "degree"):
        help_text = re.search(rf'id="id_{field}_helptext">([^<]*)<', page)
        assert help_text is not None and help_text.group(1).startswith("Needed for your certificate."), field


def test_an_empty_profile_is_not_saved_and_says_what_is_missing(client_in):
    audits = AuditEvent.objects.count()
    response = client_in.post(_url(CLAIM), {**EMPTY, "next": CLAIM})
    assert response.status_code == 400
    body = response.content.decode()
    assert "saved" not in body.lower()
    assert "legal given name, legal family name and degree" in body
    assert not LearnerProfile.objects.filter(user=client_in.user).exists()
    assert AuditEvent.objects.count() == audits


def test_a_partial_profile_is_saved_with_what_credit_still_needs(client_in):
    response = client_in.post(_url(), {**EMPTY, "given_name": "Zoë", "family_name": "D'Arcy"}, follow=True)
    body = response.content.decode()
    assert "Your profile is saved, but a certificate still needs your degree." in body
    assert "Your profile has been saved." not in body


def test_the_time_zones_are_the_canonical_ones_grouped_by_region():
    groups = dict(time_zone_choices())
    names = [zone for group in groups.values() if isinstance(group, list) for zone, _label in group]
    names += [value for value, label in time_zone_choices() if isinstance(label, str)]
    assert 350 <= len(names) <= 450
    assert {"America/New_York", "Europe/London", "Asia/Kolkata", "UTC"} <= set(names)
    assert not {"US/Eastern", "Etc/GMT+5", "GB", "Asia/Calcutta"} & set(names)
    assert {"America", "Europe", "Asia", "Africa"} <= set(groups)


def test_the_profile_page_offers_the_grouped_zones(client_in):
    page = client_in.get(_url()).content.decode()
    assert '<optgroup label="Europe">' in page
    assert 'value="Europe/Dublin"' in page and 'value="US/Eastern"' not in page


def test_a_learner_on_a_legacy_zone_keeps_it(client_in):
    client_in.user.time_zone = "US/Eastern"
    client_in.user.save()
    page = client_in.get(_url()).content.decode()
    assert 'value="US/Eastern" selected' in page
    response = client_in.post(_url(), {**NEEDED, "time_zone": "US/Eastern"})
    assert response.status_code == 302


def test_an_unknown_zone_is_refused_and_nothing_written(client_in):
    response = client_in.post(_url(), {**NEEDED, "time_zone": "Mars/Olympus"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    client_in.user.refresh_from_db()
    assert client_in.user.time_zone == "UTC"
    assert not LearnerProfile.objects.filter(user=client_in.user, given_name="Zoë").exists()


def test_a_change_to_what_certificates_print_is_audited_and_a_resave_is_not(client_in):
    client_in.post(_url(), NEEDED)
    client_in.post(_url(), {**NEEDED, "family_name": "Darcy"})
    client_in.post(_url(), {**NEEDED, "family_name": "Darcy"})  # nothing changed
    events = list(AuditEvent.objects.filter(action="profile.certificate_fields_changed").order_by("pk"))
    assert len(events) == 2
    assert events[1].data == {"old": {"family_name": "D'Arcy"}, "new": {"family_name": "Darcy"}}


def test_every_field_hint_is_the_element_its_input_names(client_in):
    # Django names each input's hint aria-describedby="<id>_helptext"; the hint must carry that id,
    # or a screen reader reads no hint at all.
    page = client_in.get(_url()).content.decode()
    tree = lxml.html.fromstring(page)
    shown = tree.xpath("//*[@aria-describedby][not(@type='hidden')]")  # a hidden input reads nothing
    ids = set(tree.xpath("//@id"))
    helptexts = {d for e in shown for d in e.get("aria-describedby").split() if d.endswith("_helptext")}
    assert helptexts, "the profile page has fields with hints"
    assert helptexts <= ids, sorted(helptexts - ids)
