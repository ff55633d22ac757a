"""Activity versions and the lifecycle (credits/versions.py): an edit never rewrites what an earlier
learner saw, a half-built activity never goes live, designation and dates follow ACCME's rules."""

import datetime
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from credits import services, versions
from credits.models import Activity, ActivityVersion, Attempt, Certificate, CommercialSupport, CreditClaim
from testkit.factories import (
    QUIZ,
    claim_and_issue,
    make_activity,
    make_episode,
    make_user,
    pass_and_evaluate,
    pass_post_test,
)

NEW_PEOPLE = [
    {
        "name": "Noor Haddad",
        "credentials": "MD",
        "role": "faculty",
        "disclosures": [{"company": "Acme Devices", "nature": "consultant", "mitigated": True}],
    }
]


def _actions(activity) -> list[str]:
    return list(AuditEvent.objects.for_object(activity).order_by("id").values_list("action", flat=True))


# --- Versions ---------------------------------------------------------------------------------------


def test_publishing_freezes_version_one_with_everything_a_learner_is_shown(activity):
    version = activity.current_version
    assert activity.status == Activity.Status.PUBLISHED and version.number == 1
    content = version.content
    assert content["title"] == activity.title and content["designated_credits"] == "0.75"
    assert content["objectives"] == ["Recognise a failed airway", "Plan a CICO rescue"]
    assert content["people"][0]["name"] == "Dana Faculty" and content["people"][0]["relevant"] == []
    assert content["medium"] == "Audio podcast" and content["provider"]["contact_email"]
    assert content["accreditation_statement"].startswith("The Society of Testing is accredited")
    assert content["designation_statement"].startswith("The Society of Testing designates")
    assert "activity.published" in _actions(activity)


def test_an_edit_after_a_learner_started_makes_version_two_and_earlier_records_keep_version_one(
    learner, activity, coordinator, django_capture_on_commit_callbacks
):
    pass_and_evaluate(learner, activity)
    first = claim_and_issue(learner, activity, django_capture_on_commit_callbacks, minutes=45)
    services.activity_update(
        activity=activity,
        actor=coordinator,
        data={"title": "Renamed airway episode", "designated_credits": Decimal("0.5")},
    )
    services.activity_set_people(activity=activity, actor=coordinator, people=NEW_PEOPLE)
    activity.refresh_from_db()
    assert activity.current_version.number == 2
    assert activity.current_version.title == "Renamed airway episode"
    assert activity.current_version.content["people"][0]["name"] == "Noor Haddad"

    # What the first learner was offered and holds is unchanged, everywhere it is read from.
    first.refresh_from_db()
    claim = CreditClaim.objects.get(learner=learner)
    assert claim.version.number == 1 and first.version_id == claim.version_id
    assert first.activity_title == "Difficult airway" and first.credits == Decimal("0.75")
    assert "0.75 AMA PRA Category 1 Credit(s)" in first.designation_statement
    assert claim.version.content["people"][0]["name"] == "Dana Faculty"
    assert claim.version.designated_credits == Decimal("0.75")
    assert claim.version.title == "Difficult airway"

    # A new learner is shown version 2 and is capped at its designation.
    second_learner = make_user("second@example.org", profile=True)
    pass_and_evaluate(second_learner, activity)
    second = claim_and_issue(second_learner, activity, django_capture_on_commit_callbacks, minutes=45)
    assert second.version.number == 2
    assert second.activity_title == "Renamed airway episode" and second.credits == Decimal("0.5")

    # The audit rows carry old and new values.
    created = AuditEvent.objects.for_object(activity).filter(action="activity.version_created").get()
    assert created.data["changes"]["title"] == ["Difficult airway", "Renamed airway episode"]
    assert created.data["changes"]["designated_credits"] == ["0.75", "0.50"]
    updated = AuditEvent.objects.for_object(activity).filter(action="activity.updated").get()
    assert updated.data["changed"]["designated_credits"] == ["0.75", "0.5"]
    people = (
        AuditEvent.objects.for_object(activity).filter(action="activity.people_set").order_by("id").last()
    )
    assert people.data["old"]["people"][0]["name"] == "Dana Faculty"
    assert people.data["new"]["people"][0]["name"] == "Noor Haddad"
    assert "Acme Devices" in json.dumps(people.data["new"])  # the relationships, not only a count


def test_a_learner_under_way_keeps_the_designation_and_expiry_of_their_version(
    learner, activity, coordinator, django_capture_on_commit_callbacks
):
    pass_and_evaluate(learner, activity)  # under version 1: 0.75 credits
    services.activity_update(
        activity=activity, actor=coordinator, data={"designated_credits": Decimal("0.5")}
    )
    activity.refresh_from_db()
    assert activity.current_version.number == 2
    certificate = claim_and_issue(learner, activity, django_capture_on_commit_callbacks, minutes=45)
    assert certificate.credits == Decimal("0.75") and certificate.version.number == 1
    assert Attempt.objects.get(learner=learner).version.number == 1


def test_an_edit_before_anyone_started_replaces_the_version_in_place(activity, coordinator):
    version = activity.current_version
    services.activity_update(activity=activity, actor=coordinator, data={"title": "A better title"})
    activity.refresh_from_db()
    assert activity.current_version_id == version.pk
    assert ActivityVersion.objects.filter(activity=activity).count() == 1
    version.refresh_from_db()
    assert version.title == "A better title" and version.content["title"] == "A better title"
    replaced = AuditEvent.objects.for_object(activity).filter(action="activity.version_replaced").get()
    assert replaced.data["changes"]["title"] == ["Difficult airway", "A better title"]


def test_saving_without_a_change_makes_no_version(learner, activity, coordinator):
    pass_post_test(learner, activity)
    services.activity_update(activity=activity, actor=coordinator, data={"title": activity.title})
    assert ActivityVersion.objects.filter(activity=activity).count() == 1


def test_an_edit_that_breaks_a_published_activity_is_refused_and_changes_nothing(activity, coordinator):
    with pytest.raises(ValidationError) as info:
        services.activity_update(activity=activity, actor=coordinator, data={"objectives": "   "})
    assert "Write the learning objectives." in info.value.messages
    activity.refresh_from_db()
    assert activity.objectives_list and activity.current_version.content["objectives"]
    assert not AuditEvent.objects.for_object(activity).filter(action="activity.updated").exists()


def test_versions_are_never_deleted(activity):
    with pytest.raises(TypeError):
        activity.current_version.delete()
    with pytest.raises(TypeError):
        ActivityVersion.objects.all().delete()


# --- Lifecycle ---------------------------------------------------------------------------------------


@pytest.fixture
def draft(episode, provider, coordinator):
    return make_activity(provider=provider, episode=episode, coordinator=coordinator, publish=False)


def test_a_new_activity_is_a_draft_that_learners_cannot_start_or_open(client, learner, draft):
    assert draft.status == Activity.Status.DRAFT and draft.current_version is None
    with pytest.raises(services.CreditError) as info:
        services.attempt_start(learner=learner, activity=draft)
    assert info.value.code == "not_published"
    client.force_login(learner)
    assert client.get(reverse("credits:post_test", args=[draft.pk])).status_code == 404
    assert not Attempt.objects.exists()


def test_publishing_lists_every_missing_piece_and_changes_nothing(episode, provider, coordinator):
    provider.contact_email = ""
    provider.save()
    bare = services.activity_create(
        provider=provider,
        episode=episode,
        actor=coordinator,
        data={
            "objectives": "- \n•",  # bullets without text: no objective at all
            "target_audience": "Physicians",
            "designated_credits": Decimal("2.0"),
            "release_date": timezone.localdate(),
            "expiry_date": timezone.localdate() + datetime.timedelta(days=30),
        },
    )
    CommercialSupport.objects.create(activity=bare, supporter="Acme Devices", kind="monetary")
    with pytest.raises(ValidationError) as info:
        versions.activity_publish(activity=bare, actor=coordinator)
    messages = " | ".join(info.value.messages)
    for expected in (
        "Write the learning objectives",
        "at least one person in control of content",
        "Write the post-test",
        "record the reason",
        "Give the amount of monetary support",
        "written agreement was signed",
        "contact email",
    ):
        assert expected in messages
    bare.refresh_from_db()
    assert bare.status == Activity.Status.DRAFT and not ActivityVersion.objects.filter(activity=bare).exists()
    assert "activity.published" not in _actions(bare)


def test_a_complete_draft_publishes_and_only_once(draft, coordinator):
    version = versions.activity_publish(activity=draft, actor=coordinator)
    assert version.number == 1
    with pytest.raises(ValidationError, match="Only a draft can be published"):
        versions.activity_publish(activity=draft, actor=coordinator)


def test_withdrawn_takes_no_new_learner_but_one_who_passed_may_finish(
    learner, activity, coordinator, django_capture_on_commit_callbacks
):
    pass_and_evaluate(learner, activity)
    with pytest.raises(ValidationError, match="reason"):
        versions.activity_withdraw(activity=activity, actor=coordinator, reason="  ")
    versions.activity_withdraw(activity=activity, actor=coordinator, reason="A guideline changed")
    newcomer = make_user("newcomer@example.org", profile=True)
    with pytest.raises(services.CreditError) as info:
        services.attempt_start(learner=newcomer, activity=activity)
    assert info.value.code == "withdrawn"
    certificate = claim_and_issue(learner, activity, django_capture_on_commit_callbacks)
    assert certificate.status == Certificate.Status.ISSUED
    withdrawn = AuditEvent.objects.for_object(activity).filter(action="activity.withdrawn").get()
    assert withdrawn.data == {"status": ["published", "withdrawn"], "reason": "A guideline changed"}


# --- Designation and dates ---------------------------------------------------------------------------


def test_a_designation_above_the_time_needed_needs_a_recorded_reason(show, show_grant, provider, coordinator):
    # 5 minutes of audio + 3 questions + the evaluation = 11 minutes -> 15; 0.75 credits is 45 minutes.
    episode = make_episode(show, slug="short", title="Short", audio_duration=5 * 60)
    draft = make_activity(
        provider=provider, episode=episode, coordinator=coordinator, publish=False, designation_reason=""
    )
    assert versions.minutes_needed(draft) == 15
    with pytest.raises(ValidationError, match="more than the 15 minutes a learner needs"):
        versions.activity_publish(activity=draft, actor=coordinator)
    services.activity_update(
        activity=draft,
        actor=coordinator,
        data={"designation_reason": "Pilot test: 45 minutes with readings."},
    )
    assert versions.activity_publish(activity=draft, actor=coordinator).content["designation_reason"]


def test_time_needed_is_audio_plus_post_test_and_evaluation_to_the_quarter_hour(activity):
    # The post-test has 3 questions (1 minute each) and the evaluation takes 3 minutes.
    for audio_minutes, needed in ((38, 45), (34, 45), (33, 45), (31, 30), (30, 30), (5, 15)):
        activity.episode.audio_duration = audio_minutes * 60
        assert versions.minutes_needed(activity) == needed, audio_minutes
    assert versions.designation_exceeds_time(activity) is True  # 0.75 credits = 45 minutes > 15


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"last_review_date": timezone.localdate() + datetime.timedelta(days=1)},
            "date of last review cannot be in the future",
        ),
        (
            {
                "last_review_date": timezone.localdate() - datetime.timedelta(days=10),
                "expiry_date": timezone.localdate() + datetime.timedelta(days=3 * 366),
            },
            "at most 3 years",
        ),
        ({"providership": "joint", "joint_provider_name": ""}, "joint provider's name"),
    ],
)
def test_bad_dates_and_providership_are_refused_with_a_message(activity, coordinator, data, message):
    before = ActivityVersion.objects.get(pk=activity.current_version_id).content
    with pytest.raises(ValidationError) as info:
        services.activity_update(activity=activity, actor=coordinator, data=data)
    assert message in " ".join(info.value.messages)
    activity.refresh_from_db()
    assert activity.current_version.content == before


def test_the_post_test_of_a_version_uses_its_passing_score(learner, activity, coordinator):
    services.attempt_start(learner=learner, activity=activity)  # version 1 (75%) is started
    services.activity_update(activity=activity, actor=coordinator, data={"passing_score": 100})
    activity.refresh_from_db()
    assert activity.current_version.number == 2 and activity.current_version.passing_score == 100
    attempt = Attempt.objects.get(learner=learner)
    assert attempt.version.passing_score == 75


def test_a_shorter_post_test_that_breaks_the_designation_rule_is_refused(activity, coordinator):
    # 33 minutes of audio: with 3 questions a learner needs 39 -> 45 minutes (0.75 credits, no reason
    # needed); with 1 question 37 -> 30 minutes, so 0.75 credits would need a recorded reason.
    Activity.objects.filter(pk=activity.pk).update(designation_reason="")
    activity.episode.__class__.objects.filter(pk=activity.episode_id).update(audio_duration=33 * 60)
    activity.refresh_from_db()
    one_question = {"questions": QUIZ["questions"][:1]}
    with pytest.raises(services.CreditError) as info:
        services.quiz_replace(activity=activity, actor=coordinator, data=one_question)
    assert "record the reason" in info.value.message
    assert activity.questions.count() == 3  # nothing replaced


def test_my_learning_shows_the_title_the_learner_saw_and_never_a_draft(
    client, learner, activity, coordinator, show, provider
):
    pass_post_test(learner, activity)  # under way on version 1
    services.activity_update(activity=activity, actor=coordinator, data={"title": "Renamed later"})
    other = make_episode(show, slug="other", title="Other")
    draft = make_activity(provider=provider, episode=other, coordinator=coordinator, publish=False)
    services.listening_record(user=learner, episode=other, ranges=[[0, 30]])
    client.force_login(learner)
    page = client.get(reverse("credits:my_learning")).content.decode()
    assert "Difficult airway" in page and "Renamed later" not in page
    assert reverse("credits:post_test", args=[draft.pk]) not in page


def test_a_mandate_topic_added_later_does_not_reach_earlier_transcripts(
    client, learner, activity, coordinator, django_capture_on_commit_callbacks
):
    from credits.models import MandateTopic

    opioids = MandateTopic.objects.get(slug="opioid-prescribing")  # created by a migration
    pass_and_evaluate(learner, activity)
    claim_and_issue(learner, activity, django_capture_on_commit_callbacks)
    services.activity_update(activity=activity, actor=coordinator, data={}, mandate_topics=[opioids])
    activity.refresh_from_db()
    assert activity.current_version.content["mandate_topics"] == ["Opioid prescribing"]
    client.force_login(learner)
    page = client.get(reverse("credits:transcript"), {"topic": opioids.slug})
    assert page.status_code == 200 and page.context["transcript"].rows == []
    everything = client.get(reverse("credits:transcript")).context["transcript"].rows
    assert len(everything) == 1 and everything[0].topics == []


def test_an_unattested_international_degree_is_told_what_to_confirm(learner, activity):
    from accounts.models import LearnerProfile

    pass_and_evaluate(learner, activity)
    LearnerProfile.objects.filter(user=learner).update(degree="MBChB", degree_equivalence_attested_at=None)
    with pytest.raises(services.CreditError) as info:
        services.claim_credit(learner=learner, activity=activity, minutes=45, attested=True)
    assert info.value.code == "profile" and "equivalent to an MD or DO" in info.value.message
    assert not CreditClaim.objects.exists()
