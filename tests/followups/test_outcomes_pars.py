"""The outcomes feed PARS (issue 18, item 3): the activity's PARS page and the reporting year's page
show what the follow-ups measured, suggest ticking Learner knowledge / Learner performance when
there is evidence and the coordinator has not, never change the stored choice and never block the
export."""

import pytest
from django.urls import reverse
from django.utils import timezone

from credits import pars
from credits.models import Activity
from credits.outcome_evidence import outcome_evidence
from testkit import factories
from testkit.outcomes import answer, claims_of, make_plan, practice

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year


def _ready(activity: Activity, measures: list[str]) -> Activity:
    return pars.pars_update(
        activity=activity,
        actor=None,
        data={"pars_activity_id": "201912345", "pars_outcome_measures": measures, "pars_description": ""},
    )


@pytest.fixture
def measured(activity):
    """Five learners answered the 30-day follow-up (14 of 15 right, against 15 of 15 at the claim);
    two answered the practice-change question."""
    factories.add_prior_claims(activity, 5, prefix="pars")
    make_plan(activity)
    claims = claims_of(activity)
    for n, claim in enumerate(claims):
        answer(claim, days=30, correct=[True, n % 2 == 0 or n == 1, True])
    practice(claims[0], changed="yes")
    practice(claims[1], changed="partly", barriers=["time"])
    return activity


def test_the_evidence_is_the_paired_figures_per_measure(measured):
    evidence = outcome_evidence([measured])[measured.pk]
    assert evidence["learner_knowledge"] == [
        "Measured by follow-up (correct at the claim → at the follow-up, same learners): "
        "30 days, n=5, 100% → 93.3%"
    ]
    assert evidence["learner_performance"] == [
        "Measured by the practice-change follow-up, n=2: 1 changed, 1 partly, 0 not yet, 0 not applicable"
    ]
    assert "learner_competence" not in evidence


def test_an_activity_with_nothing_answered_has_no_evidence(activity):
    make_plan(activity)
    assert outcome_evidence([activity]) == {}


def test_the_pars_page_shows_the_evidence_and_suggests_without_changing_the_choice(
    coordinator_client, measured
):
    _ready(measured, ["learner_competence"])
    url = reverse("credits:coordinator_pars_activity", args=[measured.pk])

    page = coordinator_client.get(url).content.decode()

    assert "Outcomes measured" in page
    assert "30 days, n=5, 100% → 93.3%" in page
    assert "Learner knowledge was measured" in page and "Learner performance was measured" in page
    measured.refresh_from_db()
    assert measured.pars_outcome_measures == ["learner_competence"]  # a suggestion, not a change

    _ready(measured, ["learner_knowledge", "learner_performance"])
    page = coordinator_client.get(url).content.decode()
    assert "30 days, n=5" in page
    assert "was measured (see the evidence), but it is not ticked" not in page


def test_the_year_page_suggests_and_the_export_is_not_blocked(coordinator_client, measured, provider):
    _ready(measured, ["learner_competence"])
    page_url = reverse("credits:coordinator_pars_activities", args=[provider.slug]) + f"?year={YEAR}"
    txt_url = reverse("credits:coordinator_pars_activities_txt", args=[provider.slug]) + f"?year={YEAR}"

    page = coordinator_client.get(page_url).content.decode()

    assert "Outcome measures to consider" in page
    assert "Learner knowledge was measured" in page
    assert "30 days, n=5, 100% → 93.3%" in page
    response = coordinator_client.get(txt_url)
    assert response.status_code == 200  # evidence never blocks the file
    fields = response.content.decode().rstrip("\r\n").split("\t")
    knowledge = pars.COLUMNS.index("Outcome Measured: Learner Knowledge")
    competence = pars.COLUMNS.index("Outcome Measured: Learner Competence")
    assert (fields[knowledge], fields[competence]) == ("N", "Y")  # the coordinator's choice, as stored


def test_a_chosen_measure_without_evidence_is_not_questioned(coordinator_client, activity, provider):
    _ready(activity, ["learner_knowledge"])
    page = coordinator_client.get(
        reverse("credits:coordinator_pars_activities", args=[provider.slug]) + f"?year={YEAR}"
    ).content.decode()
    assert "Outcome measures to consider" not in page
