import datetime
import random
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Degree
from audit.models import AuditEvent
from credits import services
from credits.models import Activity, Attempt, CompletionRecord, CreditClaim, CreditType, Evaluation, Question
from testkit.factories import QUIZ, correct_answers, expire_activity, publish, wrong_answers


def test_activity_title_defaults_to_the_episode(activity, episode):
    assert activity.title == episode.title
    assert AuditEvent.objects.for_object(activity).filter(action="activity.created").exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"designated_credits": Decimal("0.3")}, "designated_credits"),
        ({"designated_credits": Decimal("0")}, "designated_credits"),
        ({"expiry_date": datetime.date(2030, 1, 2)}, "expiry_date"),
        ({"last_review_date": datetime.date(2025, 12, 1)}, "last_review_date"),
        ({"passing_score": 101}, "passing_score"),
    ],
)
def test_bad_activity_data_is_refused_and_nothing_changes(activity, coordinator, change, field):
    activity.release_date = datetime.date(2026, 1, 1)
    activity.save()
    with pytest.raises(ValidationError) as info:
        services.activity_update(activity=activity, actor=coordinator, data=change)
    assert field in info.value.message_dict
    fresh = Activity.objects.get(pk=activity.pk)
    assert fresh.designated_credits == Decimal("0.75") and fresh.passing_score == 75


def test_expiry_may_run_three_years_from_the_last_review(activity, coordinator):
    services.activity_update(
        activity=activity,
        actor=coordinator,
        data={
            "release_date": datetime.date(2024, 1, 1),
            "last_review_date": datetime.date(2026, 1, 1),
            "expiry_date": datetime.date(2029, 1, 1),
        },
    )
    assert Activity.objects.get(pk=activity.pk).expiry_date == datetime.date(2029, 1, 1)


@pytest.mark.parametrize(
    "bad",
    [
        [],
        {"questions": []},
        {"questions": [{"text": "", "options": [{"text": "a", "correct": True}, {"text": "b"}]}]},
        {"questions": [{"text": "Q", "options": [{"text": "a", "correct": True}]}]},
        {"questions": [{"text": "Q", "options": [{"text": "a"}, {"text": "b"}]}]},
        {
            "questions": [
                {"text": "Q", "options": [{"text": "a", "correct": True}, {"text": "b", "correct": True}]}
            ]
        },
        {"questions": [{"text": "Q", "options": [{"text": "a", "correct": "yes"}, {"text": "b"}]}]},
    ],
)
def test_bad_quiz_files_are_refused_and_the_quiz_is_kept(activity, coordinator, bad):
    with pytest.raises(services.CreditError) as info:
        services.quiz_replace(activity=activity, actor=coordinator, data=bad)
    assert info.value.message.startswith("The quiz file is not valid")
    assert Question.objects.filter(activity=activity).count() == 3


def test_quiz_export_round_trips(activity, coordinator):
    exported = services.quiz_export(activity)
    assert [q["text"] for q in exported["questions"]] == [q["text"] for q in QUIZ["questions"]]
    services.quiz_replace(activity=activity, actor=coordinator, data=exported)
    assert services.quiz_export(activity)["questions"] == exported["questions"]


def test_options_are_shuffled_per_attempt(learner, activity):
    first = services.attempt_start(learner=learner, activity=activity, rng=random.Random(1))
    services.attempt_submit(attempt_id=first.pk, learner=learner, answers=wrong_answers(first))
    orders = {tuple(o["id"] for o in first.questions[0]["options"])}
    for seed in range(2, 8):
        attempt = services.attempt_start(learner=learner, activity=activity, rng=random.Random(seed))
        orders.add(tuple(o["id"] for o in attempt.questions[0]["options"]))
        services.attempt_submit(attempt_id=attempt.pk, learner=learner, answers=wrong_answers(attempt))
    assert len(orders) > 1
    assert all(sorted(order) == sorted(next(iter(orders))) for order in orders)


def test_attempt_snapshot_carries_no_correct_answer(learner, activity):
    attempt = services.attempt_start(learner=learner, activity=activity)
    text = str(attempt.questions)
    assert "correct" not in text and "rationale" not in text


def test_scoring_pass_and_fail(learner, activity):
    attempt = services.attempt_start(learner=learner, activity=activity)
    answers = correct_answers(attempt)
    first_q = str(attempt.questions[0]["id"])
    answers[first_q] = wrong_answers(attempt)[first_q]
    failed = services.attempt_submit(attempt_id=attempt.pk, learner=learner, answers=answers)
    assert (failed.score, failed.passed) == (67, False)
    assert failed.results[first_q]["correct"] is False
    again = services.attempt_start(learner=learner, activity=activity)
    assert again.number == 2
    passed = services.attempt_submit(attempt_id=again.pk, learner=learner, answers=correct_answers(again))
    assert (passed.score, passed.passed) == (100, True)
    assert Attempt.objects.filter(learner=learner).count() == 2
    assert AuditEvent.objects.filter(action="attempt.submitted").count() == 2


def _expect_refused(learner, attempt, answers, code):
    with pytest.raises(services.CreditError) as info:
        services.attempt_submit(attempt_id=attempt.pk, learner=learner, answers=answers)
    assert info.value.code == code
    attempt.refresh_from_db()
    assert attempt.submitted_at is None and attempt.score is None


def test_answers_for_another_quizs_question_are_refused(learner, activity, make_user, show, provider):
    from episodes.models import Episode

    other_episode = Episode.objects.get(pk=activity.episode_id)
    other_episode.pk, other_episode.slug, other_episode.guid = None, "other", "other-guid"
    other_episode.save()
    other = services.activity_create(
        provider=provider,
        episode=other_episode,
        actor=None,
        data={**{f: getattr(activity, f) for f in services.ACTIVITY_FIELDS}},
    )
    services.quiz_replace(activity=other, actor=None, data=QUIZ)
    publish(other)
    foreign_q = Question.objects.filter(activity=other).first()
    attempt = services.attempt_start(learner=learner, activity=activity)
    answers = correct_answers(attempt)
    other_attempt = services.attempt_start(learner=learner, activity=other)
    answers[str(foreign_q.pk)] = other_attempt.questions[0]["options"][0]["token"]
    _expect_refused(learner, attempt, answers, "foreign")


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda a, q: a.pop(q), "missing"),
        (lambda a, q: a.__setitem__(q, "999999"), "unknown_option"),
        (lambda a, q: a.__setitem__(q, "abc"), "unknown_option"),
        (lambda a, q: a.__setitem__(q, ["1", "2"]), "duplicate"),
        (lambda a, q: a.__setitem__(q, ""), "unknown_option"),
    ],
)
def test_bad_answers_are_refused_and_nothing_scored(learner, activity, mutate, code):
    attempt = services.attempt_start(learner=learner, activity=activity)
    answers = correct_answers(attempt)
    mutate(answers, str(attempt.questions[1]["id"]))
    _expect_refused(learner, attempt, answers, code)


def test_an_option_of_another_question_is_refused(learner, activity):
    attempt = services.attempt_start(learner=learner, activity=activity)
    answers = correct_answers(attempt)
    q0, q1 = (str(q["id"]) for q in attempt.questions[:2])
    answers[q0] = answers[q1]
    _expect_refused(learner, attempt, answers, "wrong_question")


def test_a_scored_attempt_cannot_be_resubmitted(learner, activity):
    attempt = services.attempt_start(learner=learner, activity=activity)
    services.attempt_submit(attempt_id=attempt.pk, learner=learner, answers=wrong_answers(attempt))
    with pytest.raises(services.CreditError) as info:
        services.attempt_submit(attempt_id=attempt.pk, learner=learner, answers=correct_answers(attempt))
    assert info.value.code == "already_submitted"
    attempt.refresh_from_db()
    assert attempt.passed is False


def test_another_learners_attempt_is_not_found(learner, activity, make_user):
    attempt = services.attempt_start(learner=learner, activity=activity)
    stranger = make_user("stranger@example.org", profile=True)
    with pytest.raises(services.CreditError) as info:
        services.attempt_submit(attempt_id=attempt.pk, learner=stranger, answers=correct_answers(attempt))
    assert info.value.code == "not_found"


def test_the_attempt_limit_holds(learner, activity, coordinator):
    services.activity_update(activity=activity, actor=coordinator, data={"max_attempts": 2})
    for _ in range(2):
        attempt = services.attempt_start(learner=learner, activity=activity)
        services.attempt_submit(attempt_id=attempt.pk, learner=learner, answers=wrong_answers(attempt))
    with pytest.raises(services.CreditError) as info:
        services.attempt_start(learner=learner, activity=activity)
    assert info.value.code == "attempts_exhausted"
    assert "2 attempts" in info.value.message
    assert Attempt.objects.filter(learner=learner).count() == 2


def test_no_post_test_on_an_expired_activity(learner, activity):
    expire_activity(activity, released_days_ago=400)
    with pytest.raises(services.CreditError) as info:
        services.attempt_start(learner=learner, activity=activity)
    assert info.value.code == "expired"


def test_evaluation_needs_a_passed_test(learner, activity):
    with pytest.raises(services.CreditError) as info:
        services.evaluation_submit(
            learner=learner,
            activity=activity,
            data={"objectives_met": 4, "relevant_to_practice": 4, "free_of_bias": 4, "intends_change": False},
        )
    assert info.value.code == "not_passed"
    assert Evaluation.objects.count() == 0


@pytest.mark.parametrize(
    ("minutes", "credits", "capped"),
    [(8, "0.25", False), (22, "0.25", False), (23, "0.50", False), (45, "0.75", False), (52, "0.75", False),
     (53, "0.75", True), (600, "0.75", True)],
)  # fmt: skip
def test_time_is_rounded_to_the_quarter_hour_and_capped(minutes, credits, capped):
    assert services.credits_for_minutes(minutes, Decimal("0.75")) == (Decimal(credits), capped)


def test_claim_writes_claim_completion_and_audit(learner, activity, evaluated):
    claim = services.claim_credit(learner=learner, activity=activity, minutes=40, attested=True)
    assert claim.credits == Decimal("0.75")
    assert claim.credit_type == CreditType.AMA_PRA_1
    record = CompletionRecord.objects.get(claim=claim)
    assert (record.credits, record.attempt_number, record.score) == (Decimal("0.75"), 1, 100)
    event = AuditEvent.objects.for_object(claim).get(action="claim.created")
    assert event.actor == learner
    assert event.data["credits"] == "0.75" and event.data["credit_type"] == "ama_pra_1"
    assert event.data["evaluation"] == evaluated.pk


def test_non_physicians_get_a_participation_record(learner, activity, evaluated):
    learner.profile.degree = Degree.PA_C
    learner.profile.save()
    claim = services.claim_credit(learner=learner, activity=activity, minutes=45, attested=True)
    assert claim.credit_type == CreditType.PARTICIPATION
    assert claim.degree == "PA-C"


@pytest.mark.parametrize(
    ("minutes", "attested", "code"),
    [(-5, True, "minutes"), (0, True, "minutes"), (3, True, "minutes"), (2000, True, "minutes"),
     (30, False, "not_attested")],
)  # fmt: skip
def test_bad_claims_are_refused_and_nothing_written(learner, activity, evaluated, minutes, attested, code):
    with pytest.raises(services.CreditError) as info:
        services.claim_credit(learner=learner, activity=activity, minutes=minutes, attested=attested)
    assert info.value.code == code
    assert CreditClaim.objects.count() == 0 and CompletionRecord.objects.count() == 0


def test_claim_before_passing_and_before_evaluating(learner, activity):
    with pytest.raises(services.CreditError) as info:
        services.claim_credit(learner=learner, activity=activity, minutes=30, attested=True)
    assert info.value.code == "not_passed"
    attempt = services.attempt_start(learner=learner, activity=activity)
    services.attempt_submit(attempt_id=attempt.pk, learner=learner, answers=correct_answers(attempt))
    with pytest.raises(services.CreditError) as info:
        services.claim_credit(learner=learner, activity=activity, minutes=30, attested=True)
    assert info.value.code == "no_evaluation"
    assert CreditClaim.objects.count() == 0


def test_claim_needs_a_complete_profile(learner, activity, evaluated):
    learner.profile.family_name = ""
    learner.profile.save()
    with pytest.raises(services.CreditError) as info:
        services.claim_credit(learner=learner, activity=activity, minutes=30, attested=True)
    assert info.value.code == "profile"
    assert CreditClaim.objects.count() == 0


def test_claim_on_an_expired_activity_is_refused(learner, activity, evaluated):
    expire_activity(activity)
    with pytest.raises(services.CreditError) as info:
        services.claim_credit(learner=learner, activity=activity, minutes=30, attested=True)
    assert info.value.code == "expired"


def test_a_second_claim_is_refused(learner, activity, evaluated):
    services.claim_credit(learner=learner, activity=activity, minutes=30, attested=True)
    with pytest.raises(services.CreditError) as info:
        services.claim_credit(learner=learner, activity=activity, minutes=45, attested=True)
    assert info.value.code == "already_claimed"
    assert CreditClaim.objects.get().credits == Decimal("0.50")
    assert AuditEvent.objects.filter(action="claim.created").count() == 1


def test_records_are_never_deleted(learner, activity, evaluated):
    claim = services.claim_credit(learner=learner, activity=activity, minutes=30, attested=True)
    for obj in (claim, claim.completion, evaluated, claim.attempt):
        with pytest.raises(TypeError):
            obj.delete()
    with pytest.raises(TypeError):
        CreditClaim.objects.all().delete()
    with pytest.raises(TypeError):
        claim.completion.save()
    assert CreditClaim.objects.count() == 1


def test_the_claim_hook_runs_on_commit_only(learner, activity, evaluated, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        services.claim_credit(learner=learner, activity=activity, minutes=30, attested=True)
    # the PDF render, then credits.events' one task for claim.created and certificate.issued: none
    # before the commit
    assert len(callbacks) == 2


def test_listening_ranges_are_merged_and_capped(learner, episode):
    services.listening_record(user=learner, episode=episode, ranges=[[0, 60], [50, 120]])
    progress = services.listening_record(user=learner, episode=episode, ranges=[[300, 99999]])
    assert progress.ranges == [[0, 120], [300, episode.audio_duration]]
    assert progress.seconds_played == 120 + episode.audio_duration - 300


def test_a_pause_of_up_to_a_second_is_one_listen(learner, episode):
    progress = services.listening_record(user=learner, episode=episode, ranges=[[0, 60], [61, 120]])
    assert progress.ranges == [[0, 120]] and progress.seconds_played == 120
    progress = services.listening_record(user=learner, episode=episode, ranges=[[200, 250], [252, 260]])
    assert progress.ranges == [[0, 120], [200, 250], [252, 260]]
    assert progress.seconds_played == 120 + 50 + 8


@pytest.mark.parametrize("bad", [None, "x", [[1]], [["a", 2]], [[5, 1]], [[-1, 3]], [[0, 1]] * 501])
def test_bad_listening_reports_are_refused(learner, episode, bad):
    with pytest.raises(services.CreditError):
        services.listening_record(user=learner, episode=episode, ranges=bad)
