"""Time and credit: the time a learner needs for an activity, and the credit their own time is worth.

Every credit type uses these two rules (AMA PRA Category 1 and the further types of
credits/credit_types.py): a designation must not exceed the time needed unless the activity records
why, and a learner's time is rounded to the nearest quarter hour and capped at the designation.
"""

from decimal import ROUND_HALF_UP, Decimal

from .models import Activity

# The time a learner needs besides the audio (finding: designation must match the time needed).
POST_TEST_MINUTES_PER_QUESTION = 1
EVALUATION_MINUTES = 3


def minutes_needed(activity: Activity) -> int:
    """Audio plus post-test and evaluation time, rounded to the nearest quarter hour (minutes)."""
    audio = Decimal(str(activity.episode.audio_duration or 0)) / 60
    questions = activity.questions.count()
    total = audio + questions * POST_TEST_MINUTES_PER_QUESTION + EVALUATION_MINUTES
    quarters = (total / 15).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(quarters * 15)


def designation_exceeds_time(activity: Activity) -> bool:
    return activity.designated_credits * 60 > minutes_needed(activity)


def credits_for_minutes(minutes: int, maximum: Decimal) -> tuple[Decimal, bool]:
    """Round the time spent to the nearest quarter hour and cap it: (credits, was_capped)."""
    quarters = (Decimal(minutes) / 15).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    credits = quarters / 4
    if credits > maximum:
        return maximum, True
    return credits.quantize(Decimal("0.01")), False
