"""The evaluation page as the browser sees it: no answer chosen for the learner, required questions
marked and left to the browser's own required check, a clear message when one is skipped anyway."""

import lxml.html
import pytest
from django.urls import reverse

from credits.models import Evaluation

LIKERT = ("objectives_met", "relevant_to_practice", "free_of_bias")


@pytest.fixture
def page(client, learner, activity, passed):
    client.force_login(learner)
    response = client.get(reverse("credits:evaluation", args=[activity.pk]))
    assert response.status_code == 200
    return lxml.html.fromstring(response.content.decode())


def test_no_answer_is_chosen_for_the_learner(page):
    radios = page.xpath("//form[@method='post']//input[@type='radio']")
    assert radios, "the evaluation has radio questions"
    assert [r.get("name") for r in radios if r.get("checked") is not None] == []
    # No "---------" blank choice among the options: a learner can only pick a real answer.
    assert all(r.get("value") not in ("", None) for r in radios)
    assert "---------" not in lxml.html.tostring(page, encoding="unicode")
    for name in LIKERT:
        values = [r.get("value") for r in radios if r.get("name") == name]
        assert values == ["1", "2", "3", "4", "5"]
    assert [r.get("value") for r in radios if r.get("name") == "intends_change"] == ["yes", "no"]


def test_required_questions_are_marked_and_checked_by_the_browser(page):
    for name in (*LIKERT, "intends_change"):
        radios = page.xpath(f"//input[@type='radio'][@name='{name}']")
        # The browser refuses to submit a radio group none of which is chosen when one of them is
        # required, and a screen reader announces each radio as required.
        assert all(r.get("required") is not None for r in radios), name
        group = radios[0].xpath("ancestor::fieldset")[0]
        legend = group.xpath("legend")[0].text_content()
        assert "*" in legend or "required" in legend.lower(), legend
    # The page says what the mark means, and the optional boxes say they are optional.
    text = page.text_content()
    assert "Questions marked * are required" in " ".join(text.split())
    comments = page.xpath("//label[@for='id_comments']")[0].text_content()
    assert "optional" in comments.lower()
    assert page.xpath("//textarea[@name='comments']")[0].get("required") is None


def test_a_skipped_question_gets_a_clear_message_and_nothing_is_written(client, learner, activity, passed):
    client.force_login(learner)
    data = {
        "relevant_to_practice": "4",
        "free_of_bias": "5",
        "intends_change": "no",
    }
    response = client.post(reverse("credits:evaluation", args=[activity.pk]), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "This field is required." in body or "Choose an answer" in body
    assert Evaluation.objects.count() == 0
    # The answers already given stay chosen, the skipped one stays empty.
    html = lxml.html.fromstring(body)
    checked = {r.get("name"): r.get("value") for r in html.xpath("//input[@type='radio'][@checked]")}
    assert checked == {"relevant_to_practice": "4", "free_of_bias": "5", "intends_change": "no"}


def test_the_agree_scale_is_written_once_and_every_radio_is_named(page):
    # Three statements share one scale above them (issue 15: read once on a phone); each radio still
    # carries its choice as its accessible name, and the visual scale is hidden from screen readers.
    heads = page.xpath("//div[contains(@class, 'likert-head')]")
    assert len(heads) == 1 and heads[0].get("aria-hidden") == "true"
    assert [s.text_content() for s in heads[0].xpath("span")] == [
        "Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"
    ]  # fmt: skip
    for name in LIKERT:
        labels = [r.get("aria-label") for r in page.xpath(f"//input[@type='radio'][@name='{name}']")]
        assert labels == ["Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"], name
    # "What will you change?" sits in the box the page's script shows after Yes (shown without it).
    box = page.xpath("//div[@id='change-box']")[0]
    assert box.get("hidden") is None and box.xpath(".//textarea[@name='change_description']")
    assert page.xpath("//script[contains(@src, 'js/evaluation.js')]")


def test_a_rejected_evaluation_keeps_each_answer_in_the_grid(client, learner, activity, passed):
    client.force_login(learner)
    data = {"objectives_met": "4", "relevant_to_practice": "2", "intends_change": "yes"}
    response = client.post(reverse("credits:evaluation", args=[activity.pk]), data)
    assert response.status_code == 400 and not Evaluation.objects.exists()
    html = lxml.html.fromstring(response.content.decode())
    checked = {r.get("name"): r.get("value") for r in html.xpath("//input[@type='radio'][@checked]")}
    assert checked == {"objectives_met": "4", "relevant_to_practice": "2", "intends_change": "yes"}
    # The missing statement and the missing change description are both named.
    assert html.xpath("//fieldset[contains(@class, 'likert-row')][@aria-invalid='true']//legend")
    assert "Tell us what you will change." in response.content.decode()
