"""Database constraints hold even when the services are bypassed (both databases)."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from credits.models import Activity, Option, Question
from episodes.models import Episode


@pytest.fixture
def episode(show, db):
    return Episode.objects.create(
        show=show,
        title="Difficult airway",
        slug="difficult-airway",
        guid="guid-1",
        audio="audio/x.mp3",
        audio_mime="audio/mpeg",
        audio_size=1000,
        audio_duration=60,
        audio_bitrate=64000,
    )


def _activity(episode, provider, credits):
    return Activity.objects.create(
        episode=episode,
        provider=provider,
        title="t",
        objectives="o",
        target_audience="a",
        designated_credits=Decimal(credits),
        release_date=datetime.date(2026, 1, 1),
        expiry_date=datetime.date(2027, 1, 1),
    )


@pytest.mark.parametrize("credits", ["0.25", "0.50", "0.75", "1.00", "2.25", "12.50"])
def test_quarter_step_credits_are_stored(episode, provider, credits):
    assert _activity(episode, provider, credits).designated_credits == Decimal(credits)


@pytest.mark.parametrize("credits", ["0.00", "0.10", "0.30", "0.80", "1.01", "-0.25"])
def test_other_credits_are_refused_by_the_database(episode, provider, credits):
    with pytest.raises(IntegrityError), transaction.atomic():
        _activity(episode, provider, credits)
    assert Activity.objects.count() == 0


def test_only_one_correct_option_per_question(episode, provider):
    question = Question.objects.create(activity=_activity(episode, provider, "0.5"), text="Q?")
    Option.objects.create(question=question, text="A", is_correct=True)
    Option.objects.create(question=question, text="B", is_correct=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        Option.objects.create(question=question, text="C", is_correct=True)
