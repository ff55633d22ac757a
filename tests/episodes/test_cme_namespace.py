"""<cme:credit> (docs/cme-namespace.md): the feed tells podcast apps, in our own namespace, which
credit a CME episode offers, how much, until when, from whom and where to claim it; only while the
"Earn CME credit" line is in its notes. Parsers read the feed as they did without it."""

import datetime
import io
from decimal import Decimal

import feedparser
import podcastparser
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from credits import credit_type_services, versions
from credits import services as credit_services
from credits.models import Activity
from episodes import services
from episodes.cme_credits import CREDIT_TYPE_CODES, credit_offers
from episodes.feeds import current_feed
from episodes.models import Topic
from episodes.personal_feeds import personal_feed_get_or_create, personal_feed_url
from episodes.podcast_ext import CME_NS
from testkit import factories

SITE = "http://testserver"
CME = f"{{{CME_NS}}}"
ATTRIBUTES = ["url", "type", "amount", "expires", "provider", "accreditor"]


def _feed(client, show) -> bytes:
    response = client.get(reverse("episodes:feed", args=[show.slug]))
    assert response.status_code == 200
    return response.content


def _credits(body: bytes, guid: str | None = None) -> list[dict[str, str | None]]:
    root = etree.fromstring(body)
    items = root.findall("channel/item")
    if guid is not None:
        items = [item for item in items if item.findtext("guid") == guid]
    return [
        {**element.attrib, "text": element.text} for item in items for element in item.iter(CME + "credit")
    ]


def _strip_cme(body: bytes) -> bytes:
    """The same feed without our elements (what a feed without the namespace says)."""
    root = etree.fromstring(body)
    for element in list(root.iter(CME + "credit", CME + "spec")):
        parent = element.getparent()
        assert parent is not None
        parent.remove(element)
    etree.cleanup_namespaces(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _summary(podcast: dict, feed) -> list:
    return [
        (e["title"], e["guid"], [x["url"] for x in e["enclosures"]], e["description_html"])
        for e in podcast["episodes"]
    ] + [(e.title, e.id, [x.href for x in e.enclosures], e.summary) for e in feed.entries]


def _parsed(body: bytes) -> list:
    return _summary(podcastparser.parse(SITE + "/feed.xml", io.BytesIO(body)), feedparser.parse(body))


@pytest.fixture
def joint_activity(episode, provider, coordinator):
    """A jointly accredited provider's activity: AMA 0.75, ANCC 0.5 and IPCE 1."""
    factories.jointly_accredit(provider)
    return factories.make_activity(
        provider=provider,
        episode=episode,
        coordinator=coordinator,
        other_credits=[{"kind": "ancc", "amount": Decimal("0.5")}, {"kind": "ipce", "amount": Decimal("1")}],
    )


def test_an_open_activity_gets_one_element_per_credit_type(client, show, episode, joint_activity, provider):
    body = _feed(client, show)
    page = SITE + episode.get_absolute_url()
    expiry = joint_activity.current_version.expiry_date.isoformat()
    found = _credits(body, episode.guid)
    assert [c["type"] for c in found] == ["ama-pra-1", "ancc", "ipce"]
    assert [c["amount"] for c in found] == ["0.75", "0.5", "1"]
    assert [c["accreditor"] for c in found] == ["JA", "JA", "JA"]
    assert found[0]["text"] == "AMA PRA Category 1 Credit(s)™"
    assert found[1]["text"] == "ANCC nursing contact hours"
    for credit in found:
        assert credit["url"] == page  # the page the "Earn CME credit" line links to
        assert credit["expires"] == expiry
        assert credit["provider"] == provider.name
        assert list(credit)[:6] == ATTRIBUTES
        assert credit["type"] in CREDIT_TYPE_CODES
    assert b"Earn CME credit" in body  # beside the notes' line, never instead of it


def test_the_namespace_is_declared_with_the_local_document(client, show, activity):
    body = _feed(client, show)
    root = etree.fromstring(body)
    assert root.nsmap["cme"] == "https://podcastcme.org/ns/cme/1.0"
    spec = root.find(f"channel/{CME}spec")
    assert spec.get("url") == SITE + "/ns/cme/1.0" and spec.get("version") == "1.0"
    # An ACCME-accredited provider (not jointly): AMA credit only, accredited by ACCME.
    assert [(c["type"], c["accreditor"], c["amount"]) for c in _credits(body)] == [
        ("ama-pra-1", "ACCME", "0.75")
    ]


def test_a_feed_without_a_claimable_episode_neither_declares_nor_carries_the_namespace(
    client, show, published_episode
):
    body = _feed(client, show)
    assert CME_NS.encode() not in body and b"cme:" not in body


def test_a_draft_an_expired_and_a_withdrawn_activity_carry_no_element(
    client, show, episode, provider, coordinator
):
    draft = factories.make_activity(
        provider=provider, episode=episode, coordinator=coordinator, publish=False
    )
    assert _credits(_feed(client, show)) == []
    factories.publish(draft, coordinator)
    assert len(_credits(_feed(client, show))) == 1
    factories.expire_activity(draft, released_days_ago=400)
    credit_services.activity_update(activity=Activity.objects.get(pk=draft.pk), actor=None, data={})
    body = _feed(client, show)
    assert _credits(body) == [] and b"Earn CME credit" not in body
    assert CME_NS.encode() not in body


def test_withdrawing_removes_the_elements(client, show, activity, coordinator):
    assert _credits(_feed(client, show))
    versions.activity_withdraw(activity=activity, actor=coordinator, reason="Guideline changed")
    body = _feed(client, show)
    assert _credits(body) == [] and b"Earn CME credit" not in body


def test_the_elements_go_the_day_after_the_expiry_without_any_edit(client, show, activity):
    assert _credits(current_feed(show.slug).body)
    expiry = Activity.objects.get(pk=activity.pk).current_version.expiry_date
    # Time passes (simulated: the dates move back, no service runs, nothing bumps the show); the
    # feed built before knows it changes the day after the expiry date and is rebuilt then.
    factories.expire_activity(activity)
    after = timezone.now() + datetime.timedelta(days=(expiry - timezone.localdate()).days + 1)
    body = current_feed(show.slug, now=after).body
    assert _credits(body) == [] and CME_NS.encode() not in body


def test_changing_the_credit_types_rebuilds_the_cached_feed(client, show, episode, provider, coordinator):
    factories.jointly_accredit(provider)
    activity = factories.make_activity(provider=provider, episode=episode, coordinator=coordinator)
    before = client.get(reverse("episodes:feed", args=[show.slug]))
    assert [c["type"] for c in _credits(before.content)] == ["ama-pra-1"]
    credit_type_services.credit_type_add(activity=activity, actor=coordinator, kind="ancc", amount="0.5")
    after = client.get(reverse("episodes:feed", args=[show.slug]))
    assert after["ETag"] != before["ETag"]
    assert [(c["type"], c["amount"]) for c in _credits(after.content)] == [
        ("ama-pra-1", "0.75"),
        ("ancc", "0.5"),
    ]
    credit_services.activity_update(
        activity=Activity.objects.get(pk=activity.pk), actor=coordinator, data={"designated_credits": "0.5"}
    )
    assert _credits(_feed(client, show))[0]["amount"] == "0.5"


def test_podcast_parsers_read_the_feed_as_they_do_without_the_elements(client, show, episode, joint_activity):
    factories.make_episode(show, slug="second", title="Second", guid="second-guid")
    body = _feed(client, show)
    plain = _strip_cme(body)
    assert CME_NS.encode() in body and CME_NS.encode() not in plain
    assert _parsed(body) == _parsed(plain)
    titles = [e["title"] for e in podcastparser.parse(SITE + "/feed.xml", io.BytesIO(body))["episodes"]]
    assert episode.title in titles and "Second" in titles
    assert not feedparser.parse(body).bozo


def test_the_rebuild_costs_no_more_queries_with_credit(client, show, episode, provider, coordinator):
    factories.make_episode(show, slug="plain", title="Plain", guid="plain-guid")

    def rebuild() -> int:
        services.show_update(show=show, actor=None, data={})  # a new version: the next GET rebuilds
        with CaptureQueriesContext(connection) as queries:
            _feed(client, show)
        return len(queries)

    without = rebuild()
    factories.jointly_accredit(provider)
    factories.make_activity(
        provider=provider, episode=episode, coordinator=coordinator, other_credits=[{"kind": "ancc"}]
    )
    with_credit = rebuild()
    assert len(_credits(_feed(client, show))) == 2
    assert with_credit == without


def test_the_personal_feed_carries_the_elements(client, learner, show, episode, activity):
    url = personal_feed_url(personal_feed_get_or_create(user=learner, show=show))
    response = client.get(url.removeprefix(SITE))
    assert response.status_code == 200
    found = _credits(response.content, episode.guid)
    assert [(c["type"], c["url"]) for c in found] == [("ama-pra-1", SITE + episode.get_absolute_url())]
    assert etree.fromstring(response.content).find(f"channel/{CME}spec") is not None


def test_the_topic_feed_carries_the_elements_while_the_activity_is_open(client, show, episode, activity):
    episode.topics.add(Topic.objects.create(name="POCUS", slug="pocus"))
    services.episode_update(episode=episode, actor=None, data={}, topics="#POCUS")
    body = client.get(reverse("episodes:topic_feed", args=["pocus"])).content
    found = _credits(body)
    assert [(c["type"], c["amount"], c["url"]) for c in found] == [
        ("ama-pra-1", "0.75", SITE + episode.get_absolute_url())
    ]
    factories.expire_activity(activity, released_days_ago=400)
    credit_services.activity_update(activity=Activity.objects.get(pk=activity.pk), actor=None, data={})
    assert _credits(client.get(reverse("episodes:topic_feed", args=["pocus"])).content) == []


def test_the_document_page_is_public_and_names_every_element_and_attribute(client, db):
    response = client.get("/ns/cme/1.0")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>" in page and CME_NS in page
    for name in ["cme:credit", "cme:spec", *ATTRIBUTES, *CREDIT_TYPE_CODES]:
        assert name in page
    assert client.post("/ns/cme/1.0").status_code == 405


def test_bad_content_offers_nothing_rather_than_a_broken_element(db):
    assert credit_offers(None) == [] and credit_offers({}) == []
    content = {
        "designated_credits": "not a number",
        "provider": {"name": "P"},
        "accreditation_statement": "",
        "credits": [
            {"kind": "unknown", "amount": "1"},
            {"kind": "ancc", "amount": "-1"},
            {"kind": "acpe", "amount": "0.25", "label": "ACPE"},
        ],
    }
    offers = credit_offers(content)
    assert [(o.type, o.amount, o.accreditor) for o in offers] == [("acpe", Decimal("0.25"), "ACPE")]
