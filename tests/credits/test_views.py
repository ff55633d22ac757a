"""The learner's path and the coordinator's pages through HTTP, as people use them."""

import datetime
import io
import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from credits import services
from credits.models import Activity, Attempt, CreditClaim, Evaluation, Question, RevealAnswers
from testkit.factories import QUIZ, correct_answers, expire_activity, wrong_answers
from testkit.mfa import mfa_login

EVALUATION = {
    "objectives_met": "5",
    "relevant_to_practice": "4",
    "free_of_bias": "5",
    "intends_change": "yes",
    "change_description": "Earlier supraglottic airway",
    "comments": "Great case <script>alert(1)</script>",
}


def _post_answers(client, attempt, answers):
    data = {"attempt": attempt.pk, **{f"q_{k}": v for k, v in answers.items()}}
    return client.post(reverse("credits:post_test", args=[attempt.activity_id]), data)


@pytest.fixture
def lc(client, learner):
    client.force_login(learner)
    return client


def test_anonymous_learner_is_sent_to_log_in_and_back(client, activity):
    url = reverse("credits:post_test", args=[activity.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={url}"


def test_the_post_test_page_never_contains_the_answers(lc, activity, learner):
    response = lc.get(reverse("credits:post_test", args=[activity.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    for question in QUIZ["questions"]:
        assert question["text"] in body
        for option in question["options"]:
            assert option["text"] in body
        assert question["rationale"] not in body
    assert "correct" not in body.lower().replace("incorrect", "")
    attempt = Attempt.objects.get(learner=learner)
    # Options appear in the attempt's shuffled order, sending their tokens (never their ids).
    question = attempt.questions[0]
    positions = [body.index(f'value="{o["token"]}"') for o in question["options"]]
    assert positions == sorted(positions)
    values = re.findall(r'<input type="radio"[^>]*value="([^"]*)"', body)
    assert len(values) == sum(len(q["options"]) for q in attempt.questions)
    assert not {str(o["id"]) for q in attempt.questions for o in q["options"]} & set(values)


def test_pass_and_see_rationale_and_references(lc, activity, learner):
    lc.get(reverse("credits:post_test", args=[activity.pk]))
    attempt = Attempt.objects.get(learner=learner)
    response = _post_answers(lc, attempt, correct_answers(attempt))
    assert response.status_code == 302
    page = lc.get(response["Location"]).content.decode()
    assert "you scored 100%" in page
    assert "A second-generation supraglottic airway restores oxygenation." in page
    assert "https://doi.org/10.1093/bja/aev371" in page


def test_failing_shows_wrong_answers_but_not_the_correct_ones_by_default(lc, activity, learner):
    lc.get(reverse("credits:post_test", args=[activity.pk]))
    attempt = Attempt.objects.get(learner=learner)
    page = lc.get(_post_answers(lc, attempt, wrong_answers(attempt))["Location"]).content.decode()
    assert "you scored 0%" in page and "incorrect" in page
    assert "Supraglottic airway" not in page.split("Your answer")[0]
    assert "A second-generation supraglottic airway" not in page
    assert "Try again" in page


def test_after_each_attempt_reveals_answers_on_failure(lc, activity, learner, coordinator):
    services.activity_update(
        activity=activity, actor=coordinator, data={"reveal_answers": RevealAnswers.AFTER_EACH_ATTEMPT}
    )
    lc.get(reverse("credits:post_test", args=[activity.pk]))
    attempt = Attempt.objects.get(learner=learner)
    page = lc.get(_post_answers(lc, attempt, wrong_answers(attempt))["Location"]).content.decode()
    assert "Correct answer" in page and "Scalpel-bougie-tube." in page


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda a, q: a.pop(q), "Please answer every question"),
        (lambda a, q: a.__setitem__(q, "nope"), "not one of the options shown in this attempt"),
        (lambda a, q: a.__setitem__(q, "123456789"), "not one of the options shown in this attempt"),
    ],
)
def test_bad_answers_get_a_400_and_keep_the_attempt_open(lc, activity, learner, mutate, message):
    lc.get(reverse("credits:post_test", args=[activity.pk]))
    attempt = Attempt.objects.get(learner=learner)
    answers = correct_answers(attempt)
    mutate(answers, str(attempt.questions[0]["id"]))
    response = _post_answers(lc, attempt, answers)
    assert response.status_code == 400
    assert message in response.content.decode()
    attempt.refresh_from_db()
    assert attempt.submitted_at is None


def test_duplicate_answers_for_one_question(lc, activity, learner):
    lc.get(reverse("credits:post_test", args=[activity.pk]))
    attempt = Attempt.objects.get(learner=learner)
    answers = correct_answers(attempt)
    qid = str(attempt.questions[0]["id"])
    data = {"attempt": attempt.pk, **{f"q_{k}": v for k, v in answers.items()}}
    data[f"q_{qid}"] = [o["token"] for o in attempt.questions[0]["options"][:2]]
    response = lc.post(reverse("credits:post_test", args=[activity.pk]), data)
    assert response.status_code == 400
    assert "exactly one answer" in response.content.decode()


def test_resubmitting_a_scored_attempt_is_a_409(lc, activity, learner):
    lc.get(reverse("credits:post_test", args=[activity.pk]))
    attempt = Attempt.objects.get(learner=learner)
    _post_answers(lc, attempt, wrong_answers(attempt))
    response = _post_answers(lc, attempt, correct_answers(attempt))
    assert response.status_code == 409
    assert "already been submitted" in response.content.decode()
    assert Attempt.objects.get(pk=attempt.pk).passed is False


def test_missing_attempt_number_is_a_400(lc, activity):
    response = lc.post(reverse("credits:post_test", args=[activity.pk]), {"attempt": "x"})
    assert response.status_code == 400


def test_another_learners_attempt_is_404(client, activity, learner, make_user):
    attempt = services.attempt_start(learner=learner, activity=activity)
    services.attempt_submit(attempt_id=attempt.pk, learner=learner, answers=correct_answers(attempt))
    client.force_login(make_user("nosy@example.org", profile=True))
    assert client.get(reverse("credits:attempt", args=[attempt.pk])).status_code == 404
    assert _post_answers(client, attempt, correct_answers(attempt)).status_code in (404, 403)


def test_attempt_limit_reached_is_a_403(lc, activity, learner, coordinator):
    services.activity_update(activity=activity, actor=coordinator, data={"max_attempts": 1})
    attempt = services.attempt_start(learner=learner, activity=activity)
    services.attempt_submit(attempt_id=attempt.pk, learner=learner, answers=wrong_answers(attempt))
    response = lc.get(reverse("credits:post_test", args=[activity.pk]))
    assert response.status_code == 403
    assert "used all 1 attempts" in response.content.decode()
    assert Attempt.objects.count() == 1


def test_evaluation_before_passing_is_refused(lc, activity):
    response = lc.post(reverse("credits:evaluation", args=[activity.pk]), EVALUATION)
    assert response.status_code == 403
    assert Evaluation.objects.count() == 0


def test_evaluation_then_claim(lc, activity, learner, passed):
    bad = lc.post(reverse("credits:evaluation", args=[activity.pk]), {**EVALUATION, "free_of_bias": "9"})
    assert bad.status_code == 400 and Evaluation.objects.count() == 0
    response = lc.post(reverse("credits:evaluation", args=[activity.pk]), EVALUATION)
    assert response.status_code == 302
    assert Evaluation.objects.get().comments == EVALUATION["comments"]

    page = lc.get(reverse("credits:claim", args=[activity.pk])).content.decode()
    assert "<em>AMA PRA Category 1 Credit(s)</em>™" in page
    assert "I claim only the credit commensurate with the extent of my participation" in page
    response = lc.post(
        reverse("credits:claim", args=[activity.pk]), {"minutes": "40", "attest": "on"}, follow=True
    )
    assert response.status_code == 200
    assert "Credit claimed" in response.content.decode()
    claim = CreditClaim.objects.get()
    assert claim.credits == Decimal("0.75") and claim.minutes_reported == 40


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"minutes": "-10", "attest": "on"}, "positive whole number"),
        ({"minutes": "abc", "attest": "on"}, "whole minutes"),
        ({"minutes": "5000", "attest": "on"}, "more than a day"),
        ({"minutes": "30"}, "Claim with the button below the attestation"),
    ],
)
def test_bad_claims_get_a_400_and_nothing_is_written(lc, activity, evaluated, data, message):
    response = lc.post(reverse("credits:claim", args=[activity.pk]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert CreditClaim.objects.count() == 0


def test_time_above_the_maximum_is_capped_and_said(lc, activity, evaluated):
    response = lc.post(reverse("credits:claim", args=[activity.pk]), {"minutes": "120", "attest": "on"})
    assert response.status_code == 302
    assert CreditClaim.objects.get().credits == Decimal("0.75")
    assert AuditEvent.objects.get(action="claim.created").data["capped"] is True


def test_claim_with_an_incomplete_profile_is_refused(lc, activity, learner, evaluated):
    learner.profile.degree = ""
    learner.profile.save()
    response = lc.post(reverse("credits:claim", args=[activity.pk]), {"minutes": "45", "attest": "on"})
    assert response.status_code == 400
    # The degree is asked on the claim page (issue 15, item 2), with the field's message.
    assert "Choose your degree: it decides the credit on your certificate." in response.content.decode()
    assert CreditClaim.objects.count() == 0


def test_claim_on_an_expired_activity_is_refused(lc, activity, evaluated):
    expire_activity(activity)
    response = lc.post(reverse("credits:claim", args=[activity.pk]), {"minutes": "45", "attest": "on"})
    assert response.status_code == 400
    assert "expired" in response.content.decode()
    assert CreditClaim.objects.count() == 0


def test_a_second_claim_shows_the_first(lc, activity, evaluated):
    lc.post(reverse("credits:claim", args=[activity.pk]), {"minutes": "30", "attest": "on"})
    response = lc.post(reverse("credits:claim", args=[activity.pk]), {"minutes": "45", "attest": "on"})
    assert "Credit claimed" in response.content.decode()
    assert CreditClaim.objects.get().credits == Decimal("0.50")


def test_web_player_progress_is_listening_evidence(lc, client, activity, episode, evaluated):
    url = reverse("credits:listening_progress", args=[episode.pk])
    ok = lc.post(url, json.dumps({"ranges": [[0, 600], [590, 2040]]}), content_type="application/json")
    assert ok.status_code == 200 and ok.json()["seconds_played"] == 2040
    page = lc.get(reverse("credits:claim", args=[activity.pk])).content.decode()
    assert "You played 2040 of 2460 seconds in the browser" in page
    lc.post(reverse("credits:claim", args=[activity.pk]), {"minutes": "45", "attest": "on"})
    assert CreditClaim.objects.get().listening_evidence["web_player"]["seconds_played"] == 2040


@pytest.mark.parametrize("body", ["not json", json.dumps({"ranges": [[5, 1]]}), json.dumps([1, 2])])
def test_bad_progress_reports_get_a_400(lc, episode, body):
    response = lc.post(
        reverse("credits:listening_progress", args=[episode.pk]), body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "error" in response.json()


def test_anonymous_progress_reports_are_refused(client, episode):
    response = client.post(
        reverse("credits:listening_progress", args=[episode.pk]), "{}", content_type="application/json"
    )
    assert response.status_code == 401


def test_my_learning_lists_progress_and_claims(lc, activity, learner, evaluated):
    page = lc.get(reverse("credits:my_learning")).content.decode()
    assert "Evaluated — claim your credit" in page and reverse("credits:claim", args=[activity.pk]) in page
    services.claim_credit(learner=learner, activity=activity, minutes=45, attested=True)
    page = lc.get(reverse("credits:my_learning")).content.decode()
    assert "Claimed credits" in page and "0.75" in page
    assert "<em>AMA PRA Category 1 Credit</em>™" in page  # the mark in italics (finding 9)


def test_my_learning_query_count_does_not_grow(
    lc, learner, activity, django_assert_max_num_queries, evaluated
):
    services.claim_credit(learner=learner, activity=activity, minutes=45, attested=True)
    with django_assert_max_num_queries(14):
        assert lc.get(reverse("credits:my_learning")).status_code == 200


# --- coordinators ---------------------------------------------------------------------------------


def _activity_post(episode, **changes):
    today = timezone.localdate()
    data = {
        "episode": episode.pk,
        "title": "",
        "objectives": "One\nTwo",
        "target_audience": "Anaesthetists",
        "designated_credits": "0.5",
        "release_date": today.isoformat(),
        "expiry_date": (today + datetime.timedelta(days=700)).isoformat(),
        "passing_score": "80",
        "max_attempts": "3",
        "reveal_answers": "after_passing",
    }
    data.update(changes)
    return data


def test_coordinator_creates_an_activity(coordinator_client, episode, provider):
    response = coordinator_client.post(
        reverse("credits:coordinator_activity_create", args=[provider.slug]), _activity_post(episode)
    )
    assert response.status_code == 302
    activity = Activity.objects.get()
    assert activity.title == episode.title and activity.designated_credits == Decimal("0.5")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"designated_credits": "0.3"}, "multiple of 0.25"),
        ({"designated_credits": "0"}, "multiple of 0.25"),
        ({"expiry_date": "2035-01-01"}, "at most 3 years"),
        ({"passing_score": "0"}, "greater than or equal to 1"),
    ],
)
def test_bad_activity_forms_are_refused(coordinator_client, episode, provider, changes, message):
    response = coordinator_client.post(
        reverse("credits:coordinator_activity_create", args=[provider.slug]),
        _activity_post(episode, **changes),
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Activity.objects.count() == 0


def test_another_providers_pages_are_404(coordinator_client, activity, make_user, episode):
    from credits.models import Provider

    other = Provider.objects.create(name="Other Society", slug="other")
    assert (
        coordinator_client.get(reverse("credits:coordinator_activity_create", args=[other.slug])).status_code
        == 404
    )
    mine = activity
    stranger = make_user("other-coord@example.org")
    other.memberships.create(user=stranger)
    mfa_login(coordinator_client, stranger)
    names = ["coordinator_activity", "coordinator_activity_edit", "coordinator_quiz", "coordinator_people"]
    for name in [*names, "coordinator_quiz_export"]:
        assert coordinator_client.get(reverse(f"credits:{name}", args=[mine.pk])).status_code == 404, name
    response = coordinator_client.post(
        reverse("credits:coordinator_activity_edit", args=[mine.pk]), {"title": "Hacked"}
    )
    assert response.status_code == 404
    assert Activity.objects.get(pk=mine.pk).title != "Hacked"


def test_hosts_and_learners_cannot_manage_activities(client, activity, host, learner):
    for user in (host, learner):
        mfa_login(client, user)
        assert client.get(reverse("credits:coordinator_activity", args=[activity.pk])).status_code == 403
        assert client.get(reverse("credits:coordinator_dashboard")).status_code == 403


def test_quiz_export_and_import(coordinator_client, activity):
    exported = coordinator_client.get(reverse("credits:coordinator_quiz_export", args=[activity.pk]))
    assert exported["Content-Type"].startswith("application/json")
    data = json.loads(exported.content)
    assert len(data["questions"]) == 3
    data["questions"] = data["questions"][:2]
    upload = io.BytesIO(json.dumps(data).encode())
    upload.name = "quiz.json"
    response = coordinator_client.post(
        reverse("credits:coordinator_quiz_import", args=[activity.pk]), {"file": upload}
    )
    assert response.status_code == 302
    assert Question.objects.filter(activity=activity).count() == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe not json", "not a JSON file"),
        (b"{not json", "not a JSON file"),
        (
            json.dumps({"questions": [{"text": "Q", "options": [{"text": "a"}, {"text": "b"}]}]}).encode(),
            "exactly one correct",
        ),
    ],
)
def test_bad_quiz_imports_are_refused(coordinator_client, activity, content, message):
    upload = io.BytesIO(content)
    upload.name = "quiz.json"
    response = coordinator_client.post(
        reverse("credits:coordinator_quiz_import", args=[activity.pk]), {"file": upload}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Question.objects.filter(activity=activity).count() == 3


def test_quiz_form_saves_questions(coordinator_client, activity):
    data = {
        "q-TOTAL_FORMS": "1", "q-INITIAL_FORMS": "0", "q-MIN_NUM_FORMS": "0", "q-MAX_NUM_FORMS": "50",
        "q-0-text": "Which dose?", "q-0-option_1": "1 mg", "q-0-option_2": "10 mg", "q-0-correct": "2",
        "q-0-rationale": "Because.", "q-0-references": "10.1000/xyz",
    }  # fmt: skip
    response = coordinator_client.post(reverse("credits:coordinator_quiz", args=[activity.pk]), data)
    assert response.status_code == 302
    question = Question.objects.get(activity=activity)
    assert question.options.get(is_correct=True).text == "10 mg"


def test_people_and_disclosures(coordinator_client, activity):
    """The people page adds a person and emails them the disclosure form (the whole workflow:
    tests/credits/test_disclosures.py)."""
    row = {"name": "Dr Ada Byrne", "credentials": "MD", "email": "ada@example.org", "role": "faculty",
           "send_request": "on"}  # fmt: skip
    data = {"p-TOTAL_FORMS": "1", "p-INITIAL_FORMS": "0", **{f"p-0-{k}": v for k, v in row.items()}}
    url = reverse("credits:coordinator_person_add", args=[activity.pk])
    response = coordinator_client.post(url, data, follow=True)
    # Published: learners see only people with a collected disclosure, so Ada is sent the form first.
    assert "was emailed the disclosure form" in response.content.decode()
    assert [p.person.name for p in activity.people.filter(removed_at__isnull=True)] == ["Dana Faculty"]
    response = coordinator_client.post(url, {**data, "p-0-name": "", "p-0-email": ""})
    assert response.status_code == 400
    assert "give a new person" in response.content.decode()


def test_coordinator_sees_aggregated_evaluations(coordinator_client, activity, learner, evaluated):
    page = coordinator_client.get(
        reverse("credits:coordinator_activity", args=[activity.pk])
    ).content.decode()
    assert "1 of 1 intend to change their practice" in page
    assert "Earlier supraglottic airway" not in page  # that was the view test's text
    assert "Use a supraglottic airway earlier" in page
