"""Small wording that people notice (issue 15, item 13): one date format across the pages
("November 29, 2026": Django's DATE_FORMAT, set in podcastcme/formats/en/formats.py), no "0.0" for
nothing self-reported, "1 question" not "1 questions", labels above their checkboxes, no bullet on
the personal-feed cards."""

import datetime
import io
import json
import re
from decimal import Decimal

import lxml.html
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Profession
from credits import certificates, licences
from credits.errors import CreditError
from credits.models import ExternalCredit

ISO_DATE = re.compile(r"\b20\d\d-\d\d-\d\d\b")


def _visible_text(response) -> str:
    """The text a person reads (attributes such as <time datetime> and input values excluded)."""
    assert response.status_code == 200
    page = lxml.html.fromstring(response.content.decode())
    for node in page.xpath("//script|//style|//head"):
        node.getparent().remove(node)
    return " ".join(page.text_content().split())


@pytest.fixture
def lc(client, learner):
    client.force_login(learner)
    return client


def test_the_transcript_and_licences_write_dates_one_way(lc, learner, issued):
    ExternalCredit.objects.create(
        learner=learner,
        title="Grand rounds: sepsis",
        provider_name="City Hospital",
        completed_on=datetime.date(2026, 5, 10),
        credits=Decimal("1.50"),
        credit_type="ama_pra_1",
    )
    licences.licence_save(
        learner=learner,
        data={
            "profession": Profession.PHYSICIAN,
            "state": "Ohio",
            "number": "35.123456",
            "cycle_start": datetime.date(2025, 2, 1),
            "cycle_end": datetime.date(2027, 1, 31),
            "required_hours": Decimal("50"),
            "counts_participation": False,
        },
        mandates=[],
    )
    text = _visible_text(lc.get(reverse("credits:transcript")))
    assert ISO_DATE.findall(text) == []
    assert "May 10, 2026" in text and "February 1, 2025 – January 31, 2027" in text
    text = _visible_text(lc.get(reverse("credits:licences")))
    assert ISO_DATE.findall(text) == [] and "February 1, 2025" in text


def test_nothing_self_reported_is_a_dash_not_0_0(lc, issued):
    page = lxml.html.fromstring(lc.get(reverse("credits:transcript")).content.decode())
    [row] = page.xpath("//table[contains(@class, 'credit-totals')]/tbody/tr")
    cells = [" ".join(td.text_content().split()) for td in row.xpath("td")]
    assert cells[1] == "—", cells


def test_the_coordinator_activity_page_writes_dates_one_way(coordinator_client, activity):
    text = _visible_text(coordinator_client.get(reverse("credits:coordinator_activity", args=[activity.pk])))
    assert ISO_DATE.findall(text) == []
    assert activity.release_date.strftime("%B %-d, %Y") in text


def test_the_episode_page_and_the_host_pages_write_dates_one_way(host_client, show, episode):
    for url in (
        reverse("episodes:host_show", args=[show.slug]),
        reverse("episodes:host_episode_edit", args=[show.slug, episode.pk]),
        reverse("episodes:host_show_analytics", args=[show.slug]),
    ):
        assert ISO_DATE.findall(_visible_text(host_client.get(url))) == [], url


def test_one_imported_question_is_one_question(coordinator_client, activity):
    quiz = {
        "questions": [
            {
                "text": "Which device rescues oxygenation after a failed intubation?",
                "rationale": "A second-generation supraglottic airway.",
                "options": [{"text": "A supraglottic airway", "correct": True}, {"text": "A bougie"}],
            }
        ]
    }
    upload = io.BytesIO(json.dumps(quiz).encode())
    upload.name = "quiz.json"
    response = coordinator_client.post(
        reverse("credits:coordinator_quiz_import", args=[activity.pk]), {"file": upload}, follow=True
    )
    text = _visible_text(response)
    assert "Imported 1 question." in text and "1 questions" not in text


def test_the_mandate_topics_label_comes_before_its_boxes(coordinator_client, activity):
    body = coordinator_client.get(reverse("credits:coordinator_activity_edit", args=[activity.pk]))
    page = lxml.html.fromstring(body.content.decode())
    [box] = page.xpath("//input[@name='mandate_topics']")[:1]
    group = box.xpath("ancestor::fieldset[1]")[0]
    legend = group.xpath("legend")[0].text_content()
    assert "mandate" in legend.lower()  # the group is named by its legend, above the boxes
    # No <label for=...> for the whole list trailing after the boxes.
    html = lxml.html.tostring(group, encoding="unicode")
    assert html.index("<legend") < html.index('name="mandate_topics"')


def test_personal_feed_cards_have_no_bullet(lc, show, episode):
    page = lxml.html.fromstring(lc.get(reverse("episodes:my_feeds")).content.decode())
    [feeds] = page.xpath("//ul[li[contains(@class, 'card')]]")
    # `.cards` is the site's list of cards with `list-style: none` (static/css/site.css).
    assert "cards" in feeds.get("class").split()


def test_the_three_year_limit_message_writes_its_date_in_words(activity):
    activity.expiry_date = activity.release_date + datetime.timedelta(days=4 * 365)
    with pytest.raises(ValidationError) as raised:
        activity.clean()
    [message] = raised.value.message_dict["expiry_date"]
    limit = activity.release_date.replace(year=activity.release_date.year + 3)
    assert f"(here until {limit:%B} {limit.day}, {limit.year})" in message
    assert ISO_DATE.findall(message) == []


def test_a_correction_dated_in_the_future_says_today_in_words(issued, coordinator):
    with pytest.raises(CreditError) as raised:
        certificates.certificate_reissue(
            certificate=issued,
            actor=coordinator,
            reason="Wrong date",
            completion_date=timezone.localdate() + datetime.timedelta(days=30),
        )
    assert "cannot be in the future" in raised.value.message
    assert ISO_DATE.findall(raised.value.message) == []
