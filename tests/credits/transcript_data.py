"""Claimed credits for one learner, bulk-created: an episode and an activity per credit."""

import datetime
from decimal import Decimal

from django.utils import timezone

from credits.models import Activity, Attempt, CompletionRecord, CreditClaim, CreditType, Evaluation
from episodes.models import Episode


def add_claims(
    learner, *, show, provider, count: int, completed_at=None, credits="0.75", prefix="t", topics=()
):
    """``count`` activities claimed by ``learner`` (the rows the claim service writes), in bulk."""
    now = completed_at or timezone.now()
    episodes = Episode.objects.bulk_create(
        Episode(
            show=show,
            title=f"{prefix} episode {n}",
            slug=f"{prefix}-episode-{n}",
            guid=f"{prefix}-guid-{n}",
            audio=f"audio/x/{prefix}-{n}.mp3",
            audio_mime="audio/mpeg",
            audio_size=1000,
            audio_duration=45 * 60,
            audio_bitrate=64000,
            status=Episode.Status.PUBLISHED,
            publish_at=timezone.now() - datetime.timedelta(days=400),
        )
        for n in range(count)
    )
    if episodes and episodes[0].pk is None:
        episodes = list(Episode.objects.filter(guid__startswith=f"{prefix}-guid-").order_by("pk"))
    activities = Activity.objects.bulk_create(
        Activity(
            episode=e,
            provider=provider,
            title=f"{prefix} activity {n}",
            objectives="Learn",
            target_audience="Physicians",
            designated_credits=Decimal(credits),
            release_date=now.date() - datetime.timedelta(days=30),
            expiry_date=now.date() + datetime.timedelta(days=300),
        )
        for n, e in enumerate(episodes)
    )
    if activities and activities[0].pk is None:
        activities = list(Activity.objects.filter(episode__in=episodes).order_by("pk"))
    for activity in activities:
        if topics:
            activity.mandate_topics.add(*topics)
    attempts = Attempt.objects.bulk_create(
        Attempt(
            learner=learner, activity=a, number=1, started_at=now, submitted_at=now, score=100, passed=True
        )
        for a in activities
    )
    evaluations = Evaluation.objects.bulk_create(
        Evaluation(
            learner=learner,
            activity=a,
            objectives_met=5,
            relevant_to_practice=5,
            free_of_bias=5,
            intends_change=False,
            submitted_at=now,
        )
        for a in activities
    )
    if activities and (attempts[0].pk is None or evaluations[0].pk is None):
        attempts = list(
            Attempt.objects.filter(learner=learner, activity__in=activities).order_by("activity_id")
        )
        evaluations = list(
            Evaluation.objects.filter(learner=learner, activity__in=activities).order_by("activity_id")
        )
    claims = CreditClaim.objects.bulk_create(
        CreditClaim(
            learner=learner,
            activity=a,
            attempt=t,
            evaluation=e,
            minutes_reported=45,
            credits=Decimal(credits),
            credit_type=CreditType.AMA_PRA_1,
            degree="MD",
            attested=True,
            claimed_at=now,
        )
        for a, t, e in zip(activities, attempts, evaluations, strict=True)
    )
    if claims and claims[0].pk is None:
        claims = list(
            CreditClaim.objects.filter(learner=learner, activity__in=activities).order_by("activity_id")
        )
    CompletionRecord.objects.bulk_create(
        CompletionRecord(
            claim=c,
            learner=learner,
            activity_id=c.activity_id,
            completed_at=now,
            credits=c.credits,
            credit_type=c.credit_type,
            attempt_number=1,
            score=100,
            evaluation_id=c.evaluation_id,
        )
        for c in claims
    )
    return claims
