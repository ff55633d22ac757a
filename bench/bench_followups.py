"""The follow-up scheduler (issue 18, Performance): 100,000 due follow-ups sent by
``followups.scheduler.follow_ups_send_due`` in batches of 1,000, time per 10,000.

Seed (bench/_claims_seed.py's activity, its three-question post-test reused by the follow-up plan):
1,000 learners who claimed it and opted in (testkit.factories.add_prior_claims), and 100 knowledge
follow-ups per claim, all due (bulk-created): 100,000 rows.

The floor, measured in the same run on the same rows: the bare database work a sender cannot avoid
for 10,000 follow-ups: select the due rows in order (10 selects of 1,000 by (due_at, id), with
FOR UPDATE SKIP LOCKED on PostgreSQL) and one UPDATE per 1,000 marking them sent, then put back.
What the scheduler adds on top is the questions snapshot, the 10,000 emails rendered (text and HTML,
two signed links each) and stored, and one audit row per follow-up. The emails' sending is the
worker's (accounts' outbox), out of this figure: the task backend is the dummy one here.

Rows: time per 10,000 (the median of the rounds) against the floor (informational: the ratio says
what the emails and audit rows cost over the bare select and update), the whole 100,000, and the
SQL queries of a batch of 1,000 with 100,000 due and with 1,000 due (goal: the same count).
"""

import datetime
import statistics
import time

from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench import Row
from bench._server import fresh_database

LEARNERS = 1_000
PER_CLAIM = 100  # knowledge follow-ups per claim (the unique key is claim, kind, interval)
ROUND = 10_000
BATCH = 1_000


def _seed():
    from bench._claims_seed import make_activity
    from credits.models import CreditClaim, Question
    from followups import services
    from followups.models import FollowUp, FollowUpConsent
    from testkit.factories import add_prior_claims

    activity = make_activity()
    services.plan_save(
        activity=activity,
        actor=None,
        enabled=True,
        intervals_days=[7, 30, 90],
        practice_change_days=60,
        reused_question_ids=list(Question.objects.filter(activity=activity).values_list("pk", flat=True)),
    )
    add_prior_claims(activity, LEARNERS, prefix="fu")
    claims = list(CreditClaim.objects.filter(activity=activity).values_list("pk", "learner_id"))
    FollowUpConsent.objects.bulk_create(FollowUpConsent(learner_id=lr, opted_in=True) for _, lr in claims)
    due = timezone.now() - datetime.timedelta(days=1)
    rows = (
        FollowUp(
            claim_id=claim,
            learner_id=learner,
            activity_id=activity.pk,
            kind="knowledge",
            interval_days=day,
            due_at=due + datetime.timedelta(seconds=day),
            nonce=services.new_nonce(),
        )
        for day in range(1, PER_CLAIM + 1)
        for claim, learner in claims
    )
    FollowUp.objects.bulk_create(rows, batch_size=5_000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return activity


def _floor_round(now) -> float:
    """Select and mark 10,000 due rows as a bare sender would, then put them back (untimed)."""
    from followups.models import FollowUp

    taken: list[int] = []
    start = time.perf_counter()
    for _ in range(ROUND // BATCH):
        with transaction.atomic():
            due = FollowUp.objects.filter(status="scheduled", due_at__lte=now).order_by("due_at", "id")
            if connection.features.has_select_for_update_skip_locked:
                due = due.select_for_update(skip_locked=True)
            ids = list(due.exclude(pk__in=taken).values_list("pk", flat=True)[:BATCH])
            FollowUp.objects.filter(pk__in=ids).update(status="sent", sent_at=now)
            taken.extend(ids)
    elapsed = time.perf_counter() - start
    FollowUp.objects.filter(pk__in=taken).update(status="scheduled", sent_at=None)
    return elapsed


def _measure() -> list[Row]:
    from followups.models import FollowUp
    from followups.scheduler import follow_ups_send_due

    _seed()
    total = FollowUp.objects.filter(status="scheduled").count()
    now = timezone.now()
    floors = [_floor_round(now) for _ in range(3)]
    floor = statistics.median(floors)
    with CaptureQueriesContext(connection) as first:
        follow_ups_send_due(now=now, batch_size=BATCH, max_batches=1)
    rounds = []
    sent = BATCH
    began = time.perf_counter()
    while True:
        start = time.perf_counter()
        counts = follow_ups_send_due(now=now, batch_size=BATCH, max_batches=ROUND // BATCH)
        if not counts["sent"]:
            break
        rounds.append((time.perf_counter() - start) * ROUND / counts["sent"])
        sent += counts["sent"]
    whole = time.perf_counter() - began
    # The last batch of 1,000, with 1,000 left instead of 100,000 (put back as due, untimed).
    last = list(FollowUp.objects.order_by("-due_at", "-id").values_list("pk", flat=True)[:BATCH])
    FollowUp.objects.filter(pk__in=last).update(status="scheduled")
    with CaptureQueriesContext(connection) as final:
        follow_ups_send_due(now=now, batch_size=BATCH, max_batches=1)
    left = FollowUp.objects.filter(status="scheduled").count()
    print(
        f"  {total:,} due follow-ups, {sent:,} sent, {left} left; rounds of 10,000: "
        + ", ".join(f"{r:.2f}" for r in rounds)
        + f" s; floor rounds {', '.join(f'{f:.2f}' for f in floors)} s"
    )
    db = connection.vendor
    return [
        Row(f"follow-ups: send 10,000 ({db})", statistics.median(rounds), floor, " s", "(per 10,000)", True),
        Row(f"follow-ups: send all 100,000 ({db})", whole, None, " s", "(informational)", True),
        Row(
            f"follow-ups: queries, a batch of {BATCH:,}: last vs first",
            len(final),
            len(first),
            "  ",
            "the same count",
            len(final) == len(first) and left == 0 and sent == total,
        ),
    ]


def run() -> list[Row]:
    dummy = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    with override_settings(TASKS=dummy), fresh_database():
        return _measure()
