"""The one-tap answer page: no login, signed link; every bad link and bad answer is a clear 4xx page
that writes nothing; a right answer is scored and shown with the rationale."""

import datetime
import threading

import pytest
from django.core import signing
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from followups import links, scheduler
from followups.models import FollowUp, FollowUpAnswer, FollowUpQuestion, FollowUpStatus, PracticeChangeAnswer


def _sent(claim, kind="knowledge", day=7):
    follow_up = FollowUp.objects.get(claim=claim, kind=kind, interval_days=day)
    scheduler.follow_ups_send_due(now=timezone.now() + datetime.timedelta(days=day))
    follow_up.refresh_from_db()
    # Sent "now", so the link is open for the test (due_at is in the future: move the clock back).
    FollowUp.objects.filter(pk=follow_up.pk).update(
        sent_at=timezone.now(), expires_at=timezone.now() + datetime.timedelta(days=14)
    )
    follow_up.refresh_from_db()
    return follow_up


def _url(follow_up):
    return reverse("followups:answer", args=[links.follow_up_token(follow_up)])


def _right(follow_up):
    right = {}
    for q in FollowUpQuestion.objects.filter(pk__in=[q["id"] for q in follow_up.questions]):
        right[f"q{q.pk}"] = str(next(o["id"] for o in q.options if o["correct"]))
    return right


def test_the_link_opens_the_questions_without_login(client, claim):
    follow_up = _sent(claim)
    response = client.get(_url(follow_up))
    assert response.status_code == 200
    body = response.content.decode()
    for question in follow_up.questions:
        assert question["text"] in body
    assert response["Cache-Control"] == "private, no-store"
    assert (
        response["Referrer-Policy"] == "same-origin"
    )  # the token never leaves the site; the POST keeps its Origin


def test_answers_are_scored_and_shown_with_the_rationale(client, claim):
    follow_up = _sent(claim)
    answers = _right(follow_up)
    first = next(iter(answers))
    q = FollowUpQuestion.objects.get(pk=int(first[1:]))
    answers[first] = str(next(o["id"] for o in q.options if not o["correct"]))
    response = client.post(_url(follow_up), answers)
    assert response.status_code == 200
    body = response.content.decode()
    assert "67% right" in body
    assert q.rationale in body
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.ANSWERED and follow_up.score == 67
    assert FollowUpAnswer.objects.filter(follow_up=follow_up).count() == 3


def test_a_reused_link_is_refused(client, claim):
    follow_up = _sent(claim)
    client.post(_url(follow_up), _right(follow_up))
    again = client.post(_url(follow_up), _right(follow_up))
    assert again.status_code == 409
    assert "already answered" in again.content.decode()
    assert client.get(_url(follow_up)).status_code == 409
    assert FollowUpAnswer.objects.filter(follow_up=follow_up).count() == 3


def test_an_expired_link_is_refused(client, claim):
    follow_up = _sent(claim)
    FollowUp.objects.filter(pk=follow_up.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    response = client.post(_url(follow_up), _right(follow_up))
    assert response.status_code == 410
    assert "closed" in response.content.decode()
    assert not FollowUpAnswer.objects.exists()


@pytest.mark.parametrize("how", ["cut", "changed_id", "garbage"])
def test_a_tampered_link_is_refused(client, claim, how):
    follow_up = _sent(claim)
    token = links.follow_up_token(follow_up)
    if how == "cut":
        token = token[:-3]
    elif how == "changed_id":
        # The same token shape for another id, signed with another key: the signature fails.
        token = signing.dumps(
            {"f": follow_up.pk + 1, "n": follow_up.nonce}, key="not-the-key", salt=links.SALT
        )
    else:
        token = "x" * 40
    response = client.post(reverse("followups:answer", args=[token]), _right(follow_up))
    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    assert not FollowUpAnswer.objects.exists()


def test_another_learners_follow_up_is_refused(client, claim, make_user):
    follow_up = _sent(claim)
    # A validly signed token naming this follow-up with another nonce (as if made for another one).
    forged = signing.dumps({"f": follow_up.pk, "n": "0" * 32}, salt=links.SALT)
    response = client.post(reverse("followups:answer", args=[forged]), _right(follow_up))
    assert response.status_code == 404
    # The real link, opened while logged in as someone else.
    other = make_user("other@example.org", profile=True)
    client.force_login(other)
    response = client.post(_url(follow_up), _right(follow_up))
    assert response.status_code == 403
    assert "another account" in response.content.decode()
    assert not FollowUpAnswer.objects.exists()


def test_a_follow_up_not_sent_yet_is_not_found(client, claim):
    follow_up = FollowUp.objects.get(claim=claim, kind="knowledge", interval_days=7)
    assert client.get(_url(follow_up)).status_code == 404


@pytest.mark.parametrize("bad", ["missing", "wrong_option", "not_a_number"])
def test_bad_answers_are_refused_with_the_form(client, claim, bad):
    follow_up = _sent(claim)
    answers = _right(follow_up)
    first = next(iter(answers))
    if bad == "missing":
        del answers[first]
    elif bad == "wrong_option":
        answers[first] = "999999"
    else:
        answers[first] = "abc"
    response = client.post(_url(follow_up), answers)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Answer this question." in body or "Choose one of the options shown." in body
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.SENT
    assert not FollowUpAnswer.objects.exists()


def test_the_practice_change_page_shows_the_stated_intent_and_stores_the_answer(client, claim):
    follow_up = _sent(claim, kind="practice", day=60)
    page = client.get(_url(follow_up))
    assert page.status_code == 200
    assert "Use a supraglottic airway earlier" in page.content.decode()
    response = client.post(
        _url(follow_up), {"changed": "partly", "barriers": ["time", "system"], "barrier_other": "No kit"}
    )
    assert response.status_code == 200
    answer = PracticeChangeAnswer.objects.get(follow_up=follow_up)
    assert answer.changed == "partly"
    assert answer.barriers == ["time", "system", "other"]
    assert answer.intended_change == "Use a supraglottic airway earlier"


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"changed": "maybe"},
        {"changed": "no", "barriers": ["boredom"]},
        {"changed": "no", "barrier_other": "x" * 2001},
    ],
)
def test_bad_practice_answers_are_refused(client, claim, data):
    follow_up = _sent(claim, kind="practice", day=60)
    response = client.post(_url(follow_up), data)
    assert response.status_code == 400
    assert not PracticeChangeAnswer.objects.exists()


def test_the_unsubscribe_link_asks_for_one_tap_then_cancels(client, claim, learner):
    url = links.unsubscribe_url(learner.pk).removeprefix("http://127.0.0.1:8000")
    url = url[url.index("/follow-ups/") :]
    page = client.get(url)
    assert page.status_code == 200
    assert FollowUp.objects.filter(claim=claim, status="scheduled").count() == 4  # a GET changes nothing
    response = client.post(url)
    assert response.status_code == 200
    assert "no more follow-ups" in response.content.decode().lower()
    assert set(FollowUp.objects.filter(claim=claim).values_list("status", flat=True)) == {"cancelled"}
    assert client.post(url[:-4] + "xyz/").status_code == 400


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: row locks across connections are what this test proves (run by make test)",
)
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_answers_write_once(
    learner, activity, coordinator, django_capture_on_commit_callbacks
):
    from credits.models import Question
    from followups import services
    from testkit import factories

    services.plan_save(
        activity=activity, actor=coordinator, enabled=True, intervals_days=[7], practice_change_days=60,
        reused_question_ids=list(Question.objects.filter(activity=activity).values_list("pk", flat=True)),
    )  # fmt: skip
    services.consent_set(learner=learner, opted_in=True, where="my_learning")
    factories.pass_and_evaluate(learner, activity)
    claim = factories.claim_and_issue(learner, activity, django_capture_on_commit_callbacks).claim
    follow_up = _sent(claim)
    url, answers = _url(follow_up), _right(follow_up)
    barrier = threading.Barrier(8)
    statuses: list[int] = []

    def answer():
        try:
            barrier.wait(timeout=30)
            statuses.append(Client().post(url, answers).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=answer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [200] + [409] * 7
    assert FollowUpAnswer.objects.filter(follow_up=follow_up).count() == 3
