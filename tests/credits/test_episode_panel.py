"""What a learner sees above the player, before listening: the ACCME and AMA requirements."""

from decimal import Decimal

import pytest

from credits import services
from credits.models import AccreditationType, Activity, Provider
from credits.statements import accreditation_statement, designation_statement_text, format_credits
from testkit.factories import expire_activity


def _activity(name: str, *, takes_the: bool = True, joint: str = "") -> Activity:
    provider = Provider(name=name, name_takes_the=takes_the)
    return Activity(
        provider=provider,
        providership=AccreditationType.JOINT if joint else AccreditationType.DIRECT,
        joint_provider_name=joint,
        designated_credits=Decimal("0.75"),
    )


def test_direct_accreditation_statement_is_exact():
    assert accreditation_statement(_activity("Society of Testing")) == (
        "The Society of Testing is accredited by the Accreditation Council for Continuing Medical Education "
        "(ACCME) to provide continuing medical education for physicians."
    )


def test_joint_accreditation_statement_is_exact_and_chosen_per_activity():
    # ACCME's wording (cme-rules.md), with "The" the same way in both sentences.
    assert accreditation_statement(_activity("Big University", joint="Airway Club")) == (
        "This activity has been planned and implemented in accordance with the accreditation "
        "requirements and policies of the Accreditation Council for Continuing Medical Education (ACCME) "
        "through the joint providership of the Big University and Airway Club. The Big University is "
        "accredited by the ACCME to provide continuing medical education for physicians."
    )
    assert accreditation_statement(_activity("Big University")).startswith("The Big University is accredited")


def test_a_name_that_reads_without_the_is_written_without_it_in_every_statement():
    activity = _activity("Mayo Clinic College of Medicine", takes_the=False, joint="Airway Club")
    assert "joint providership of Mayo Clinic College of Medicine and Airway Club. Mayo Clinic College" in (
        accreditation_statement(activity)
    )
    assert designation_statement_text(activity).startswith("Mayo Clinic College of Medicine designates")
    # A name that already starts with "The" is never doubled.
    assert designation_statement_text(_activity("The Airway Society")).startswith(
        "The Airway Society designates"
    )


@pytest.mark.parametrize(
    ("value", "text"), [("0.25", "0.25"), ("0.50", "0.5"), ("1.00", "1.0"), ("12.75", "12.75")]
)
def test_credit_amounts_are_written_plainly(value, text):
    assert format_credits(Decimal(value)) == text


def test_designation_statement_is_exact(activity):
    assert designation_statement_text(activity) == (
        "The Society of Testing designates this enduring material for a maximum of 0.75 AMA PRA Category 1 "
        "Credit(s)™. Physicians should claim only the credit commensurate with the extent of their "
        "participation in the activity."
    )


def _people(activity):
    services.activity_set_people(
        activity=activity,
        actor=None,
        people=[
            {"name": "Dr Ada Byrne", "credentials": "MD", "role": "faculty",
             "disclosures": [{"company": "Acme Pharma", "nature": "consultant", "mitigated": True}]},
            {"name": "Sam Planner", "credentials": "RN", "role": "planner", "disclosures": []},
        ],
    )  # fmt: skip


def test_the_episode_page_shows_everything_before_the_player(client, activity, episode):
    _people(activity)
    body = client.get(episode.get_absolute_url()).content.decode()
    panel_at, player_at = body.index('class="cme-panel"'), body.index("<audio")
    assert panel_at < player_at
    panel = body[panel_at:player_at]
    for text in [
        "Recognise a failed airway",
        "Plan a CICO rescue",
        "Dr Ada Byrne, MD",
        "Consultant — Acme Pharma",
        "Sam Planner, RN",
        "no relevant financial relationships",
        "All relevant financial relationships listed have been mitigated.",
        "Estimated time: 45 minutes",
        "passing score 75%",
        "Commercial support",
        "The Society of Testing is accredited by the Accreditation Council",
        "a maximum of 0.75 <em>AMA PRA Category 1 Credit(s)</em>™. Physicians should claim only",
        str(activity.release_date.year),
    ]:
        assert text in panel, text
    assert "Log in to take the post-test" in panel
    assert "next=/activities/" in panel


def test_an_expired_activity_says_so_and_offers_no_claim(client, learner, activity, episode):
    # The panel reads the version learners are offered: time passes for it too.
    expire_activity(activity, days_ago=2, released_days_ago=800)
    client.force_login(learner)
    body = client.get(episode.get_absolute_url()).content.decode()
    assert "This activity has expired." in body
    assert "/post-test/" not in body and "/claim/" not in body
    assert "<audio" in body  # listening stays possible


def test_a_logged_in_learner_sees_the_next_step(client, learner, activity, episode):
    client.force_login(learner)
    body = client.get(episode.get_absolute_url()).content.decode()
    assert "Take the post-test" in body
    assert 'data-progress-url="/episodes/' in body


def test_an_episode_without_activity_has_no_panel(client, show, episode, activity):
    from episodes.models import Episode

    plain = Episode.objects.get(pk=episode.pk)
    plain.pk, plain.slug, plain.guid = None, "plain", "plain-guid"
    plain.save()
    assert 'class="cme-panel"' not in client.get(plain.get_absolute_url()).content.decode()
