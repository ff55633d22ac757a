"""Disclosures reach podcast listeners (issue 12, finding 5): every CME item of the public and the
personal feeds carries, in its show notes before the claim link, the version's notes: credits and
expiry, the people with their relevant relationships (or none) and the mitigation statement,
commercial support, and the accreditation and designation statements."""

import io

import feedparser
import podcastparser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from credits import services, versions
from credits.models import Activity
from episodes.personal_feeds import personal_feed_get_or_create, personal_feed_url
from testkit.factories import make_activity, make_episode

SITE = "http://testserver"
RELEVANT = [
    {"name": "Dr Ada Byrne", "credentials": "MD", "role": "faculty",
     "disclosures": [{"company": "Acme Pharma", "nature": "consultant", "mitigated": True}]},
    {"name": "Sam Planner", "credentials": "RN", "role": "planner", "disclosures": []},
]  # fmt: skip


def _public(client, show) -> bytes:
    response = client.get(reverse("episodes:feed", args=[show.slug]))
    assert response.status_code == 200
    return response.content


def _item_html(body: bytes, episode, url: str) -> str:
    parsed = podcastparser.parse(url, io.BytesIO(body))
    return next(e for e in parsed["episodes"] if e["guid"] == episode.guid)["description_html"]


def _assert_in_order(html: str, parts: list[str]) -> None:
    at = -1
    for part in parts:
        found = html.find(part, at + 1)
        assert found > at, f"{part!r} missing or out of order in {html!r}"
        at = found


def _disclosure_order(activity) -> list[str]:
    return [
        "CME: 0.75 <em>AMA PRA Category 1 Credit(s)</em>™",
        "Credit can be claimed until " + activity.expiry_date.strftime("%B %-d, %Y"),
        "Dr Ada Byrne, MD (Faculty): Consultant, Acme Pharma.",
        "Sam Planner, RN (Planner): no relevant financial relationships with ineligible companies.",
        "All relevant financial relationships listed have been mitigated.",
        "Commercial support: none.",
        "The Society of Testing is accredited by the Accreditation Council",
        "a maximum of 0.75 <em>AMA PRA Category 1 Credit(s)</em>™. Physicians should claim only",
        "Earn CME credit:",
    ]


def test_the_public_feed_carries_the_disclosures_before_the_claim_link(
    client, show, episode, provider, coordinator
):
    activity = make_activity(provider=provider, episode=episode, coordinator=coordinator, people=RELEVANT)
    body = _public(client, show)
    html = _item_html(body, episode, SITE + show.get_feed_url())
    _assert_in_order(html, _disclosure_order(activity))
    # feedparser (its own sanitiser) keeps the structure too.
    entry = next(e for e in feedparser.parse(body).entries if e.id == episode.guid)
    _assert_in_order(entry.summary, ["<p><strong>CME:", "<ul><li>Dr Ada Byrne", "Earn CME credit"])


def test_the_personal_feed_carries_the_same_disclosures(
    client, learner, show, episode, provider, coordinator
):
    activity = make_activity(provider=provider, episode=episode, coordinator=coordinator, people=RELEVANT)
    url = personal_feed_url(personal_feed_get_or_create(user=learner, show=show))
    response = client.get(url.removeprefix(SITE))
    assert response.status_code == 200
    _assert_in_order(_item_html(response.content, episode, url), _disclosure_order(activity))


def test_nobody_with_relevant_relationships_means_no_mitigation_line(client, show, activity, episode):
    html = _item_html(_public(client, show), episode, SITE + show.get_feed_url())
    _assert_in_order(
        html, ["Dana Faculty, MD (Faculty): no relevant financial relationships", "Commercial support: none."]
    )
    assert "mitigated" not in html


def test_an_edited_disclosure_changes_the_feed(client, show, activity, episode, coordinator):
    before = _public(client, show)
    assert b"Acme Pharma" not in before
    services.activity_set_people(activity=activity, actor=coordinator, people=RELEVANT)
    after = _public(client, show)
    html = _item_html(after, episode, SITE + show.get_feed_url())
    assert "Dr Ada Byrne, MD (Faculty): Consultant, Acme Pharma." in html
    assert "All relevant financial relationships listed have been mitigated." in html


def test_drafts_withdrawn_and_plain_episodes_carry_no_disclosures(
    client, show, episode, provider, coordinator
):
    draft = make_activity(provider=provider, episode=episode, coordinator=coordinator, publish=False)
    assert b"CME:" not in _public(client, show)
    versions.activity_publish(activity=draft, actor=coordinator)
    assert b"CME:" in _public(client, show)
    versions.activity_withdraw(activity=Activity.objects.get(pk=draft.pk), actor=coordinator, reason="Old")
    body = _public(client, show)
    assert b"CME:" not in body and b"Earn CME credit" not in body


def test_the_feed_query_count_does_not_grow_with_cme_items(client, show, show_grant, provider, coordinator):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("episodes:feed", args=[show.slug])).status_code == 200
        return len(queries)

    first = make_episode(show, slug="one")
    make_activity(provider=provider, episode=first, coordinator=coordinator)
    one = count()
    for slug in ("two", "three", "four"):
        make_activity(provider=provider, episode=make_episode(show, slug=slug), coordinator=coordinator)
    four = count()  # a rebuild, as the first was
    parsed = podcastparser.parse(SITE + show.get_feed_url(), io.BytesIO(_public(client, show)))
    notes = [item["description_html"] for item in parsed["episodes"]]
    assert len(notes) == 4 and all("CME: 0.75" in html and "Earn CME credit" in html for html in notes)
    assert four == one
