"""The upgrade to activity versions (credits migrations 0007-0009 and what follows): an activity
learners could take becomes "published" with version 1, frozen from what it showed, and every record
of its learners points to that version; one without a post-test stays a draft."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from testkit.migrations import nodes_with

BEFORE = ("credits", "0006_certificate_render_state")


def _leaves(executor: MigrationExecutor) -> list[tuple[str, str]]:
    return executor.loader.graph.leaf_nodes()


def _old_state_apps(executor: MigrationExecutor, leaves: list[tuple[str, str]]):
    """Every app at its newest migration except credits, which is as it was before versions."""
    return executor.loader.project_state(nodes_with(executor, BEFORE)).apps


@pytest.mark.django_db(transaction=True)
def test_live_activities_get_version_one_and_their_records_point_to_it():
    executor = MigrationExecutor(connection)
    leaves = _leaves(executor)
    try:
        executor.migrate([BEFORE])
        apps = _old_state_apps(MigrationExecutor(connection), leaves)
        ids = _old_data(apps)
        MigrationExecutor(connection).migrate(leaves)
    finally:
        MigrationExecutor(connection).migrate(leaves)  # the schema the other tests expect

    from audit.models import AuditEvent
    from credits.models import (
        Activity,
        ActivityVersion,
        Attempt,
        Certificate,
        CommercialSupport,
        CompletionRecord,
        CreditClaim,
        Evaluation,
    )

    live = Activity.objects.get(pk=ids["live"])
    assert live.status == Activity.Status.PUBLISHED
    version = live.current_version
    assert version.number == 1 and version.title == "Old airway talk"
    assert version.designated_credits == Decimal("0.75")
    content = version.content
    assert content["designation_statement"].startswith("The Old Society designates this enduring material")
    assert "joint providership of the Old Society and Airway Club" in content["accreditation_statement"]
    assert (
        content["people"][0]["name"] == "Dr Old" and content["people"][0]["relevant"][0]["company"] == "Acme"
    )
    assert content["mitigation_statement"] and content["questions"] == 1
    assert "Acme" in version.listener_notes_html and "<em>AMA PRA Category 1 Credit(s)</em>" in (
        version.listener_notes_html
    )
    assert live.providership == "joint" and live.joint_provider_name == "Airway Club"
    support = CommercialSupport.objects.get(activity=live)
    assert support.supporter == "Old Pharma" and support.agreement_signed_on is None  # to be completed
    for model in (Attempt, Evaluation, CreditClaim, CompletionRecord):
        assert set(model.objects.filter(activity=live).values_list("version_id", flat=True)) == {version.pk}
    certificate = Certificate.objects.get(pk=ids["certificate"])
    assert certificate.version_id == version.pk
    assert certificate.designation_statement == "Old wording frozen at issue"  # never rewritten
    assert AuditEvent.objects.filter(action="activity.version_carried_over", object_id=str(live.pk)).exists()

    draft = Activity.objects.get(pk=ids["draft"])
    assert draft.status == Activity.Status.DRAFT and draft.current_version is None
    assert not ActivityVersion.objects.filter(activity=draft).exists()


def _old_data(apps) -> dict[str, int]:
    """Rows as an installation before versions had them (historical models of that schema)."""
    User = apps.get_model("accounts", "User")
    Show = apps.get_model("episodes", "Show")
    Episode = apps.get_model("episodes", "Episode")
    Provider = apps.get_model("credits", "Provider")
    Activity = apps.get_model("credits", "Activity")
    ContentPerson = apps.get_model("credits", "ContentPerson")
    Disclosure = apps.get_model("credits", "Disclosure")
    Question = apps.get_model("credits", "Question")
    Option = apps.get_model("credits", "Option")
    Attempt = apps.get_model("credits", "Attempt")
    Evaluation = apps.get_model("credits", "Evaluation")
    CreditClaim = apps.get_model("credits", "CreditClaim")
    CompletionRecord = apps.get_model("credits", "CompletionRecord")
    Certificate = apps.get_model("credits", "Certificate")

    now = timezone.now()
    today = timezone.localdate()
    learner = User.objects.create(email="old-learner@example.org", password="!")
    show = Show.objects.create(
        title="Old show", slug="old-show", description="d", author="a", owner_name="o",
        owner_email="o@example.org",
    )  # fmt: skip
    provider = Provider.objects.create(
        name="Old Society", slug="old", accreditation_type="joint", joint_provider_name="Airway Club"
    )
    episodes = [
        Episode.objects.create(
            show=show,
            title=f"Old {n}",
            slug=f"old-{n}",
            guid=f"old-guid-{n}",
            audio="audio/old.mp3",
            audio_mime="audio/mpeg",
            audio_bitrate=64000,
            audio_size=1000,
            audio_duration=41 * 60,
            status="published",
            publish_at=now - datetime.timedelta(days=10),
        )  # fmt: skip
        for n in range(2)
    ]
    fields = {
        "provider": provider, "objectives": "Know the airway", "target_audience": "Physicians",
        "designated_credits": Decimal("0.75"), "release_date": today - datetime.timedelta(days=5),
        "expiry_date": today + datetime.timedelta(days=300),
    }  # fmt: skip
    live = Activity.objects.create(
        episode=episodes[0], title="Old airway talk", commercial_support="Old Pharma", **fields
    )
    draft = Activity.objects.create(episode=episodes[1], title="Never finished", **fields)
    person = ContentPerson.objects.create(activity=live, name="Dr Old", credentials="MD", role="faculty")
    Disclosure.objects.create(person=person, company="Acme", nature="consultant", mitigated=True)
    question = Question.objects.create(activity=live, text="Q?")
    option = Option.objects.create(question=question, text="A", is_correct=True)
    attempt = Attempt.objects.create(
        learner=learner, activity=live, number=1, submitted_at=now, score=100, passed=True,
        questions=[{"id": question.pk, "text": "Q?", "options": [{"id": option.pk, "text": "A"}]}],
    )  # fmt: skip
    evaluation = Evaluation.objects.create(
        learner=learner, activity=live, objectives_met=5, relevant_to_practice=5, free_of_bias=5,
        intends_change=False,
    )  # fmt: skip
    claim = CreditClaim.objects.create(
        learner=learner, activity=live, attempt=attempt, evaluation=evaluation, minutes_reported=45,
        credits=Decimal("0.75"), credit_type="ama_pra_1", degree="MD", attested=True,
    )  # fmt: skip
    CompletionRecord.objects.create(
        claim=claim, learner=learner, activity=live, completed_at=now, credits=Decimal("0.75"),
        credit_type="ama_pra_1", attempt_number=1, score=100, evaluation=evaluation,
    )  # fmt: skip
    certificate = Certificate.objects.create(
        claim=claim, code="C" * 28, number="OLD-2026-000001", learner_name="Ada Old", degree="MD",
        activity_title="Old airway talk", completion_date=today, credits=Decimal("0.75"),
        credit_type="ama_pra_1", provider_name="Old Society", accreditation_statement="Old accreditation",
        designation_statement="Old wording frozen at issue", issued_at=now, status="issued",
    )  # fmt: skip
    return {"live": live.pk, "draft": draft.pk, "certificate": certificate.pk}
