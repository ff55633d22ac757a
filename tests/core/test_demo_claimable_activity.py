"""The demo has a second CME activity the demo learner has not claimed, so the README's "log in as
the demo learner and claim its credit" works through the real pages; seeding again changes nothing."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from credits.models import Activity, Attempt, CreditClaim, DisclosureForm
from testkit.factories import correct_answers

pytestmark = pytest.mark.django_db


def test_the_demo_learner_can_claim_the_second_activity_through_the_pages(client):
    call_command("seed_demo", stdout=io.StringIO())
    learner = User.objects.get(email="learner@example.com")
    claimed = set(CreditClaim.objects.filter(learner=learner).values_list("activity_id", flat=True))
    open_activities = Activity.objects.filter(status=Activity.Status.PUBLISHED).exclude(pk__in=claimed)
    activity = open_activities.select_related("episode").get()
    assert activity.episode.slug == "the-obstetric-airway"
    assert activity.title == "The obstetric airway: general anaesthesia for caesarean section"

    out = io.StringIO()
    call_command("demo_info", stdout=out)
    info = out.getvalue()
    assert "CME activity to claim" in info and activity.episode.get_absolute_url() in info
    assert "learner@example.com has not claimed it yet" in info

    client.force_login(learner)
    page = client.get(activity.episode.get_absolute_url()).content.decode()
    assert reverse("credits:claim", args=[activity.pk]) in page  # its post-test is on the claim page
    assert client.get(reverse("credits:post_test", args=[activity.pk])).status_code == 200
    attempt = Attempt.objects.get(learner=learner, activity=activity)
    data = {"attempt": attempt.pk, **{f"q_{k}": v for k, v in correct_answers(attempt).items()}}
    client.post(reverse("credits:post_test", args=[activity.pk]), data)
    attempt.refresh_from_db()
    assert attempt.passed
    evaluation = {
        "objectives_met": "4",
        "relevant_to_practice": "5",
        "free_of_bias": "5",
        "intends_change": "no",
    }
    assert client.post(reverse("credits:evaluation", args=[activity.pk]), evaluation).status_code == 302
    response = client.post(
        reverse("credits:claim", args=[activity.pk]), {"minutes": "15", "attest": "on"}, follow=True
    )
    assert response.status_code == 200 and "Credit claimed" in response.content.decode()
    assert CreditClaim.objects.filter(learner=learner, activity=activity).exists()


def test_seeding_again_adds_no_second_copy_and_collects_no_disclosure_twice():
    call_command("seed_demo", stdout=io.StringIO())
    counts = (Activity.objects.count(), DisclosureForm.objects.count(), CreditClaim.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (Activity.objects.count(), DisclosureForm.objects.count(), CreditClaim.objects.count()) == counts
    assert counts[0] == 2
    second = Activity.objects.get(episode__slug="the-obstetric-airway")
    # Its speakers are people whose disclosures the provider already holds (no new forms).
    assert second.status == Activity.Status.PUBLISHED
    names = {p["name"] for p in second.current_version.content["people"]}
    assert {"Hank Host", "Grace Guest"} <= names
