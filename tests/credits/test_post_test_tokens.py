"""The post-test page gives away nothing: option values are per-attempt tokens, not database ids.

A learner who reads the HTML (values, ids, order) must do no better than guessing; a value from
another attempt or question, a forged id, a missing or doubled answer scores nothing.
"""

import math
import re
from html import unescape

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from credits import services
from credits.models import Attempt, Option, RevealAnswers

# Four questions of four options; the correct option was authored first, second, third and last.
POSITIONS = [0, 1, 2, 3]
QUIZ = {
    "questions": [
        {
            "text": f"Question {n}",
            "options": [{"text": f"Q{n} option {k}", "correct": k == position} for k in range(4)],
        }
        for n, position in enumerate(POSITIONS, start=1)
    ]
}

RIGHT = {f"Q{n} option {position}" for n, position in enumerate(POSITIONS, start=1)}


def _wrong(questions) -> dict[str, str]:
    """A wrong answer to each question (so the learner may take another attempt)."""
    return {
        radios[0]["name"]: next(r["value"] for r in radios if r["text"] not in RIGHT) for radios in questions
    }


_FIELDSET = re.compile(r"<fieldset class=\"question\">(.*?)</fieldset>", re.S)
_RADIO = re.compile(r"<input ([^>]*type=\"radio\"[^>]*)>\s*<label ([^>]*)>(.*?)</label>", re.S)
_ATTR = re.compile(r"([\w-]+)=\"([^\"]*)\"")
_ATTEMPT = re.compile(r'name="attempt" value="(\d+)"')


def _form(html: str) -> tuple[str, list[list[dict]]]:
    """The attempt field and, per question in page order, its radios: name, value, id, label text."""
    questions = []
    for fieldset in _FIELDSET.findall(html):
        radios = []
        for attrs, label_attrs, text in _RADIO.findall(fieldset):
            attributes = dict(_ATTR.findall(attrs))
            radios.append(
                {
                    "attrs": attributes,
                    "label_attrs": dict(_ATTR.findall(label_attrs)),
                    "name": attributes["name"],
                    "value": unescape(attributes["value"]),
                    "text": unescape(text).strip(),
                }
            )
        questions.append(radios)
    attempt = _ATTEMPT.search(html)
    assert attempt is not None, "the post-test page names no attempt"
    return attempt.group(1), questions


_ROW = re.compile(r"<li class=\"(right|wrong)\">(.*?)</li>", re.S)
_YOURS = re.compile(r"Your answer: (.*?) —")
_CORRECT = re.compile(r"Correct answer: <strong>(.*?)</strong>")


def _correct_texts(result_html: str) -> list[str]:
    """What the result page (answers revealed after each attempt) says was correct, per question."""
    texts = []
    for klass, row in _ROW.findall(result_html):
        source = _YOURS if klass == "right" else _CORRECT
        answer = source.search(row)
        assert answer is not None, row
        texts.append(unescape(answer.group(1)).strip())
    return texts


@pytest.fixture
def quiz(activity, coordinator):
    services.quiz_replace(activity=activity, actor=coordinator, data=QUIZ)
    services.activity_update(
        activity=activity,
        actor=coordinator,
        data={"reveal_answers": RevealAnswers.AFTER_EACH_ATTEMPT, "max_attempts": 0},
    )
    return activity


def _binomial_tail(n: int, p: float, k: int) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1))


def _chance_bound(n: int, p: float, alpha: float) -> int:
    """The smallest k with P(X >= k) <= alpha: a guessing learner reaches it once in 1/alpha runs."""
    k = math.ceil(n * p)
    while _binomial_tail(n, p, k) > alpha:
        k += 1
    return k


RULES = {
    "lowest value": lambda radios: min(radios, key=lambda r: r["value"]),
    "highest value": lambda radios: max(radios, key=lambda r: r["value"]),
    "lowest value as a number": lambda radios: min(radios, key=lambda r: _as_number(r["value"])),
    "highest value as a number": lambda radios: max(radios, key=lambda r: _as_number(r["value"])),
    "first in HTML": lambda radios: radios[0],
    "last in HTML": lambda radios: radios[-1],
    "second in HTML": lambda radios: radios[1],
    "third in HTML": lambda radios: radios[2],
    "lowest id attribute": lambda radios: min(radios, key=lambda r: r["attrs"].get("id", "")),
    "highest id attribute": lambda radios: max(radios, key=lambda r: r["attrs"].get("id", "")),
}


def _as_number(value: str) -> int:
    digits = re.sub(r"\D", "", value)
    return int(digits) if digits else 0


def test_no_rule_over_the_option_values_beats_chance(client, make_user, quiz):
    """Many attempts through the real pages; each rule's hits per question stay at chance (1 in 4)."""
    attempts = 200
    url = reverse("credits:post_test", args=[quiz.pk])
    hits = {rule: [0] * len(POSITIONS) for rule in RULES}
    learner_number = 0
    client.force_login(make_user("guesser-0@example.org"))
    for _n in range(attempts):
        page = client.get(url)
        if page.status_code == 403:  # this learner passed by luck: the next one takes over
            learner_number += 1
            client.force_login(make_user(f"guesser-{learner_number}@example.org"))
            page = client.get(url)
        assert page.status_code == 200
        attempt, questions = _form(page.content.decode())
        assert len(questions) == len(POSITIONS)
        # Submit the first option shown of each question; the result page tells what was right.
        sent = {"attempt": attempt, **{radios[0]["name"]: radios[0]["value"] for radios in questions}}
        response = client.post(url, sent)
        assert response.status_code == 302, response.content.decode()[:2000]
        correct = _correct_texts(client.get(response["Location"]).content.decode())
        assert len(correct) == len(POSITIONS)
        for rule, choose in RULES.items():
            for index, radios in enumerate(questions):
                hits[rule][index] += choose(radios)["text"] == correct[index]
    # A learner guessing would go over this bound once in a million runs, per rule and question.
    bound = _chance_bound(attempts, 1 / 4, 1e-6)
    beaten = {
        f"{rule}, question {index + 1} (correct option authored at {POSITIONS[index] + 1})": count
        for rule, counts in hits.items()
        for index, count in enumerate(counts)
        if count >= bound
    }
    assert beaten == {}, f"rules that beat chance ({bound}+ of {attempts} right): {beaten}"


def test_nothing_in_the_page_names_an_option_or_its_authoring_order(client, make_user, quiz):
    url = reverse("credits:post_test", args=[quiz.pk])
    option_ids = {
        str(pk) for pk in Option.objects.filter(question__activity=quiz).values_list("pk", flat=True)
    }
    pages = []
    for n in range(2):
        client.force_login(make_user(f"reader-{n}@example.org"))
        pages.append(_form(client.get(url).content.decode())[1])
    for questions in pages:
        values = [radio["value"] for radios in questions for radio in radios]
        assert len(set(values)) == len(values) == 16
        for radios in questions:
            for radio in radios:
                assert radio["value"] not in option_ids
                assert len(radio["value"]) >= 10  # at least 64 random bits: not guessable
                assert radio["attrs"]["id"] == radio["label_attrs"]["for"]
                assert not [name for name in radio["attrs"] if name.startswith("data-")]
    # id and for attributes say where an input is on the page, not which option it is: two
    # attempts (shuffled differently) use the same ones.
    assert [[r["attrs"]["id"] for r in radios] for radios in pages[0]] == [
        [r["attrs"]["id"] for r in radios] for radios in pages[1]
    ]


def test_tokens_are_new_for_every_attempt(client, learner, quiz):
    client.force_login(learner)
    url = reverse("credits:post_test", args=[quiz.pk])
    attempt, first = _form(client.get(url).content.decode())
    # The page shown again (a reload) keeps the same values: the attempt is the same.
    assert _form(client.get(url).content.decode())[1] == first
    client.post(url, {"attempt": attempt, **_wrong(first)})
    _attempt2, second = _form(client.get(url).content.decode())
    old = {radio["value"] for radios in first for radio in radios}
    assert not old & {radio["value"] for radios in second for radio in radios}


def _attempt_and_form(client, url):
    attempt, questions = _form(client.get(url).content.decode())
    return Attempt.objects.get(pk=attempt), questions


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        ("other_attempt", "not one of the options shown in this attempt"),
        ("other_question", "was sent for another question"),
        ("option_id", "not one of the options shown in this attempt"),
        ("missing", "Please answer every question (missing: 2)"),
        ("duplicate", "Choose exactly one answer for each question"),
        ("empty", "not one of the options shown in this attempt"),
    ],
)
def test_a_tampered_answer_scores_nothing_and_writes_nothing(client, learner, quiz, tamper, message):
    client.force_login(learner)
    url = reverse("credits:post_test", args=[quiz.pk])
    # A first attempt, submitted: its values must not work in the next one.
    first, first_form = _attempt_and_form(client, url)
    client.post(url, {"attempt": first.pk, **_wrong(first_form)})
    assert Attempt.objects.get(pk=first.pk).is_submitted
    attempt, questions = _attempt_and_form(client, url)
    assert attempt.pk != first.pk
    audits_before = AuditEvent.objects.count()
    data: dict = {"attempt": attempt.pk, **{r[0]["name"]: r[0]["value"] for r in questions}}
    name = questions[1][0]["name"]
    if tamper == "other_attempt":
        data[name] = (
            first_form[1][0]["value"] if first_form[1][0]["name"] == name else first_form[1][1]["value"]
        )
    elif tamper == "other_question":
        data[name] = questions[2][1]["value"]
    elif tamper == "option_id":
        data[name] = str(Option.objects.get(question__text="Question 2", is_correct=True).pk)
    elif tamper == "missing":
        del data[name]
    elif tamper == "duplicate":
        data[name] = [questions[1][0]["value"], questions[1][1]["value"]]
    elif tamper == "empty":
        data[name] = ""
    response = client.post(url, data)
    assert response.status_code == 400
    assert message in unescape(response.content.decode())
    attempt.refresh_from_db()
    assert attempt.submitted_at is None and attempt.score is None and attempt.answers == {}
    assert AuditEvent.objects.count() == audits_before
    # The page shown again is the same attempt, with the same values, ready to be answered.
    assert _form(response.content.decode())[1] == questions


def test_the_right_tokens_still_pass(client, learner, quiz):
    client.force_login(learner)
    url = reverse("credits:post_test", args=[quiz.pk])
    attempt, questions = _attempt_and_form(client, url)
    data = {"attempt": attempt.pk}
    for radios in questions:
        data[radios[0]["name"]] = next(r["value"] for r in radios if r["text"] in RIGHT)
    response = client.post(url, data)
    assert response.status_code == 302
    attempt.refresh_from_db()
    assert attempt.score == 100 and attempt.passed
    # What is kept for the record is the option itself (id), not the throwaway token.
    correct_ids = set(
        Option.objects.filter(question__activity=quiz, is_correct=True).values_list("pk", flat=True)
    )
    assert set(attempt.answers.values()) == correct_ids


def test_an_attempt_opened_before_tokens_gets_them_when_shown(client, learner, quiz):
    """An attempt left open across the upgrade: its old id values no longer score."""
    attempt = services.attempt_start(learner=learner, activity=quiz)
    legacy = [
        {**q, "options": [{"id": o["id"], "text": o["text"]} for o in q["options"]]}
        for q in attempt.questions
    ]
    Attempt.objects.filter(pk=attempt.pk).update(questions=legacy)
    client.force_login(learner)
    url = reverse("credits:post_test", args=[quiz.pk])
    ids = {f"q_{q['id']}": str(q["options"][0]["id"]) for q in legacy}
    response = client.post(url, {"attempt": attempt.pk, **ids})
    assert response.status_code == 400
    assert not Attempt.objects.get(pk=attempt.pk).is_submitted
    _attempt, questions = _form(response.content.decode())
    option_ids = {str(o["id"]) for q in legacy for o in q["options"]}
    assert not option_ids & {r["value"] for radios in questions for r in radios}
